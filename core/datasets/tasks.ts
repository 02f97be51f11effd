// Normalises the dataset layouts people actually have into one record type per task:
//   classification {text, label}   ← JSONL {text|sentence, label}, CSV/TSV with text|sentence and label
//                                    columns, headerless `label<TAB>text` (SMS Spam Collection)
//   NER            {tokens, tags}  ← CoNLL, JSONL {tokens, ner_tags|tags} (tag strings, or ints + label list)
//   SFT            {messages}      ← JSONL {messages:[{role, content}]}, {prompt, completion},
//                                    {instruction, input?, response|output}
// Every record keeps its source and line so later checks (unseen labels, truncation) can point back.
// Bad rows are reported as issues and left out; nothing throws for bad data.

import { detectDelimiter, looksLikeHeaderlessLabelText, parseDelimited, parseLabelTextLines } from './csv.js';
import { detectScheme, parseConll, validateTags } from './conll.js';
import type { TagScheme } from './conll.js';
import { issue, splitLines } from './errors.js';
import type { DatasetIssue, ParseResult, SourceLocation } from './errors.js';
import { parseJsonl } from './jsonl.js';

export interface ClassificationExample extends SourceLocation {
  text: string;
  label: string;
}

export interface NerExample extends SourceLocation {
  tokens: string[];
  tags: string[];
}

export type ChatRole = 'system' | 'user' | 'assistant';
export const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface SftExample extends SourceLocation {
  messages: ChatMessage[];
}

/** `label-text`: headerless `label<TAB>text` lines. */
export type DatasetFormat = 'jsonl' | 'csv' | 'tsv' | 'label-text' | 'conll';

function extensionOf(source: string): string {
  const name = source.toLowerCase();
  const dot = name.lastIndexOf('.');
  const slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return dot > slash ? name.slice(dot + 1) : '';
}

function firstContentChar(text: string): string {
  return (
    splitLines(text)
      .find((l) => l.trim() !== '')
      ?.trim()
      .charAt(0) ?? ''
  );
}

/**
 * Guesses the layout from the file extension, then from the content: `{` → JSONL; for classification a
 * first line `ham<TAB>…`/`spam<TAB>…` → label-text, a tab → TSV, else CSV; for NER anything else → CoNLL.
 */
