// AdamW against torch.optim.AdamW's formula evaluated in double precision, over several steps with weight
// decay and per-parameter learning-rate factors; its state survives a round trip bit for bit.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { AdamW } from '../../../core/train/optimizer.js';

/** torch's single-tensor AdamW, one parameter, in float64. */
class Reference {
  m: Float64Array;
  v: Float64Array;
  t = 0;
  constructor(
    public p: Float64Array,
    readonly o: { lr: number; b1: number; b2: number; eps: number; wd: number },
  ) {
    this.m = new Float64Array(p.length);
    this.v = new Float64Array(p.length);
  }
  step(g: readonly number[], lr = this.o.lr): void {
    this.t++;
    const { b1, b2, eps, wd } = this.o;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    for (let i = 0; i < this.p.length; i++) {
      this.p[i] = this.p[i]! * (1 - lr * wd);
      this.m[i] = b1 * this.m[i]! + (1 - b1) * g[i]!;
      this.v[i] = b2 * this.v[i]! + (1 - b2) * g[i]! * g[i]!;
      this.p[i] = this.p[i]! - (lr / bc1) * (this.m[i]! / (Math.sqrt(this.v[i]!) / Math.sqrt(bc2) + eps));
    }
  }
}

/** A variable whose initial tensor is disposed (tf.variable keeps its own reference to the data). */
function variableOf(values: number[], shape: number[]): tf.Variable {
  const t = tf.tensor(values, shape);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

const gradsAt = (step: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.sin(1.3 * step + 0.7 * i) * (i + 1) * 0.1);

describe('AdamW', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('follows torch.optim.AdamW over 10 steps with weight decay, a schedule and a per-parameter factor', async () => {
    const init = [0.5, -1, 2, 0.25, -0.125, 3];
    const a = variableOf(init, [2, 3]);
    const b = variableOf([1, -2], [2]);
    const opts = { lr: 0.05, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1 };
    const opt = new AdamW(
      { a, b },
      { lr: opts.lr, beta1: opts.b1, beta2: opts.b2, eps: opts.eps, weightDecay: opts.wd, lrScale: { b: 3 } },
    );
    const ra = new Reference(Float64Array.from(init), opts);
    const rb = new Reference(Float64Array.from([1, -2]), opts);
    for (let s = 0; s < 10; s++) {
      const lr = opts.lr * (1 - s / 20);
      const ga = gradsAt(s, 6);
      const gb = gradsAt(s + 100, 2);
      const ta = tf.tensor2d(ga, [2, 3]);
      const tb = tf.tensor1d(gb);
      opt.step({ a: ta, b: tb }, lr);
      ta.dispose();
      tb.dispose();
      ra.step(ga, lr);
      rb.step(gb, lr * 3);
    }
    assert.equal(opt.stepCount, 10);
    const ours = [...(await a.data()), ...(await b.data())];
    const want = [...ra.p, ...rb.p];
    ours.forEach((x, i) => {
      assert.ok(Math.abs(x - want[i]!) < 1e-5, `element ${i}: ${x} vs ${want[i]}`);
    });
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('resumes from getState() bit-identically and leaks no tensors', async () => {
    const run = async (split: boolean): Promise<Float32Array> => {
      const p = variableOf([0.1, 0.2, 0.3, 0.4], [4]);
      let opt = new AdamW({ p }, { lr: 0.01, weightDecay: 0.01 });
      for (let s = 0; s < 6; s++) {
        if (split && s === 3) {
          const state = await opt.getState();
          opt.dispose();
          opt = new AdamW({ p }, { lr: 0.01, weightDecay: 0.01 });
          opt.setState({ step: state.step, moments: structuredClone(state.moments) });
        }
        const g = tf.tensor1d(gradsAt(s, 4));
        const before = tf.memory().numTensors;
        opt.step({ p: g });
        if (s > 0) assert.equal(tf.memory().numTensors, before, 'a step keeps the tensor count');
        g.dispose();
      }
      const out = Float32Array.from(await p.data());
      opt.dispose();
      p.dispose();
      return out;
    };
    const start = tf.memory().numTensors;
    assert.deepEqual(await run(true), await run(false));
    assert.equal(tf.memory().numTensors, start);
  });

  it('refuses missing gradients, wrong shapes and foreign state', async () => {
    const p = variableOf([0, 0], [2]);
    const opt = new AdamW({ p }, { lr: 0.1 });
    assert.throws(() => {
      opt.step({});
    }, /no gradient for parameter "p"/);
    const g = tf.zeros([3]);
    assert.throws(() => {
      opt.step({ p: g });
    }, /shape \[3\]/);
    assert.throws(() => {
      opt.setState({
        step: 1,
        moments: { q: { shape: [2], m: new Float32Array(2), v: new Float32Array(2) } },
      });
    }, /no moments for parameter "p"/);
    assert.throws(() => new AdamW({ p }, { lr: 0.1, beta1: 1 }), /beta1/);
    const state = await opt.getState();
    assert.equal(state.step, 0);
    g.dispose();
    opt.dispose();
    p.dispose();
  });
});
