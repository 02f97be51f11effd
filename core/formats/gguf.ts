// GGUF import for Llama-architecture models: a GGUF file's bytes → Hugging Face config.json, float32
// tensors under Hugging Face names and shapes, and a tokenizer.json built from the file's vocabulary.
//
// The header (metadata + tensor directory) is parsed by @huggingface/gguf. That library reads through
// `fetch` with HTTP range requests only, so we hand it a fetch that answers ranges from the bytes in
// memory; nothing leaves the process. Tensor data is then read here (quant.ts decodes each type).
//
// Layout facts this file depends on (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
// - A GGUF shape lists ne[0] first, the fastest-varying axis. The row-major (PyTorch / HF) shape is the
//   reverse: a linear weight with ne = [in, out] is HF's [out, in].
// - llama.cpp's converter (convert_hf_to_gguf.py, LlamaModel.permute) reorders the rows of the Q and K
//   projections within each head, because llama.cpp rotates adjacent pairs (x[2i], x[2i+1]) while HF
//   rotates halves (x[i], x[i + d/2]) ("rotate_half"). GGUF row h·d + 2i + s holds HF row h·d + s·d/2 + i
//   (head h, head_dim d, i < d/2, s ∈ {0, 1}); we move the rows back.
//
// Dimension legend: V vocab, C hidden size, I intermediate (MLP) size, H attention heads, KV key/value
// heads, D head dim.

import { gguf } from '@huggingface/gguf';
import type { GGUFParseOutput } from '@huggingface/gguf';
import { GgufError, ggufFail } from './gguf-error.js';
import { GgufTokenType, buildSpmTokenizer } from './gguf-tokenizer.js';
import type { GgufVocabulary } from './gguf-tokenizer.js';
import {
  SUPPORTED_GGML_TYPE_NAMES,
  dequantize,
  ggmlByteSize,
  ggmlTypeName,
  isSupportedGgmlType,
} from './quant.js';
import type { SupportedGgmlType } from './quant.js';

export { GgufError } from './gguf-error.js';

/** What importGguf returns: the pieces of a Hugging Face model directory, in memory. */
export interface ImportedModel {
  /**
   * A Hugging Face config.json object for LlamaForCausalLM. `rope_theta` (and `rope_scaling`, when the
   * file has linear scaling) are top-level, as transformers 4 wrote them. `max_position_embeddings` is
   * the file's `llama.context_length`, which converters do not always copy faithfully.
   */
  config: Record<string, unknown>;
  /** Tensors under Hugging Face names, float32, HF shapes ([out, in] for linear weights). */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** A tokenizer.json object built from the file's own vocabulary (see gguf-tokenizer.ts). */
  tokenizerJson: Record<string, unknown>;
  /** The matching tokenizer_config.json object (add_bos_token, special tokens, chat_template if any). */
  tokenizerConfig: Record<string, unknown>;
}

export interface GgufImportProgress {
  /** tensors converted so far */
  readonly done: number;
  readonly total: number;
  /** the GGUF name of the tensor just converted */
  readonly tensor: string;
}

export interface GgufImportOptions {
  /**
   * Strip the text and collapse runs of spaces before tokenizing (SentencePiece's
   * `remove_extra_whitespaces`), as the model's original tokenizer did or did not. GGUF files rarely
   * record it (llama.cpp never applies it to SentencePiece vocabularies). Default: the file's
   * `tokenizer.ggml.remove_extra_whitespaces` if present, else true exactly when no learned piece holds
   * two spaces ('▁▁'): false for Llama 2 / Mistral vocabularies, true for llama2.c's tok512 (stories260K).
   */
  removeExtraWhitespaces?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: GgufImportProgress) => void;
}

/** One entry of a GGUF tensor directory. */
export interface GgufTensorEntry {
  readonly name: string;
  /** GGUF order: ne[0] (the fastest axis) first */
  readonly ggufShape: readonly number[];
  /** the GGML type id (quant.ts) */
  readonly type: number;
  readonly typeName: string;
  /** absolute byte offset of the tensor's data in the file */
  readonly byteOffset: number;
}

/** The parsed header of a GGUF file. */
export interface GgufHeader {
  readonly version: number;
  /** every key/value pair; integers stored as 64-bit come back as bigint */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly tensors: readonly GgufTensorEntry[];
  /** absolute byte offset where tensor data begins */
  readonly dataOffset: number;
}

