// Prefill and generation throughput of the project's tfjs model code (core/model, core/generate) on a Node
// backend (cpu or wasm), through the same calls the CLI makes.
//
// Legend: B batch, T prompt tokens, P virtual tokens, C hidden size, V vocab.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { performance } from 'node:perf_hooks';
import { initBackend } from '../../cli/backend.js';
import type { NodeBackend } from '../../cli/backend.js';
import { readModelDir } from '../../cli/files.js';
import { PromptCache, generate } from '../../core/generate/generate.js';
import { createModel } from '../../core/model/index.js';
import type { FrozenTransformer } from '../../core/model/index.js';
import { progress } from './env.js';
import type { BenchResult, DecodeResult, PrefillResult } from './results.js';
import { decodeFigures, generationTiming, round, roundRobin, timeRepeats } from './stats.js';
import type { GenerationTiming } from './stats.js';
import { BenchError, promptIds } from './plan.js';
import type { DecodePlan, PrefillPlan, RuntimePlan } from './plan.js';

export interface TfjsBackendInfo {
  readonly backend: string;
  readonly threads: number;
  readonly simd?: boolean;
  readonly note: string;
}

/**
 * What the active backend computes with. tfjs-backend-wasm turns threads off under Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false there: https://github.com/tensorflow/tfjs/issues/3830), so it runs its
 * SIMD build on one thread; tfjs-backend-cpu runs plain JavaScript kernels on the main thread.
 */
export async function tfjsBackendInfo(backend: NodeBackend): Promise<TfjsBackendInfo> {
  await initBackend(backend);
  switch (backend) {
    case 'cpu':
      return { backend: 'tfjs-cpu', threads: 1, note: 'plain JavaScript kernels on the main thread' };
    case 'wasm': {
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
      return {
        backend: 'tfjs-wasm',
        threads: getThreadsCount(),
        simd,
        note: threaded ? 'threaded SIMD build' : `${simd ? 'SIMD' : 'plain'} build, no threads under Node`,
      };
    }
  }
}

async function prefillOnce(model: FrozenTransformer, ids: tf.Tensor2D, mask: tf.Tensor2D): Promise<void> {
  const logits = tf.tidy(() => {
    // the KV cache is built as generation would build it, then dropped by tidy
    const r = model.forward({ inputIds: ids, attentionMask: mask, useCache: true });
    const [B, T, C] = r.hidden.shape;
    const last = tf.slice<tf.Rank.R3, tf.Tensor3D>(r.hidden, [0, T - 1, 0], [B, 1, C]); // (B, 1, C)
    return model.lmLogits(last); // (B, 1, V)
  });
  await logits.data(); // waits for the backend to finish
  logits.dispose();
}

async function benchPrefill(
  modelName: string,
  backend: NodeBackend,
  threads: number,
  model: FrozenTransformer,
  plan: PrefillPlan,
): Promise<PrefillResult> {
  const { batch: B, promptTokens: T } = plan;
  const V = model.config.vocabSize;
  const flat: number[] = [];
  for (let b = 0; b < B; b++) flat.push(...promptIds(T, V, 100 + b));
  const ids = tf.tensor2d(flat, [B, T], 'int32'); // (B, T)
  const mask = tf.ones<tf.Rank.R2>([B, T], 'float32'); // (B, T)
  try {
    const t = await timeRepeats(() => prefillOnce(model, ids, mask), plan.warmups, plan.repeats);
    return {
      model: modelName,
      backend: `tfjs-${backend}`,
      threads,
      phase: 'prefill',
      batch: B,
      promptTokens: T,
      tokens: B * T,
      warmups: plan.warmups,
      repeats: plan.repeats,
      msMedian: round(t.msMedian, 1),
      msAll: t.msAll.map((x) => round(x, 1)),
      tokensPerSecond: round((B * T * 1000) / t.msMedian, 1),
    };
  } finally {
    ids.dispose();
    mask.dispose();
  }
}

/** One greedy generation of `newTokens` tokens, timed token by token. */
async function timedGenerate(
  model: FrozenTransformer,
  ids: readonly number[],
  cache: PromptCache | undefined,
  newTokens: number,
): Promise<GenerationTiming> {
  const stamps: number[] = [];
  const start = performance.now();
  await generate(model, ids, cache, {
    maxNewTokens: newTokens,
    onToken: () => {
      stamps.push(performance.now());
    },
  });
  if (stamps.length !== newTokens) {
    throw new BenchError(
      `generate produced ${stamps.length} tokens, ${newTokens} were asked (context full?)`,
    );
  }
  return generationTiming(start, stamps);
}

