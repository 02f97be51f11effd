// Inference and generation on onnxruntime-web (wasm execution provider) for Llama-family causal LMs
// exported to ONNX in the two shapes this project uses:
//   - an "embeds" export: inputs_embeds (B,S,C) float32 + attention_mask (B,S) int64 → logits (B,S,V).
//     It has no cache, so soft prompts (prompt tuning, P-tuning) are prepended as embeddings and the whole
//     sequence is recomputed each step.
//   - a "decoder with past" export (the Hugging Face Hub naming): input_ids (B,T), attention_mask
//     (B,past+T), position_ids (B,T), past_key_values.{i}.key/value (B,Hkv,past,D) → logits (B,T,V) and
//     present.{i}.key/value (B,Hkv,past+T,D). A prefix-tuning adapter is exactly such a past.
// Takes model bytes, not paths, so the same code runs in Node (CLI, tests) and in the webview.
// Under Node `import * as ort from 'onnxruntime-web'` resolves to its node build (dist/ort.node.min.mjs),
// which finds its .wasm beside itself; esbuild keeps the package external for that reason.
//
// Dimension legend: B batch, S sequence (embeds path), T new tokens of one decoder step, P virtual tokens /
// past length, L layers, Hkv key/value heads, D head dim, C hidden size, V vocabulary size.

import type * as Ort from 'onnxruntime-web';

// onnxruntime-web is loaded on first use, so that programs bundling this module (the CLI) start without it
// (e.g. the CLI inside the VS Code extension, which ships no node_modules) unless the ONNX path is taken.
let ort: typeof Ort;
async function loadOrt(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- assigned once, on first use
  ort ??= await import('onnxruntime-web');
}
import { Sampler, type SamplingOptions } from '../core/generate/sampling.js';

export class OnnxRuntimeError extends Error {
  override name = 'OnnxRuntimeError';
}

/** Key/value cache of one layer: key and value are (B, Hkv, length, D), row-major float32. */
export interface LayerPast {
  key: Float32Array;
  value: Float32Array;
  length: number;
}

export interface OnnxWasmSettings {
  /** Threads of the wasm EP (ort.env.wasm.numThreads); applied before the first session is created. */
  numThreads?: number;
  /** Where the webview serves ORT's .wasm/.mjs files (ort.env.wasm.wasmPaths). Not needed under Node. */
  wasmPaths?: string;
}

export interface OnnxCausalLMOptions {
  /** Bytes of the embeds export (inputs_embeds + attention_mask → logits). */
  embedsModel?: Uint8Array;
  /** Bytes of the decoder-with-past export. */
  decoderWithPast?: Uint8Array;
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  /** Token embedding table (V, C), to look ids up for the embeds path. */
  embedTable?: Float32Array;
  wasm?: OnnxWasmSettings;
}

const EMBEDS_INPUTS = ['inputs_embeds', 'attention_mask'];
const EMBEDS_OUTPUTS = ['logits'];

function decoderInputNames(numLayers: number): string[] {
  const names = ['input_ids', 'attention_mask', 'position_ids'];
  for (let i = 0; i < numLayers; i++) names.push(`past_key_values.${i}.key`, `past_key_values.${i}.value`);
  return names;
}

function decoderOutputNames(numLayers: number): string[] {
  const names = ['logits'];
  for (let i = 0; i < numLayers; i++) names.push(`present.${i}.key`, `present.${i}.value`);
  return names;
}

function checkPositiveInt(value: number, field: string): void {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new OnnxRuntimeError(`OnnxCausalLM: ${field} must be an integer >= 1, got ${value}`);
  }
}

/** Checks that a session declares exactly the inputs and outputs this module feeds and reads. */
function checkNames(session: Ort.InferenceSession, which: string, inputs: string[], outputs: string[]): void {
  const missingIn = inputs.filter((n) => !session.inputNames.includes(n));
  const extraIn = session.inputNames.filter((n) => !inputs.includes(n));
  const missingOut = outputs.filter((n) => !session.outputNames.includes(n));
  if (missingIn.length > 0 || extraIn.length > 0 || missingOut.length > 0) {
    throw new OnnxRuntimeError(
      `${which}: the ONNX graph does not have the expected inputs/outputs ` +
        `(missing inputs: [${missingIn.join(', ')}], unexpected inputs: [${extraIn.join(', ')}], ` +
        `missing outputs: [${missingOut.join(', ')}]; the graph has inputs [${session.inputNames.join(', ')}] ` +
        `and outputs [${session.outputNames.join(', ')}]). Check numLayers and that the right file was passed.`,
    );
  }
}

