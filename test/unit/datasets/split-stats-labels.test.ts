import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { formatIssue } from '../../../core/datasets/errors.js';
import { labelSet, validateLabels } from '../../../core/datasets/labels.js';
import { SplitError, createRng, shuffle, stratifiedSplit } from '../../../core/datasets/split.js';
import { countWords, datasetStats, exampleLabels, percentile } from '../../../core/datasets/stats.js';
import type { ClassificationExample, NerExample, SftExample } from '../../../core/datasets/tasks.js';

describe('createRng / shuffle', () => {
  it('is deterministic per seed and pinned (published splits depend on it)', () => {
    const a = createRng(42);
    const b = createRng(42);
    const first = [a(), a(), a()];
    assert.deepEqual(first, [b(), b(), b()]);
    // Pinned mulberry32 outputs for seed 42: if these change, every published split changes.
    assert.deepEqual(
      first.map((x) => Math.round(x * 4294967296)),
      [2581720956, 1925393290, 3661312704],
    );
    assert.notDeepEqual(first, [createRng(43)(), createRng(43)(), createRng(43)()]);
    const r = createRng(0);
    for (let i = 0; i < 1000; i++) {
      const x = r();
      assert.ok(x >= 0 && x < 1);
    }
    assert.throws(() => createRng(Number.NaN), SplitError);
  });

  it('shuffles into a permutation, the same one for the same seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s = shuffle(items, 7);
    assert.deepEqual(s, shuffle(items, 7));
    assert.notDeepEqual(s, items);
    assert.deepEqual(
      [...s].sort((x, y) => x - y),
      items,
    );
    assert.deepEqual(items[0], 0, 'input untouched');
  });
});

describe('stratifiedSplit', () => {
  const rows = [
    ...Array.from({ length: 90 }, (_, i) => ({ id: i, label: 'ham' })),
    ...Array.from({ length: 10 }, (_, i) => ({ id: 90 + i, label: 'spam' })),
    { id: 100, label: 'rare' },
  ];

  it('keeps label proportions, is complete, disjoint, in file order and reproducible', () => {
    const s = stratifiedSplit(rows, { validationFraction: 0.2, seed: 42, labelOf: (r) => r.label });
    const count = (part: typeof rows, label: string): number => part.filter((r) => r.label === label).length;
    assert.equal(count(s.validation, 'ham'), 18);
    assert.equal(count(s.validation, 'spam'), 2);
    // A label with one row stays in training, so validation never holds a label training lacks.
    assert.equal(count(s.validation, 'rare'), 0);
    assert.equal(count(s.train, 'rare'), 1);
    const ids = [...s.train, ...s.validation].map((r) => r.id).sort((a, b) => a - b);
    assert.deepEqual(
      ids,
      rows.map((r) => r.id),
    );
    for (const part of [s.train, s.validation]) {
      assert.deepEqual(
        part.map((r) => r.id),
        [...part.map((r) => r.id)].sort((a, b) => a - b),
      );
    }
    assert.deepEqual(
      stratifiedSplit(rows, { validationFraction: 0.2, seed: 42, labelOf: (r) => r.label }),
      s,
    );
    const other = stratifiedSplit(rows, { validationFraction: 0.2, seed: 1, labelOf: (r) => r.label });
    assert.notDeepEqual(
      other.validation.map((r) => r.id),
      s.validation.map((r) => r.id),
    );
  });

  it('rounds each label’s share and never empties a label’s training part', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 60 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.integer(),
        (labels, fraction, seed) => {
          const data = labels.map((label, id) => ({ id, label }));
          const s = stratifiedSplit(data, { validationFraction: fraction, seed, labelOf: (r) => r.label });
          assert.equal(s.train.length + s.validation.length, data.length);
          for (const label of new Set(labels)) {
            const n = labels.filter((l) => l === label).length;
            const k = s.validation.filter((r) => r.label === label).length;
            assert.equal(k, Math.min(Math.round(n * fraction), n - 1));
          }
        },
      ),
      { numRuns: 100, seed: 3 },
    );
  });

  it('rejects fractions outside (0, 1)', () => {
    for (const f of [0, 1, -0.1, Number.NaN]) {
      assert.throws(
        () => stratifiedSplit(rows, { validationFraction: f, seed: 1, labelOf: (r) => r.label }),
        SplitError,
      );
    }
  });
});