interface SoftPrompt {
  readonly cache: PromptCache;
  readonly buildMs: number;
  readonly virtualTokens: number;
}

/** Decode without an adapter and (if given) with the soft prompt's cache, repeats interleaved. */
async function benchDecode(
  modelName: string,
  backend: NodeBackend,
  threads: number,
  model: FrozenTransformer,
  plan: DecodePlan,
  soft: SoftPrompt | undefined,
): Promise<DecodeResult[]> {
  const ids = promptIds(plan.promptTokens, model.config.vocabSize, 7);
  const variants: (SoftPrompt | undefined)[] = soft === undefined ? [undefined] : [undefined, soft];
  for (const v of variants) {
    for (let i = 0; i < plan.warmups; i++) await timedGenerate(model, ids, v?.cache, plan.newTokens);
  }
  const timings = await roundRobin(
    variants.map((v) => () => timedGenerate(model, ids, v?.cache, plan.newTokens)),
    plan.repeats,
  );
  const tokens = plan.newTokens - 1;
  return variants.map((v, i) => ({
    model: modelName,
    backend: `tfjs-${backend}`,
    threads,
    phase: 'decode',
    batch: 1,
    adapter: v === undefined ? 'none' : { kind: 'soft', virtualTokens: v.virtualTokens },
    ...(v === undefined ? {} : { cacheBuildMs: round(v.buildMs, 1) }),
    promptTokens: plan.promptTokens,
    newTokens: plan.newTokens,
    tokens,
    warmups: plan.warmups,
    repeats: plan.repeats,
    ...decodeFigures(timings[i] ?? [], tokens),
  }));
}

/** A soft prompt of P rows of the embedding matrix (a "vocab" init), built into a prompt cache once. */
function buildSoftCache(model: FrozenTransformer, P: number): { cache: PromptCache; buildMs: number } {
  const rows = promptIds(P, model.config.vocabSize, 11);
  const embeddings = tf.tidy(() => tf.gather<tf.Tensor2D>(model.embeddingMatrix, tf.tensor1d(rows, 'int32'))); // (P, C)
  try {
    const start = performance.now();
    const cache = PromptCache.build(model, { kind: 'soft', embeddings });
    // PromptCache.build runs the P virtual tokens through the model; reading one value waits for it.
    const probe = cache.past[0]?.key;
    if (probe !== undefined) probe.dataSync();
    return { cache, buildMs: performance.now() - start };
  } finally {
    embeddings.dispose();
  }
}

/** Runs every measurement of `plan` for the model folder `dir` on tfjs `backend`. */
export async function benchTfjs(
  modelName: string,
  dir: string,
  backend: NodeBackend,
  plan: RuntimePlan,
): Promise<BenchResult[]> {
  const { threads } = await tfjsBackendInfo(backend);
  const tensorsBefore = tf.memory().numTensors;
  const files = readModelDir(dir);
  const model = createModel(files.config, files.weights);
  const modelTensors = tf.memory().numTensors;
  const results: BenchResult[] = [];
  try {
    for (const p of plan.prefill) {
      progress(`${modelName} tfjs-${backend}: prefill B=${p.batch} T=${p.promptTokens}`);
      results.push(await benchPrefill(modelName, backend, threads, model, p));
    }
    const P = plan.decode.softPromptTokens;
    progress(
      `${modelName} tfjs-${backend}: decode ${plan.decode.newTokens} tokens` +
        (P > 0 ? `, without and with a soft prompt P=${P} (interleaved)` : ''),
    );
    const soft = P > 0 ? { ...buildSoftCache(model, P), virtualTokens: P } : undefined;
    try {
      results.push(...(await benchDecode(modelName, backend, threads, model, plan.decode, soft)));
    } finally {
      soft?.cache.dispose();
    }
    // The measured code must not leak: every tensor made per request is disposed.
    const leaked = tf.memory().numTensors - modelTensors;
    if (leaked !== 0) throw new BenchError(`${modelName} on tfjs-${backend}: ${leaked} tensors leaked`);
  } finally {
    model.dispose();
  }
  const left = tf.memory().numTensors - tensorsBefore;
  if (left !== 0) progress(`warning: ${left} tensors left after disposing ${modelName} on tfjs-${backend}`);
  return results;
}