function int64(values: ArrayLike<number>, where: string): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isSafeInteger(v)) throw new OnnxRuntimeError(`${where}: entry ${i} is not an integer (${v})`);
    out[i] = BigInt(v);
  }
  return out;
}

/** Flattens a rectangular number[][] (rows of equal length) row-major into int64. */
function int64Matrix(rows: number[][], where: string): { data: BigInt64Array; dims: [number, number] } {
  const B = rows.length;
  if (B === 0) throw new OnnxRuntimeError(`${where}: batch is empty`);
  const width = rows[0]!.length;
  const flat: number[] = [];
  rows.forEach((row, b) => {
    if (row.length !== width) {
      throw new OnnxRuntimeError(`${where}: row ${b} has ${row.length} entries, row 0 has ${width}`);
    }
    flat.push(...row);
  });
  return { data: int64(flat, where), dims: [B, width] };
}

function float32Output(
  outputs: Ort.InferenceSession.ReturnType,
  name: string,
): { data: Float32Array; dims: number[] } {
  const tensor = outputs[name];
  if (tensor === undefined) throw new OnnxRuntimeError(`ONNX run returned no output '${name}'`);
  const data = tensor.data;
  if (!(data instanceof Float32Array)) {
    throw new OnnxRuntimeError(
      `ONNX output '${name}' is ${tensor.type} on ${tensor.location}, expected float32 on cpu`,
    );
  }
  return { data, dims: [...tensor.dims] };
}

let wasmConfigured = false;

function configureWasm(settings: OnnxWasmSettings | undefined): void {
  // ORT reads env.wasm when it initialises the wasm module (first session); later changes have no effect.
  if (wasmConfigured || settings === undefined) return;
  if (settings.numThreads !== undefined) {
    checkPositiveInt(settings.numThreads, 'wasm.numThreads');
    ort.env.wasm.numThreads = settings.numThreads;
  }
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
}

