// DatasetIssue → underlined range, on real issues produced by core/datasets for broken files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitLines } from '../../../core/datasets/index.js';
import type { DatasetIssue } from '../../../core/datasets/index.js';
import { loadDataset } from '../../../extension/logic/datasetKind.js';
import { conllColumns, issueRange } from '../../../extension/logic/diagnosticRanges.js';
import type { LineRange } from '../../../extension/logic/diagnosticRanges.js';
import { jsonSpans } from '../../../extension/logic/jsonSpans.js';

function ranges(
  fileName: string,
  text: string,
): { issue: DatasetIssue; range: LineRange; underlined: string }[] {
  const data = loadDataset(fileName, text);
  assert.ok(data !== undefined);
  const lines = splitLines(text);
  return data.issues.map((issue) => {
    const lineText = lines[issue.line - 1] ?? '';
    const range = issueRange(issue, lineText, data.layout, lines.length);
    return { issue, range, underlined: (lines[range.line] ?? '').slice(range.start, range.end) };
  });
}

describe('jsonSpans', () => {
  it('locates values by the field paths core/datasets uses', () => {
    const text =
      '{"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "x"}], "n": 12}';
    const spans = jsonSpans(text);
    const at = (p: string): string => {
      const s = spans.get(p);
      assert.ok(s !== undefined, p);
      return text.slice(s.start, s.end);
    };
    assert.equal(at('messages[1].role'), '"bot"');
    assert.equal(at('n'), '12');
    assert.equal(at('messages[0]'), '{"role": "user", "content": "hi"}');
    assert.equal(at(''), text);
  });

  it('keeps the spans before a syntax error', () => {
    const spans = jsonSpans('{"text": "ok", "label": }');
    assert.ok(spans.has('text'));
    assert.ok(!spans.has('label'));
  });
});

describe('issueRange for JSONL', () => {
  it('underlines the offending character of invalid JSON and the bad value of a field', () => {
    const text = [
      '{"text": "fine", "label": "ham"}',
      '{"text": "oops" "label": "spam"}',
      '{"text": 42, "label": "ham"}',
      '{"label": "ham"}',
    ].join('\n');
    const got = ranges('d.jsonl', text);
    assert.deepEqual(
      got.map((g) => [g.issue.code, g.range.line, g.underlined]),
      [
        ['invalid-json', 1, '"'],
        ['wrong-type', 2, '42'],
        ['missing-field', 3, '{"label": "ham"}'],
      ],
    );
  });

  it('an unexpected end of line underlines the last character', () => {
    const got = ranges('d.jsonl', '{"text": "a", "label": "b"');
    const [first] = got;
    assert.ok(first !== undefined);
    assert.equal(first.issue.code, 'invalid-json');
    assert.equal(first.underlined, '"');
    assert.equal(first.range.end, '{"text": "a", "label": "b"'.length);
  });

  it('an NER tag issue underlines that tag inside ner_tags', () => {
    const got = ranges('n.jsonl', '{"tokens": ["in", "Paris"], "ner_tags": ["O", "I-LOC"]}\n');
    assert.deepEqual(
      got.map((g) => [g.issue.code, g.underlined]),
      [['invalid-tag-sequence', '"I-LOC"']],
    );
  });

  it('a chat role issue underlines the role value', () => {
    const got = ranges(
      'c.jsonl',
      '{"messages": [{"role": "human", "content": "hi"}, {"role": "assistant", "content": "yo"}]}',
    );
    assert.deepEqual(
      got.map((g) => [g.issue.code, g.underlined]),
      [['unknown-role', '"human"']],
    );
  });
});

describe('issueRange for CoNLL and CSV', () => {
  it('underlines the tag column of a tag issue and the token of a missing tag', () => {
    const text = 'Ada\tB-PER\nwas\tO\nin\tO\nParis\tI-LOC\nnow\n\nX\tQ-LOC\n';
    const got = ranges('t.conll', text);
    assert.deepEqual(
      got.map((g) => [g.issue.code, g.range.line, g.underlined]),
      [
        ['invalid-tag-sequence', 3, 'I-LOC'],
        ['missing-tag', 4, 'now'],
        ['unknown-tag-prefix', 6, 'Q-LOC'],
      ],
    );
  });

  it('conllColumns handles tabs and runs of spaces', () => {
    assert.deepEqual(conllColumns('  EU  NNP   B-ORG '), [
      { start: 2, end: 4 },
      { start: 6, end: 9 },
      { start: 12, end: 17 },
    ]);
  });

  it('a CSV row with the wrong field count underlines the line; an issue past the end clamps', () => {
    const got = ranges('d.csv', 'text,label\n"a",ham\nb,ham,extra\n');
    assert.deepEqual(
      got.map((g) => [g.issue.code, g.range.line, g.underlined]),
      [['column-count', 2, 'b,ham,extra']],
    );
    const empty = ranges('e.jsonl', '');
    const [only] = empty;
    assert.ok(only !== undefined);
    assert.equal(only.issue.code, 'no-rows');
    assert.deepEqual(only.range, { line: 0, start: 0, end: 0 });
  });
});
