import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { classificationMetrics, f1Score, safeDivide } from '../../../core/metrics/classification.js';
import { MetricsError } from '../../../core/metrics/errors.js';

const close = (actual: number, expected: number, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} ≠ ${expected}`);
};

describe('classificationMetrics', () => {
  it('matches a hand-computed three-class case', () => {
    // gold a a b b c / pred a b b b a
    //            pred: a  b  c
    // gold a          [1, 1, 0]
    // gold b          [0, 2, 0]
    // gold c          [1, 0, 0]
    const m = classificationMetrics(['a', 'a', 'b', 'b', 'c'], ['a', 'b', 'b', 'b', 'a']);
    assert.deepEqual(m.confusion, {
      labels: ['a', 'b', 'c'],
      matrix: [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 0],
      ],
    });
    close(m.accuracy, 3 / 5);
    assert.deepEqual(m.per_class.a, { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    close(m.per_class.b?.precision ?? NaN, 2 / 3);
    close(m.per_class.b?.recall ?? NaN, 1);
    close(m.per_class.b?.f1 ?? NaN, 0.8);
    assert.equal(m.per_class.b?.support, 2);
    // c is never predicted: precision 0/0 → 0 (zero_division=0), recall 0/1.
    assert.deepEqual(m.per_class.c, { precision: 0, recall: 0, f1: 0, support: 1 });
    close(m.macro_f1, (0.5 + 0.8 + 0) / 3);
  });

  it('orders labels by first occurrence in gold, then prediction-only labels', () => {
    const m = classificationMetrics(['spam', 'ham', 'ham'], ['ham', 'ham', 'maybe']);
    assert.deepEqual(m.confusion.labels, ['spam', 'ham', 'maybe']);
    assert.deepEqual(m.confusion.matrix, [
      [0, 1, 0],
      [0, 1, 1],
      [0, 0, 0],
    ]);
    // "maybe" has no gold example: recall 0/0 → 0, and it still counts in the macro average (as sklearn).
    assert.deepEqual(m.per_class.maybe, { precision: 0, recall: 0, f1: 0, support: 0 });
    close(m.per_class.ham?.f1 ?? NaN, f1Score(0.5, 0.5));
    close(m.macro_f1, (0 + 0.5 + 0) / 3);
  });

  it('uses the given label order and rejects labels outside it', () => {
    const m = classificationMetrics(['x', 'y'], ['y', 'y'], ['y', 'x']);
    assert.deepEqual(m.confusion, {
      labels: ['y', 'x'],
      matrix: [
        [1, 0],
        [1, 0],
      ],
    });
    assert.throws(
      () => classificationMetrics(['x'], ['z'], ['x', 'y']),
      (e: unknown) => e instanceof MetricsError && /predicted label "z" at example 0/.test(e.message),
    );
    assert.throws(() => classificationMetrics(['q'], ['x'], ['x', 'y']), /gold label "q"/);
    assert.throws(() => classificationMetrics(['x'], ['x'], ['x', 'x']), /duplicates/);
  });

  it('scores perfect predictions as 1 and rejects length mismatches', () => {
    const m = classificationMetrics(['a', 'b', 'a'], ['a', 'b', 'a']);
    assert.equal(m.accuracy, 1);
    assert.equal(m.macro_f1, 1);
    assert.throws(
      () => classificationMetrics(['a', 'b'], ['a']),
      (e: unknown) => e instanceof MetricsError && /2 gold labels but 1 predictions/.test(e.message),
    );
  });

  it('returns zeros for empty input instead of NaN', () => {
    const m = classificationMetrics([], []);
    assert.equal(m.accuracy, 0);
    assert.equal(m.macro_f1, 0);
    assert.deepEqual(m.confusion, { labels: [], matrix: [] });
    assert.equal(safeDivide(1, 0), 0);
    assert.equal(f1Score(0, 0), 0);
  });
});
