// Building blocks shared by the architecture files. Each block is a plain function of tensors so that a
// fused kernel (WebGPU / wasm) can replace one without touching the models, the training loop or the tests.
// Frozen weights are plain tensors (never tf.Variable): gradients flow only to the inputs.
//
// Legend: B batch, T queries, S keys (past + T), C hidden, H heads, K kv heads, G = H / K, D head dim.
import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from './types.js';
import type { WeightSource } from './types.js';

/** y = x W + b with W stored (in, out) — the layout the matmul wants; x (..., in) → (..., out). */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const inDim = w.shape[0];
  const outDim = w.shape[1];
  const lead = x.shape.slice(0, -1);
  const x2 = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  const y = b === undefined ? tf.matMul(x2, w) : tf.add(tf.matMul(x2, w), b);
  return tf.reshape(y, [...lead, outDim]);
}

/** Llama's RMSNorm: x / sqrt(mean(x²) + eps) · w. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor1D, eps: number): tf.Tensor {
  const variance = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, eps))), w);
}

/** LayerNorm over the last axis (biased variance, as torch). */
export function layerNorm(x: tf.Tensor, w: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), w), b);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Activation functions by their transformers names. */
export function activation(name: string, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'silu':
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      // exact GELU: x · Φ(x) = x/2 · (1 + erf(x/√2))
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // tanh approximation: x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³)))
      const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case 'relu':
      return tf.relu(x);
    default:
      throw new ModelError(`activation "${name}" is not supported (silu, gelu, gelu_new, relu)`);
  }
}

/**
 * Additive attention bias (B, 1, T, S): 0 where a query may attend, a large negative number elsewhere.
 * `mask` (B, S) marks real key positions; `causal` limits query t (absolute position past + t) to keys ≤ it.
 */
export function attentionBias(mask: tf.Tensor2D, queryLength: number, causal: boolean): tf.Tensor4D {
  const [batch, keyLength] = mask.shape;
  const past = keyLength - queryLength;
  if (past < 0) {
    throw new ModelError(
      `attention_mask covers ${keyLength} positions but there are ${queryLength} tokens (plus any past): it must cover past + tokens`,
    );
  }
  return tf.tidy(() => {
    let allowed: tf.Tensor = tf.reshape(tf.cast(mask, 'float32'), [batch, 1, 1, keyLength]); // (B, 1, 1, S)
    if (causal) {
      const tri = new Float32Array(queryLength * keyLength);
      for (let t = 0; t < queryLength; t++) {
        for (let s = 0; s <= past + t && s < keyLength; s++) tri[t * keyLength + s] = 1;
      }
      allowed = tf.mul(allowed, tf.tensor4d(tri, [1, 1, queryLength, keyLength]));
    }
    // torch uses finfo(float32).min; -1e9 gives the same probabilities (exactly 0 after softmax).
    return tf.mul(tf.sub(1, allowed), -1e9) as tf.Tensor4D; // (B, 1, T, S)
  });
}

/**
 * Scaled dot-product attention with grouped KV heads.
 * q (B, H, T, D), k/v (B, K, S, D), bias (B, 1, T, S) → out (B, H, T, D) and probs (B, H, T, S).
 * Query heads h·G..h·G+G−1 share kv head h (transformers' repeat_kv), so queries are grouped instead of
 * copying keys: (B, K, G·T, D) @ (B, K, D, S).
 */
export function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  bias: tf.Tensor4D,
  scale: number,
): { out: tf.Tensor4D; probs: tf.Tensor4D } {
  const [batch, heads, queries, headDim] = q.shape;
  const kvHeads = k.shape[1];
  const keys = k.shape[2];
  const group = heads / kvHeads;
  const qg = tf.reshape(q, [batch, kvHeads, group * queries, headDim]); // (B, K, G·T, D)
  let scores = tf.reshape(tf.matMul(qg, k, false, true), [batch, heads, queries, keys]); // (B, H, T, S)
  scores = tf.add(tf.mul(scores, scale), bias);
  const probs = tf.softmax(scores) as tf.Tensor4D; // (B, H, T, S)
  const pg = tf.reshape(probs, [batch, kvHeads, group * queries, keys]);
  const out = tf.reshape(tf.matMul(pg, v), [batch, heads, queries, headDim]) as tf.Tensor4D; // (B, H, T, D)
  return { out, probs };
}

