// The adapter inspector's numbers: per-virtual-token norms, cosine similarity between virtual tokens, the
// nearest vocabulary tokens of each virtual token, and the check of an adapter against a base model
// (shapes, and the base model's fingerprint when the adapter records one).
//
// Dimension legend: P virtual tokens, W width of a prompt row (C hidden size for input-level methods,
// L·2·K·D for prefix tuning), V vocabulary size, C hidden size.
import type { ModelConfig } from '../formats/hfconfig.js';
import { parseSafetensors, readFloat32 } from '../formats/safetensors.js';
import type { SafetensorsFile } from '../formats/safetensors.js';
import { checkAdapterFitsModel, isPrefixMethod, loadPromptAdapter } from '../prompts/peft.js';
import type { AdapterTensors, HostTensor, PromptAdapter } from '../prompts/peft.js';
import type {
  AdapterSummary,
  EvalPoint,
  ModelCheck,
  NearestToken,
  RecordedFingerprint,
  TensorSummary,
  TrainingPoint,
} from './types.js';

export class InspectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectError';
  }
}

/**
 * The base-model fingerprint that training records in prompt_adapter.json (core/tasks/metadata.ts):
 * `baseModel.fingerprint.embeddingSha256` (hex sha256 of the float32 embedding matrix) and
 * `tokenizerSha256` (hex sha256 of tokenizer.json). Undefined fields or another layout give null.
 */
export function recordedFingerprintOf(metadata: unknown): RecordedFingerprint | null {
  if (typeof metadata !== 'object' || metadata === null) return null;
  const base = (metadata as { baseModel?: unknown }).baseModel;
  if (typeof base !== 'object' || base === null) return null;
  const fp = (base as { fingerprint?: unknown }).fingerprint;
  if (typeof fp !== 'object' || fp === null) return null;
  const { embeddingSha256, tokenizerSha256 } = fp as { embeddingSha256?: unknown; tokenizerSha256?: unknown };
  if (typeof embeddingSha256 !== 'string') return null;
  return { embeddingSha256, tokenizerSha256: typeof tokenizerSha256 === 'string' ? tokenizerSha256 : null };
}

/**
 * The loss curve and evaluation points of a training_log.jsonl (one JSON object per line: `{step, loss, …}`
 * progress entries, `{step, eval: {metric: value}}` evaluations). Lines of other shapes are skipped: a log
 * written by a newer version still shows what this one understands.
 */
export function parseTrainingLog(text: string): { lossCurve: TrainingPoint[]; evalPoints: EvalPoint[] } {
  const lossCurve: TrainingPoint[] = [];
  const evalPoints: EvalPoint[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const { step, loss, eval: evaluation } = v as { step?: unknown; loss?: unknown; eval?: unknown };
    if (typeof step !== 'number' || !Number.isFinite(step)) continue;
    if (typeof loss === 'number' && Number.isFinite(loss)) lossCurve.push({ step, loss });
    if (typeof evaluation === 'object' && evaluation !== null) {
      for (const [metric, value] of Object.entries(evaluation)) {
        if (typeof value === 'number' && Number.isFinite(value)) evalPoints.push({ step, metric, value });
      }
    }
  }
  return { lossCurve, evalPoints };
}

/** Names of the token-embedding tensor in the checkpoints of the architectures we run (core/model). */
export const EMBEDDING_TENSOR_NAMES: readonly string[] = [
  'model.embed_tokens.weight',
  'embed_tokens.weight',
  'transformer.wte.weight',
  'wte.weight',
  'bert.embeddings.word_embeddings.weight',
  'embeddings.word_embeddings.weight',
];

export function findEmbeddingTensor(names: Iterable<string>): string | undefined {
  const have = new Set(names);
  return EMBEDDING_TENSOR_NAMES.find((n) => have.has(n));
}

export function tensorSummaries(file: SafetensorsFile): TensorSummary[] {
  return [...file.tensors.values()].map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: [...t.shape],
    bytes: t.end - t.begin,
  }));
}

/** L2 norm of each row of a (rows, cols) row-major matrix. */
export function rowNorms(data: Float32Array, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) {
      const x = data[r * cols + c] ?? 0;
      s += x * x;
    }
    out.push(Math.sqrt(s));
  }
  return out;
}

