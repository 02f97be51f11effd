// Scores for generated text: ROUGE-L (as Google's `rouge_score` package computes it), exact match and
// perplexity.

import { f1Score, safeDivide } from './classification.js';
import { MetricsError } from './errors.js';

/**
 * The tokenization of `rouge_score`'s default tokenizer without stemming (tokenize.py): lowercase, replace
 * every run of characters outside [a-z0-9] by a space, split on whitespace, drop empty strings. Letters
 * outside ASCII (accents, CJK, emoji) are therefore separators, not tokens: "café" → ["caf"].
 */
export function rougeTokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
}

/** Length of the longest common subsequence of two token lists (O(n·m) time, O(m) memory). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  // previous[j] = LCS of a[0..i) and b[0..j); one row suffices because row i only reads row i-1.
  let previous = new Array<number>(b.length + 1).fill(0);
  let current = new Array<number>(b.length + 1).fill(0);
  for (const tokenA of a) {
    current[0] = 0;
    for (let j = 1; j <= b.length; j++) {
      current[j] =
        tokenA === b[j - 1] ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

export interface RougeScore {
  /** LCS / candidate tokens */
  precision: number;
  /** LCS / reference tokens */
  recall: number;
  fmeasure: number;
}

/** ROUGE-L precision, recall and F-measure; all 0 when either side has no tokens (as rouge_score). */
export function rougeLScore(reference: string, candidate: string): RougeScore {
  const ref = rougeTokenize(reference);
  const cand = rougeTokenize(candidate);
  if (ref.length === 0 || cand.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(ref, cand);
  const precision = lcs / cand.length;
  const recall = lcs / ref.length;
  return { precision, recall, fmeasure: f1Score(precision, recall) };
}

/** ROUGE-L F-measure of a candidate against one reference (rouge_score's `rougeL`, no stemming). */
export function rougeL(reference: string, candidate: string): number {
  return rougeLScore(reference, candidate).fmeasure;
}

/** Trims and collapses every whitespace run to one space; case and punctuation are kept. */
export function normalizeWhitespace(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Exact match after whitespace normalisation (case-sensitive). */
export function exactMatch(a: string, b: string): boolean {
  return normalizeWhitespace(a) === normalizeWhitespace(b);
}

/** Mean of a per-example score list; 0 for an empty list. */
export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return safeDivide(s, values.length);
}

/**
 * Perplexity from the mean per-token cross-entropy in nats (the natural-log loss that training reports):
 * exp(meanLoss). An infinite loss gives an infinite perplexity; NaN or a negative loss means the loss was
 * computed wrongly and is rejected.
 */
export function perplexity(meanLoss: number): number {
  if (Number.isNaN(meanLoss) || meanLoss < 0) {
    throw new MetricsError(
      `perplexity: the mean loss must be a non-negative number of nats, got ${meanLoss}`,
    );
  }
  return Math.exp(meanLoss);
}