export function detectFormat(
  text: string,
  source: string,
  task: 'classification' | 'ner' | 'sft',
): DatasetFormat {
  const ext = extensionOf(source);
  if (ext === 'jsonl' || ext === 'ndjson' || ext === 'json') return 'jsonl';
  if (task === 'sft') return 'jsonl';
  if (task === 'ner') return ext === 'conll' || firstContentChar(text) !== '{' ? 'conll' : 'jsonl';
  if (firstContentChar(text) === '{') return 'jsonl';
  if (looksLikeHeaderlessLabelText(text)) return 'label-text';
  if (ext === 'csv') return 'csv';
  return detectDelimiter(text, source) === '\t' ? 'tsv' : 'csv';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Reads JSONL and reports lines that are not objects; yields the objects with their line. */
function jsonlObjects(
  text: string,
  source: string,
  what: string,
): { objects: { line: number; value: Record<string, unknown> }[]; issues: DatasetIssue[] } {
  const parsed = parseJsonl(text, source);
  const objects: { line: number; value: Record<string, unknown> }[] = [];
  for (const row of parsed.rows) {
    if (isRecord(row.value)) objects.push({ line: row.line, value: row.value });
    else
      parsed.issues.push(
        issue(
          { source, line: row.line },
          'not-an-object',
          `expected a JSON object (${what}) but found ${typeName(row.value)}`,
        ),
      );
  }
  return { objects, issues: parsed.issues };
}

function noRowsIssue(source: string, expected: string): DatasetIssue {
  return issue({ source, line: 1 }, 'no-rows', `the file holds no example; expected ${expected}`);
}

/** Adds a 'no-rows' error when nothing was read and nothing else explains why. */
function finish<T>(result: ParseResult<T>, source: string, expected: string): ParseResult<T> {
  if (result.rows.length === 0 && !result.issues.some((i) => i.severity === 'error'))
    result.issues.push(noRowsIssue(source, expected));
  result.issues.sort((a, b) => a.line - b.line);
  return result;
}

// ---------------------------------------------------------------- classification

export interface ClassificationOptions {
  format?: DatasetFormat;
  /** column/field holding the text; default "text", else "sentence" */
  textField?: string;
  /** column/field holding the label; default "label" */
  labelField?: string;
  /** names for integer labels: label i → labelNames[i] (e.g. SST-2's 0/1 → negative/positive) */
  labelNames?: readonly string[];
  /** CSV/TSV delimiter (default from the extension) and RFC 4180 quoting (default on) */
  delimiter?: string;
  quoting?: boolean;
}

const TEXT_FIELDS = ['text', 'sentence'];

/** Turns a raw label (string or integer) into its name; a string is returned for an issue message. */
function labelName(
  raw: unknown,
  names: readonly string[] | undefined,
): { label: string } | { problem: 'wrong-type' | 'empty-text' | 'label-out-of-range'; message: string } {
  if (
    typeof raw === 'number' ||
    (typeof raw === 'string' && names !== undefined && /^\d+$/.test(raw.trim()) && !names.includes(raw))
  ) {
    const n = typeof raw === 'number' ? raw : Number(raw.trim());
    if (!Number.isInteger(n) || n < 0)
      return { problem: 'wrong-type', message: `label ${raw} is not a class name or a non-negative integer` };
    if (names === undefined) return { label: String(n) };
    const name = names[n];
    if (name === undefined)
      return {
        problem: 'label-out-of-range',
        message: `label ${n} is outside the label list (${names.length} names: ${names.join(', ')})`,
      };
    return { label: name };
  }
  if (typeof raw !== 'string')
    return { problem: 'wrong-type', message: `label must be a string or an integer, found ${typeName(raw)}` };
  if (raw.trim() === '') return { problem: 'empty-text', message: 'label is empty' };
  return { label: raw.trim() };
}

function classificationFromObject(
  value: Record<string, unknown>,
  location: SourceLocation,
  options: ClassificationOptions,
  issues: DatasetIssue[],
): ClassificationExample | undefined {
  const textCandidates = options.textField === undefined ? TEXT_FIELDS : [options.textField];
  const textField = textCandidates.find((f) => f in value);
  const labelField = options.labelField ?? 'label';
  let ok = true;
  let text = '';
  if (textField === undefined) {
    issues.push(
      issue(
        location,
        'missing-field',
        `missing field ${textCandidates.map((f) => `"${f}"`).join(' or ')} (the text to classify)`,
        { field: textCandidates[0] },
      ),
    );
    ok = false;
  } else {
    const raw = value[textField];
    if (typeof raw !== 'string') {
      issues.push(
        issue(location, 'wrong-type', `"${textField}" must be a string, found ${typeName(raw)}`, {
          field: textField,
        }),
      );
      ok = false;
    } else if (raw.trim() === '') {
      issues.push(
        issue(location, 'empty-text', `"${textField}" is empty; remove the row or give it text`, {
          field: textField,
        }),
      );
      ok = false;
    } else text = raw;
  }
  let label = '';
  if (!(labelField in value)) {
    issues.push(
      issue(location, 'missing-field', `missing field "${labelField}" (the class of the example)`, {
        field: labelField,
      }),
    );
    ok = false;
  } else {
    const named = labelName(value[labelField], options.labelNames);
    if ('problem' in named) {
      issues.push(issue(location, named.problem, named.message, { field: labelField }));
      ok = false;
    } else label = named.label;
  }
  return ok ? { source: location.source, line: location.line, text, label } : undefined;
}

export function loadClassification(
  text: string,
  source: string,
  options: ClassificationOptions = {},
): ParseResult<ClassificationExample> {
  const format = options.format ?? detectFormat(text, source, 'classification');
  const expected =
    'one {text, label} object per line, CSV/TSV with text and label columns, or `label<TAB>text` lines';
  const result: ParseResult<ClassificationExample> = { rows: [], issues: [] };
  switch (format) {
    case 'jsonl': {
      const { objects, issues } = jsonlObjects(text, source, '{"text": …, "label": …}');
      result.issues.push(...issues);
      for (const o of objects) {
        const row = classificationFromObject(o.value, { source, line: o.line }, options, result.issues);
        if (row !== undefined) result.rows.push(row);
      }
      break;
    }
    case 'label-text': {
      const parsed = parseLabelTextLines(text, source);
      result.issues.push(...parsed.issues);
      for (const r of parsed.rows) {
        const row = classificationFromObject(
          { text: r.text, label: r.label },
          { source, line: r.line },
          { ...options, textField: 'text', labelField: 'label' },
          result.issues,
        );
        if (row !== undefined) result.rows.push(row);
      }
      break;
    }
    case 'csv':
    case 'tsv': {
      const delimiterOption = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
      const table = parseDelimited(
        text,
        source,
        options.quoting === undefined
          ? { delimiter: delimiterOption }
          : { delimiter: delimiterOption, quoting: options.quoting },
      );
      result.issues.push(...table.issues);
      if (table.header.length === 0) break;
      // Column names match case-insensitively ("Text", "LABEL").
      const findColumn = (names: readonly string[]): string | undefined => {
        for (const n of names) {
          const hit = table.header.find((h) => h.toLowerCase() === n.toLowerCase());
          if (hit !== undefined) return hit;
        }
        return undefined;
      };
      const textNames = options.textField === undefined ? TEXT_FIELDS : [options.textField];
      const labelNameField = options.labelField ?? 'label';
      const textColumn = findColumn(textNames);
      const labelColumn = findColumn([labelNameField]);
      const headerLoc = { source, line: table.headerLine };
      if (textColumn === undefined) {
        result.issues.push(
          issue(
            headerLoc,
            'missing-field',
            `no ${textNames.map((n) => `"${n}"`).join(' or ')} column in the header (${table.header.join(', ')})`,
            { field: textNames[0] },
          ),
        );
      }
      if (labelColumn === undefined) {
        result.issues.push(
          issue(
            headerLoc,
            'missing-field',
            `no "${labelNameField}" column in the header (${table.header.join(', ')})`,
            { field: labelNameField },
          ),
        );
      }
      if (textColumn === undefined || labelColumn === undefined) break;
      for (const r of table.rows) {
        const row = classificationFromObject(
          { [textColumn]: r.fields[textColumn], [labelColumn]: r.fields[labelColumn] },
          { source, line: r.line },
          { ...options, textField: textColumn, labelField: labelColumn },
          result.issues,
        );
        if (row !== undefined) result.rows.push(row);
      }
      break;
    }
    case 'conll':
      result.issues.push(
        issue(
          { source, line: 1 },
          'unknown-format',
          'a CoNLL file holds NER data, not classification examples; load it as NER',
        ),
      );
      break;
  }
  return finish(result, source, expected);
}

// ---------------------------------------------------------------- NER

export interface NerOptions {
  format?: 'conll' | 'jsonl';
  /** tag names for integer ner_tags: tag i → labelNames[i] */
  labelNames?: readonly string[];
  /** tag scheme to check; default: detected (BIOES if any E-/S- tag, else BIO) */
  scheme?: TagScheme;
}

export interface NerLoadResult extends ParseResult<NerExample> {
  scheme: TagScheme;
}

export function loadNer(text: string, source: string, options: NerOptions = {}): NerLoadResult {
  const format = options.format ?? (detectFormat(text, source, 'ner') === 'jsonl' ? 'jsonl' : 'conll');
  if (format === 'conll') {
    const parsed = parseConll(text, source, options.scheme === undefined ? {} : { scheme: options.scheme });
    return {
      rows: parsed.rows.map((s) => ({ source, line: s.line, tokens: s.tokens, tags: s.tags })),
      issues: parsed.issues,
      scheme: parsed.scheme,
    };
  }
  const { objects, issues } = jsonlObjects(text, source, '{"tokens": […], "ner_tags": […]}');
  const rows: NerExample[] = [];
  for (const o of objects) {
    const row = nerFromObject(o.value, { source, line: o.line }, options.labelNames, issues);
    if (row !== undefined) rows.push(row);
  }
  const scheme = options.scheme ?? detectScheme(rows.map((r) => r.tags));
  for (const r of rows) {
    issues.push(
      ...validateTags(r.tags, scheme, (t) => ({ location: r, token: r.tokens[t], field: `ner_tags[${t}]` })),
    );
  }
  const result = finish({ rows, issues }, source, 'one {"tokens": [...], "ner_tags": [...]} object per line');
  return { ...result, scheme };
}

function nerFromObject(
  value: Record<string, unknown>,
  location: SourceLocation,
  labelNames: readonly string[] | undefined,
  issues: DatasetIssue[],
): NerExample | undefined {
  const tagsField = 'ner_tags' in value ? 'ner_tags' : 'tags' in value ? 'tags' : undefined;
  const rawTokens = value.tokens;
  let ok = true;
  const tokens: string[] = [];
  if (!('tokens' in value)) {
    issues.push(
      issue(location, 'missing-field', 'missing field "tokens" (the words of the sentence)', {
        field: 'tokens',
      }),
    );
    ok = false;
  } else if (!Array.isArray(rawTokens)) {
    issues.push(
      issue(location, 'wrong-type', `"tokens" must be an array of strings, found ${typeName(rawTokens)}`, {
        field: 'tokens',
      }),
    );
    ok = false;
  } else if (rawTokens.length === 0) {
    issues.push(
      issue(location, 'empty-text', '"tokens" is empty; remove the row or give it tokens', {
        field: 'tokens',
      }),
    );
    ok = false;
  } else {
    rawTokens.forEach((t: unknown, k) => {
      if (typeof t !== 'string') {
        issues.push(
          issue(location, 'wrong-type', `tokens[${k}] must be a string, found ${typeName(t)}`, {
            field: `tokens[${k}]`,
          }),
        );
        ok = false;
      } else if (t.trim() === '') {
        issues.push(issue(location, 'empty-text', `tokens[${k}] is empty`, { field: `tokens[${k}]` }));
        ok = false;
      } else tokens.push(t);
    });
  }
  const tags: string[] = [];
  if (tagsField === undefined) {
    issues.push(
      issue(location, 'missing-field', 'missing field "ner_tags" (one tag per token)', { field: 'ner_tags' }),
    );
    return undefined;
  }
  const rawTags = value[tagsField];
  if (!Array.isArray(rawTags)) {
    issues.push(
      issue(
        location,
        'wrong-type',
        `"${tagsField}" must be an array of tag strings or integers, found ${typeName(rawTags)}`,
        { field: tagsField },
      ),
    );
    return undefined;
  }
  rawTags.forEach((t: unknown, k) => {
    const field = `${tagsField}[${k}]`;
    if (typeof t === 'string' && t.trim() !== '') tags.push(t.trim());
    else if (typeof t === 'number' && Number.isInteger(t) && t >= 0) {
      if (labelNames === undefined) {
        issues.push(
          issue(
            location,
            'wrong-type',
            `${field} is the integer ${t}: pass the tag list (labelNames) to map integer tags to names`,
            { field },
          ),
        );
        ok = false;
        return;
      }
      const name = labelNames[t];
      if (name === undefined) {
        issues.push(
          issue(
            location,
            'label-out-of-range',
            `${field} is ${t}, outside the tag list (${labelNames.length} names)`,
            { field },
          ),
        );
        ok = false;
      } else tags.push(name);
    } else {
      issues.push(
        issue(
          location,
          'wrong-type',
          `${field} must be a tag string or a non-negative integer, found ${typeName(t)}`,
          { field },
        ),
      );
      ok = false;
    }
  });
  if (Array.isArray(rawTokens) && rawTokens.length !== rawTags.length) {
    issues.push(
      issue(
        location,
        'length-mismatch',
        `${rawTokens.length} tokens but ${rawTags.length} tags; give exactly one tag per token`,
        { field: tagsField },
      ),
    );
    ok = false;
  }
  return ok ? { source: location.source, line: location.line, tokens, tags } : undefined;
}

// ---------------------------------------------------------------- SFT

export function loadSft(text: string, source: string): ParseResult<SftExample> {
  const { objects, issues } = jsonlObjects(text, source, '{"messages": [...]}');
  const rows: SftExample[] = [];
  for (const o of objects) {
    const location = { source, line: o.line };
    const messages = sftMessages(o.value, location, issues);
    if (messages === undefined) continue;
    if (!messages.some((m) => m.role === 'assistant')) {
      issues.push(
        issue(
          location,
          'no-assistant-message',
          'no assistant message: the example teaches nothing (the loss covers assistant replies)',
          { field: 'messages', severity: 'warning' },
        ),
      );
    }
    rows.push({ source, line: o.line, messages });
  }
  return finish(
    { rows, issues },
    source,
    'one {"messages": [...]}, {"prompt", "completion"} or {"instruction", "response"} object per line',
  );
}

function stringField(
  value: Record<string, unknown>,
  field: string,
  location: SourceLocation,
  issues: DatasetIssue[],
  allowEmpty = false,
): string | undefined {
  if (!(field in value)) {
    issues.push(issue(location, 'missing-field', `missing field "${field}"`, { field }));
    return undefined;
  }
  const raw = value[field];
  if (typeof raw !== 'string') {
    issues.push(
      issue(location, 'wrong-type', `"${field}" must be a string, found ${typeName(raw)}`, { field }),
    );
    return undefined;
  }
  if (!allowEmpty && raw.trim() === '') {
    issues.push(issue(location, 'empty-text', `"${field}" is empty`, { field }));
    return undefined;
  }
  return raw;
}

function sftMessages(
  value: Record<string, unknown>,
  location: SourceLocation,
  issues: DatasetIssue[],
): ChatMessage[] | undefined {
  if ('messages' in value) {
    const raw = value.messages;
    if (!Array.isArray(raw)) {
      issues.push(
        issue(
          location,
          'wrong-type',
          `"messages" must be an array of {role, content} objects, found ${typeName(raw)}`,
          { field: 'messages' },
        ),
      );
      return undefined;
    }
    if (raw.length === 0) {
      issues.push(issue(location, 'empty-text', '"messages" is empty', { field: 'messages' }));
      return undefined;
    }
    const messages: ChatMessage[] = [];
    let ok = true;
    for (const [k, m] of (raw as unknown[]).entries()) {
      const at = `messages[${k}]`;
      if (!isRecord(m)) {
        issues.push(
          issue(location, 'wrong-type', `${at} must be a {role, content} object, found ${typeName(m)}`, {
            field: at,
          }),
        );
        ok = false;
        continue;
      }
      const role = m.role;
      if (!('role' in m)) {
        issues.push(issue(location, 'missing-field', `${at} has no "role"`, { field: `${at}.role` }));
        ok = false;
      } else if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role)) {
        issues.push(
          issue(
            location,
            'unknown-role',
            `${at}.role is ${JSON.stringify(role)}; use one of ${CHAT_ROLES.join(', ')}`,
            { field: `${at}.role` },
          ),
        );
        ok = false;
      }
      const content = m.content;
      if (!('content' in m)) {
        issues.push(issue(location, 'missing-field', `${at} has no "content"`, { field: `${at}.content` }));
        ok = false;
      } else if (typeof content !== 'string') {
        issues.push(
          issue(location, 'wrong-type', `${at}.content must be a string, found ${typeName(content)}`, {
            field: `${at}.content`,
          }),
        );
        ok = false;
      } else if (content.trim() === '') {
        issues.push(issue(location, 'empty-text', `${at}.content is empty`, { field: `${at}.content` }));
        ok = false;
      }
      if (ok && typeof role === 'string' && typeof content === 'string')
        messages.push({ role: role as ChatRole, content });
    }
    return ok ? messages : undefined;
  }
  if ('prompt' in value || 'completion' in value) {
    const prompt = stringField(value, 'prompt', location, issues);
    const completion = stringField(value, 'completion', location, issues);
    if (prompt === undefined || completion === undefined) return undefined;
    return [
      { role: 'user', content: prompt },
      { role: 'assistant', content: completion },
    ];
  }
  if ('instruction' in value) {
    const instruction = stringField(value, 'instruction', location, issues);
    const responseField = 'response' in value || !('output' in value) ? 'response' : 'output';
    const response = stringField(value, responseField, location, issues);
    // Alpaca's `input` / Dolly's `context`: extra material for the instruction, often empty.
    const extraField = 'input' in value ? 'input' : 'context' in value ? 'context' : undefined;
    const extra = extraField === undefined ? '' : stringField(value, extraField, location, issues, true);
    if (instruction === undefined || response === undefined || extra === undefined) return undefined;
    const user = extra.trim() === '' ? instruction : `${instruction}\n\n${extra}`;
    return [
      { role: 'user', content: user },
      { role: 'assistant', content: response },
    ];
  }
  issues.push(
    issue(
      location,
      'missing-field',
      'expected "messages", "prompt" + "completion", or "instruction" + "response" (found: ' +
        (Object.keys(value).join(', ') || 'no fields') +
        ')',
      {
        field: 'messages',
      },
    ),
  );
  return undefined;
}