/** Cosine similarity between the rows of a (rows, cols) matrix, rows×rows row-major; 0 for a zero row. */
export function cosineMatrix(data: Float32Array, rows: number, cols: number): number[] {
  const norms = rowNorms(data, rows, cols);
  const out = new Array<number>(rows * rows).fill(0);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += (data[i * cols + c] ?? 0) * (data[j * cols + c] ?? 0);
      const denom = (norms[i] ?? 0) * (norms[j] ?? 0);
      const v = denom === 0 ? 0 : dot / denom;
      out[i * rows + j] = v;
      out[j * rows + i] = v;
    }
  }
  return out;
}

function adapterTensors(file: SafetensorsFile): AdapterTensors {
  return {
    names: [...file.tensors.keys()],
    has: (name) => file.tensors.has(name),
    get: (name): HostTensor => ({
      shape: [...(file.tensors.get(name)?.shape ?? [])],
      data: readFloat32(file, name),
    }),
  };
}

/** The optional files training writes beside an adapter. */
export interface TrainingFiles {
  /** prompt_adapter.json, parsed */
  readonly metadata?: unknown;
  /** training_log.jsonl text */
  readonly log?: string;
}

/** Reads an adapter folder's files into the inspector's summary. Throws AdapterError/SafetensorsError. */
export function loadAdapterForInspection(
  configJson: unknown,
  safetensorsBytes: Uint8Array,
  fileName: string,
  training: TrainingFiles = {},
): { summary: AdapterSummary; adapter: PromptAdapter } {
  const file = parseSafetensors(safetensorsBytes, { source: fileName });
  const adapter = loadPromptAdapter(configJson, adapterTensors(file), fileName);
  const c = adapter.config;
  const [p, w] = adapter.promptEmbeddings.shape;
  const rows = p ?? 0;
  const cols = w ?? 0;
  const data = adapter.promptEmbeddings.data; // (P, W)
  const summary: AdapterSummary = {
    kind: 'adapter',
    fileName,
    method: c.peftType,
    taskType: c.taskType,
    baseModel: c.baseModelNameOrPath ?? null,
    numVirtualTokens: c.numVirtualTokens,
    tokenDim: c.tokenDim,
    numLayers: c.numLayers,
    numAttentionHeads: c.numAttentionHeads,
    modulesToSave: [...c.modulesToSave],
    inEmbeddingSpace: !isPrefixMethod(c.peftType),
    promptShape: [rows, cols],
    tokenNorms: rowNorms(data, rows, cols),
    cosine: cosineMatrix(data, rows, cols),
    tensors: tensorSummaries(file),
    metadata: { ...file.metadata },
    recordedFingerprint: recordedFingerprintOf(training.metadata),
    config: { ...c.raw },
    trainingMetadata:
      typeof training.metadata === 'object' && training.metadata !== null && !Array.isArray(training.metadata)
        ? { ...(training.metadata as Record<string, unknown>) }
        : null,
    ...(training.log === undefined ? { lossCurve: [], evalPoints: [] } : parseTrainingLog(training.log)),
  };
  return { summary, adapter };
}

/**
 * The top-k vocabulary rows by cosine similarity for each prompt row. prompt (P, C), embeddings (V, C).
 * Ties keep the lower id first. Cost O(P·V·C): fine for the vocabularies of the models this tool trains.
 */
export function nearestTokens(
  prompt: Float32Array,
  embeddings: Float32Array,
  hidden: number,
  vocab: readonly string[],
  k = 5,
): NearestToken[][] {
  const p = Math.floor(prompt.length / hidden);
  const v = Math.floor(embeddings.length / hidden);
  const vocabNorms = rowNorms(embeddings, v, hidden); // (V)
  const promptNorms = rowNorms(prompt, p, hidden); // (P)
  const out: NearestToken[][] = [];
  for (let i = 0; i < p; i++) {
    const best: NearestToken[] = [];
    for (let t = 0; t < v; t++) {
      let dot = 0;
      for (let c = 0; c < hidden; c++)
        dot += (prompt[i * hidden + c] ?? 0) * (embeddings[t * hidden + c] ?? 0);
      const denom = (promptNorms[i] ?? 0) * (vocabNorms[t] ?? 0);
      const cosine = denom === 0 ? 0 : dot / denom;
      if (best.length < k || cosine > (best[best.length - 1]?.cosine ?? -Infinity)) {
        best.push({ id: t, token: vocab[t] ?? `<${t}>`, cosine });
        best.sort((a, b) => b.cosine - a.cosine || a.id - b.id);
        if (best.length > k) best.pop();
      }
    }
    out.push(best);
  }
  return out;
}