/** (B, T, N·D) → (B, N, T, D) */
export function splitHeads(x: tf.Tensor, heads: number, headDim: number): tf.Tensor4D {
  const [batch, time] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [batch, time, heads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** (B, N, T, D) → (B, T, N·D) */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [batch, heads, time, headDim] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, time, heads * headDim]) as tf.Tensor3D;
}

/** Position ids (B, T): explicit ones, or offset + 0..T−1 for every row. */
export function positionIds(
  batch: number,
  time: number,
  offset: number,
  explicit?: tf.Tensor2D,
): tf.Tensor2D {
  if (explicit !== undefined) return tf.cast(explicit, 'int32');
  const ids = new Int32Array(batch * time);
  for (let b = 0; b < batch; b++) for (let t = 0; t < time; t++) ids[b * time + t] = offset + t;
  return tf.tensor2d(ids, [batch, time], 'int32');
}

/** Loads frozen weights as tensors, naming the tensor and the file on any shape mismatch. */
export class WeightLoader {
  private readonly created: tf.Tensor[] = [];

  constructor(private readonly source: WeightSource) {}

  has(name: string): boolean {
    return this.source.has(name);
  }

  private check(name: string, shape: readonly number[], expected: readonly number[]): void {
    if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
      throw new ModelError(
        `${this.source.source ?? 'weights'}: tensor "${name}" has shape [${shape.join(', ')}], expected [${expected.join(', ')}] for this config.json`,
      );
    }
  }

  /** A tensor exactly as stored, shape-checked. */
  tensor(name: string, expected: readonly number[]): tf.Tensor {
    const t = this.source.get(name);
    this.check(name, t.shape, expected);
    const out = tf.tensor(t.data, [...t.shape], 'float32');
    this.created.push(out);
    return out;
  }

  vector(name: string, size: number): tf.Tensor1D {
    return this.tensor(name, [size]) as tf.Tensor1D;
  }

  /** A torch Linear weight stored (out, in), returned transposed to (in, out). */
  linearWeight(name: string, inDim: number, outDim: number): tf.Tensor2D {
    const t = this.source.get(name);
    this.check(name, t.shape, [outDim, inDim]);
    const out = tf.tidy(() => tf.transpose(tf.tensor2d(t.data, [outDim, inDim])));
    this.created.push(out);
    return out;
  }

  /** Several torch Linear weights (out_i, in) fused along the output axis: (in, Σ out_i). */
  fusedLinearWeight(names: readonly string[], inDim: number, outDims: readonly number[]): tf.Tensor2D {
    const out = tf.tidy(() =>
      tf.concat(
        names.map((name, i) => {
          const t = this.source.get(name);
          const outDim = outDims[i] ?? 0;
          this.check(name, t.shape, [outDim, inDim]);
          return tf.transpose(tf.tensor2d(t.data, [outDim, inDim]));
        }),
        1,
      ),
    );
    this.created.push(out);
    return out;
  }

  fusedVector(names: readonly string[], sizes: readonly number[]): tf.Tensor1D {
    const out = tf.tidy(() =>
      tf.concat(
        names.map((name, i) => {
          const t = this.source.get(name);
          this.check(name, t.shape, [sizes[i] ?? 0]);
          return tf.tensor1d(t.data);
        }),
        0,
      ),
    );
    this.created.push(out);
    return out;
  }

  /** Keeps a derived tensor alive with the model (disposed with it). */
  keep<T extends tf.Tensor>(t: T): T {
    this.created.push(t);
    return t;
  }

  disposeAll(): void {
    for (const t of this.created) t.dispose();
    this.created.length = 0;
  }
}
