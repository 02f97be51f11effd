// The contract every architecture family implements (llama.ts, gpt2.ts, bert.ts).
//
// Dimension legend used in shape comments across core/model:
//   B batch, T current (query) positions, P virtual tokens / prefix length, S = past + T key positions,
//   C hidden size, H attention heads, K key/value heads, D head dim, F MLP width, V vocab, L labels.
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../formats/hfconfig.js';

/** One layer's cached keys and values, laid out as transformers' cache: (B, K, S, D). */
export interface LayerKV {
  readonly key: tf.Tensor4D;
  readonly value: tf.Tensor4D;
}

export interface ForwardOptions {
  /** token ids (B, T) int32; either this or `inputsEmbeds` */
  readonly inputIds?: tf.Tensor2D;
  /** word embeddings to use instead of looking ids up (B, T, C): soft prompts enter here. For GPT-2 and BERT
   * the model still adds its position (and token-type) embeddings, as transformers does with inputs_embeds. */
  readonly inputsEmbeds?: tf.Tensor3D;
  /** 1 = attend, 0 = padding, over all S = past + T key positions (B, S), float32 or int32 */
  readonly attentionMask: tf.Tensor2D;
  /** per-layer keys/values that come before the current tokens (prefix tuning, or the generation cache) */
  readonly past?: readonly LayerKV[];
  /** explicit position ids (B, T) int32; default past length + 0..T-1 */
  readonly positionIds?: tf.Tensor2D;
  /** return each layer's attention probabilities (B, H, T, S) */
  readonly outputAttentions?: boolean;
  /** return per-layer keys/values of past + current positions, for the next generation step */
  readonly useCache?: boolean;
}

export interface ForwardResult {
  /** last hidden states after the final norm (llama, gpt2) or the last layer (bert): (B, T, C) */
  readonly hidden: tf.Tensor3D;
  readonly attentions?: tf.Tensor4D[];
  readonly presents?: LayerKV[];
}

/** A classification head's weights: y = x W^T + b, W (L, C). */
export interface LinearHeadWeights {
  readonly weight: tf.Tensor2D;
  readonly bias?: tf.Tensor1D;
}

export interface FrozenTransformer {
  readonly config: ModelConfig;
  /** the word-embedding matrix (V, C): the space soft prompts live in */
  readonly embeddingMatrix: tf.Tensor2D;
  /** word embeddings only, (B, T) → (B, T, C) */
  embedTokens(ids: tf.Tensor2D): tf.Tensor3D;
  forward(options: ForwardOptions): ForwardResult;
  /** language-model logits (B, T, C) → (B, T, V); throws for encoders */
  lmLogits(hidden: tf.Tensor3D): tf.Tensor3D;
  /** the base checkpoint's own classification head, when it has one */
  readonly classifierHead: LinearHeadWeights | undefined;
  /** BERT's pooler: (B, C) → (B, C); identity for decoder models, which pool the last real token instead */
  pool(first: tf.Tensor2D): tf.Tensor2D;
  /** which position sequence classification pools: the first (BERT) or the last real token (decoders) */
  readonly poolingPosition: 'first' | 'last';
  dispose(): void;
}

/** Where frozen weights come from: a parsed safetensors file, several shards or an imported GGUF. */
export interface WeightSource {
  has(name: string): boolean;
  /** float32 data and shape of a tensor; throws a clear error naming the tensor when it is missing */
  get(name: string): { readonly shape: readonly number[]; readonly data: Float32Array };
  readonly names: readonly string[];
  readonly source: string | undefined;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}
