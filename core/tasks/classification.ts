// Sequence classification (spam, sentiment, topics): `{text, label}` rows → BOS + text ids → one class id.
// Heads: 'linear' — a trained (N, F) head over pooled features (F = C for last-token pooling, saved as PEFT's
// modules_to_save `score`; F = 2C for mean+last pooling, our default, which PEFT has no module for); and
// 'verbalizer' — no new parameters: the LM head's logits of each label's word at the last position.
//
// Legend: B batch, T text tokens, C hidden, N labels, V vocab.
import * as tf from '@tensorflow/tfjs-core';
import { loadClassification } from '../datasets/tasks.js';
import type { ClassificationExample } from '../datasets/tasks.js';
import { classificationMetrics } from '../metrics/classification.js';
import { headLogits, promptedForward } from '../prompts/forward.js';
import type { PromptInput, PromptedForward, SequencePooling, TaskHead } from '../prompts/forward.js';
import type { HostTensor } from '../prompts/peft.js';
import type { FrozenTransformer } from '../model/types.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { collate } from './batching.js';
import type { EncodedExample } from './batching.js';
import type { EncodeContext, Encoded, EvalContext, HeadContext, TaskDefinition } from './types.js';

/** Default pooling of the linear head: the mean of the text tokens and the last one (see README, spam numbers). */
export const DEFAULT_POOLING: SequencePooling = 'mean-last';

/** Feature width of a pooling: C for the last token, 2C for mean + last. */
export function poolingWidth(pooling: SequencePooling, hiddenSize: number): number {
  return pooling === 'mean-last' ? 2 * hiddenSize : hiddenSize;
}

export function encodeText(
  tokenizer: Tokenizer,
  text: string,
  maxLength: number,
): { ids: number[]; cut: boolean } {
  const ids = tokenizer.encode(text);
  return ids.length > maxLength ? { ids: ids.slice(0, maxLength), cut: true } : { ids, cut: false };
}

/** Pooled features (n, F) of encoded examples with a prompt: what the head reads. */
export async function pooledFeatures(
  model: FrozenTransformer,
  prompt: PromptInput | undefined,
  pooling: SequencePooling,
  examples: readonly EncodedExample[],
  padId: number,
  batchSize = 32,
): Promise<Float32Array> {
  const F = poolingWidth(pooling, model.config.hiddenSize);
  const eye = tf.eye(F); // an identity head: its logits are the features themselves
  const head: TaskHead = { kind: 'sequence-classification', weight: eye as tf.Tensor2D, pooling };
  const out = new Float32Array(examples.length * F);
  const order = examples.map((_, i) => i).sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length);
  try {
    for (let start = 0; start < order.length; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      const batch = collate(
        indices.map((i) => examples[i]!),
        padId,
      );
      const features = tf.tidy(() => {
        const [B, T] = batch.inputIds.shape as [number, number];
        const ids = tf.tensor2d(batch.inputIds.data, [B, T], 'int32');
        const mask = tf.tensor2d(batch.attentionMask.data, [B, T], 'int32');
        return headLogits(
          model,
          head,
          promptedForward(model, { inputIds: ids, attentionMask: mask }, prompt),
          mask,
        );
      });
      const values = await features.data();
      features.dispose();
      indices.forEach((i, k) => {
        out.set(values.subarray(k * F, (k + 1) * F), i * F);
      });
    }
  } finally {
    eye.dispose();
  }
  return out;
}

/** Column mean and standard deviation of (n, F) features. */
export function featureStatistics(features: Float32Array, F: number): { mean: HostTensor; std: HostTensor } {
  const n = features.length / F;
  const sum = new Float64Array(F);
  const sumSq = new Float64Array(F);
  for (let i = 0; i < features.length; i++) {
    const v = features[i]!;
    sum[i % F]! += v;
    sumSq[i % F]! += v * v;
  }
  const mean = new Float32Array(F);
  const std = new Float32Array(F);
  for (let f = 0; f < F; f++) {
    mean[f] = sum[f]! / n;
    std[f] = Math.sqrt(Math.max(sumSq[f]! / n - (sum[f]! / n) ** 2, 0) + 1e-6);
  }
  return { mean: { shape: [F], data: mean }, std: { shape: [F], data: std } };
}

