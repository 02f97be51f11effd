import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MetricsError } from '../../../core/metrics/errors.js';
import { extractChunks, nerMetrics, splitTag } from '../../../core/metrics/ner.js';
import { fixture, readJson } from '../../helpers/paths.js';

interface ConllevalScores {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  summary: string;
  per_type: Record<string, { precision: number; recall: number; f1: number; found: number }>;
}

interface GoldenCase {
  name: string;
  gold: string[][];
  pred: string[][];
  conlleval: ConllevalScores;
}

const golden = readJson<{ tool: string; cases: GoldenCase[] }>(fixture('golden', 'ner_metric_cases.json'));

/** conlleval prints percentages; ours are fractions. */
function assertPercent(ours: number, theirs: number, what: string): void {
  assert.ok(Math.abs(ours * 100 - theirs) <= 1e-4, `${what}: ours ${ours * 100} vs conlleval ${theirs}`);
}

describe('nerMetrics reproduces conlleval.pl', () => {
  it('has the golden cases', () => {
    assert.ok(golden.cases.length >= 6, `only ${golden.cases.length} cases`);
  });

  for (const c of golden.cases) {
    it(`case ${c.name}`, () => {
      const m = nerMetrics(c.gold, c.pred);
      const ref = c.conlleval;
      assertPercent(m.precision, ref.precision, 'precision');
      assertPercent(m.recall, ref.recall, 'recall');
      assertPercent(m.f1, ref.f1, 'f1');
      assertPercent(m.accuracy, ref.accuracy, 'accuracy');
      // "processed 15733 tokens with 836 phrases; found: 1109 phrases; correct: 638."
      const counts = /processed (\d+) tokens with (\d+) phrases; found: (\d+) phrases; correct: (\d+)\./.exec(
        ref.summary,
      );
      assert.ok(counts !== null, ref.summary);
      assert.deepEqual(
        [m.counts.tokens, m.counts.goldChunks, m.counts.predictedChunks, m.counts.correctChunks],
        counts.slice(1).map(Number),
      );
      assert.deepEqual(
        Object.keys(m.per_type),
        Object.keys(ref.per_type),
        'entity types (sorted as conlleval)',
      );
      for (const [type, theirs] of Object.entries(ref.per_type)) {
        const ours = m.per_type[type];
        assert.ok(ours !== undefined, type);
        assertPercent(ours.precision, theirs.precision, `${type} precision`);
        assertPercent(ours.recall, theirs.recall, `${type} recall`);
        assertPercent(ours.f1, theirs.f1, `${type} f1`);
        assert.equal(ours.predicted, theirs.found, `${type} found`);
      }
    });
  }
});

describe('nerMetrics by hand', () => {
  it('scores a two-sentence example', () => {
    // gold: [PER Ann] said, [LOC New York]  |  [ORG IBM]
    // pred: [PER Ann] said, [LOC New] [LOC York] |  O
    const gold = [
      ['B-PER', 'O', 'B-LOC', 'I-LOC'],
      ['B-ORG', 'O'],
    ];
    const pred = [
      ['B-PER', 'O', 'B-LOC', 'B-LOC'],
      ['O', 'O'],
    ];
    const m = nerMetrics(gold, pred);
    // 3 gold chunks, 3 predicted, 1 correct (PER).
    assert.deepEqual(m.counts, {
      tokens: 6,
      correctTags: 4,
      goldChunks: 3,
      predictedChunks: 3,
      correctChunks: 1,
    });
    assert.equal(m.precision, 1 / 3);
    assert.equal(m.recall, 1 / 3);
    assert.equal(m.accuracy, 4 / 6);
    assert.deepEqual(m.per_type.LOC, { precision: 0, recall: 0, f1: 0, support: 1, predicted: 2 });
    assert.deepEqual(m.per_type.ORG, { precision: 0, recall: 0, f1: 0, support: 1, predicted: 0 });
    assert.deepEqual(m.per_type.PER, { precision: 1, recall: 1, f1: 1, support: 1, predicted: 1 });
  });

  it('does not join an entity across a sentence boundary', () => {
    // Without the boundary, the B-X/I-X pair would be one chunk in gold and in prediction.
    const m = nerMetrics([['B-X'], ['I-X']], [['B-X'], ['I-X']]);
    assert.equal(m.counts.goldChunks, 2);
    assert.equal(m.counts.correctChunks, 2);
  });

  it('counts a chunk as correct only when both ends match', () => {
    const m = nerMetrics([['B-X', 'I-X', 'O']], [['B-X', 'I-X', 'I-X']]);
    assert.equal(m.counts.correctChunks, 0);
    assert.equal(m.f1, 0);
  });

  it('rejects sentences of different lengths', () => {
    assert.throws(
      () => nerMetrics([['O', 'O']], [['O']]),
      (e: unknown) => e instanceof MetricsError && /sentence 0 has 2 gold tags but 1/.test(e.message),
    );
    assert.throws(() => nerMetrics([['O']], []), /1 gold sentences but 0/);
  });
});

describe('extractChunks (conlleval chunk rules)', () => {
  it('splits tags at the first hyphen only', () => {
    assert.deepEqual(splitTag('B-creative-work'), { prefix: 'B', type: 'creative-work' });
    assert.deepEqual(splitTag('O'), { prefix: 'O', type: '' });
  });

  it('reads BIO, I- after O, type changes, BIOES and brackets', () => {
    assert.deepEqual(extractChunks(['B-PER', 'I-PER', 'O', 'B-LOC']), [
      { type: 'PER', start: 0, end: 2 },
      { type: 'LOC', start: 3, end: 4 },
    ]);
    assert.deepEqual(extractChunks(['O', 'I-PER', 'I-PER']), [{ type: 'PER', start: 1, end: 3 }]);
    assert.deepEqual(extractChunks(['B-LOC', 'I-ORG']), [
      { type: 'LOC', start: 0, end: 1 },
      { type: 'ORG', start: 1, end: 2 },
    ]);
    assert.deepEqual(extractChunks(['B-PER', 'B-PER']), [
      { type: 'PER', start: 0, end: 1 },
      { type: 'PER', start: 1, end: 2 },
    ]);
    // BIOES as conlleval reads it: S- starts a chunk by the type-change rule and the next O ends it;
    // B- E- stays one chunk; but E-LOC S-LOC has no rule (E ends only before E, I or O), so the S-LOC
    // token extends the LOC chunk instead of being its own entity.
    assert.deepEqual(extractChunks(['S-PER', 'O', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC']), [
      { type: 'PER', start: 0, end: 1 },
      { type: 'LOC', start: 2, end: 6 },
    ]);
    assert.deepEqual(extractChunks(['S-PER', 'S-LOC', 'B-LOC', 'E-LOC']), [
      { type: 'PER', start: 0, end: 1 },
      { type: 'LOC', start: 1, end: 4 },
    ]);
    // E- ends a chunk before E- or I- of the same type, and that token starts a new one.
    assert.deepEqual(extractChunks(['B-LOC', 'E-LOC', 'E-LOC', 'I-LOC']), [
      { type: 'LOC', start: 0, end: 2 },
      { type: 'LOC', start: 2, end: 3 },
      { type: 'LOC', start: 3, end: 4 },
    ]);
    assert.deepEqual(extractChunks(['[', 'O']), [{ type: '', start: 0, end: 1 }]);
  });
});