const MALFORMED = 'The file is truncated or corrupt; download or convert it again';
const INCONSISTENT = "The file's metadata and tensors disagree; re-convert the model with llama.cpp";
const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"
// Smallest encodings of a key/value pair (8-byte key length, 4-byte type, 1-byte value) and of a tensor
// record (8-byte name length, 4-byte n_dims, 4-byte type, 8-byte offset), for a plausibility check of the
// counts before the parser loops over them.
const MIN_KV_BYTES = 13;
const MIN_TENSOR_INFO_BYTES = 24;

/**
 * A `fetch` that serves HTTP range requests from memory, for @huggingface/gguf. Ranges past the end come
 * back empty, as they would from a server that clamps them; the header is checked against the real
 * length afterwards.
 */
function inMemoryFetch(bytes: Uint8Array): typeof fetch {
  return (_input: RequestInfo | URL, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('range') ?? '';
    const match = /^bytes=(\d+)-(\d+)$/.exec(range);
    const start = Math.min(match === null ? 0 : Number(match[1]), bytes.length);
    const end = Math.max(start, Math.min(match === null ? bytes.length : Number(match[2]) + 1, bytes.length));
    const body = bytes.slice(start, end);
    const contentRange =
      end > start ? `bytes ${start}-${end - 1}/${bytes.length}` : `bytes */${bytes.length}`;
    return Promise.resolve(new Response(body, { status: 206, headers: { 'content-range': contentRange } }));
  };
}

function checkPreamble(bytes: Uint8Array, source: string | undefined): void {
  if (bytes.length < 4 || GGUF_MAGIC.some((b, i) => bytes[i] !== b)) {
    ggufFail(
      source,
      'it does not start with the GGUF magic bytes "GGUF"',
      'Pass a .gguf file (llama.cpp / Ollama model file); for a Hugging Face directory use its model.safetensors',
    );
  }
  if (bytes.length < 24)
    ggufFail(source, `it is only ${bytes.length} bytes long, too short for a GGUF header`, MALFORMED);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== 1 && version !== 2 && version !== 3) {
    ggufFail(
      source,
      `its GGUF version field is ${version} (byte-swapped: ${view.getUint32(4, false)})`,
      'Only GGUF versions 1-3 stored little-endian can be read; re-convert the model with a current llama.cpp',
    );
  }
  const tensorCount = version === 1 ? view.getUint32(8, true) : Number(view.getBigUint64(8, true));
  const kvCount = version === 1 ? view.getUint32(12, true) : Number(view.getBigUint64(16, true));
  if (tensorCount * MIN_TENSOR_INFO_BYTES + kvCount * MIN_KV_BYTES > bytes.length) {
    ggufFail(
      source,
      `its header declares ${tensorCount} tensors and ${kvCount} metadata entries, more than ${bytes.length} bytes can hold`,
      MALFORMED,
    );
  }
}

/** Parses the header (metadata and tensor directory) of a GGUF file held in memory. */
export async function readGgufHeader(bytes: Uint8Array, source?: string): Promise<GgufHeader> {
  checkPreamble(bytes, source);
  // Non-strict typing: the library's strict metadata types know only the keys it was written for.
  let parsed: GGUFParseOutput<{ strict: false }>;
  try {
    // The URL is never contacted: inMemoryFetch answers every request. It must look like http(s) because
    // the library, on Node, otherwise takes the string for a local path.
    parsed = await gguf(`https://gguf.invalid/${encodeURIComponent(source ?? 'model.gguf')}`, {
      fetch: inMemoryFetch(bytes),
    });
  } catch (err) {
    if (err instanceof GgufError) throw err;
    ggufFail(
      source,
      `its header cannot be parsed (${err instanceof Error ? err.message : String(err)})`,
      MALFORMED,
    );
  }
  if (!parsed.littleEndian) {
    ggufFail(
      source,
      'it is a big-endian GGUF file',
      'Re-convert the model with llama.cpp on a little-endian machine (the default)',
    );
  }
  const headerEnd = parsed.tensorInfoByteRange[1];
  const dataOffset = Number(parsed.tensorDataOffset);
  // The library pads a short read with zeros instead of failing, so a cut header shows up here.
  if (headerEnd > bytes.length || dataOffset > bytes.length) {
    ggufFail(
      source,
      `its header runs to byte ${headerEnd} but the file has only ${bytes.length} bytes`,
      MALFORMED,
    );
  }
  const metadata: Readonly<Record<string, unknown>> = parsed.metadata;
  const tensors = parsed.tensorInfos.map((info): GgufTensorEntry => {
    const type: number = info.dtype;
    return {
      name: info.name,
      ggufShape: info.shape.map(Number),
      type,
      typeName: ggmlTypeName(type),
      byteOffset: dataOffset + Number(info.offset),
    };
  });
  return { version: parsed.metadata.version, metadata, tensors, dataOffset };
}

