// Schedules (transformers' get_*_schedule_with_warmup), clipping (torch.nn.utils.clip_grad_norm_) and the
// checkpointable generator.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { clipByGlobalNorm, globalNorm } from '../../../core/train/clip.js';
import { TrainRng } from '../../../core/train/rng.js';
import { lrMultiplier } from '../../../core/train/schedule.js';

function close(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - expected[i]!) <= tol, `index ${i}: ${a} vs ${expected[i]}`);
  });
}

describe('learning-rate schedules', () => {
  const steps = (f: (s: number) => number, n: number): number[] => Array.from({ length: n }, (_, i) => f(i));

  it('constant, with and without warm-up', () => {
    close(steps(lrMultiplier({ kind: 'constant', totalSteps: 5 }), 5), [1, 1, 1, 1, 1]);
    close(
      steps(lrMultiplier({ kind: 'constant', warmupSteps: 4, totalSteps: 8 }), 6),
      [0, 0.25, 0.5, 0.75, 1, 1],
    );
  });

  it('linear: warm-up to 1, then down to 0 at totalSteps, never below', () => {
    const f = lrMultiplier({ kind: 'linear', warmupSteps: 2, totalSteps: 10 });
    close(steps(f, 12), [0, 0.5, 1, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8, 0, 0]);
  });

  it('cosine: half a wave after warm-up (transformers values)', () => {
    const f = lrMultiplier({ kind: 'cosine', warmupSteps: 1, totalSteps: 5 });
    // progress (s − 1) / 4 → 0.5 (1 + cos(π p))
    close(steps(f, 6), [
      0,
      1,
      0.5 * (1 + Math.cos(Math.PI / 4)),
      0.5,
      0.5 * (1 + Math.cos((3 * Math.PI) / 4)),
      0,
    ]);
    const two = lrMultiplier({ kind: 'cosine', totalSteps: 4, numCycles: 1 });
    close(steps(two, 5), [1, 0.5, 0, 0.5, 1], 1e-12);
  });

  it('rejects negative or fractional step counts', () => {
    assert.throws(() => lrMultiplier({ kind: 'linear', warmupSteps: -1, totalSteps: 3 }), /warmupSteps/);
    assert.throws(() => lrMultiplier({ kind: 'cosine', totalSteps: 2.5 }), /totalSteps/);
  });
});

describe('clipping by global norm', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('scales every gradient by max_norm / (norm + 1e-6) when the norm is larger', async () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // global norm 5
    const { grads: out, totalNorm } = clipByGlobalNorm(grads, 1);
    assert.ok(Math.abs((await totalNorm.data())[0]! - 5) < 1e-6);
    const k = 1 / (5 + 1e-6);
    close([...(await out.a!.data())], [3 * k, 0], 1e-6);
    close([...(await out.b!.data())], [0, 4 * k], 1e-6);
    const n = globalNorm(out);
    assert.ok(Math.abs((await n.data())[0]! - 1) < 1e-5);
    for (const t of [...Object.values(grads), ...Object.values(out), totalNorm, n]) t.dispose();
  });

  it('leaves gradients within the limit unchanged and leaks nothing', async () => {
    const grads = { a: tf.tensor1d([0.3, 0.4]) };
    const before = tf.memory().numTensors;
    const { grads: out, totalNorm } = clipByGlobalNorm(grads, 1);
    assert.equal(tf.memory().numTensors, before + 2);
    assert.deepEqual([...(await out.a!.data())], [...(await grads.a.data())]);
    out.a!.dispose();
    totalNorm.dispose();
    grads.a.dispose();
    assert.throws(() => clipByGlobalNorm(grads, 0), /positive/);
  });
});

describe('TrainRng', () => {
  it('is a function of the seed, and resumes from its state', () => {
    const a = new TrainRng(42);
    const b = new TrainRng(42);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    assert.deepEqual(
      first,
      Array.from({ length: 5 }, () => b.nextUint32()),
    );
    assert.notDeepEqual(
      first,
      Array.from({ length: 5 }, () => new TrainRng(43).nextUint32()),
    );
    const state = a.getState();
    const next = Array.from({ length: 5 }, () => a.nextFloat());
    const c = TrainRng.fromState(state);
    assert.deepEqual(
      Array.from({ length: 5 }, () => c.nextFloat()),
      next,
    );
    assert.throws(() => {
      c.setState([0, 0, 0, 0]);
    }, /zeros/);
  });

  it('draws uniform floats in [0, 1), normals with mean 0 and variance 1, and permutations', () => {
    const r = new TrainRng(7);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const f = r.nextFloat();
      assert.ok(f >= 0 && f < 1);
      const z = r.nextNormal();
      sum += z;
      sq += z * z;
    }
    assert.ok(Math.abs(sum / n) < 0.03, `mean ${sum / n}`);
    assert.ok(Math.abs(sq / n - 1) < 0.05, `variance ${sq / n}`);
    const perm = r.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual([...perm].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
