// Initial prompts. Soft prompts (P, C): random normal, embeddings of sampled vocabulary (no special or byte
// tokens), of an init text (PEFT's TEXT init: its ids, BOS included, cycled or cut to P), or of the class
// labels' words (Lester et al.'s best init; PEFT lacks it). Deep prompts (P, L·2·K·D): random normal, or the
// keys/values the frozen model itself produces for such tokens, so a prefix starts as "the model has just read
// this text" — the prefix analogue of text init.
//
// Legend: P virtual tokens, C hidden, L layers, K kv heads, D head dim.
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenTransformer } from '../model/types.js';
import type { PromptKind } from '../prompts/forward.js';
import type { HostTensor } from '../prompts/peft.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { TrainRng } from '../train/rng.js';

export type PromptInit = 'random' | 'vocab' | 'text' | 'labels';

export interface InitOptions {
  readonly model: FrozenTransformer;
  readonly tokenizer: Tokenizer | undefined;
  readonly kind: PromptKind;
  readonly virtualTokens: number;
  readonly init: PromptInit;
  readonly initText?: string;
  readonly labels?: readonly string[];
  readonly seed: number;
  /** std of the random init (default 0.02 for prefixes; for soft prompts the embedding table's own std) */
  readonly std?: number;
}

export class InitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitError';
  }
}

/** Ids to initialise from, exactly P of them (cycled if fewer). */
function initIds(options: InitOptions, rng: TrainRng): number[] {
  const P = options.virtualTokens;
  const tok = options.tokenizer;
  let ids: number[];
  switch (options.init) {
    case 'random':
      return [];
    case 'vocab': {
      const excluded = new Set<number>([...(tok?.specialTokenIds() ?? []), ...(tok?.byteTokenIds() ?? [])]);
      const V = options.model.config.vocabSize;
      const candidates: number[] = [];
      for (let i = 0; i < V; i++) if (!excluded.has(i)) candidates.push(i);
      if (candidates.length === 0)
        throw new InitError('no vocabulary token is left after excluding special and byte tokens');
      return Array.from({ length: P }, () => candidates[rng.nextInt(candidates.length)]!);
    }
    case 'text': {
      if (tok === undefined) throw new InitError('--init text needs the model tokenizer');
      const text = options.initText ?? '';
      if (text.trim() === '')
        throw new InitError('--init text needs --init-text "…" (e.g. "Classify if the SMS is spam:")');
      ids = tok.encode(text);
      break;
    }
    case 'labels': {
      if (tok === undefined) throw new InitError('--init labels needs the model tokenizer');
      const labels = options.labels ?? [];
      if (labels.length === 0)
        throw new InitError('--init labels needs a task with labels (classification or NER)');
      ids = labels.flatMap((l) => tok.encode(` ${l}`, { addSpecialTokens: false }));
      if (ids.length === 0) throw new InitError('the labels encode to no tokens');
      break;
    }
  }
  return Array.from({ length: P }, (_, i) => ids[i % ids.length]!);
}

export async function initialPrompt(options: InitOptions): Promise<HostTensor> {
  const { model, kind } = options;
  const c = model.config;
  const P = options.virtualTokens;
  if (!Number.isSafeInteger(P) || P <= 0)
    throw new InitError(`virtual tokens must be a positive integer, got ${P}`);
  const rng = new TrainRng(options.seed);
  const width = kind === 'soft' ? c.hiddenSize : c.numLayers * 2 * c.numKvHeads * c.headDim;
  if (options.init === 'random') {
    let std = options.std ?? 0.02;
    if (kind === 'soft' && options.std === undefined) {
      // match the scale of real token embeddings, so the model does not see outliers
      const s = tf.tidy(() => tf.sqrt(tf.moments(model.embeddingMatrix).variance));
      std = (await s.data())[0]!;
      s.dispose();
    }
    const data = new Float32Array(P * width);
    for (let i = 0; i < data.length; i++) data[i] = rng.nextNormal() * std;
    return { shape: [P, width], data };
  }
  const ids = initIds(options, rng);
  if (kind === 'soft') {
    const t = tf.tidy(() => tf.gather(model.embeddingMatrix, tf.tensor1d(ids, 'int32')));
    const data = Float32Array.from(await t.data());
    t.dispose();
    return { shape: [P, width], data };
  }
  // prefix: the per-layer keys/values of the tokens, read in one pass, laid out as PEFT stores a prefix:
  // (P, L·2·K·D) along the last axis as (layer, key|value, kv head, head dim)
  const packed = tf.tidy(() => {
    const r = model.forward({
      inputIds: tf.tensor2d(ids, [1, P], 'int32'),
      attentionMask: tf.ones([1, P]) as tf.Tensor2D,
      useCache: true,
    });
    const layers = (r.presents ?? []).flatMap((kv) => [kv.key, kv.value]); // 2L × (1, K, P, D)
    const stacked = tf.concat(layers, 0); // (2L, K, P, D)
    return tf.reshape(tf.transpose(stacked, [2, 0, 1, 3]), [P, width]); // (P, 2L·K·D)
  });
  const data = Float32Array.from(await packed.data());
  packed.dispose();
  return { shape: [P, width], data };
}