// ---- metadata access with the key named in every error ----

class MetadataReader {
  constructor(
    private readonly metadata: Readonly<Record<string, unknown>>,
    private readonly source: string | undefined,
  ) {}

  has(key: string): boolean {
    return this.metadata[key] !== undefined;
  }

  private wrong(key: string, expected: string): never {
    const value = this.metadata[key];
    const shown = Array.isArray(value) ? `an array of ${value.length}` : `${typeof value} ${String(value)}`;
    return ggufFail(this.source, `metadata key ${key} should be ${expected} but is ${shown}`, MALFORMED);
  }

  private missing(key: string): never {
    return ggufFail(
      this.source,
      `metadata key ${key} is missing`,
      'The file is not a complete llama.cpp model file; re-convert the model with llama.cpp',
    );
  }

  number(key: string): number | undefined {
    const value = this.metadata[key];
    if (value === undefined) return undefined;
    if (typeof value === 'number') return value;
    if (
      typeof value === 'bigint' &&
      value <= BigInt(Number.MAX_SAFE_INTEGER) &&
      value >= -BigInt(Number.MAX_SAFE_INTEGER)
    ) {
      return Number(value);
    }
    return this.wrong(key, 'a number');
  }

  int(key: string): number | undefined {
    const value = this.number(key);
    if (value !== undefined && !Number.isInteger(value)) this.wrong(key, 'an integer');
    return value;
  }

  requiredInt(key: string): number {
    const value = this.int(key);
    if (value === undefined) this.missing(key);
    if (value <= 0) this.wrong(key, 'a positive integer');
    return value;
  }

  /** A token id; llama.cpp writes -1 (or its uint32 form) for "none". */
  tokenId(key: string): number | undefined {
    const value = this.int(key);
    if (value === undefined || value < 0 || value === 0xffffffff) return undefined;
    return value;
  }

  string(key: string): string | undefined {
    const value = this.metadata[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.wrong(key, 'a string');
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.metadata[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.wrong(key, 'a boolean');
    return value;
  }

  stringArray(key: string): string[] | undefined {
    const value = this.metadata[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
      this.wrong(key, 'an array of strings');
    }
    return value;
  }

  numberArray(key: string): number[] | undefined {
    const value = this.metadata[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((v): v is number => typeof v === 'number')) {
      this.wrong(key, 'an array of numbers');
    }
    return value;
  }
}

/**
 * The shortest decimal that is the same float32: GGUF stores floats as float32, so 1e-5 arrives as
 * 9.99999974738e-6; the config should say 1e-5, as the model's original config did.
 */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || Math.fround(x) !== x) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

// ---- hyper-parameters ----

interface LlamaShape {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
}

function readLlamaShape(meta: MetadataReader, embeddingRows: number, source: string | undefined): LlamaShape {
  const hiddenSize = meta.requiredInt('llama.embedding_length');
  const numHeads = meta.requiredInt('llama.attention.head_count');
  const numKvHeads = meta.int('llama.attention.head_count_kv') ?? numHeads;
  if (numKvHeads <= 0 || numHeads % numKvHeads !== 0) {
    ggufFail(
      source,
      `llama.attention.head_count_kv is ${numKvHeads}, which does not divide head_count ${numHeads}`,
      MALFORMED,
    );
  }
  const headDim = meta.int('llama.attention.key_length') ?? hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) {
    ggufFail(
      source,
      `the head size is ${headDim} (embedding_length ${hiddenSize} / head_count ${numHeads}), not a positive even integer`,
      MALFORMED,
    );
  }
  const valueDim = meta.int('llama.attention.value_length') ?? headDim;
  const ropeDim = meta.int('llama.rope.dimension_count') ?? headDim;
  if (valueDim !== headDim || ropeDim !== headDim) {
    ggufFail(
      source,
      `its heads have key size ${headDim}, value size ${valueDim} and rotary size ${ropeDim}; a Hugging Face Llama needs all three equal`,
      'This variant of the Llama architecture cannot be imported; use the Hugging Face model instead',
    );
  }
  const expertCount = meta.int('llama.expert_count') ?? 0;
  if (expertCount > 0) {
    ggufFail(
      source,
      `it is a mixture-of-experts model (llama.expert_count = ${expertCount}, e.g. Mixtral)`,
      'Only dense Llama models can be imported',
    );
  }
  return {
    vocabSize: embeddingRows,
    hiddenSize,
    intermediateSize: meta.requiredInt('llama.feed_forward_length'),
    numLayers: meta.requiredInt('llama.block_count'),
    numHeads,
    numKvHeads,
    headDim,
  };
}

