// One forward pass of a frozen model with a soft prompt (virtual tokens prepended as embeddings: prompt tuning,
// P-tuning) or a deep prompt (per-layer key/value prefixes: prefix tuning / P-Tuning v2), then the task head
// and transformers' loss. The parity tests, the CLI, generation and training all go through here.
//
// Legend: B batch, T text tokens, P virtual tokens, S = P + T, C hidden, L layers, K kv heads, D head dim,
// V vocab, N labels.
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenTransformer, LayerKV } from '../model/types.js';
import { ModelError } from '../model/types.js';

export type PromptKind = 'soft' | 'prefix';
export type SequencePooling = 'last' | 'mean-last';

export interface PromptInput {
  readonly kind: PromptKind;
  /** soft: (P, C); prefix: (P, L·2·K·D) laid out along the last axis as (layer, key|value, kv head, head dim) */
  readonly embeddings: tf.Tensor2D;
}

export type TaskHead =
  | { readonly kind: 'causal-lm' }
  | {
      readonly kind: 'sequence-classification';
      /** (N, C), or (N, 2C) for 'mean-last' pooling */
      readonly weight: tf.Tensor2D;
      readonly bias?: tf.Tensor1D;
      /**
       * 'last' (default): the last real token (BERT: the pooler on the first position), as transformers pools.
       * 'mean-last': the mean of the real text tokens concatenated with the last one — a stronger feature for
       * small frozen models; its head (N, 2C) is ours, not a transformers module.
       */
      readonly pooling?: SequencePooling;
      /** standardise the pooled features before the head: (f − mean) / std, each (F) */
      readonly normalize?: { readonly mean: tf.Tensor1D; readonly std: tf.Tensor1D };
    }
  | { readonly kind: 'token-classification'; readonly weight: tf.Tensor2D; readonly bias?: tf.Tensor1D };

export interface TextBatch {
  /** (B, T) int32 */
  readonly inputIds: tf.Tensor2D;
  /** (B, T) 1 = token, 0 = padding */
  readonly attentionMask: tf.Tensor2D;
}

export interface PromptedForward {
  /** (B, S, C) for soft prompts (virtual positions first), (B, T, C) for prefixes */
  readonly hidden: tf.Tensor3D;
  /** number of virtual positions in front of the text in `hidden` (P for soft prompts, 0 for prefixes) */
  readonly textOffset: number;
  /** the mask over all key positions (B, P + T) */
  readonly fullMask: tf.Tensor2D;
  readonly attentions?: tf.Tensor4D[];
  readonly presents?: LayerKV[];
}

/**
 * PEFT's prefix layout → per-layer cache entries: (P, L·2·K·D) → view (P, 2L, K, D) → (2L, K, P, D), layer i
 * taking rows 2i (keys) and 2i+1 (values), broadcast over the batch: (B, K, P, D) each.
 */
export function prefixToPast(
  prefix: tf.Tensor2D,
  batch: number,
  numLayers: number,
  kvHeads: number,
  headDim: number,
): LayerKV[] {
  const P = prefix.shape[0];
  if (prefix.shape[1] !== numLayers * 2 * kvHeads * headDim) {
    throw new ModelError(
      `prefix width ${prefix.shape[1]} does not match layers × 2 × kv heads × head dim = ${numLayers * 2 * kvHeads * headDim}`,
    );
  }
  const laid = tf.transpose(tf.reshape(prefix, [P, 2 * numLayers, kvHeads, headDim]), [1, 2, 0, 3]); // (2L, K, P, D)
  const parts = tf.split(laid, 2 * numLayers, 0); // 2L × (1, K, P, D)
  const past: LayerKV[] = [];
  for (let i = 0; i < numLayers; i++) {
    const tile = (t: tf.Tensor): tf.Tensor4D =>
      (batch === 1 ? t : tf.tile(t, [batch, 1, 1, 1])) as tf.Tensor4D;
    past.push({ key: tile(parts[2 * i]!), value: tile(parts[2 * i + 1]!) });
  }
  return past;
}

