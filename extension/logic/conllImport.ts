// "Import CoNLL…": a CoNLL file → JSONL with one {"tokens": [...], "ner_tags": [...]} object per sentence
// (tag strings, the layout loadNer reads back). Sentences with problems are still converted when their
// tokens and tags could be read; the issues are returned for the caller to show.
import { hasErrors, parseConll } from '../../core/datasets/index.js';
import type { DatasetIssue } from '../../core/datasets/index.js';

export interface ConllImport {
  readonly jsonl: string;
  readonly sentences: number;
  readonly tokens: number;
  readonly issues: readonly DatasetIssue[];
  /** true when an error (not a warning) was found: some lines were left out */
  readonly hasErrors: boolean;
}

export function conllToJsonl(text: string, source: string): ConllImport {
  const parsed = parseConll(text, source);
  let tokens = 0;
  const lines = parsed.rows.map((s) => {
    tokens += s.tokens.length;
    return JSON.stringify({ tokens: s.tokens, ner_tags: s.tags });
  });
  return {
    jsonl: lines.length === 0 ? '' : lines.join('\n') + '\n',
    sentences: parsed.rows.length,
    tokens,
    issues: parsed.issues,
    hasErrors: hasErrors(parsed.issues),
  };
}

/** `data/train.conll` → `data/train.jsonl` (any extension replaced; none → appended). */
export function jsonlNameFor(conllPath: string): string {
  const slash = Math.max(conllPath.lastIndexOf('/'), conllPath.lastIndexOf('\\'));
  const dot = conllPath.lastIndexOf('.');
  return (dot > slash + 1 ? conllPath.slice(0, dot) : conllPath) + '.jsonl';
}
