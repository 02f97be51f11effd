// Label-set checks between a training set and an evaluation set: a classifier head (or a tag head) can
// only output labels it was trained with, so an evaluation label never seen in training is an error.

import { issue } from './errors.js';
import type { DatasetIssue, SourceLocation } from './errors.js';

/** A classification record ({label}) or an NER record ({tags}), with its location. */
export type LabeledRow = SourceLocation & ({ label: string } | { tags: readonly string[] });

function labelsOf(row: LabeledRow): readonly string[] {
  return 'label' in row ? [row.label] : row.tags;
}

/** The labels of a set of rows (class labels, or NER tags), in first-seen order. */
export function labelSet(rows: readonly LabeledRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const l of labelsOf(row)) seen.add(l);
  return [...seen];
}

/**
 * One error per evaluation row that holds a label absent from `trainLabels`, naming its file and line
 * (a sentence with several unseen tags gives one issue listing them all).
 */
export function validateLabels(
  trainLabels: Iterable<string>,
  evalRows: readonly LabeledRow[],
): DatasetIssue[] {
  const known = new Set(trainLabels);
  const issues: DatasetIssue[] = [];
  for (const row of evalRows) {
    const unseen = [...new Set(labelsOf(row).filter((l) => !known.has(l)))];
    if (unseen.length === 0) continue;
    const field = 'label' in row ? 'label' : 'tags';
    const what = unseen.map((l) => JSON.stringify(l)).join(', ');
    issues.push(
      issue(
        row,
        'unseen-label',
        `${unseen.length === 1 ? 'label' : 'labels'} ${what} never ${unseen.length === 1 ? 'occurs' : 'occur'} in the training set, so the model cannot predict ${unseen.length === 1 ? 'it' : 'them'}; add training examples or fix the label`,
        { field },
      ),
    );
  }
  return issues;
}
