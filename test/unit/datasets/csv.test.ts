import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  detectDelimiter,
  looksLikeHeaderlessLabelText,
  parseDelimited,
  parseDelimitedRecords,
  parseLabelTextLines,
} from '../../../core/datasets/csv.js';
import { formatIssue } from '../../../core/datasets/errors.js';

describe('parseDelimited (RFC 4180)', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    const text =
      'text,label\r\n"hello, world",pos\r\n"she said ""hi""",neg\r\n"two\nlines",pos\r\nplain ""x"" y,neg\r\n';
    const t = parseDelimited(text, 'data.csv');
    assert.deepEqual(t.issues, []);
    assert.equal(t.delimiter, ',');
    assert.deepEqual(t.header, ['text', 'label']);
    assert.deepEqual(
      t.rows.map((r) => [r.line, r.fields.text, r.fields.label]),
      [
        [2, 'hello, world', 'pos'],
        [3, 'she said "hi"', 'neg'],
        [4, 'two\nlines', 'pos'],
        // A quote inside an unquoted field is an ordinary character (lenient, like most readers).
        [6, 'plain ""x"" y', 'neg'],
      ],
    );
  });

  it('keeps empty fields and skips blank lines', () => {
    const t = parseDelimited('a,b,c\n\n1,,3\n,,\n', 'x.csv');
    assert.deepEqual(
      t.rows.map((r) => [r.line, r.fields]),
      [
        [3, { a: '1', b: '', c: '3' }],
        [4, { a: '', b: '', c: '' }],
      ],
    );
  });

  it('reports a row with the wrong number of fields by file and line', () => {
    const t = parseDelimited('text,label\na,b\nan, unquoted, comma,x\nc,d\n', 'reviews.csv');
    assert.equal(t.rows.length, 2);
    assert.equal(t.issues.length, 1);
    const only = t.issues[0];
    assert.ok(only !== undefined);
    assert.equal(only.code, 'column-count');
    assert.match(formatIssue(only), /^reviews\.csv:3: error: this row has 4 fields but the header has 2/);
  });

  it('reports an unterminated quote at the line and column where it opens', () => {
    const t = parseDelimited('text,label\nok,a\n"never closed,b\nmore,c\n', 'q.csv');
    assert.deepEqual(
      t.rows.map((r) => r.line),
      [2],
    );
    assert.deepEqual(
      t.issues.map((i) => [i.code, i.line, i.column]),
      [['unterminated-quote', 3, 1]],
    );
    assert.match(
      formatIssue(t.issues[0] ?? assert.fail()),
      /^q\.csv:3:1: error: a quoted field never closes/,
    );
  });

  it('reports text after a closing quote and drops only that row', () => {
    const t = parseDelimited('text\tlabel\n"Happy" days\tham\nfine\tspam\n', 'sms.tsv');
    assert.equal(t.delimiter, '\t');
    assert.deepEqual(
      t.rows.map((r) => r.fields.text),
      ['fine'],
    );
    assert.deepEqual(
      t.issues.map((i) => [i.code, i.line, i.column]),
      [['bad-quote', 2, 8]],
    );
    assert.match(t.issues[0]?.message ?? '', /read this TSV without quoting/);
    // Without quoting, the quote is text.
    const raw = parseDelimited('text\tlabel\n"Happy" days\tham\n', 'sms.tsv', { quoting: false });
    assert.deepEqual(raw.issues, []);
    assert.equal(raw.rows[0]?.fields.text, '"Happy" days');
  });

  it('numbers lines after a multi-line field correctly', () => {
    const r = parseDelimitedRecords('a\n"x\ny\nz"\nb\n', 'm.csv', ',');
    assert.deepEqual(
      r.rows.map((x) => [x.line, x.values]),
      [
        [1, ['a']],
        [2, ['x\ny\nz']],
        [5, ['b']],
      ],
    );
    assert.throws(() => parseDelimitedRecords('a', 'm.csv', '"'), RangeError);
  });

  it('detects the delimiter from the option, the extension, then the first line', () => {
    assert.equal(detectDelimiter('a,b', 'f.tsv'), '\t');
    assert.equal(detectDelimiter('a\tb', 'f.csv'), ',');
    assert.equal(detectDelimiter('a\tb', 'f.txt'), '\t');
    assert.equal(detectDelimiter('a,b', 'f'), ',');
    assert.equal(detectDelimiter('a,b', 'f.tsv', ';'), ';');
  });
});

describe('headerless label<TAB>text (SMS Spam Collection)', () => {
  it('is detected from a ham/spam first column', () => {
    assert.equal(looksLikeHeaderlessLabelText('\nham\tGo until jurong point'), true);
    assert.equal(looksLikeHeaderlessLabelText('spam\tWIN'), true);
    assert.equal(looksLikeHeaderlessLabelText('label\ttext\nham\tx'), false);
    assert.equal(looksLikeHeaderlessLabelText('ham,x'), false);
    assert.equal(looksLikeHeaderlessLabelText(''), false);
  });

  it('takes everything after the first tab verbatim, quotes included', () => {
    const r = parseLabelTextLines(
      'ham\t"Gimme a few" was\tthere\r\n\nspam\tWIN ""now\nno tab here\n',
      'sms.tsv',
    );
    assert.deepEqual(
      r.rows.map((x) => [x.line, x.label, x.text]),
      [
        [1, 'ham', '"Gimme a few" was\tthere'],
        [3, 'spam', 'WIN ""now'],
      ],
    );
    assert.deepEqual(
      r.issues.map((i) => formatIssue(i)),
      ['sms.tsv:4: error: expected `label<TAB>text` but the line has no tab'],
    );
  });
});
