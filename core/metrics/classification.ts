// Sequence-classification scores: accuracy, per-class precision/recall/F1, macro F1 and the confusion
// matrix. Division by zero gives 0, like scikit-learn's `zero_division=0`, so a class that is never
// predicted (or never present) scores 0 instead of NaN and still counts in the macro average.

import { MetricsError } from './errors.js';

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** number of gold examples of this class */
  support: number;
}

export interface ConfusionMatrix {
  labels: string[];
  /** matrix[g][p] = number of examples with gold labels[g] predicted as labels[p] (rows gold, cols pred) */
  matrix: number[][];
}

export interface ClassificationMetrics {
  accuracy: number;
  /** unweighted mean of the per-class F1 over `confusion.labels` */
  macro_f1: number;
  per_class: Record<string, ClassScores>;
  confusion: ConfusionMatrix;
}

/** a / b, or 0 when b is 0 (scikit-learn's zero_division=0). */
export function safeDivide(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Harmonic mean of precision and recall; 0 when both are 0. */
export function f1Score(precision: number, recall: number): number {
  return safeDivide(2 * precision * recall, precision + recall);
}

/**
 * Scores predicted labels against gold labels.
 *
 * Label order: `labels` when given (then every gold and predicted label must be one of them, otherwise a
 * MetricsError: silently dropping examples would inflate the scores); otherwise the gold labels in
 * first-seen order followed by labels that only occur in the predictions (first-seen order), so the
 * confusion matrix always accounts for every example.
 */
export function classificationMetrics(
  gold: readonly string[],
  pred: readonly string[],
  labels?: readonly string[],
): ClassificationMetrics {
  if (gold.length !== pred.length) {
    throw new MetricsError(
      `classificationMetrics: ${gold.length} gold labels but ${pred.length} predictions; pass one prediction per example`,
    );
  }
  const order = labels === undefined ? firstSeenLabels(gold, pred) : checkedLabels(labels, gold, pred);
  const index = new Map<string, number>(order.map((label, i) => [label, i]));
  const matrix = order.map(() => order.map(() => 0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = index.get(gold[i] ?? '');
    const p = index.get(pred[i] ?? '');
    // checkedLabels / firstSeenLabels guarantee both are known.
    if (g === undefined || p === undefined)
      throw new MetricsError(`classificationMetrics: internal label lookup failed at example ${i}`);
    const row = matrix[g];
    if (row !== undefined) row[p] = (row[p] ?? 0) + 1;
    if (g === p) correct++;
  }

  const perClass: Record<string, ClassScores> = {};
  let f1Sum = 0;
  order.forEach((label, k) => {
    const truePositives = matrix[k]?.[k] ?? 0;
    const support = sum(matrix[k] ?? []);
    const predicted = sum(matrix.map((row) => row[k] ?? 0));
    const precision = safeDivide(truePositives, predicted);
    const recall = safeDivide(truePositives, support);
    const f1 = f1Score(precision, recall);
    f1Sum += f1;
    perClass[label] = { precision, recall, f1, support };
  });

  return {
    accuracy: safeDivide(correct, gold.length),
    macro_f1: safeDivide(f1Sum, order.length),
    per_class: perClass,
    confusion: { labels: order, matrix },
  };
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function firstSeenLabels(gold: readonly string[], pred: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const label of gold) seen.add(label);
  for (const label of pred) seen.add(label);
  return [...seen];
}

function checkedLabels(
  labels: readonly string[],
  gold: readonly string[],
  pred: readonly string[],
): string[] {
  const known = new Set(labels);
  if (known.size !== labels.length) {
    throw new MetricsError(
      `classificationMetrics: the label list has duplicates (${labels.join(', ')}); pass each label once`,
    );
  }
  for (const [name, values] of [
    ['gold', gold],
    ['predicted', pred],
  ] as const) {
    const i = values.findIndex((v) => !known.has(v));
    if (i >= 0) {
      throw new MetricsError(
        `classificationMetrics: ${name} label ${JSON.stringify(values[i])} at example ${i} is not in the label list [${labels.join(', ')}]; add it to the list or omit the list`,
      );
    }
  }
  return [...labels];
}
