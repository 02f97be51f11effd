// Delimited text: CSV/TSV with a header row (RFC 4180 quoting: a field that starts with '"' is quoted,
// '""' inside it is one quote, and it may span lines), and the SMS Spam Collection's headerless
// `label<TAB>text` layout, whose texts contain unbalanced quotes and so must be read without quoting.

import { issue, splitLines } from './errors.js';
import type { DatasetIssue, ParseResult } from './errors.js';

export interface DelimitedOptions {
  /** field separator; default: tab for .tsv/.tab sources, comma for .csv, else tab if the first line has one */
  delimiter?: string;
  /** honour RFC 4180 quotes (default true); turn off for TSV files whose texts start with a quote */
  quoting?: boolean;
}

export interface DelimitedRow {
  /** 1-based line where the record starts */
  line: number;
  /** values by header name, in header order */
  fields: Record<string, string>;
}

export interface DelimitedTable extends ParseResult<DelimitedRow> {
  /** column names from the first record (trimmed); empty when the file is empty */
  header: string[];
  /** 1-based line of the header record (1 for an empty file) */
  headerLine: number;
  delimiter: string;
}

/** Picks the delimiter from the option, the file extension, or the first line. */
export function detectDelimiter(text: string, source: string, explicit?: string): string {
  if (explicit !== undefined) return explicit;
  const lower = source.toLowerCase();
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return '\t';
  if (lower.endsWith('.csv')) return ',';
  const firstLine = splitLines(text).find((l) => l.trim() !== '') ?? '';
  return firstLine.includes('\t') ? '\t' : ',';
}

interface RawRecord {
  line: number;
  values: string[];
}

/** Splits delimited text into records of raw field values; quoting errors become issues. */
export function parseDelimitedRecords(
  text: string,
  source: string,
  delimiter: string,
  quoting = true,
): ParseResult<RawRecord> {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new RangeError(
      `parseDelimitedRecords: the delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`,
    );
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: RawRecord[] = [];
  const issues: DatasetIssue[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const atLineEnd = (p: number): boolean =>
    p >= body.length ||
    body[p] === '\n' ||
    (body[p] === '\r' && body[p + 1] === '\n') ||
    (body[p] === '\r' && p + 1 >= body.length);

  while (pos < body.length) {
    const recordLine = line;
    const values: string[] = [];
    let recordBroken = false;
    for (;;) {
      let value = '';
      if (quoting && body[pos] === '"') {
        const openLine = line;
        const openColumn = pos - lineStart + 1;
        pos++;
        let closed = false;
        while (pos < body.length) {
          const ch = body.charAt(pos);
          if (ch === '"') {
            if (body[pos + 1] === '"') {
              value += '"';
              pos += 2;
              continue;
            }
            pos++;
            closed = true;
            break;
          }
          if (ch === '\n') {
            line++;
            lineStart = pos + 1;
          }
          value += ch;
          pos++;
        }
        if (!closed) {
          issues.push(
            issue(
              { source, line: openLine },
              'unterminated-quote',
              'a quoted field never closes: add the closing \'"\' (write "" for a quote inside a quoted field)',
              {
                column: openColumn,
              },
            ),
          );
          return { rows, issues };
        }
        if (!atLineEnd(pos) && body[pos] !== delimiter) {
          issues.push(
            issue(
              { source, line },
              'bad-quote',
              `unexpected text after a closing quote: quote the whole field and write "" for each quote inside it${delimiter === '\t' ? ', or read this TSV without quoting' : ''}`,
              { column: pos - lineStart + 1 },
            ),
          );
          recordBroken = true;
          while (!atLineEnd(pos) && body[pos] !== delimiter) pos++;
        }
      } else {
        while (!atLineEnd(pos) && body[pos] !== delimiter) {
          value += body.charAt(pos);
          pos++;
        }
      }
      values.push(value);
      if (pos < body.length && body[pos] === delimiter) {
        pos++;
        continue;
      }
      // End of record: step over "\n" or "\r\n".
      if (body[pos] === '\r') pos++;
      if (body[pos] === '\n') pos++;
      line++;
      lineStart = pos;
      break;
    }
    const blank = values.length === 1 && (values[0] ?? '').trim() === '';
    if (!blank && !recordBroken) rows.push({ line: recordLine, values });
  }
  return { rows, issues };
}

/**
 * Parses CSV/TSV whose first non-blank record is the header. Rows whose field count differs from the
 * header's are reported ('column-count') and left out.
 */
export function parseDelimited(text: string, source: string, options: DelimitedOptions = {}): DelimitedTable {
  const delimiter = detectDelimiter(text, source, options.delimiter);
  const records = parseDelimitedRecords(text, source, delimiter, options.quoting ?? true);
  const [headerRecord, ...dataRecords] = records.rows;
  const header = (headerRecord?.values ?? []).map((h) => h.trim());
  const table: DelimitedTable = {
    header,
    headerLine: headerRecord?.line ?? 1,
    delimiter,
    rows: [],
    issues: records.issues,
  };
  for (const record of dataRecords) {
    if (record.values.length !== header.length) {
      table.issues.push(
        issue(
          { source, line: record.line },
          'column-count',
          `this row has ${record.values.length} fields but the header has ${header.length} (${header.join(', ')}); quote fields that contain the delimiter`,
        ),
      );
      continue;
    }
    const fields: Record<string, string> = {};
    header.forEach((name, k) => {
      fields[name] = record.values[k] ?? '';
    });
    table.rows.push({ line: record.line, fields });
  }
  return table;
}

/** First-column values that mark the SMS Spam Collection's headerless `label<TAB>text` layout. */
export const HEADERLESS_LABELS: ReadonlySet<string> = new Set(['ham', 'spam']);

/** True when the first non-blank line reads as `ham<TAB>…` or `spam<TAB>…`. */
export function looksLikeHeaderlessLabelText(text: string): boolean {
  const first = splitLines(text).find((l) => l.trim() !== '');
  if (first === undefined) return false;
  const tab = first.indexOf('\t');
  return tab > 0 && HEADERLESS_LABELS.has(first.slice(0, tab).trim().toLowerCase());
}

export interface LabelTextRow {
  line: number;
  label: string;
  text: string;
}

/**
 * Reads headerless `label<TAB>text` lines (the SMS Spam Collection). The text is everything after the
 * first tab, verbatim: quotes are characters here, not field delimiters.
 */
export function parseLabelTextLines(text: string, source: string): ParseResult<LabelTextRow> {
  const result: ParseResult<LabelTextRow> = { rows: [], issues: [] };
  splitLines(text).forEach((content, i) => {
    const line = i + 1;
    if (content.trim() === '') return;
    const tab = content.indexOf('\t');
    if (tab < 0) {
      result.issues.push(
        issue({ source, line }, 'column-count', 'expected `label<TAB>text` but the line has no tab'),
      );
      return;
    }
    result.rows.push({ line, label: content.slice(0, tab).trim(), text: content.slice(tab + 1) });
  });
  return result;
}
