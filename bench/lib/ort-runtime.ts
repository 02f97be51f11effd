// Prefill and generation throughput on onnxruntime-web's wasm execution provider, through runtime/onnx.ts,
// for a model folder with ONNX exports in onnx/ (decoder_with_past.onnx, and model_embeds.onnx for the soft-prompt
// run). A folder without exports (the random bench models) gets its decoder from our own exporter
// (runtime/onnx-export.ts), written once and cached beside the weights.
//
// ORT reads ort.env.wasm.numThreads once, when its wasm module starts (first session), so one process
// measures one thread count; the entry point runs other counts in child processes.
//
// Legend: B batch, T prompt tokens, P virtual tokens, L layers, Hkv kv heads, D head dim, C hidden, V vocab.
import * as ort from 'onnxruntime-web';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readModelDir } from '../../cli/files.js';
import { NormalStream } from './random-model.js';
import { OnnxCausalLM, generateOnnx } from '../../runtime/onnx.js';
import { exportLlamaDecoderWithPast } from '../../runtime/onnx-export.js';
import type { LayerPast, OnnxAdapter } from '../../runtime/onnx.js';
import { progress } from './env.js';
import type { BenchResult, DecodeResult, PrefillResult } from './results.js';
import { decodeFigures, generationTiming, round, roundRobin, timeRepeats } from './stats.js';
import type { GenerationTiming } from './stats.js';
import { BenchError, promptIds } from './plan.js';
import type { RuntimePlan } from './plan.js';

export const ONNX_DECODER_FILE = 'decoder_with_past.onnx';
export const ONNX_EMBEDS_FILE = 'model_embeds.onnx';

/** Whether `dir` has the ONNX exports this bench needs. */
export function hasOnnxExports(dir: string): boolean {
  return (
    fs.existsSync(path.join(dir, 'onnx', ONNX_DECODER_FILE)) &&
    fs.existsSync(path.join(dir, 'onnx', ONNX_EMBEDS_FILE))
  );
}

export interface OnnxExportInfo {
  readonly file: string;
  readonly bytes: number;
  /** time to build the graph and write it (read weights included); undefined when the cached file was used */
  readonly exportMs: number | undefined;
}

/**
 * Makes sure `dir`/onnx/decoder_with_past.onnx exists, exporting it with runtime/onnx-export.ts when it is
 * missing or older than the weights. Written to a temporary file, then renamed: never half-written.
 */
export function ensureExportedDecoder(dir: string): OnnxExportInfo {
  const file = path.join(dir, 'onnx', ONNX_DECODER_FILE);
  const weights = path.join(dir, 'model.safetensors');
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(weights).mtimeMs) {
    return { file, bytes: fs.statSync(file).size, exportMs: undefined };
  }
  const start = performance.now();
  const files = readModelDir(dir);
  const bytes = exportLlamaDecoderWithPast(files.config, files.weights);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new BenchError(
      `could not write the ONNX export ${file} (${e instanceof Error ? e.message : String(e)}); check that the folder is writable`,
    );
  }
  return { file, bytes: bytes.length, exportMs: round(performance.now() - start, 1) };
}

function readBytes(file: string): Uint8Array {
  const b = fs.readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** One prefill: T new tokens per sequence from an empty past; ORT returns logits of every position. */
async function prefillOnce(model: OnnxCausalLM, ids: number[][]): Promise<void> {
  const B = ids.length;
  const T = ids[0]?.length ?? 0;
  const empty: LayerPast[] = Array.from({ length: model.numLayers }, () => ({
    key: new Float32Array(0), // (B, Hkv, 0, D)
    value: new Float32Array(0),
    length: 0,
  }));
  const mask = Array.from({ length: B }, () => new Array<number>(T).fill(1)); // (B, T)
  const positions = Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => t)); // (B, T)
  await model.decodeStep(ids, mask, positions, empty);
}

async function timedGenerate(
  model: OnnxCausalLM,
  ids: number[],
  adapter: OnnxAdapter | undefined,
  newTokens: number,
): Promise<GenerationTiming> {
  const stamps: number[] = [];
  const start = performance.now();
  await generateOnnx(model, ids, {
    ...(adapter === undefined ? {} : { adapter }),
    maxNewTokens: newTokens,
    sampling: {},
    onToken: () => {
      stamps.push(performance.now());
    },
  });
  if (stamps.length !== newTokens) {
    throw new BenchError(`generateOnnx produced ${stamps.length} tokens, ${newTokens} were asked`);
  }
  return generationTiming(start, stamps);
}

/** Random adapters of P virtual tokens: soft (P, C) ~ N(0, 0.02); prefix keys/values (Hkv, P, D) per layer. */
function randomAdapter(model: OnnxCausalLM, kind: 'soft' | 'prefix', P: number): OnnxAdapter {
  const rng = new NormalStream(23);
  if (kind === 'soft') return { kind, embeddings: rng.fill(P * model.hiddenSize, 0.02) };
  const size = model.numKvHeads * P * model.headDim;
  const keys = Array.from({ length: model.numLayers }, () => rng.fill(size, 0.02));
  const values = Array.from({ length: model.numLayers }, () => rng.fill(size, 0.02));
  return { kind, keys, values, length: P };
}

