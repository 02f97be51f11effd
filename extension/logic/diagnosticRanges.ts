// DatasetIssue (1-based line, optional column and field) → the 0-based range a diagnostic underlines:
// the offending JSON value, the CoNLL tag or token, the CSV field, or the line's text when nothing finer is
// known. Pure: the extension turns the result into a vscode.Range.
import type { DatasetIssue } from '../../core/datasets/index.js';
import type { DatasetLayout } from './datasetKind.js';
import { jsonSpans } from './jsonSpans.js';

export interface LineRange {
  /** 0-based line */
  readonly line: number;
  /** 0-based start and end characters on that line (end exclusive) */
  readonly start: number;
  readonly end: number;
}

/** The line's text without leading/trailing whitespace; an empty line gives 0..0. */
export function trimmedLineRange(line: number, text: string): LineRange {
  const start = text.length - text.trimStart().length;
  const end = text.trimEnd().length;
  return end <= start ? { line, start: 0, end: text.length } : { line, start, end };
}

const WORD = /[\p{L}\p{N}_$.+-]/u;

/** From a 0-based offset: the word there, or one character (the last one when the offset is past the end). */
function tokenAt(line: number, text: string, offset: number): LineRange {
  if (text.length === 0) return { line, start: 0, end: 0 };
  if (offset >= text.length) return { line, start: text.length - 1, end: text.length };
  let end = offset + 1;
  if (WORD.test(text.charAt(offset))) while (end < text.length && WORD.test(text.charAt(end))) end++;
  return { line, start: offset, end };
}

/** Spans of the columns of a CoNLL line (tab-separated, or space-separated when there is no tab). */
export function conllColumns(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const separator = text.includes('\t') ? /[^\t]+/g : /[^ ]+/g;
  for (const m of text.matchAll(separator)) {
    const raw = m[0];
    const lead = raw.length - raw.replace(/^ +/, '').length;
    const body = raw.trim();
    if (body === '') continue;
    out.push({ start: m.index + lead, end: m.index + lead + body.length });
  }
  return out;
}

/** A field of a delimited line starting at a 1-based column (up to the next delimiter). */
function delimitedField(line: number, text: string, column: number): LineRange {
  const start = Math.min(Math.max(column - 1, 0), text.length);
  let end = start;
  while (end < text.length && text[end] !== '\t' && text[end] !== ',') end++;
  return end === start ? tokenAt(line, text, start) : { line, start, end };
}

const TAG_CODES = new Set(['unknown-tag-prefix', 'invalid-tag-sequence']);

/**
 * The range to underline for `issue`, whose line holds `lineText`. `lineCount` clamps issues that point
 * past the end (e.g. a 'no-rows' issue on an empty file).
 */
export function issueRange(
  issue: DatasetIssue,
  lineText: string,
  layout: DatasetLayout,
  lineCount: number,
): LineRange {
  const line = Math.min(Math.max(issue.line - 1, 0), Math.max(lineCount - 1, 0));
  if (line !== issue.line - 1) return { line, start: 0, end: 0 };
  switch (layout) {
    case 'jsonl': {
      if (issue.code === 'invalid-json' && issue.column !== undefined)
        return tokenAt(line, lineText, issue.column - 1);
      if (issue.field !== undefined && issue.code !== 'missing-field') {
        const span = jsonSpans(lineText).get(issue.field);
        if (span !== undefined) return { line, start: span.start, end: span.end };
      }
      return trimmedLineRange(line, lineText);
    }
    case 'conll': {
      const columns = conllColumns(lineText);
      const pick = TAG_CODES.has(issue.code)
        ? columns[columns.length - 1]
        : issue.code === 'missing-tag'
          ? columns[0]
          : undefined;
      return pick === undefined
        ? trimmedLineRange(line, lineText)
        : { line, start: pick.start, end: pick.end };
    }
    case 'delimited':
      return issue.column === undefined
        ? trimmedLineRange(line, lineText)
        : delimitedField(line, lineText, issue.column);
  }
}
