// Dataset summary for the UI and the CLI: row count, label distribution, token-length percentiles (with
// the caller's tokenizer) and how many rows a maximum length would truncate.

import { extractChunks } from '../metrics/ner.js';
import type { ClassificationExample, NerExample, SftExample } from './tasks.js';

export interface LengthStats {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface DatasetStats {
  rows: number;
  /** label → rows (classification) or entity type → entity mentions (NER); insertion = first-seen order */
  labels: Record<string, number>;
  /** lengths as counted by countTokens */
  length: LengthStats;
  /** rows longer than maxLength (0 when no maxLength is given) */
  truncated: number;
}

export interface StatsOptions<T> {
  /** the text whose length is measured; default: exampleText */
  textOf?: (row: T) => string;
  /** labels counted for the distribution; default: exampleLabels */
  labelsOf?: (row: T) => readonly string[];
  /** tokenizer length of a text; default: whitespace-separated words (a rough stand-in, say so in the UI) */
  countTokens?: (text: string) => number;
  maxLength?: number;
}

export type TaskExample = ClassificationExample | NerExample | SftExample;

/** The text of a record: the text, the tokens joined by spaces, or the message contents joined by newlines. */
export function exampleText(row: TaskExample): string {
  if ('text' in row) return row.text;
  if ('tokens' in row) return row.tokens.join(' ');
  return row.messages.map((m) => m.content).join('\n');
}

/** Labels of a record: its class, the types of its entities (conlleval chunk rules), or none for SFT. */
export function exampleLabels(row: TaskExample): string[] {
  if ('label' in row) return [row.label];
  if ('tags' in row) return extractChunks(row.tags).map((c) => c.type);
  return [];
}

export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/**
 * Percentile with linear interpolation between closest ranks (numpy's default): position q·(n-1) in the
 * sorted values. `sorted` must be ascending; 0 for an empty list.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

export function datasetStats<T extends TaskExample>(
  rows: readonly T[],
  options: StatsOptions<T> = {},
): DatasetStats {
  const textOf = options.textOf ?? exampleText;
  const labelsOf = options.labelsOf ?? exampleLabels;
  const countTokens = options.countTokens ?? countWords;
  const labels: Record<string, number> = {};
  const lengths: number[] = [];
  let truncated = 0;
  for (const row of rows) {
    for (const l of labelsOf(row)) labels[l] = (labels[l] ?? 0) + 1;
    const n = countTokens(textOf(row));
    lengths.push(n);
    if (options.maxLength !== undefined && n > options.maxLength) truncated++;
  }
  const sorted = [...lengths].sort((a, b) => a - b);
  let total = 0;
  for (const n of sorted) total += n;
  return {
    rows: rows.length,
    labels,
    length: {
      min: sorted[0] ?? 0,
      max: sorted[sorted.length - 1] ?? 0,
      mean: sorted.length === 0 ? 0 : total / sorted.length,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
    },
    truncated,
  };
}