/**
 * Fits a linear head on fixed standardised features with full-batch Adam (a linear probe): the warm start
 * of the head before the prompt trains, so that training begins at what the frozen model already offers and
 * the prompt can only add to it. Returns the head in standardised space.
 */
export async function fitLinearHead(
  features: Float32Array,
  labels: readonly number[],
  numLabels: number,
  normalize: { readonly mean: HostTensor; readonly std: HostTensor },
  options: { iterations?: number; lr?: number; l2?: number } = {},
): Promise<{ weight: HostTensor; bias: HostTensor }> {
  const n = labels.length;
  const F = features.length / n;
  const iterations = options.iterations ?? 500;
  const lr = options.lr ?? 0.01;
  const l2 = options.l2 ?? 1e-4;
  const x = tf.tidy(() =>
    tf.div(
      tf.sub(tf.tensor2d(features, [n, F]), tf.tensor1d(normalize.mean.data)),
      tf.tensor1d(normalize.std.data),
    ),
  );
  const y = tf.tidy(() =>
    tf.cast(
      tf.equal(tf.expandDims(tf.tensor1d([...labels], 'int32'), -1), tf.range(0, numLabels, 1, 'int32')),
      'float32',
    ),
  );
  const weight = tf.variable(tf.zeros([numLabels, F]));
  const bias = tf.variable(tf.zeros([numLabels]));
  const m = [tf.zeros([numLabels, F]), tf.zeros([numLabels])];
  const v = [tf.zeros([numLabels, F]), tf.zeros([numLabels])];
  try {
    for (let t = 1; t <= iterations; t++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const logits = tf.add(tf.matMul(x, weight, false, true), bias);
          const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1)));
          return tf.add(ce, tf.mul(l2, tf.sum(tf.square(weight)))) as tf.Scalar;
        }, [weight, bias]);
        [weight, bias].forEach((p, k) => {
          const g = grads[p.name]!;
          const mk = tf.add(tf.mul(m[k]!, 0.9), tf.mul(g, 0.1));
          const vk = tf.add(tf.mul(v[k]!, 0.999), tf.mul(tf.square(g), 0.001));
          m[k]!.dispose();
          v[k]!.dispose();
          m[k] = tf.keep(mk);
          v[k] = tf.keep(vk);
          const step = tf.div(tf.div(mk, 1 - 0.9 ** t), tf.add(tf.sqrt(tf.div(vk, 1 - 0.999 ** t)), 1e-8));
          p.assign(tf.sub(p, tf.mul(step, lr)));
        });
      });
    }
    return {
      weight: { shape: [numLabels, F], data: Float32Array.from(await weight.data()) },
      bias: { shape: [numLabels], data: Float32Array.from(await bias.data()) },
    };
  } finally {
    for (const t of [x, y, weight, bias, ...m, ...v]) t.dispose();
  }
}

/** A head trained on standardised features as one on raw features: W' = W / std, b' = b − W'·mean. */
export function foldNormalization(
  head: { readonly weight: HostTensor; readonly bias?: HostTensor },
  normalize: { readonly mean: HostTensor; readonly std: HostTensor },
): { weight: HostTensor; bias: HostTensor } {
  const [N = 0, F = 0] = head.weight.shape;
  const weight = new Float32Array(N * F);
  const bias = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let shift = 0;
    for (let f = 0; f < F; f++) {
      const w = head.weight.data[n * F + f]! / normalize.std.data[f]!;
      weight[n * F + f] = w;
      shift += w * normalize.mean.data[f]!;
    }
    bias[n] = (head.bias?.data[n] ?? 0) - shift;
  }
  return { weight: { shape: [N, F], data: weight }, bias: { shape: [N], data: bias } };
}

/**
 * Argmax of per-example logits over encoded examples, in batches sorted by length (less padding). `logitsOf`
 * maps one batch's prompted forward pass to (B, N) logits: the linear head, or a verbalizer.
 */