function readRopeScaling(
  meta: MetadataReader,
  source: string | undefined,
): Record<string, unknown> | undefined {
  const type = meta.string('llama.rope.scaling.type');
  const legacyLinear = meta.number('llama.rope.scale_linear');
  if (type === undefined || type === 'none') {
    if (legacyLinear === undefined || legacyLinear === 1) return undefined;
    return { type: 'linear', rope_type: 'linear', factor: shortestFloat32(legacyLinear) };
  }
  if (type === 'linear') {
    const factor = meta.number('llama.rope.scaling.factor') ?? legacyLinear;
    if (factor === undefined)
      ggufFail(
        source,
        'llama.rope.scaling.type is linear but llama.rope.scaling.factor is missing',
        MALFORMED,
      );
    return { type: 'linear', rope_type: 'linear', factor: shortestFloat32(factor) };
  }
  return ggufFail(
    source,
    `it uses RoPE scaling '${type}' (llama.rope.scaling.type), which this importer does not translate`,
    "Use the model's Hugging Face directory, whose config.json describes the scaling",
  );
}

// ---- tensors ----

/** GGUF layer-tensor names → HF names under model.layers.N. */
const LAYER_TENSORS: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

interface TensorPlan {
  readonly entry: GgufTensorEntry;
  readonly hfName: string;
  /** HF (row-major) shape */
  readonly shape: number[];
  /** for Q/K projections: the number of heads whose rows llama.cpp interleaved */
  readonly unpermuteHeads: number | undefined;
}

function hfShapeOf(entry: GgufTensorEntry): number[] {
  return [...entry.ggufShape].reverse();
}

/** Where a GGUF tensor goes in the HF model, or `undefined` for tensors HF has no use for. */
function hfNameOf(name: string, source: string | undefined): string | undefined {
  switch (name) {
    case 'token_embd.weight':
      return 'model.embed_tokens.weight';
    case 'output_norm.weight':
      return 'model.norm.weight';
    case 'output.weight':
      return 'lm_head.weight';
    default:
      break;
  }
  const match = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(name);
  const layer = match?.[1];
  const kind = match?.[2];
  const param = match?.[3];
  if (layer !== undefined && kind !== undefined && param !== undefined) {
    // Old converters stored RoPE's inverse frequencies per layer; they follow from rope_theta.
    if (kind === 'attn_rot_embd') return undefined;
    const hf = LAYER_TENSORS[kind];
    if (hf !== undefined) return `model.layers.${layer}.${hf}.${param}`;
  }
  if (name === 'rope_freqs.weight') {
    return ggufFail(
      source,
      "it carries per-frequency RoPE factors (tensor 'rope_freqs.weight', Llama 3.1-style scaling), which this importer does not translate",
      "Use the model's Hugging Face directory, whose config.json describes the scaling",
    );
  }
  return ggufFail(
    source,
    `tensor '${name}' has no counterpart in a Hugging Face Llama model`,
    'The file holds a Llama variant this importer does not know; use the Hugging Face model instead',
  );
}

