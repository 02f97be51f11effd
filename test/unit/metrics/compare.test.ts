// What the Evaluation view reads from eval's JSON: cards with deltas (direction per metric), the confusion
// matrix, P/R/F1 rows beside the bare model's, SFT samples paired by prompt; malformed parts are left out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bareOf,
  confusionOf,
  metricCards,
  samplePairs,
  scoreRows,
  taskOfMetrics,
} from '../../../core/metrics/compare.js';

const classification = {
  accuracy: 0.9,
  macro_f1: 0.8,
  per_class: {
    ham: { precision: 0.95, recall: 0.9, f1: 0.92, support: 10 },
    spam: { precision: 0.6, recall: 0.75, f1: 0.67, support: 4 },
  },
  confusion: {
    labels: ['ham', 'spam'],
    matrix: [
      [9, 1],
      [1, 3],
    ],
  },
  bare: {
    accuracy: 0.5,
    macro_f1: 0.85,
    per_class: { ham: { precision: 0.5, recall: 0.5, f1: 0.5, support: 10 } },
    confusion: {
      labels: ['ham', 'spam'],
      matrix: [
        [5, 5],
        [2, 2],
      ],
    },
  },
};

void describe('metrics comparison', () => {
  void it('classification: cards with deltas and improvement, rows with the bare scores', () => {
    assert.equal(taskOfMetrics(classification), 'classification');
    const cards = metricCards('classification', classification, bareOf(classification));
    assert.deepEqual(
      cards.map((c) => [c.key, c.adapter, c.bare, c.improved]),
      [
        ['accuracy', 0.9, 0.5, true],
        ['macro_f1', 0.8, 0.85, false],
      ],
    );
    assert.ok(Math.abs(cards[0]!.delta! - 0.4) < 1e-12);
    assert.deepEqual(confusionOf(classification), classification.confusion);
    const rows = scoreRows(classification, bareOf(classification));
    assert.deepEqual(
      rows.map((r) => [r.name, r.f1, r.support, r.bare?.f1 ?? null]),
      [
        ['ham', 0.92, 10, 0.5],
        ['spam', 0.67, 4, null],
      ],
    );
  });

  void it('SFT: lower loss is better; samples paired with the bare output of the same prompt', () => {
    const m = {
      loss: 1.5,
      perplexity: Math.exp(1.5),
      samples: [
        { prompt: 'a', reference: 'r1', output: 'x' },
        { prompt: 'b', reference: 'r2', output: 'y' },
      ],
      bare: { loss: 2, perplexity: Math.exp(2), samples: [{ prompt: 'b', reference: 'r2', output: 'z' }] },
    };
    assert.equal(taskOfMetrics(m), 'sft');
    const cards = metricCards('sft', m, m.bare);
    assert.deepEqual(
      cards.map((c) => [c.key, c.improved]),
      [
        ['loss', true],
        ['perplexity', true],
      ],
    );
    assert.deepEqual(samplePairs(m, m.bare), [
      { prompt: 'a', reference: 'r1', adapter: 'x', bare: null },
      { prompt: 'b', reference: 'r2', adapter: 'y', bare: 'z' },
    ]);
  });

  void it('NER: per_type rows; no bare object gives null bare values', () => {
    const m = {
      precision: 0.5,
      recall: 0.25,
      f1: 1 / 3,
      accuracy: 0.9,
      per_type: { loc: { precision: 1, recall: 0.5, f1: 2 / 3, support: 2, predicted: 1 } },
    };
    assert.equal(taskOfMetrics(m), 'ner');
    assert.deepEqual(
      metricCards('ner', m).map((c) => [c.key, c.bare, c.delta, c.improved]),
      [
        ['f1', null, null, null],
        ['precision', null, null, null],
        ['recall', null, null, null],
        ['accuracy', null, null, null],
      ],
    );
    assert.deepEqual(scoreRows(m), [
      { name: 'loc', precision: 1, recall: 0.5, f1: 2 / 3, support: 2, bare: null },
    ]);
  });

  void it('malformed parts are left out', () => {
    assert.equal(confusionOf({ confusion: { labels: ['a', 'b'], matrix: [[1, 2]] } }), undefined);
    assert.equal(confusionOf({ confusion: { labels: ['a'], matrix: [['x']] } }), undefined);
    assert.deepEqual(metricCards('sft', { loss: 'high', perplexity: null }), []);
    assert.deepEqual(scoreRows({ per_class: { a: { precision: 1 } } }), []);
    assert.deepEqual(samplePairs({ samples: [{ prompt: 1 }] }), []);
    assert.equal(taskOfMetrics([]), undefined);
    assert.equal(bareOf({ bare: [1] }), undefined);
  });
});