export async function predictInBatches(
  context: Pick<EvalContext<unknown>, 'model' | 'prompt' | 'signal' | 'onProgress'>,
  examples: readonly EncodedExample[],
  padId: number,
  logitsOf: (forward: PromptedForward, mask: tf.Tensor2D) => tf.Tensor,
  batchSize = 32,
): Promise<number[]> {
  const order = examples.map((_, i) => i).sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length);
  const predictions = new Array<number>(examples.length).fill(0);
  for (let start = 0; start < order.length; start += batchSize) {
    context.signal?.throwIfAborted();
    const indices = order.slice(start, start + batchSize);
    const batch = collate(
      indices.map((i) => examples[i]!),
      padId,
    );
    const argmax = tf.tidy(() => {
      const [B, T] = batch.inputIds.shape as [number, number];
      const ids = tf.tensor2d(batch.inputIds.data, [B, T], 'int32');
      const mask = tf.tensor2d(batch.attentionMask.data, [B, T], 'int32');
      const f = promptedForward(context.model, { inputIds: ids, attentionMask: mask }, context.prompt);
      return tf.argMax(logitsOf(f, mask), 1);
    });
    const values = await argmax.data();
    argmax.dispose();
    indices.forEach((i, k) => (predictions[i] = values[k]!));
    context.onProgress?.(Math.min(start + batchSize, order.length), order.length);
  }
  return predictions;
}

/** Predicted label ids for encoded examples with the task head. */
export async function predictClasses(
  context: Pick<EvalContext<unknown>, 'model' | 'prompt' | 'head' | 'signal' | 'onProgress'>,
  examples: readonly EncodedExample[],
  padId: number,
  batchSize = 32,
): Promise<number[]> {
  return predictInBatches(
    context,
    examples,
    padId,
    (f, mask) => headLogits(context.model, context.head, f, mask),
    batchSize,
  );
}

export const classificationTask: TaskDefinition<ClassificationExample> = {
  kind: 'classification',
  selectionMetric: { name: 'macro_f1', mode: 'max' },

  load: (text, source) => loadClassification(text, source),

  labelsOf: (examples) => [...new Set(examples.map((e) => e.label))].sort(),

  exampleLabels: (e) => [e.label],

  encode(examples, context: EncodeContext): Encoded {
    let truncated = 0;
    const out = examples.map((e) => {
      const { ids, cut } = encodeText(context.tokenizer, e.text, context.maxLength);
      if (cut) truncated++;
      const label = context.labels.indexOf(e.label);
      if (label < 0)
        throw new Error(
          `${e.source}:${e.line}: label "${e.label}" is not one of ${context.labels.join(', ')}`,
        );
      return { ids, labels: label };
    });
    return { examples: out, truncated };
  },

  initialHead(context: HeadContext) {
    const C = context.model.config.hiddenSize;
    const N = context.labels.length;
    const F = poolingWidth(DEFAULT_POOLING, C);
    // zeros: every class starts equally likely; Adam moves the head quickly (its learning rate is scaled up)
    return {
      kind: 'sequence-classification',
      weight: { shape: [N, F], data: new Float32Array(N * F) },
      bias: { shape: [N], data: new Float32Array(N) },
      trainable: true,
      pooling: DEFAULT_POOLING,
    };
  },

  async evaluate(context) {
    const encoded = classificationTask.encode(context.examples, {
      tokenizer: context.tokenizer,
      maxLength: context.maxLength,
      labels: context.labels,
    });
    const predictions = await predictClasses(context, encoded.examples, context.tokenizer.padTokenId ?? 0);
    const metrics = classificationMetrics(
      context.examples.map((e) => e.label),
      predictions.map((p) => context.labels[p]!),
      [...context.labels],
    );
    return { ...metrics, examples: context.examples.length, truncated: encoded.truncated };
  },
};

/** A sequence-classification TaskHead from host tensors (as saved in an adapter). */
export function sequenceHead(
  weight: { shape: readonly number[]; data: Float32Array },
  bias: { data: Float32Array } | undefined,
  hiddenSize: number,
): TaskHead {
  const [N = 0, F = 0] = weight.shape;
  const pooling: SequencePooling = F === 2 * hiddenSize ? 'mean-last' : 'last';
  return {
    kind: 'sequence-classification',
    weight: tf.tensor2d(weight.data, [N, F]),
    ...(bias === undefined ? {} : { bias: tf.tensor1d(bias.data) }),
    pooling,
  };
}