function expectedShape(hfName: string, s: LlamaShape, hasLmHead: boolean): number[] | undefined {
  const { vocabSize: V, hiddenSize: C, intermediateSize: I, numHeads: H, numKvHeads: KV, headDim: D } = s;
  if (hfName === 'model.embed_tokens.weight') return [V, C];
  if (hfName === 'lm_head.weight') return hasLmHead ? [V, C] : undefined;
  if (hfName === 'model.norm.weight') return [C];
  const layerPart = /^model\.layers\.\d+\.(.+)$/.exec(hfName)?.[1] ?? '';
  switch (layerPart) {
    case 'input_layernorm.weight':
    case 'post_attention_layernorm.weight':
      return [C];
    case 'self_attn.q_proj.weight':
      return [H * D, C];
    case 'self_attn.k_proj.weight':
    case 'self_attn.v_proj.weight':
      return [KV * D, C];
    case 'self_attn.o_proj.weight':
      return [C, H * D];
    case 'self_attn.q_proj.bias':
      return [H * D];
    case 'self_attn.k_proj.bias':
    case 'self_attn.v_proj.bias':
      return [KV * D];
    case 'self_attn.o_proj.bias':
      return [C];
    case 'mlp.gate_proj.weight':
    case 'mlp.up_proj.weight':
      return [I, C];
    case 'mlp.down_proj.weight':
      return [C, I];
    default:
      return undefined;
  }
}

/**
 * Undoes llama.cpp's Q/K row interleave: GGUF row h·D + 2i + s → HF row h·D + s·D/2 + i.
 * data: (heads·D, cols) row-major; returns a new array of the same shape.
 */
function unpermuteRows(data: Float32Array, heads: number, cols: number): Float32Array {
  const rows = data.length / cols;
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let s = 0; s < 2; s++) {
        const from = (h * headDim + 2 * i + s) * cols;
        const to = (h * headDim + s * half + i) * cols;
        out.set(data.subarray(from, from + cols), to); // one row of cols values
      }
    }
  }
  return out;
}

