import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DatasetError,
  formatIssue,
  issue,
  splitLines,
  throwIfErrors,
} from '../../../core/datasets/errors.js';
import type { DatasetIssue } from '../../../core/datasets/errors.js';
import { locateJsonError, parseJsonl } from '../../../core/datasets/jsonl.js';

describe('issues and DatasetError', () => {
  it('formats issues as file:line[:column] links', () => {
    const a = issue({ source: 'train.jsonl', line: 4 }, 'missing-field', 'missing field "label"', {
      field: 'label',
    });
    assert.equal(formatIssue(a), 'train.jsonl:4: error: missing field "label" [field label]');
    const b = issue({ source: 'x.csv', line: 2 }, 'bad-quote', 'oops', { column: 7, severity: 'warning' });
    assert.equal(formatIssue(b), 'x.csv:2:7: warning: oops');
    assert.equal('column' in a, false, 'no undefined optional fields');
  });

  it('throwIfErrors lists the first errors with file and line, ignores warnings', () => {
    const warnings: DatasetIssue[] = [
      issue({ source: 'a.conll', line: 3 }, 'invalid-tag-sequence', 'I- after O', { severity: 'warning' }),
    ];
    assert.doesNotThrow(() => {
      throwIfErrors(warnings);
    });
    const errors = Array.from({ length: 7 }, (_, k) =>
      issue({ source: 'dev.jsonl', line: 10 + k }, 'empty-text', `row ${k} is empty`),
    );
    assert.throws(
      () => {
        throwIfErrors([...warnings, ...errors], 3);
      },
      (e: unknown) => {
        assert.ok(e instanceof DatasetError);
        assert.equal(e.issues.length, 7);
        assert.match(e.message, /^7 errors in dev\.jsonl/);
        assert.match(e.message, /dev\.jsonl:10: error: row 0 is empty/);
        assert.match(e.message, /dev\.jsonl:12: error: row 2 is empty/);
        assert.doesNotMatch(e.message, /dev\.jsonl:13/);
        assert.match(e.message, /… and 4 more/);
        assert.doesNotMatch(e.message, /a\.conll/);
        return true;
      },
    );
  });

  it('splits lines without BOM, CR or a phantom last line', () => {
    assert.deepEqual(splitLines('\uFEFFa\r\nb\n'), ['a', 'b']);
    assert.deepEqual(splitLines('a\n\nb'), ['a', '', 'b']);
    assert.deepEqual(splitLines(''), []);
  });
});

describe('parseJsonl', () => {
  it('reads one value per line, skipping blank lines and keeping line numbers', () => {
    const r = parseJsonl('\uFEFF{"a":1}\r\n\r\n  \n{"a":2}\n', 'x.jsonl');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.rows, [
      { line: 1, value: { a: 1 } },
      { line: 4, value: { a: 2 } },
    ]);
  });

  it('reports malformed lines with line and column and keeps the good ones', () => {
    const text = [
      '{"text": "ok", "label": "a"}',
      '{"text": "x", "label": }',
      '{"text": "y" "label": "b"}',
      '{"text": "z"',
    ].join('\n');
    const r = parseJsonl(text, 'bad.jsonl');
    assert.equal(r.rows.length, 1);
    assert.deepEqual(
      r.issues.map((i) => [i.line, i.column, i.code]),
      [
        [2, 24, 'invalid-json'],
        [3, 14, 'invalid-json'],
        [4, 13, 'invalid-json'],
      ],
    );
    const first = r.issues[0];
    assert.ok(first !== undefined);
    assert.match(
      formatIssue(first),
      /^bad\.jsonl:2:24: error: invalid JSON: expected a JSON value at column 24, found "}"/,
    );
    assert.match(r.issues[1]?.message ?? '', /expected ',' or '}'/);
    assert.match(r.issues[2]?.message ?? '', /found end of line/);
  });

  it('locates errors the way a JSON grammar does', () => {
    const at = (s: string): number => locateJsonError(s).offset;
    assert.equal(at('[1,2,]'), 5);
    assert.equal(at("{'a': 1}"), 1);
    assert.equal(at('{"a": tru}'), 9);
    assert.equal(at('{"a": 01}'), 7);
    assert.equal(at('{"a": "\\x"}'), 8);
    assert.equal(at('{"a": 1} x'), 9);
    assert.equal(at('"tab\there"'), 4);
    assert.equal(at('{"a": [1, {"b": -}]}'), 17);
    // Valid JSON never gets here in practice; the scanner must accept what JSON.parse accepts.
    for (const ok of ['{"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n"]}', ' [] ', '{}']) {
      assert.doesNotThrow(() => JSON.parse(ok));
      assert.equal(locateJsonError(ok).message, 'the line is not valid JSON');
    }
  });
});
