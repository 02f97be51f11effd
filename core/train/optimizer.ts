// AdamW exactly as torch.optim.AdamW (single-tensor path, amsgrad off, maximize off), on tf.Variable parameters:
//   p ← p · (1 − lr·wd)                              decoupled weight decay, first
//   m ← m + (1 − β1)(g − m)                          torch's lerp_, equal to β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
// The moments live in tensors (so the update runs on whatever backend holds the parameters) and are read
// back as Float32Arrays for checkpoints.
import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './errors.js';

export interface AdamWOptions {
  /** base learning rate; a schedule multiplies it per step */
  readonly lr: number;
  readonly beta1?: number; // default 0.9
  readonly beta2?: number; // default 0.999
  readonly eps?: number; // default 1e-8
  /** decoupled weight decay; torch's default is 0.01 */
  readonly weightDecay?: number;
  /** per-parameter learning-rate factors (e.g. a head trained faster than the prompt); default 1 */
  readonly lrScale?: Readonly<Record<string, number>>;
}

/** Serialisable optimizer state, for checkpoints. */
export interface AdamWState {
  /** number of updates applied so far (torch's `step`) */
  readonly step: number;
  readonly moments: Readonly<
    Record<string, { readonly shape: readonly number[]; readonly m: Float32Array; readonly v: Float32Array }>
  >;
}

interface Moments {
  m: tf.Tensor;
  v: tf.Tensor;
}

export class AdamW {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Readonly<Record<string, tf.Variable>>;
  private readonly lrScale: Readonly<Record<string, number>>;
  private moments = new Map<string, Moments>();
  private steps = 0;

  constructor(params: Readonly<Record<string, tf.Variable>>, options: AdamWOptions) {
    this.params = params;
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.lrScale = options.lrScale ?? {};
    AdamW.checkOptions(options);
    for (const name of Object.keys(this.lrScale)) {
      if (!(name in params)) throw new TrainError(`AdamW lrScale names "${name}", which is not a parameter`);
    }
  }

  /** Throws a TrainError naming the first hyperparameter out of range. */
  static checkOptions(options: AdamWOptions): void {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = options;
    const checks: [string, number, boolean][] = [
      ['lr', lr, lr >= 0],
      ['beta1', beta1, beta1 >= 0 && beta1 < 1],
      ['beta2', beta2, beta2 >= 0 && beta2 < 1],
      ['eps', eps, eps >= 0],
      ['weightDecay', weightDecay, weightDecay >= 0],
    ];
    for (const [name, value, ok] of checks) {
      if (!ok || !Number.isFinite(value)) throw new TrainError(`AdamW ${name} is out of range: ${value}`);
    }
    for (const [name, scale] of Object.entries(options.lrScale ?? {})) {
      if (!(scale >= 0) || !Number.isFinite(scale)) {
        throw new TrainError(`AdamW lrScale of "${name}" is out of range: ${scale}`);
      }
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  /**
   * Applies one update from `grads` (by parameter name; every parameter needs one) with learning rate
   * `lr` (default: the base rate). Disposes nothing it was given.
   */
  step(grads: Readonly<Record<string, tf.Tensor>>, lr: number = this.lr): void {
    for (const name of Object.keys(this.params)) {
      if (!(name in grads)) throw new TrainError(`AdamW.step: no gradient for parameter "${name}"`);
    }
    const t = this.steps + 1;
    // torch computes these in double precision on the host, then scales float32 tensors with them
    const biasCorrection1 = 1 - this.beta1 ** t;
    const biasCorrection2Sqrt = Math.sqrt(1 - this.beta2 ** t);
    for (const [name, param] of Object.entries(this.params)) {
      const g = grads[name]!;
      if (!tf.util.arraysEqual(g.shape, param.shape)) {
        throw new TrainError(
          `AdamW.step: gradient of "${name}" has shape [${g.shape.join(', ')}], parameter [${param.shape.join(', ')}]`,
        );
      }
      const rate = lr * (this.lrScale[name] ?? 1);
      const stepSize = rate / biasCorrection1;
      const old = this.moments.get(name);
      const next = tf.tidy(() => {
        const m0 = old?.m ?? tf.zerosLike(param);
        const v0 = old?.v ?? tf.zerosLike(param);
        const decayed =
          this.weightDecay === 0 ? param : tf.mul(param, tf.scalar(1 - rate * this.weightDecay));
        const m = tf.add(m0, tf.mul(tf.sub(g, m0), tf.scalar(1 - this.beta1)));
        const v = tf.add(tf.mul(v0, tf.scalar(this.beta2)), tf.mul(tf.mul(g, g), tf.scalar(1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(biasCorrection2Sqrt)), tf.scalar(this.eps));
        const p = tf.sub(decayed, tf.mul(tf.div(m, denom), tf.scalar(stepSize)));
        return { m, v, p };
      });
      param.assign(next.p);
      next.p.dispose();
      old?.m.dispose();
      old?.v.dispose();
      this.moments.set(name, { m: next.m, v: next.v });
    }
    this.steps = t;
  }

  async getState(): Promise<AdamWState> {
    const moments: Record<string, { shape: readonly number[]; m: Float32Array; v: Float32Array }> = {};
    for (const [name, param] of Object.entries(this.params)) {
      const mm = this.moments.get(name);
      const size = param.size;
      moments[name] = {
        shape: [...param.shape],
        m: mm === undefined ? new Float32Array(size) : Float32Array.from(await mm.m.data()),
        v: mm === undefined ? new Float32Array(size) : Float32Array.from(await mm.v.data()),
      };
    }
    return { step: this.steps, moments };
  }

  /** Restores a state from getState(); the parameters must have the same names and shapes. */
  setState(state: AdamWState): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new TrainError(`optimizer state step must be a non-negative integer, got ${state.step}`);
    }
    const fresh = new Map<string, Moments>();
    for (const [name, param] of Object.entries(this.params)) {
      const saved = state.moments[name];
      if (saved === undefined) throw new TrainError(`optimizer state has no moments for parameter "${name}"`);
      if (
        !tf.util.arraysEqual([...saved.shape], param.shape) ||
        saved.m.length !== param.size ||
        saved.v.length !== param.size
      ) {
        throw new TrainError(
          `optimizer state for "${name}" has shape [${saved.shape.join(', ')}], the parameter [${param.shape.join(', ')}]`,
        );
      }
      if (state.step > 0)
        fresh.set(name, { m: tf.tensor(saved.m, param.shape), v: tf.tensor(saved.v, param.shape) });
    }
    for (const name of Object.keys(state.moments)) {
      if (!(name in this.params))
        throw new TrainError(`optimizer state names "${name}", which is not a parameter`);
    }
    this.disposeMoments();
    this.moments = fresh;
    this.steps = state.step;
  }

  private disposeMoments(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }

  /** Frees the moment tensors (not the parameters, which belong to the caller). */
  dispose(): void {
    this.disposeMoments();
  }
}