/**
 * Runs the plan's prefill and decode measurements on ORT with `threads` wasm threads. Adds a prefix-adapter
 * run (decoder with past: the adapter is the past) and a soft-prompt run (embeds export: it has no cache, so
 * the whole sequence is recomputed at every step), both with the plan's P virtual tokens.
 */
export async function benchOrt(
  modelName: string,
  dir: string,
  threads: number,
  plan: RuntimePlan,
): Promise<BenchResult[]> {
  const files = readModelDir(dir);
  const c = files.config;
  const embedsFile = path.join(dir, 'onnx', ONNX_EMBEDS_FILE);
  const model = await OnnxCausalLM.create({
    decoderWithPast: readBytes(path.join(dir, 'onnx', ONNX_DECODER_FILE)),
    ...(fs.existsSync(embedsFile) ? { embedsModel: readBytes(embedsFile) } : {}),
    numLayers: c.numLayers,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    hiddenSize: c.hiddenSize,
    vocabSize: c.vocabSize,
    embedTable: files.weights.get('model.embed_tokens.weight').data, // (V, C)
    wasm: { numThreads: threads },
  });
  // ORT settles the thread count when its wasm module starts; read back what it kept
  const common = {
    model: modelName,
    backend: 'ort-wasm',
    threads,
    threadsEffective: ort.env.wasm.numThreads ?? 0,
  } as const;
  const results: BenchResult[] = [];
  try {
    for (const p of plan.prefill) {
      progress(`${modelName} ort-wasm threads=${threads}: prefill B=${p.batch} T=${p.promptTokens}`);
      const ids = Array.from({ length: p.batch }, (_, b) => promptIds(p.promptTokens, c.vocabSize, 100 + b));
      const t = await timeRepeats(() => prefillOnce(model, ids), p.warmups, p.repeats);
      const tokens = p.batch * p.promptTokens;
      const result: PrefillResult = {
        ...common,
        phase: 'prefill',
        note: 'decoder_with_past.onnx from an empty past; the export computes logits of all positions (B,T,V)',
        batch: p.batch,
        promptTokens: p.promptTokens,
        tokens,
        warmups: p.warmups,
        repeats: p.repeats,
        msMedian: round(t.msMedian, 1),
        msAll: t.msAll.map((x) => round(x, 1)),
        tokensPerSecond: round((tokens * 1000) / t.msMedian, 1),
      };
      results.push(result);
    }
    const d = plan.decode;
    const ids = promptIds(d.promptTokens, c.vocabSize, 7);
    const adapters: (OnnxAdapter | undefined)[] = [undefined];
    if (d.softPromptTokens > 0) {
      adapters.push(randomAdapter(model, 'prefix', d.softPromptTokens));
      if (model.hasEmbedsModel) adapters.push(randomAdapter(model, 'soft', d.softPromptTokens));
      else {
        results.push({
          ...common,
          phase: 'decode',
          skipped: `no ${ONNX_EMBEDS_FILE} beside the decoder (runtime/onnx-export.ts writes the decoder only): no soft-prompt run`,
        });
      }
    }
    const kinds = adapters.flatMap((x) => (x === undefined ? [] : [x.kind])).join('/');
    progress(
      `${modelName} ort-wasm threads=${threads}: decode ${d.newTokens} tokens` +
        (kinds === '' ? '' : `, without and with ${kinds} adapters P=${d.softPromptTokens} (interleaved)`),
    );
    for (const adapter of adapters) {
      for (let i = 0; i < d.warmups; i++) await timedGenerate(model, ids, adapter, d.newTokens);
    }
    const timings = await roundRobin(
      adapters.map((adapter) => () => timedGenerate(model, ids, adapter, d.newTokens)),
      d.repeats,
    );
    const tokens = d.newTokens - 1;
    adapters.forEach((adapter, i) => {
      const result: DecodeResult = {
        ...common,
        phase: 'decode',
        note:
          adapter?.kind === 'soft'
            ? 'model_embeds.onnx has no KV cache: every step recomputes the P + text sequence'
            : 'decoder_with_past.onnx with the KV cache' +
              (adapter === undefined ? '' : ' (the prefix is the past)'),
        batch: 1,
        adapter: adapter === undefined ? 'none' : { kind: adapter.kind, virtualTokens: d.softPromptTokens },
        promptTokens: d.promptTokens,
        newTokens: d.newTokens,
        tokens,
        warmups: d.warmups,
        repeats: d.repeats,
        ...decodeFigures(timings[i] ?? [], tokens),
      };
      results.push(result);
    });
  } finally {
    await model.release();
  }
  return results;
}