describe('validateLabels', () => {
  it('names the file and line of each evaluation row with an unseen label', () => {
    const train: ClassificationExample[] = [
      { source: 'train.tsv', line: 1, text: 'a', label: 'ham' },
      { source: 'train.tsv', line: 2, text: 'b', label: 'spam' },
    ];
    const dev: ClassificationExample[] = [
      { source: 'dev.tsv', line: 1, text: 'c', label: 'ham' },
      { source: 'dev.tsv', line: 7, text: 'd', label: 'eggs' },
    ];
    const issues = validateLabels(labelSet(train), dev);
    assert.deepEqual(
      issues.map((i) => formatIssue(i)),
      [
        'dev.tsv:7: error: label "eggs" never occurs in the training set, so the model cannot predict it; add training examples or fix the label [field label]',
      ],
    );
    assert.equal(issues[0]?.code, 'unseen-label');
  });

  it('checks NER tags, one issue per sentence', () => {
    const train: NerExample[] = [{ source: 't.conll', line: 1, tokens: ['a', 'b'], tags: ['B-PER', 'O'] }];
    const dev: NerExample[] = [
      { source: 'd.conll', line: 4, tokens: ['x', 'y', 'z'], tags: ['B-LOC', 'I-LOC', 'B-LOC'] },
      { source: 'd.conll', line: 9, tokens: ['p'], tags: ['B-PER'] },
    ];
    assert.deepEqual(labelSet(train), ['B-PER', 'O']);
    const issues = validateLabels(labelSet(train), dev);
    assert.equal(issues.length, 1);
    assert.match(
      formatIssue(issues[0] ?? assert.fail()),
      /^d\.conll:4: error: labels "B-LOC", "I-LOC" never occur in the training set/,
    );
  });
});

describe('datasetStats', () => {
  it('computes percentiles by linear interpolation (numpy default)', () => {
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(percentile([10, 20, 30, 40, 50], 0.9), 46);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([], 0.5), 0);
  });

  it('summarises classification rows with a tokenizer callback and a max length', () => {
    const rows: ClassificationExample[] = ['a b c', 'a b', 'a b c d e f', 'x'].map((text, i) => ({
      source: 's',
      line: i + 1,
      text,
      label: i === 2 ? 'spam' : 'ham',
    }));
    // A fake tokenizer: characters, to show the callback is used instead of word counts.
    const s = datasetStats(rows, { countTokens: (t) => t.length, maxLength: 4 });
    assert.equal(s.rows, 4);
    assert.deepEqual(s.labels, { ham: 3, spam: 1 });
    // lengths 5, 3, 11, 1 → sorted 1 3 5 11
    const expected = { min: 1, max: 11, mean: 5, p50: 4, p90: 9.2, p95: 10.1, p99: 10.82 };
    for (const [key, value] of Object.entries(expected)) {
      const got = s.length[key as keyof typeof expected];
      assert.ok(Math.abs(got - value) < 1e-9, `${key}: ${got} ≠ ${value}`);
    }
    assert.equal(s.truncated, 2);
    assert.equal(datasetStats(rows).length.max, 6, 'default: whitespace words');
    assert.equal(datasetStats(rows).truncated, 0);
  });

  it('counts NER entity mentions by type and SFT texts over all messages', () => {
    const ner: NerExample = {
      source: 's',
      line: 1,
      tokens: ['Ann', 'Lee', 'in', 'Oslo'],
      tags: ['B-PER', 'I-PER', 'O', 'B-LOC'],
    };
    assert.deepEqual(exampleLabels(ner), ['PER', 'LOC']);
    const sft: SftExample = {
      source: 's',
      line: 1,
      messages: [
        { role: 'user', content: 'two words' },
        { role: 'assistant', content: 'three more words' },
      ],
    };
    const s = datasetStats([sft]);
    assert.deepEqual(s.labels, {});
    assert.equal(s.length.max, 5);
    assert.equal(countWords('  '), 0);
    const empty = datasetStats([]);
    assert.deepEqual(empty, {
      rows: 0,
      labels: {},
      length: { min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0 },
      truncated: 0,
    });
  });
});
