import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadNer, splitLines } from '../../../core/datasets/index.js';
import { loadDataset } from '../../../extension/logic/datasetKind.js';
import { issueRange } from '../../../extension/logic/diagnosticRanges.js';
import { quickFixes } from '../../../extension/logic/quickFixes.js';
import type { TextEdit } from '../../../extension/logic/quickFixes.js';

/** Applies edits (one line each, or whole-line deletions) to a text, as a WorkspaceEdit would. */
function apply(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  for (const e of [...edits].sort((a, b) => b.line - a.line || b.start - a.start)) {
    if (e.deleteLine === true) lines.splice(e.line, 1);
    else {
      const l = lines[e.line] ?? '';
      lines[e.line] = l.slice(0, e.start) + e.newText + l.slice(e.end);
    }
  }
  return lines.join('\n');
}

/** Runs the first fix of every issue of a file, one at a time, and returns the fixed text. */
function fixAll(fileName: string, text: string): { text: string; titles: string[] } {
  const titles: string[] = [];
  for (let round = 0; round < 10; round++) {
    const data = loadDataset(fileName, text);
    assert.ok(data !== undefined);
    const lines = splitLines(text);
    const fixable = data.issues
      .map((issue) => {
        const lineText = lines[issue.line - 1] ?? '';
        const range = issueRange(issue, lineText, data.layout, lines.length);
        return quickFixes({ code: issue.code, message: issue.message, range }, lineText)[0];
      })
      .find((f) => f !== undefined);
    if (fixable === undefined) break;
    titles.push(fixable.title);
    text = apply(text, fixable.edits);
  }
  return { text, titles };
}

describe('quick fixes', () => {
  it('removes a trailing comma after a JSONL object, and the file then loads clean', () => {
    const text = '{"text": "a", "label": "ham"},\n{"text": "b", "label": "spam",}\n';
    const { text: fixed, titles } = fixAll('d.jsonl', text);
    assert.deepEqual(titles, [
      'Remove the trailing comma after the object',
      "Remove the trailing comma before '}' or ']'",
    ]);
    assert.equal(fixed, '{"text": "a", "label": "ham"}\n{"text": "b", "label": "spam"}\n');
    assert.deepEqual(loadDataset('d.jsonl', fixed)?.issues, []);
  });

  it('adds a missing closing brace only when the result parses', () => {
    assert.equal(fixAll('d.jsonl', '{"text": "a", "label": "ham"\n').text, '{"text": "a", "label": "ham"}\n');
    // Unfixable: a missing quote. No fix is offered.
    assert.deepEqual(fixAll('d.jsonl', '{"text": "a, "label": "ham"}\n').titles, []);
  });

  it('does not touch commas inside strings', () => {
    const text = '{"text": "a ,} b", "label": "ham",}\n';
    assert.equal(fixAll('d.jsonl', text).text, '{"text": "a ,} b", "label": "ham"}\n');
  });

  it('turns an I- tag after O into B- in CoNLL and in JSONL, and the warnings go away', () => {
    const conll = 'in\tO\nParis\tI-LOC\nnow\tO\n\nBerlin\tI-LOC\n';
    const fixed = fixAll('t.conll', conll);
    assert.equal(fixed.text, 'in\tO\nParis\tB-LOC\nnow\tO\n\nBerlin\tB-LOC\n');
    assert.deepEqual(fixed.titles, ['Change I-LOC to B-LOC', 'Change I-LOC to B-LOC']);
    assert.deepEqual(loadNer(fixed.text, 't.conll').issues, []);
    const jsonl = '{"tokens": ["in", "Paris"], "ner_tags": ["O", "I-LOC"]}\n';
    assert.equal(fixAll('n.jsonl', jsonl).text, '{"tokens": ["in", "Paris"], "ner_tags": ["O", "B-LOC"]}\n');
  });

  it('offers no B- fix for a BIOES entity that is not closed (the fix there is not obvious)', () => {
    const text = 'New\tB-LOC\nYork\tI-LOC\nis\tO\n\nX\tS-PER\n';
    assert.deepEqual(fixAll('t.conll', text).titles, []);
  });

  it('maps a chat role alias to the role name, and deletes an empty row on request', () => {
    const text =
      '{"messages": [{"role": "human", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n';
    assert.equal(
      fixAll('c.jsonl', text).text,
      '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n',
    );
    const data = '{"text": "a", "label": "ham"}\n{"text": " ", "label": "ham"}\n';
    assert.equal(fixAll('d.jsonl', data).text, '{"text": "a", "label": "ham"}\n');
  });
});