async function createSession(bytes: Uint8Array, which: string): Promise<Ort.InferenceSession> {
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    wasmConfigured = true;
    return session;
  } catch (err) {
    throw new OnnxRuntimeError(
      `${which}: onnxruntime-web could not load the model (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

export class OnnxCausalLM {
  readonly numLayers: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;

  private constructor(
    opts: OnnxCausalLMOptions,
    private readonly embedsSession: Ort.InferenceSession | undefined,
    private readonly decoderSession: Ort.InferenceSession | undefined,
    private readonly embedTable: Float32Array | undefined,
  ) {
    this.numLayers = opts.numLayers;
    this.numKvHeads = opts.numKvHeads;
    this.headDim = opts.headDim;
    this.hiddenSize = opts.hiddenSize;
    this.vocabSize = opts.vocabSize;
  }

  static async create(opts: OnnxCausalLMOptions): Promise<OnnxCausalLM> {
    await loadOrt();
    checkPositiveInt(opts.numLayers, 'numLayers');
    checkPositiveInt(opts.numKvHeads, 'numKvHeads');
    checkPositiveInt(opts.headDim, 'headDim');
    checkPositiveInt(opts.hiddenSize, 'hiddenSize');
    checkPositiveInt(opts.vocabSize, 'vocabSize');
    if (opts.embedsModel === undefined && opts.decoderWithPast === undefined) {
      throw new OnnxRuntimeError(
        'OnnxCausalLM.create: pass embedsModel, decoderWithPast or both (model bytes)',
      );
    }
    if (opts.embedTable !== undefined && opts.embedTable.length !== opts.vocabSize * opts.hiddenSize) {
      throw new OnnxRuntimeError(
        `OnnxCausalLM.create: embedTable has ${opts.embedTable.length} floats, expected V*C = ` +
          `${opts.vocabSize}*${opts.hiddenSize} = ${opts.vocabSize * opts.hiddenSize}`,
      );
    }
    configureWasm(opts.wasm);
    const embeds = opts.embedsModel && (await createSession(opts.embedsModel, 'embeds model'));
    let decoder: Ort.InferenceSession | undefined;
    try {
      if (embeds) checkNames(embeds, 'embeds model', EMBEDS_INPUTS, EMBEDS_OUTPUTS);
      decoder =
        opts.decoderWithPast && (await createSession(opts.decoderWithPast, 'decoder-with-past model'));
      if (decoder) {
        checkNames(
          decoder,
          'decoder-with-past model',
          decoderInputNames(opts.numLayers),
          decoderOutputNames(opts.numLayers),
        );
      }
    } catch (err) {
      await embeds?.release();
      await decoder?.release();
      throw err;
    }
    return new OnnxCausalLM(opts, embeds, decoder, opts.embedTable);
  }

  get hasEmbedsModel(): boolean {
    return this.embedsSession !== undefined;
  }

  get hasDecoderWithPast(): boolean {
    return this.decoderSession !== undefined;
  }

  /** Looks ids up in the embedding table: (n) ids → (n, C) floats. */
  embedIds(ids: number[]): Float32Array {
    const table = this.embedTable;
    if (table === undefined) {
      throw new OnnxRuntimeError(
        'embedIds: no embedTable was given to OnnxCausalLM.create (needed for the embeds path)',
      );
    }
    const C = this.hiddenSize;
    const out = new Float32Array(ids.length * C); // (n, C)
    ids.forEach((id, i) => {
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        throw new OnnxRuntimeError(
          `embedIds: id ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`,
        );
      }
      out.set(table.subarray(id * C, (id + 1) * C), i * C);
    });
    return out;
  }

  /** Runs the embeds export: embeds (B,S,C), attention mask (B,S) → logits (B,S,V). */
  async logitsFromEmbeds(
    embeds: Float32Array,
    dims: [number, number, number],
    attentionMask: BigInt64Array | number[],
  ): Promise<{ data: Float32Array; dims: number[] }> {
    const session = this.embedsSession;
    if (session === undefined) {
      throw new OnnxRuntimeError('logitsFromEmbeds: no embedsModel was given to OnnxCausalLM.create');
    }
    const [B, S, C] = dims;
    if (C !== this.hiddenSize) {
      throw new OnnxRuntimeError(
        `logitsFromEmbeds: dims[2] = ${C}, the model's hidden size is ${this.hiddenSize}`,
      );
    }
    if (embeds.length !== B * S * C) {
      throw new OnnxRuntimeError(
        `logitsFromEmbeds: embeds has ${embeds.length} floats, dims [${dims.join(', ')}] need ${B * S * C}`,
      );
    }
    if (attentionMask.length !== B * S) {
      throw new OnnxRuntimeError(
        `logitsFromEmbeds: attentionMask has ${attentionMask.length} entries, expected B*S = ${B * S}`,
      );
    }
    const mask =
      attentionMask instanceof BigInt64Array
        ? attentionMask
        : int64(attentionMask, 'logitsFromEmbeds attentionMask');
    const outputs = await session.run({
      inputs_embeds: new ort.Tensor('float32', embeds, [B, S, C]),
      attention_mask: new ort.Tensor('int64', mask, [B, S]),
    });
    return float32Output(outputs, 'logits'); // (B, S, V)
  }

  /**
   * One decoder-with-past step. inputIds and positionIds (B,T), attentionMask (B,past+T), past one entry per
   * layer with key/value (B,Hkv,past,D) (length 0 = empty past). Returns logits (B,T,V) and the presents
   * (B,Hkv,past+T,D) to feed as the next step's past.
   */
  async decodeStep(
    inputIds: number[][],
    attentionMask: number[][],
    positionIds: number[][],
    past: LayerPast[],
  ): Promise<{ logits: Float32Array; dims: number[]; presents: LayerPast[] }> {
    const session = this.decoderSession;
    if (session === undefined) {
      throw new OnnxRuntimeError('decodeStep: no decoderWithPast was given to OnnxCausalLM.create');
    }
    const ids = int64Matrix(inputIds, 'decodeStep inputIds');
    const [B, T] = ids.dims;
    const pos = int64Matrix(positionIds, 'decodeStep positionIds');
    const mask = int64Matrix(attentionMask, 'decodeStep attentionMask');
    if (past.length !== this.numLayers) {
      throw new OnnxRuntimeError(
        `decodeStep: past has ${past.length} layers, the model has ${this.numLayers}`,
      );
    }
    const pastLength = past[0]!.length;
    if (pos.dims[0] !== B || pos.dims[1] !== T) {
      throw new OnnxRuntimeError(
        `decodeStep: positionIds are [${pos.dims.join(', ')}], inputIds are [${B}, ${T}]`,
      );
    }
    if (mask.dims[0] !== B || mask.dims[1] !== pastLength + T) {
      throw new OnnxRuntimeError(
        `decodeStep: attentionMask is [${mask.dims.join(', ')}], expected [B, past + T] = [${B}, ${pastLength + T}]`,
      );
    }
    const Hkv = this.numKvHeads;
    const D = this.headDim;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids.data, [B, T]),
      attention_mask: new ort.Tensor('int64', mask.data, [B, pastLength + T]),
      position_ids: new ort.Tensor('int64', pos.data, [B, T]),
    };
    past.forEach((layer, i) => {
      const expected = B * Hkv * layer.length * D;
      if (layer.length !== pastLength || layer.key.length !== expected || layer.value.length !== expected) {
        throw new OnnxRuntimeError(
          `decodeStep: past layer ${i} has length ${layer.length} and key/value of ${layer.key.length}/` +
            `${layer.value.length} floats; every layer needs length ${pastLength} and (B,Hkv,past,D) = ` +
            `${B}*${Hkv}*${pastLength}*${D} floats`,
        );
      }
      feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', layer.key, [B, Hkv, pastLength, D]);
      feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', layer.value, [B, Hkv, pastLength, D]);
    });
    const outputs = await session.run(feeds);
    const logits = float32Output(outputs, 'logits'); // (B, T, V)
    const presents: LayerPast[] = [];
    for (let i = 0; i < this.numLayers; i++) {
      const key = float32Output(outputs, `present.${i}.key`); // (B, Hkv, past+T, D)
      const value = float32Output(outputs, `present.${i}.value`);
      presents.push({ key: key.data, value: value.data, length: key.dims[2] ?? 0 });
    }
    return { logits: logits.data, dims: logits.dims, presents };
  }

  async release(): Promise<void> {
    await this.embedsSession?.release();
    await this.decoderSession?.release();
  }
}

