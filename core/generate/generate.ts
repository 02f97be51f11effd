// Autoregressive generation on tfjs with a KV cache. A prompt adapter's virtual tokens become per-layer
// keys/values once (PromptCache) and are reused by every request: for a soft prompt they are the keys/values
// the virtual positions produce (they attend only to each other, so this equals prepending them to every
// request); for a prefix they are the stored prefix itself. Text positions then start at P either way.
//
// Legend: P virtual tokens, T prompt tokens, K kv heads, D head dim.
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenTransformer, LayerKV } from '../model/types.js';
import { ModelError } from '../model/types.js';
import { prefixToPast } from '../prompts/forward.js';
import type { PromptInput } from '../prompts/forward.js';
import { isPrefixMethod } from '../prompts/peft.js';
import type { PromptAdapter } from '../prompts/peft.js';
import { Sampler } from './sampling.js';
import type { SamplingOptions } from './sampling.js';

/** The virtual tokens' keys/values for one sequence: (1, K, P, D) per layer. */
export class PromptCache {
  private constructor(
    readonly past: readonly LayerKV[],
    readonly length: number,
  ) {}

  static build(model: FrozenTransformer, prompt: PromptInput): PromptCache {
    const c = model.config;
    const P = prompt.embeddings.shape[0];
    const past = tf.tidy(() => {
      if (prompt.kind === 'prefix') {
        return prefixToPast(prompt.embeddings, 1, c.numLayers, c.numKvHeads, c.headDim).flatMap((kv) => [
          kv.key,
          kv.value,
        ]);
      }
      const r = model.forward({
        inputsEmbeds: tf.expandDims(prompt.embeddings, 0) as tf.Tensor3D, // (1, P, C)
        attentionMask: tf.ones([1, P]) as tf.Tensor2D,
        useCache: true,
      });
      return (r.presents ?? []).flatMap((kv) => [kv.key, kv.value]);
    });
    const layers: LayerKV[] = [];
    for (let i = 0; i < past.length; i += 2) {
      layers.push({ key: past[i] as tf.Tensor4D, value: past[i + 1] as tf.Tensor4D });
    }
    return new PromptCache(layers, P);
  }

  /** The cache for a loaded PEFT adapter (its stored prompt_embeddings), or undefined without one. */
  static forAdapter(model: FrozenTransformer, adapter: PromptAdapter | undefined): PromptCache | undefined {
    if (adapter === undefined) return undefined;
    const [P = 0, W = 0] = adapter.promptEmbeddings.shape;
    const embeddings = tf.tensor2d(adapter.promptEmbeddings.data, [P, W]);
    try {
      return PromptCache.build(model, {
        kind: isPrefixMethod(adapter.config.peftType) ? 'prefix' : 'soft',
        embeddings,
      });
    } finally {
      embeddings.dispose();
    }
  }

  dispose(): void {
    for (const kv of this.past) {
      kv.key.dispose();
      kv.value.dispose();
    }
  }
}

export interface GenerateOptions {
  readonly maxNewTokens: number;
  readonly sampling?: SamplingOptions;
  /** generation stops after emitting any of these */
  readonly eosTokenIds?: readonly number[];
  /** called with each new id as soon as it is chosen */
  readonly onToken?: (id: number, step: number) => void;
  /** called with each step's logits row (V), e.g. to report near ties */
  readonly onLogits?: (row: Float32Array, step: number) => void;
  readonly signal?: AbortSignal;
}

/**
 * Generates after `promptIds` (ids of the text, BOS included as the tokenizer adds it). Returns all ids,
 * the prompt's included. One sequence; the prompt cache (if any) is borrowed, not disposed.
 */
export async function generate(
  model: FrozenTransformer,
  promptIds: readonly number[],
  cache: PromptCache | undefined,
  options: GenerateOptions,
): Promise<number[]> {
  if (model.config.arch === 'bert') throw new ModelError('BERT is an encoder and cannot generate text');
  if (promptIds.length === 0) throw new ModelError('generation needs at least one prompt token (e.g. BOS)');
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new ModelError(`max new tokens must be a non-negative integer, got ${options.maxNewTokens}`);
  }
  const maxPositions = model.config.maxPositions;
  const virtual = cache?.length ?? 0;
  const sampler = new Sampler(options.sampling ?? {});
  const eos = new Set(options.eosTokenIds ?? []);
  const ids = [...promptIds];
  let past: LayerKV[] | undefined = cache === undefined ? undefined : [...cache.past];
  let input = [...promptIds];
  const owned = (kv: LayerKV[] | undefined): void => {
    // the prompt cache's tensors belong to the cache
    if (kv === undefined) return;
    for (const layer of kv) {
      if (cache === undefined || !cache.past.includes(layer)) {
        layer.key.dispose();
        layer.value.dispose();
      }
    }
  };
  try {
    for (let step = 0; step < options.maxNewTokens; step++) {
      options.signal?.throwIfAborted();
      const pastLength = virtual + ids.length - input.length;
      if (pastLength + input.length > maxPositions) break; // the model's context is full
      const currentPast = past;
      const { row, presents } = tf.tidy(() => {
        const r = model.forward({
          inputIds: tf.tensor2d(input, [1, input.length], 'int32'),
          attentionMask: tf.ones([1, pastLength + input.length]) as tf.Tensor2D,
          ...(currentPast === undefined ? {} : { past: currentPast }),
          useCache: true,
        });
        const [, T, C] = r.hidden.shape;
        const last = tf.slice(r.hidden, [0, T - 1, 0], [1, 1, C]) as tf.Tensor3D; // only the last position's logits
        const logits = tf.reshape(model.lmLogits(last), [-1]);
        const kept = (r.presents ?? []).map((kv) => ({ key: tf.keep(kv.key), value: tf.keep(kv.value) }));
        return { row: logits, presents: kept };
      }) as { row: tf.Tensor1D; presents: LayerKV[] };
      const logits = (await row.data()) as Float32Array;
      row.dispose();
      owned(past);
      past = presents;
      options.onLogits?.(logits, step);
      const next = sampler.next(logits);
      ids.push(next);
      options.onToken?.(next, step);
      if (eos.has(next)) break;
      input = [next];
    }
  } finally {
    owned(past);
  }
  return ids;
}