/**
 * Token strings by id from a tokenizer.json: BPE/WordPiece `model.vocab` (token → id), Unigram `model.vocab`
 * ([token, score] by id), plus `added_tokens`. Unknown ids stay empty strings.
 */
export function vocabFromTokenizerJson(json: unknown): string[] {
  const out: string[] = [];
  if (typeof json !== 'object' || json === null) return out;
  const model = (json as { model?: unknown }).model;
  const vocab =
    typeof model === 'object' && model !== null ? (model as { vocab?: unknown }).vocab : undefined;
  if (Array.isArray(vocab)) {
    vocab.forEach((entry: unknown, id) => {
      if (Array.isArray(entry) && typeof entry[0] === 'string') out[id] = entry[0];
    });
  } else if (typeof vocab === 'object' && vocab !== null) {
    for (const [token, id] of Object.entries(vocab)) if (typeof id === 'number') out[id] = token;
  }
  const added = (json as { added_tokens?: unknown }).added_tokens;
  if (Array.isArray(added)) {
    for (const a of added as unknown[]) {
      if (typeof a !== 'object' || a === null) continue;
      const { id, content } = a as { id?: unknown; content?: unknown };
      if (typeof id === 'number' && typeof content === 'string') out[id] = content;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] ??= '';
  return out;
}

/**
 * Checks an adapter against a model: shapes (checkAdapterFitsModel) and, when both are known, the
 * fingerprint. `embeddings` (V, C) and `vocab` enable the nearest-token table for input-level methods.
 */
export function checkAdapterAgainstModel(
  adapter: PromptAdapter,
  recordedFingerprint: RecordedFingerprint | null,
  model: { name: string; config: ModelConfig; fingerprint: string | null; tokenizerSha256: string | null },
  embeddings?: { data: Float32Array; vocab: readonly string[] },
): ModelCheck {
  const problems: string[] = [];
  try {
    checkAdapterFitsModel(adapter, model.config);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // The message lists the mismatches after the colon that follows the model description.
    const list = message.slice(message.indexOf('):') + 2).trim();
    problems.push(...list.split('; ').filter((s) => s !== ''));
  }
  const embeddingMatches =
    recordedFingerprint === null || model.fingerprint === null
      ? null
      : recordedFingerprint.embeddingSha256 === model.fingerprint;
  const tokenizerMatches =
    recordedFingerprint?.tokenizerSha256 == null || model.tokenizerSha256 === null
      ? null
      : recordedFingerprint.tokenizerSha256 === model.tokenizerSha256;
  if (embeddingMatches === false) {
    problems.push(
      `the adapter was trained on a base model with other embedding weights (sha256 ${recordedFingerprint?.embeddingSha256.slice(0, 12) ?? ''}…, this model ${model.fingerprint?.slice(0, 12) ?? ''}…): the shapes fit but the virtual tokens will mean something else`,
    );
  }
  if (tokenizerMatches === false) {
    problems.push('the adapter was trained with another tokenizer.json: the same text gives other token ids');
  }
  const fingerprintMatches =
    embeddingMatches === null ? null : embeddingMatches && tokenizerMatches !== false;
  const hidden = model.config.hiddenSize;
  const nearest =
    embeddings !== undefined && !isPrefixMethod(adapter.config.peftType) && adapter.config.tokenDim === hidden
      ? nearestTokens(adapter.promptEmbeddings.data, embeddings.data, hidden, embeddings.vocab)
      : null;
  return {
    modelName: model.name,
    fits: problems.length === 0,
    problems,
    modelFingerprint: model.fingerprint,
    fingerprintMatches,
    nearest,
  };
}