/** Runs the frozen transformer on a text batch with an optional prompt. */
export function promptedForward(
  model: FrozenTransformer,
  batch: TextBatch,
  prompt: PromptInput | undefined,
  options: { outputAttentions?: boolean; useCache?: boolean } = {},
): PromptedForward {
  const c = model.config;
  const [B] = batch.inputIds.shape;
  const mask = tf.cast(batch.attentionMask, 'float32') as tf.Tensor2D; // (B, T)
  const flags = {
    ...(options.outputAttentions === true ? { outputAttentions: true } : {}),
    ...(options.useCache === true ? { useCache: true } : {}),
  };
  if (prompt === undefined) {
    const r = model.forward({ inputIds: batch.inputIds, attentionMask: mask, ...flags });
    return { ...r, textOffset: 0, fullMask: mask };
  }
  const P = prompt.embeddings.shape[0];
  const fullMask = tf.concat([tf.ones([B, P]), mask], 1) as tf.Tensor2D; // (B, P + T)
  if (prompt.kind === 'soft') {
    if (prompt.embeddings.shape[1] !== c.hiddenSize) {
      throw new ModelError(
        `soft prompt width ${prompt.embeddings.shape[1]} is not the hidden size ${c.hiddenSize}`,
      );
    }
    const virtual = tf.tile(tf.expandDims(prompt.embeddings, 0), [B, 1, 1]) as tf.Tensor3D; // (B, P, C)
    const words = model.embedTokens(batch.inputIds); // (B, T, C)
    const inputsEmbeds = tf.concat([virtual, words], 1); // (B, S, C)
    const r = model.forward({ inputsEmbeds, attentionMask: fullMask, ...flags });
    return { ...r, textOffset: P, fullMask };
  }
  const past = prefixToPast(prompt.embeddings, B, c.numLayers, c.numKvHeads, c.headDim);
  const r = model.forward({ inputIds: batch.inputIds, attentionMask: fullMask, past, ...flags });
  return { ...r, textOffset: 0, fullMask };
}

/**
 * One-hot selector (B, S) of each row's pooled position: the last real token for decoders (its index in the
 * text plus the virtual positions in front), the first position for BERT. A matmul with it pools, so the
 * backward pass needs no gather gradient (UnsortedSegmentSum is missing on tfjs-wasm).
 */
export function poolingSelector(
  model: FrozenTransformer,
  textMask: tf.Tensor2D,
  textOffset: number,
  sequenceLength: number,
): tf.Tensor2D {
  const [B, T] = textMask.shape;
  if (model.poolingPosition === 'first') {
    return oneHotFloat(tf.zeros([B], 'int32'), sequenceLength) as tf.Tensor2D;
  }
  // index of the last 1 in each row: argmax of mask · (1..T)
  const ramp = tf.range(1, T + 1, 1, 'float32');
  const last = tf.add(tf.argMax(tf.mul(textMask, ramp), 1), tf.scalar(textOffset, 'int32'));
  return oneHotFloat(last, sequenceLength) as tf.Tensor2D;
}

/** Logits of the task head: (B, S, V) for causal LM, (B, N) for sequence and (B, T, N) for token classification. */
export function headLogits(
  model: FrozenTransformer,
  head: TaskHead,
  forward: PromptedForward,
  textMask: tf.Tensor2D,
): tf.Tensor {
  const { hidden, textOffset } = forward;
  const [B, S, C] = hidden.shape;
  switch (head.kind) {
    case 'causal-lm':
      return model.lmLogits(hidden);
    case 'sequence-classification': {
      const mask = tf.cast(textMask, 'float32') as tf.Tensor2D;
      const selector = poolingSelector(model, mask, textOffset, S);
      const pooled = tf.reshape(tf.matMul(tf.reshape(selector, [B, 1, S]), hidden), [B, C]) as tf.Tensor2D; // (B, C)
      let features = model.pool(pooled);
      if (head.pooling === 'mean-last') {
        // mean over the real text positions (virtual positions excluded), as a matmul with the mask
        const textPositions = textOffset === 0 ? mask : tf.concat([tf.zeros([B, textOffset]), mask], 1);
        const weights = tf.div(textPositions, tf.sum(textPositions, 1, true)); // (B, S)
        const mean = tf.reshape(tf.matMul(tf.reshape(weights, [B, 1, S]), hidden), [B, C]); // (B, C)
        features = tf.concat([mean, features], 1) as tf.Tensor2D; // (B, 2C)
      }
      if (head.normalize !== undefined) {
        features = tf.div(tf.sub(features, head.normalize.mean), head.normalize.std) as tf.Tensor2D;
      }
      const logits = tf.matMul(features, head.weight, false, true); // (B, N)
      return head.bias === undefined ? logits : tf.add(logits, head.bias);
    }
    case 'token-classification': {
      const text = textOffset === 0 ? hidden : tf.slice(hidden, [0, textOffset, 0], [B, S - textOffset, C]);
      const [, T] = text.shape;
      const logits = tf.reshape(tf.matMul(tf.reshape(text, [B * T, C]), head.weight, false, true), [
        B,
        T,
        -1,
      ]);
      return head.bias === undefined ? logits : tf.add(logits, head.bias);
    }
  }
}

