// Dataset problems are collected, not thrown: a parser returns every row it could read plus one issue per
// problem, each located by file and 1-based line (and column / field where known), so the VS Code
// extension can show them all as diagnostics at once. Callers that need clean data call throwIfErrors.

export type DatasetIssueSeverity = 'error' | 'warning';

/** Machine-readable kind of a problem (stable: the extension maps them to quick fixes). */
export type DatasetIssueCode =
  /** a JSONL line is not valid JSON */
  | 'invalid-json'
  /** a JSONL line is valid JSON but not an object */
  | 'not-an-object'
  /** a required field or CSV column is absent */
  | 'missing-field'
  /** a field has the wrong JSON type */
  | 'wrong-type'
  /** a text field is empty or whitespace only */
  | 'empty-text'
  /** a chat message has a role other than system/user/assistant */
  | 'unknown-role'
  /** tokens and tags of one sentence differ in number */
  | 'length-mismatch'
  /** an integer tag/label is outside the label list */
  | 'label-out-of-range'
  /** a tag prefix that the declared or detected scheme does not know */
  | 'unknown-tag-prefix'
  /** a tag sequence that the scheme forbids but conlleval reads anyway (I- after O, type change) */
  | 'invalid-tag-sequence'
  /** a CoNLL token line without a tag column */
  | 'missing-tag'
  /** CSV: a quoted field that never closes */
  | 'unterminated-quote'
  /** CSV: text between a closing quote and the next delimiter */
  | 'bad-quote'
  /** CSV: a row with more or fewer fields than the header */
  | 'column-count'
  /** an SFT example with no assistant message (nothing to learn) */
  | 'no-assistant-message'
  /** an evaluation label (or entity type) never seen in the training set */
  | 'unseen-label'
  /** the file holds no example at all */
  | 'no-rows'
  /** the format could not be recognised */
  | 'unknown-format';

export interface DatasetIssue {
  /** file name (or any name the caller gave the text) */
  source: string;
  /** 1-based line; 1 when the issue concerns the whole file (e.g. an empty file) */
  line: number;
  /** 1-based column, when known */
  column?: number;
  /** field path inside the record, e.g. "label" or "messages[2].role" */
  field?: string;
  severity: DatasetIssueSeverity;
  message: string;
  code: DatasetIssueCode;
}

export interface ParseResult<T> {
  rows: T[];
  issues: DatasetIssue[];
}

/** Where a parsed record came from; every task record carries it so later checks can point back. */
export interface SourceLocation {
  source: string;
  /** 1-based line of the record's first line */
  line: number;
}

/** Builds an issue without undefined optional fields (exactOptionalPropertyTypes). */
export function issue(
  location: SourceLocation,
  code: DatasetIssueCode,
  message: string,
  extra: { field?: string | undefined; column?: number | undefined; severity?: DatasetIssueSeverity } = {},
): DatasetIssue {
  const result: DatasetIssue = {
    source: location.source,
    line: location.line,
    severity: extra.severity ?? 'error',
    message,
    code,
  };
  if (extra.column !== undefined) result.column = extra.column;
  if (extra.field !== undefined) result.field = extra.field;
  return result;
}

/** "file:line[:column]: error: message (field)" — the form editors and terminals turn into links. */
export function formatIssue(i: DatasetIssue): string {
  const where = `${i.source}:${i.line}${i.column === undefined ? '' : `:${i.column}`}`;
  const field = i.field === undefined ? '' : ` [field ${i.field}]`;
  return `${where}: ${i.severity}: ${i.message}${field}`;
}

export function hasErrors(issues: readonly DatasetIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

export class DatasetError extends Error {
  constructor(
    message: string,
    readonly issues: readonly DatasetIssue[],
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * Throws a DatasetError listing the first `maxListed` errors (file:line: message) when there is any error;
 * warnings never throw.
 */
export function throwIfErrors(issues: readonly DatasetIssue[], maxListed = 5): void {
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length === 0) return;
  const listed = errors.slice(0, maxListed).map((i) => `  ${formatIssue(i)}`);
  const more = errors.length > maxListed ? [`  … and ${errors.length - maxListed} more`] : [];
  const files = [...new Set(errors.map((i) => i.source))].join(', ');
  throw new DatasetError(
    [
      `${errors.length} error${errors.length === 1 ? '' : 's'} in ${files}; fix the lines below and reload:`,
      ...listed,
      ...more,
    ].join('\n'),
    errors,
  );
}

/** Splits text into lines, dropping a UTF-8 byte-order mark and the "\r" of CRLF endings. */
export function splitLines(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
