import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { detectScheme, parseConll } from '../../../core/datasets/conll.js';
import { formatIssue } from '../../../core/datasets/errors.js';

const lines = (...l: string[]): string => l.join('\n') + '\n';

describe('parseConll', () => {
  it('reads sentences, skips -DOCSTART- and treats whitespace-only lines as boundaries', () => {
    const text = lines(
      '-DOCSTART- -X- O O',
      '',
      'EU\tB-ORG',
      'rejects\tO',
      '\t',
      'German NNP B-MISC',
      'call VB O',
      '',
      '',
      'Peter\tB-PER',
    );
    const r = parseConll(text, 'news.conll');
    assert.deepEqual(r.issues, []);
    assert.equal(r.scheme, 'BIO');
    assert.deepEqual(r.rows, [
      { line: 3, tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], tokenLines: [3, 4] },
      // Without a tab the columns are whitespace-separated and the tag is the last one.
      { line: 6, tokens: ['German', 'call'], tags: ['B-MISC', 'O'], tokenLines: [6, 7] },
      { line: 10, tokens: ['Peter'], tags: ['B-PER'], tokenLines: [10] },
    ]);
  });

  it('keeps spaces inside tab-separated tokens', () => {
    const r = parseConll('New York\tB-LOC\n', 'x.conll');
    assert.deepEqual(r.rows[0]?.tokens, ['New York']);
  });

  it('reports a token line without a tag', () => {
    const r = parseConll(lines('Hello\tO', 'world', 'again\t'), 'tweets.conll');
    assert.deepEqual(
      r.issues.map((i) => [i.code, i.line, i.severity]),
      [
        ['missing-tag', 2, 'error'],
        ['missing-tag', 3, 'error'],
      ],
    );
    assert.match(
      formatIssue(r.issues[0] ?? assert.fail()),
      /^tweets\.conll:2: error: token "world" has no tag/,
    );
  });

  it('warns about I- after O or after another type, naming line and token', () => {
    const r = parseConll(lines('the\tO', 'Big\tI-ORG', 'Apple\tI-LOC', '', 'Paris\tI-LOC'), 'dev.conll');
    assert.equal(r.rows.length, 2);
    assert.ok(r.issues.every((i) => i.severity === 'warning' && i.code === 'invalid-tag-sequence'));
    assert.deepEqual(
      r.issues.map((i) => i.line),
      [2, 3, 5],
    );
    const text = r.issues.map((i) => formatIssue(i));
    assert.match(
      text[0] ?? '',
      /^dev\.conll:2: warning: token "Big": I-ORG after O — conlleval reads it as the start of a new ORG entity/,
    );
    assert.match(text[1] ?? '', /^dev\.conll:3: warning: token "Apple": I-LOC after I-ORG/);
    assert.match(text[2] ?? '', /^dev\.conll:5: warning: token "Paris": I-LOC at the start of a sentence/);
  });

  it('rejects unknown prefixes and tags without a type', () => {
    const r = parseConll(lines('a\tX-PER', 'b\tPER', 'c\tB-', 'd\tB-PER'), 'odd.conll');
    assert.deepEqual(
      r.issues.map((i) => [i.line, i.severity, i.code]),
      [
        [1, 'error', 'unknown-tag-prefix'],
        [2, 'error', 'unknown-tag-prefix'],
        [3, 'error', 'unknown-tag-prefix'],
      ],
    );
    assert.match(
      formatIssue(r.issues[0] ?? assert.fail()),
      /^odd\.conll:1: error: token "a": tag "X-PER" is neither O nor B-TYPE, I-TYPE \(BIO scheme\)/,
    );
    assert.match(r.issues[2]?.message ?? '', /no entity type after "B-"/);
  });

  it('detects BIOES and checks that entities are closed', () => {
    const ok = parseConll(lines('Ann\tS-PER', 'in\tO', 'New\tB-LOC', 'York\tE-LOC'), 'bioes.conll');
    assert.equal(ok.scheme, 'BIOES');
    assert.deepEqual(ok.issues, []);
    const bad = parseConll(lines('New\tB-LOC', 'York\tI-LOC', 'now\tO', 'x\tE-PER'), 'bioes.conll');
    assert.deepEqual(
      bad.issues.map((i) => [i.line, i.severity]),
      [
        [2, 'warning'],
        [4, 'warning'],
      ],
    );
    assert.match(bad.issues[0]?.message ?? '', /I-LOC is not followed by I-LOC or E-LOC/);
    assert.match(bad.issues[1]?.message ?? '', /E-PER after O/);
    // An explicit BIO scheme makes S-/E- unknown prefixes.
    const strict = parseConll(lines('Ann\tS-PER'), 'bio.conll', { scheme: 'BIO' });
    assert.equal(strict.issues[0]?.code, 'unknown-tag-prefix');
    assert.equal(detectScheme([['O', 'B-X'], ['I-Y']]), 'BIO');
  });

  it('reports an empty file', () => {
    const r = parseConll('\n\n-DOCSTART- O\n', 'empty.conll');
    assert.deepEqual(
      r.issues.map((i) => formatIssue(i)),
      [
        'empty.conll:1: error: no sentence found: expected `token<TAB>tag` lines with a blank line between sentences',
      ],
    );
  });
});