/** A soft prompt prepended as embeddings (prompt tuning, P-tuning): (P, C). */
export interface SoftPromptAdapter {
  kind: 'soft';
  embeddings: Float32Array;
}

/** Deep prompts (prefix tuning / P-Tuning v2) as a per-layer past: keys[l], values[l] are (Hkv, P, D). */
export interface PrefixAdapter {
  kind: 'prefix';
  keys: Float32Array[];
  values: Float32Array[];
  length: number;
}

export type OnnxAdapter = SoftPromptAdapter | PrefixAdapter;

/**
 * Turns PEFT's stored PREFIX_TUNING `prompt_embeddings` (P, L*2*Hkv*D) — laid out along the last axis as
 * (layer, key|value, kv-head, head-dim) — into per-layer keys and values (Hkv, P, D). PEFT views the tensor
 * as (P, L*2, Hkv, D) and permutes it to (L*2, Hkv, P, D); keys are used as stored (no RoPE applied).
 */
export function prefixAdapterFromPeft(
  promptEmbeddings: Float32Array,
  dims: { numVirtualTokens: number; numLayers: number; numKvHeads: number; headDim: number },
): PrefixAdapter {
  const { numVirtualTokens: P, numLayers: L, numKvHeads: Hkv, headDim: D } = dims;
  const width = L * 2 * Hkv * D;
  if (promptEmbeddings.length !== P * width) {
    throw new OnnxRuntimeError(
      `prefixAdapterFromPeft: prompt_embeddings has ${promptEmbeddings.length} floats, expected ` +
        `(P, L*2*Hkv*D) = (${P}, ${L}*2*${Hkv}*${D}) = ${P * width}`,
    );
  }
  const keys: Float32Array[] = [];
  const values: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    for (let kv = 0; kv < 2; kv++) {
      const out = new Float32Array(Hkv * P * D); // (Hkv, P, D)
      for (let h = 0; h < Hkv; h++) {
        for (let p = 0; p < P; p++) {
          const src = p * width + ((l * 2 + kv) * Hkv + h) * D;
          out.set(promptEmbeddings.subarray(src, src + D), (h * P + p) * D);
        }
      }
      (kv === 0 ? keys : values).push(out);
    }
  }
  return { kind: 'prefix', keys, values, length: P };
}

export interface GenerateOnnxOptions {
  adapter?: OnnxAdapter;
  maxNewTokens: number;
  sampling: SamplingOptions;
  eosTokenId?: number;
  onToken?: (id: number) => void;
  /** Sees the logits row (V) each new token was picked from, with its 0-based step; for near-tie reports. */
  onLogits?: (row: Float32Array, step: number) => void;
  signal?: AbortSignal;
}

/**
 * Generates on ORT, batch 1. promptIds include BOS. Soft prompts go through the embeds export (whole
 * sequence recomputed per step: it has no cache); prefix adapters are fed as past_key_values to the
 * decoder-with-past export with attention_mask ones over P + text and position ids starting at P, as PEFT
 * does; without an adapter the decoder runs from an empty past (or the embeds export if it is the only one).
 * Streams each new id through onToken, stops after eosTokenId or maxNewTokens; returns prompt + new ids.
 */
