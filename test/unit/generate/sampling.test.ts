import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, SamplingError, argmax, top2Gap } from '../../../core/generate/sampling.js';
import { Mulberry32 } from '../../../core/generate/rng.js';

const row = (...values: number[]): Float32Array => Float32Array.from(values);

function softmax(logits: number[], temperature: number): number[] {
  const scaled = logits.map((l) => l / temperature);
  const max = Math.max(...scaled);
  const e = scaled.map((s) => Math.exp(s - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

function frequencies(sampler: Sampler, logits: Float32Array, draws: number): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.next(logits)]! += 1;
  return counts.map((c) => c / draws);
}

void test('mulberry32 is deterministic, in [0, 1) and roughly uniform', () => {
  const a = new Mulberry32(42);
  const b = new Mulberry32(42);
  const c = new Mulberry32(43);
  const xs = Array.from({ length: 2000 }, () => a.nextFloat());
  assert.deepEqual(
    Array.from({ length: 2000 }, () => b.nextFloat()),
    xs,
  );
  assert.notDeepEqual(
    Array.from({ length: 20 }, () => c.nextFloat()),
    xs.slice(0, 20),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.03, `mean ${mean}`);
});

void test('argmax picks the largest logit and the lowest index on exact ties (torch.argmax)', () => {
  assert.equal(argmax(row(0.1, 3, -2, 2.9)), 1);
  assert.equal(argmax(row(5, 1, 5, 5)), 0);
  assert.equal(argmax(row(-1, 7, 7)), 1);
  assert.equal(argmax(row(-Infinity, -Infinity)), 0);
  assert.throws(() => argmax(row()), SamplingError);
  assert.throws(() => argmax(row(1, NaN)), /NaN at index 1/);
});

void test('top2Gap is the logit distance between the two best entries', () => {
  assert.ok(Math.abs(top2Gap(row(1, 4, 3.5, -2)) - 0.5) < 1e-6);
  assert.equal(top2Gap(row(2, 2, 1)), 0);
  assert.equal(top2Gap(row(-1, 3, 0)), 3);
  assert.equal(top2Gap(row(3)), Infinity);
});

void test('greedy: temperature 0 or unset is argmax, whatever topK/topP/seed', () => {
  const logits = row(0.5, 2.5, 2.4, -1);
  assert.equal(new Sampler({}).next(logits), 1);
  assert.equal(new Sampler({ temperature: 0, topK: 3, topP: 0.5, seed: 9 }).next(logits), 1);
  assert.ok(new Sampler({}).greedy);
});

void test('the same seed gives the same tokens; another seed gives others', () => {
  const logits = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 2);
  const draw = (seed: number, opts: { topK?: number; topP?: number } = {}): number[] => {
    const s = new Sampler({ temperature: 1.3, seed, ...opts });
    return Array.from({ length: 64 }, () => s.next(logits));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.deepEqual(draw(7, { topK: 10, topP: 0.9 }), draw(7, { topK: 10, topP: 0.9 }));
  assert.notDeepEqual(draw(7), draw(8));
  // Sampling really varies (the test above would pass for a constant sampler otherwise).
  assert.ok(new Set(draw(7)).size > 5);
});

void test('topK = 1 equals greedy; ties at the k-th value are kept like transformers', () => {
  const logits = Float32Array.from({ length: 30 }, (_, i) => Math.cos(i * 1.7));
  const greedy = argmax(logits);
  const s = new Sampler({ temperature: 5, topK: 1, seed: 3 });
  for (let i = 0; i < 200; i++) assert.equal(s.next(logits), greedy);
  // Two tokens share the best value: topK 1 keeps both (scores < k-th value are removed).
  const tied = new Sampler({ temperature: 1, topK: 1, seed: 5 });
  const seen = new Set(Array.from({ length: 200 }, () => tied.next(row(0, 3, 1, 3))));
  assert.deepEqual([...seen].sort(), [1, 3]);
});

void test('a tiny topP keeps only the argmax; topP keeps the smallest set reaching it', () => {
  const logits = row(1, 2, 4, 3, 0);
  const s = new Sampler({ temperature: 1, topP: 1e-6, seed: 11 });
  for (let i = 0; i < 200; i++) assert.equal(s.next(logits), 2);
  // probs ≈ [0.032, 0.086, 0.636, 0.234, 0.012]: topP 0.8 needs {2, 3} (0.870); 0.6 needs only {2}.
  const p08 = new Set(
    Array.from(
      { length: 400 },
      (
        (sp) => () =>
          sp.next(logits)
      )(new Sampler({ temperature: 1, topP: 0.8, seed: 1 })),
    ),
  );
  assert.deepEqual([...p08].sort(), [2, 3]);
  const p06 = new Set(
    Array.from(
      { length: 200 },
      (
        (sp) => () =>
          sp.next(logits)
      )(new Sampler({ temperature: 1, topP: 0.6, seed: 1 })),
    ),
  );
  assert.deepEqual([...p06], [2]);
});

void test('sampled frequencies follow softmax(logits / T), also after top-k renormalisation', () => {
  const base = [0.3, 1.2, -0.5, 2.0, 0.8];
  const logits = Float32Array.from(base);
  const draws = 20000;
  for (const temperature of [1, 0.7, 2]) {
    const expected = softmax(base, temperature);
    const observed = frequencies(new Sampler({ temperature, seed: 1234 }), logits, draws);
    observed.forEach((f, i) => {
      // 5 standard deviations of a binomial proportion: fails only if the distribution is wrong.
      const sd = Math.sqrt((expected[i]! * (1 - expected[i]!)) / draws);
      assert.ok(
        Math.abs(f - expected[i]!) < 5 * sd + 1e-9,
        `T=${temperature} id ${i}: ${f} vs ${expected[i]}`,
      );
    });
  }
  // topK 3 keeps ids 3, 1, 4 and renormalises among them.
  const kept = softmax([2.0, 1.2, 0.8], 1);
  const observed = frequencies(new Sampler({ temperature: 1, topK: 3, seed: 99 }), logits, draws);
  assert.equal(observed[0], 0);
  assert.equal(observed[2], 0);
  [3, 1, 4].forEach((id, r) => {
    const sd = Math.sqrt((kept[r]! * (1 - kept[r]!)) / draws);
    assert.ok(Math.abs(observed[id]! - kept[r]!) < 5 * sd, `topK id ${id}: ${observed[id]} vs ${kept[r]}`);
  });
});

void test('infinite logits: +Infinity is certain, all -Infinity is an error', () => {
  assert.equal(new Sampler({ temperature: 1, seed: 1 }).next(row(0, Infinity, 3)), 1);
  assert.equal(new Sampler({ temperature: 1, seed: 1 }).next(row(-Infinity, 0, -Infinity)), 1);
  assert.throws(() => new Sampler({ temperature: 1, seed: 1 }).next(row(-Infinity, -Infinity)), /-Infinity/);
  assert.throws(() => new Sampler({ temperature: 1, seed: 1 }).next(row(0, NaN)), /NaN/);
});

void test('invalid options are rejected with a clear error', () => {
  const bad: [object, RegExp][] = [
    [{ temperature: -0.1 }, /temperature/],
    [{ temperature: Infinity }, /temperature/],
    [{ temperature: NaN }, /temperature/],
    [{ topK: 0 }, /topK/],
    [{ topK: 2.5 }, /topK/],
    [{ topP: 0 }, /topP/],
    [{ topP: 1.01 }, /topP/],
    [{ topP: NaN }, /topP/],
    [{ seed: Infinity }, /seed/],
  ];
  for (const [opts, message] of bad) {
    assert.throws(
      () => new Sampler(opts),
      (err: unknown) => err instanceof SamplingError && message.test(err.message),
    );
  }
  assert.doesNotThrow(() => new Sampler({ temperature: 0.5, topK: 1, topP: 1, seed: 0 }));
});