interface Located {
  readonly type: SupportedGgmlType;
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** Checks a tensor's type and extent and returns its raw bytes. */
function locate(bytes: Uint8Array, entry: GgufTensorEntry, source: string | undefined): Located {
  const { type, name } = entry;
  if (!isSupportedGgmlType(type)) {
    return ggufFail(
      source,
      `tensor '${name}' is stored as ${entry.typeName}, which this importer cannot decode (it reads ${SUPPORTED_GGML_TYPE_NAMES.join(', ')})`,
      "Convert the original model with llama.cpp's convert_hf_to_gguf.py --outtype f16 (or q8_0), or open its Hugging Face directory instead",
    );
  }
  const count = entry.ggufShape.reduce((a, b) => a * b, 1);
  const rowLength = entry.ggufShape[0] ?? 1;
  const size = ggmlByteSize(type, count);
  if (size === undefined || ggmlByteSize(type, rowLength) === undefined) {
    return ggufFail(
      source,
      `tensor '${name}' has rows of ${rowLength} values, not whole ${entry.typeName} blocks`,
      MALFORMED,
    );
  }
  const end = entry.byteOffset + size;
  if (end > bytes.length) {
    return ggufFail(
      source,
      `tensor '${name}' (${entry.typeName}, ${entry.ggufShape.join('×')}) ends at byte ${end} but the file has only ${bytes.length} bytes`,
      MALFORMED,
    );
  }
  return { type, count, bytes: bytes.subarray(entry.byteOffset, end) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether the vocabulary was trained on whitespace-collapsed text, when the file does not say: a
 * SentencePiece vocabulary trained without collapsing learns pieces of several spaces (Llama 2: '▁▁',
 * id 259); one trained with SentencePiece's default collapsing cannot contain any, because its training
 * text had no runs of spaces left. User-defined pieces are not learned, so they do not count.
 */
function guessRemoveExtraWhitespaces(
  tokens: readonly string[],
  tokenTypes: readonly number[] | undefined,
): boolean {
  return !tokens.some(
    (piece, id) => tokenTypes?.[id] !== GgufTokenType.USER_DEFINED && piece.includes('\u2581\u2581'),
  );
}

function readVocabulary(
  meta: MetadataReader,
  options: GgufImportOptions,
  contextLength: number,
  source: string | undefined,
): GgufVocabulary {
  const model = meta.string('tokenizer.ggml.model');
  const tokens = meta.stringArray('tokenizer.ggml.tokens');
  if (model === undefined || tokens === undefined) {
    return ggufFail(
      source,
      'it has no embedded vocabulary (tokenizer.ggml.model / tokenizer.ggml.tokens)',
      "Use the model's Hugging Face directory, which has a tokenizer.json",
    );
  }
  const tokenTypes = meta.numberArray('tokenizer.ggml.token_type');
  return {
    model,
    tokens,
    scores: meta.numberArray('tokenizer.ggml.scores'),
    tokenTypes,
    bosId: meta.tokenId('tokenizer.ggml.bos_token_id'),
    eosId: meta.tokenId('tokenizer.ggml.eos_token_id'),
    unkId: meta.tokenId('tokenizer.ggml.unknown_token_id'),
    padId: meta.tokenId('tokenizer.ggml.padding_token_id'),
    // llama.cpp's defaults for SentencePiece vocabularies: BOS yes, EOS no, space prefix yes.
    addBos: meta.boolean('tokenizer.ggml.add_bos_token') ?? true,
    addEos: meta.boolean('tokenizer.ggml.add_eos_token') ?? false,
    addSpacePrefix: meta.boolean('tokenizer.ggml.add_space_prefix') ?? true,
    removeExtraWhitespaces:
      options.removeExtraWhitespaces ??
      meta.boolean('tokenizer.ggml.remove_extra_whitespaces') ??
      guessRemoveExtraWhitespaces(tokens, tokenTypes),
    chatTemplate: meta.string('tokenizer.chat_template'),
    modelMaxLength: contextLength,
  };
}

/**
 * Imports a Llama-architecture GGUF file (llama.cpp / Ollama) from its bytes. Asynchronous because the
 * header parser (@huggingface/gguf) is. Tensor types F32, F16, BF16, Q8_0 and Q4_0 are dequantized to
 * float32; any other type, a non-Llama architecture, or a malformed file throws a GgufError that names
 * the file, the key or tensor, and what to do.
 *
 * @param bytes  the whole file
 * @param source a name for the file in error messages (a path or URL; never opened)
 */
export async function importGguf(
  bytes: Uint8Array,
  source?: string,
  options: GgufImportOptions = {},
): Promise<ImportedModel> {
  const header = await readGgufHeader(bytes, source);
  const meta = new MetadataReader(header.metadata, source);

  const architecture = meta.string('general.architecture');
  if (architecture !== 'llama') {
    ggufFail(
      source,
      architecture === undefined
        ? 'it names no architecture (general.architecture)'
        : `its architecture is '${architecture}', but only 'llama' GGUF files (Llama, Mistral, TinyLlama, llama2.c models) can be imported`,
      "Use the model's Hugging Face directory (config.json + model.safetensors) instead",
    );
  }

  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const embedding = byName.get('token_embd.weight');
  if (embedding?.ggufShape.length !== 2) {
    ggufFail(source, "tensor 'token_embd.weight' (the token embeddings) is missing or not 2-D", MALFORMED);
  }
  const [, embeddingRows = 0] = embedding.ggufShape; // ne = [C, V]
  const shape = readLlamaShape(meta, embeddingRows, source);
  const contextLength = meta.requiredInt('llama.context_length');
  const ropeScaling = readRopeScaling(meta, source);

  // The tokenizer first: it is cheap and its errors should not wait for the weights.
  const vocabulary = readVocabulary(meta, options, contextLength, source);
  const { tokenizerJson, tokenizerConfig } = buildSpmTokenizer(vocabulary, source);

  // Tied embeddings: a file without output.weight, or one whose output.weight repeats token_embd
  // byte for byte (some converters write both).
  const output = byName.get('output.weight');
  const embeddingBytes = locate(bytes, embedding, source).bytes;
  const tied =
    output === undefined ||
    (output.type === embedding.type &&
      output.ggufShape.join() === embedding.ggufShape.join() &&
      sameBytes(locate(bytes, output, source).bytes, embeddingBytes));

  // Plan every tensor before decoding any, so that a bad type or shape fails fast.
  const plans: TensorPlan[] = [];
  for (const entry of header.tensors) {
    const hfName = hfNameOf(entry.name, source);
    if (hfName === undefined || (tied && hfName === 'lm_head.weight')) continue;
    const layer = /^model\.layers\.(\d+)\./.exec(hfName)?.[1];
    if (layer !== undefined && Number(layer) >= shape.numLayers) {
      ggufFail(
        source,
        `tensor '${entry.name}' belongs to layer ${layer} but llama.block_count is ${shape.numLayers}`,
        INCONSISTENT,
      );
    }
    const hfShape = hfShapeOf(entry);
    const expected = expectedShape(hfName, shape, !tied);
    if (expected === undefined) {
      ggufFail(
        source,
        `tensor '${entry.name}' would be '${hfName}', which a Hugging Face Llama model does not have (MLP biases are not supported)`,
        'The file holds a Llama variant this importer does not know; use the Hugging Face model instead',
      );
    }
    if (expected.join() !== hfShape.join()) {
      ggufFail(
        source,
        `tensor '${entry.name}' has shape [${hfShape.join(', ')}] (row-major) where the metadata implies [${expected.join(', ')}]`,
        INCONSISTENT,
      );
    }
    locate(bytes, entry, source); // type and extent
    const isQ = /\.self_attn\.q_proj\./.test(hfName);
    const isK = /\.self_attn\.k_proj\./.test(hfName);
    plans.push({
      entry,
      hfName,
      shape: hfShape,
      unpermuteHeads: isQ ? shape.numHeads : isK ? shape.numKvHeads : undefined,
    });
  }
  const planned = new Set(plans.map((p) => p.hfName));
  const required = ['model.embed_tokens.weight', 'model.norm.weight', ...(tied ? [] : ['lm_head.weight'])];
  for (let layer = 0; layer < shape.numLayers; layer++) {
    for (const hf of Object.values(LAYER_TENSORS)) required.push(`model.layers.${layer}.${hf}.weight`);
  }
  const missing = required.filter((name) => !planned.has(name));
  if (missing.length > 0) {
    ggufFail(
      source,
      `it lacks ${missing.length} tensor(s) a Llama model needs, e.g. ${missing.slice(0, 3).join(', ')}`,
      INCONSISTENT,
    );
  }
  // HF's attention_bias puts a bias on all four projections of every layer: all or none.
  const biases: string[] = [];
  for (let layer = 0; layer < shape.numLayers; layer++) {
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj'])
      biases.push(`model.layers.${layer}.self_attn.${proj}.bias`);
  }
  const presentBiases = biases.filter((name) => planned.has(name));
  const attentionBias = presentBiases.length > 0;
  if (attentionBias && presentBiases.length !== biases.length) {
    ggufFail(
      source,
      `it has ${presentBiases.length} of the ${biases.length} attention biases; a Hugging Face Llama (attention_bias) has all or none, e.g. ${biases.find((b) => !planned.has(b)) ?? ''} is missing`,
      'The file holds a Llama variant this importer does not know (q/k/v-only biases are Qwen2-style); use the Hugging Face model instead',
    );
  }

  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [index, plan] of plans.entries()) {
    options.signal?.throwIfAborted();
    const located = locate(bytes, plan.entry, source);
    let data = dequantize(located.type, located.bytes, located.count); // GGUF order = HF row-major order
    if (plan.unpermuteHeads !== undefined) {
      const cols = plan.shape.length === 2 ? (plan.shape[1] ?? 1) : 1; // C for weights, 1 for biases
      data = unpermuteRows(data, plan.unpermuteHeads, cols); // (heads·D, cols)
    }
    tensors.set(plan.hfName, { shape: plan.shape, data });
    options.onProgress?.({ done: index + 1, total: plans.length, tensor: plan.entry.name });
  }

  const config: Record<string, unknown> = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    attention_bias: attentionBias,
    attention_dropout: 0,
    bos_token_id: vocabulary.bosId ?? null,
    eos_token_id: vocabulary.eosId ?? null,
    pad_token_id: vocabulary.padId ?? null,
    head_dim: shape.headDim,
    hidden_act: 'silu',
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: contextLength,
    mlp_bias: false,
    num_attention_heads: shape.numHeads,
    num_hidden_layers: shape.numLayers,
    num_key_value_heads: shape.numKvHeads,
    rms_norm_eps: shortestFloat32(meta.number('llama.attention.layer_norm_rms_epsilon') ?? 1e-5),
    rope_theta: shortestFloat32(meta.number('llama.rope.freq_base') ?? 10000),
    ...(ropeScaling !== undefined ? { rope_scaling: ropeScaling } : {}),
    tie_word_embeddings: tied,
    torch_dtype: 'float32',
    vocab_size: shape.vocabSize,
  };
  const name = meta.string('general.name');
  if (name !== undefined) config._name_or_path = name;

  return { config, tensors, tokenizerJson, tokenizerConfig };
}