export async function generateOnnx(
  model: OnnxCausalLM,
  promptIds: number[],
  opts: GenerateOnnxOptions,
): Promise<number[]> {
  if (promptIds.length === 0)
    throw new OnnxRuntimeError('generateOnnx: promptIds is empty (it should start with BOS)');
  if (!(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens >= 0)) {
    throw new OnnxRuntimeError(
      `generateOnnx: maxNewTokens must be an integer >= 0, got ${opts.maxNewTokens}`,
    );
  }
  const sampler = new Sampler(opts.sampling);
  const adapter = opts.adapter;
  const useEmbeds =
    adapter?.kind === 'soft' || (adapter === undefined && !model.hasDecoderWithPast && model.hasEmbedsModel);
  const step = useEmbeds
    ? embedsStepper(model, promptIds, adapter?.kind === 'soft' ? adapter : undefined)
    : decoderStepper(model, promptIds, adapter?.kind === 'prefix' ? adapter : undefined);

  const ids = [...promptIds];
  let last: number | undefined;
  for (let i = 0; i < opts.maxNewTokens; i++) {
    opts.signal?.throwIfAborted();
    const row = await step(last); // (V) logits of the next position
    opts.onLogits?.(row, i);
    const id = sampler.next(row);
    ids.push(id);
    opts.onToken?.(id);
    if (id === opts.eosTokenId) break;
    last = id;
  }
  return ids;
}

/** A stepper returns the next-token logits (V) after appending `lastId` (undefined on the first call). */
type Stepper = (lastId: number | undefined) => Promise<Float32Array>;

function lastRow(logits: Float32Array, V: number): Float32Array {
  return logits.slice(logits.length - V);
}

function embedsStepper(
  model: OnnxCausalLM,
  promptIds: number[],
  soft: SoftPromptAdapter | undefined,
): Stepper {
  const C = model.hiddenSize;
  const V = model.vocabSize;
  if (soft !== undefined && (soft.embeddings.length === 0 || soft.embeddings.length % C !== 0)) {
    throw new OnnxRuntimeError(
      `generateOnnx: soft prompt has ${soft.embeddings.length} floats, expected (P, C) with C = ${C} and P >= 1`,
    );
  }
  // Growing (1, S, C) sequence: virtual tokens first (PEFT puts them before BOS), then the text.
  let sequence =
    soft === undefined ? model.embedIds(promptIds) : concat(soft.embeddings, model.embedIds(promptIds));
  return async (lastId) => {
    if (lastId !== undefined) sequence = concat(sequence, model.embedIds([lastId]));
    const S = sequence.length / C;
    const out = await model.logitsFromEmbeds(sequence, [1, S, C], new Array<number>(S).fill(1)); // (1, S, V)
    return lastRow(out.data, V);
  };
}

function decoderStepper(
  model: OnnxCausalLM,
  promptIds: number[],
  prefix: PrefixAdapter | undefined,
): Stepper {
  const L = model.numLayers;
  const V = model.vocabSize;
  let past: LayerPast[];
  if (prefix === undefined) {
    // An empty past (length 0) is accepted by the decoder-with-past export: no separate no-past graph needed.
    past = Array.from({ length: L }, () => ({
      key: new Float32Array(0),
      value: new Float32Array(0),
      length: 0,
    }));
  } else {
    const size = model.numKvHeads * prefix.length * model.headDim;
    if (prefix.keys.length !== L || prefix.values.length !== L) {
      throw new OnnxRuntimeError(
        `generateOnnx: prefix adapter has ${prefix.keys.length} key and ${prefix.values.length} value layers, the model has ${L}`,
      );
    }
    past = prefix.keys.map((key, l) => {
      const value = prefix.values[l]!;
      if (key.length !== size || value.length !== size) {
        throw new OnnxRuntimeError(
          `generateOnnx: prefix layer ${l} key/value have ${key.length}/${value.length} floats, expected ` +
            `(Hkv, P, D) = ${model.numKvHeads}*${prefix.length}*${model.headDim} = ${size}`,
        );
      }
      return { key, value, length: prefix.length };
    });
  }
  let position = prefix?.length ?? 0; // text positions start after the virtual tokens
  return async (lastId) => {
    const newIds = lastId === undefined ? promptIds : [lastId]; // (T)
    const positions = newIds.map((_, t) => position + t);
    const total = past[0]!.length + newIds.length;
    const out = await model.decodeStep([newIds], [new Array<number>(total).fill(1)], [positions], past);
    past = out.presents;
    position += newIds.length;
    return lastRow(out.logits, V);
  };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
