// Quick fixes for dataset problems whose fix is obvious and checkable: a JSONL line that becomes valid JSON
// by dropping a trailing comma or adding the missing closing brace (the candidate is parsed before it is
// offered), an I- tag that starts an entity (→ B-), a chat role written as a common alias, an empty row.
// Pure: each fix is a list of text edits the extension applies as a WorkspaceEdit.
import type { DatasetIssueCode } from '../../core/datasets/index.js';
import type { LineRange } from './diagnosticRanges.js';

export interface TextEdit {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly newText: string;
  /** delete the whole line including its line break (start/end are ignored) */
  readonly deleteLine?: boolean;
}

export interface QuickFix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** the fix VS Code may apply with "Fix All" / auto-fix */
  readonly preferred: boolean;
}

export interface FixableProblem {
  readonly code: DatasetIssueCode;
  readonly message: string;
  /** the diagnostic's range */
  readonly range: LineRange;
}

function parsesAsObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Candidate repairs of a broken JSONL line, in order of how often the mistake happens. */
function jsonRepairs(text: string): { title: string; fixed: string }[] {
  const out: { title: string; fixed: string }[] = [];
  const trailingAfter = /^(.*[}\]])\s*[,;]+\s*$/s.exec(text);
  if (trailingAfter?.[1] !== undefined)
    out.push({ title: 'Remove the trailing comma after the object', fixed: trailingAfter[1] });
  // A comma right before a closing bracket. Only outside strings: walk the text, tracking quotes.
  let inString = false;
  let fixed = '';
  let removed = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (inString) {
      fixed += ch;
      if (ch === '\\') {
        fixed += text.charAt(i + 1);
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    if (ch === ',') {
      let j = i + 1;
      while (j < text.length && ' \t'.includes(text.charAt(j))) j++;
      if (text[j] === '}' || text[j] === ']') {
        removed = true;
        continue;
      }
    }
    fixed += ch;
  }
  if (removed) out.push({ title: "Remove the trailing comma before '}' or ']'", fixed });
  const open = (text.match(/{/g) ?? []).length - (text.match(/}/g) ?? []).length;
  if (open > 0)
    out.push({ title: `Add the missing '${'}'.repeat(open)}'`, fixed: text.trimEnd() + '}'.repeat(open) });
  return out;
}

const ROLE_ALIASES: Readonly<Record<string, string>> = {
  human: 'user',
  User: 'user',
  USER: 'user',
  bot: 'assistant',
  gpt: 'assistant',
  model: 'assistant',
  ai: 'assistant',
  Assistant: 'assistant',
  ASSISTANT: 'assistant',
  System: 'system',
  SYSTEM: 'system',
};

export function quickFixes(problem: FixableProblem, lineText: string): QuickFix[] {
  const { range } = problem;
  const rangeText = lineText.slice(range.start, range.end);
  switch (problem.code) {
    case 'invalid-json':
      return jsonRepairs(lineText)
        .filter((r) => parsesAsObject(r.fixed))
        .slice(0, 1)
        .map((r) => ({
          title: r.title,
          preferred: true,
          edits: [{ line: range.line, start: 0, end: lineText.length, newText: r.fixed }],
        }));
    case 'invalid-tag-sequence': {
      // Only the "I- after O / at the start / after another type" warning: its fix is B- of the same type.
      const m = /^("?)I-(.+?)("?)$/.exec(rangeText);
      if (m === null || !problem.message.includes('start of a new')) return [];
      const [, q1 = '', type = '', q2 = ''] = m;
      return [
        {
          title: `Change I-${type} to B-${type}`,
          preferred: true,
          edits: [{ line: range.line, start: range.start, end: range.end, newText: `${q1}B-${type}${q2}` }],
        },
      ];
    }
    case 'unknown-role': {
      const m = /^"(.*)"$/.exec(rangeText);
      const role = m?.[1] === undefined ? undefined : ROLE_ALIASES[m[1]];
      if (role === undefined) return [];
      return [
        {
          title: `Change the role to "${role}"`,
          preferred: true,
          edits: [{ line: range.line, start: range.start, end: range.end, newText: `"${role}"` }],
        },
      ];
    }
    case 'empty-text':
    case 'not-an-object':
      return [
        {
          title: 'Delete this row',
          preferred: false,
          edits: [{ line: range.line, start: 0, end: lineText.length, newText: '', deleteLine: true }],
        },
      ];
    case 'missing-field':
    case 'wrong-type':
    case 'length-mismatch':
    case 'label-out-of-range':
    case 'unknown-tag-prefix':
    case 'missing-tag':
    case 'unterminated-quote':
    case 'bad-quote':
    case 'column-count':
    case 'no-assistant-message':
    case 'unseen-label':
    case 'no-rows':
    case 'unknown-format':
      return [];
  }
}