/**
 * Float one-hot rows (…, depth). tf.oneHot's float32 output is wrong on tfjs-backend-wasm 4.22 (its OneHot
 * kernel writes int32 data under a float32 dtype: losses came out as 2e-44), so compare against a range.
 */
export function oneHotFloat(indices: tf.Tensor, depth: number): tf.Tensor {
  const ramp = tf.range(0, depth, 1, 'int32');
  return tf.cast(tf.equal(tf.expandDims(tf.cast(indices, 'int32'), -1), ramp), 'float32');
}

/** Mean cross-entropy of rows of logits (N, V) against integer labels (N), ignoring label −100. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const V = logits.shape[1];
  const valid = tf.cast(tf.notEqual(labels, -100), 'float32'); // (N)
  const safe = tf.maximum(tf.cast(labels, 'int32'), tf.scalar(0, 'int32')); // −100 → 0, then masked out by `valid`
  const logProbs = tf.logSoftmax(logits); // (N, V)
  const picked = tf.sum(tf.mul(logProbs, oneHotFloat(safe, V)), 1); // (N)
  const total = tf.sum(tf.mul(picked, valid));
  // transformers divides by the number of labelled positions; no labels → 0/0 = NaN, as torch does
  return tf.neg(tf.div(total, tf.sum(valid))) as tf.Scalar;
}

/**
 * transformers' loss for each head: causal LM — mean CE of logits[:, :-1] against labels[:, 1:] over text
 * labels (virtual positions are −100); sequence classification — CE over (B); token classification — CE over
 * the text positions. `labels` are (B, T) for LM and token classification and (B) for sequence classification.
 */
export function taskLoss(
  head: TaskHead,
  logits: tf.Tensor,
  labels: tf.Tensor,
  textOffset: number,
): tf.Scalar {
  switch (head.kind) {
    case 'causal-lm': {
      const [B, S, V] = logits.shape as [number, number, number];
      let full = tf.cast(labels, 'int32') as tf.Tensor2D; // (B, T)
      if (textOffset > 0) full = tf.concat([tf.fill([B, textOffset], -100, 'int32'), full], 1);
      if (full.shape[1] !== S) {
        throw new ModelError(
          `labels cover ${full.shape[1] - textOffset} positions but the logits cover ${S - textOffset}`,
        );
      }
      const shiftedLogits = tf.reshape(tf.slice(logits, [0, 0, 0], [B, S - 1, V]), [
        B * (S - 1),
        V,
      ]) as tf.Tensor2D;
      const shiftedLabels = tf.reshape(tf.slice(full, [0, 1], [B, S - 1]), [B * (S - 1)]) as tf.Tensor1D;
      return crossEntropy(shiftedLogits, shiftedLabels);
    }
    case 'sequence-classification':
      return crossEntropy(logits as tf.Tensor2D, tf.cast(labels, 'int32') as tf.Tensor1D);
    case 'token-classification': {
      const [B, T, N] = logits.shape as [number, number, number];
      return crossEntropy(
        tf.reshape(logits, [B * T, N]) as tf.Tensor2D,
        tf.reshape(tf.cast(labels, 'int32'), [B * T]) as tf.Tensor1D,
      );
    }
  }
}
