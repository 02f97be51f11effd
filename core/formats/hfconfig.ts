// Hugging Face `config.json` → one normalised ModelConfig for the three architecture families we run.
// Reads both transformers 5's `rope_parameters` and the older top-level `rope_theta` / `rope_scaling`.

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly source: string | undefined,
  ) {
    super(source === undefined ? message : `${source}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Architecture = 'llama' | 'gpt2' | 'bert';
/** What sits on top of the transformer. */
export type HeadKind = 'causal-lm' | 'sequence-classification' | 'token-classification' | 'none';

export interface RopeConfig {
  readonly theta: number;
  readonly type: 'default' | 'llama3' | 'linear';
  /** llama3 / linear scaling parameters */
  readonly factor?: number;
  readonly lowFreqFactor?: number;
  readonly highFreqFactor?: number;
  readonly originalMaxPositions?: number;
  /** fraction of head_dim that is rotated (1 for all models we support) */
  readonly partialRotaryFactor: number;
}

export interface ModelConfig {
  readonly arch: Architecture;
  readonly modelType: string;
  readonly head: HeadKind;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly maxPositions: number;
  readonly normEps: number;
  readonly hiddenAct: string;
  readonly rope: RopeConfig | undefined;
  readonly tieWordEmbeddings: boolean;
  /** q/k/v projection bias (Qwen2, or Llama's attention_bias) */
  readonly qkvBias: boolean;
  /** o_proj bias (Llama attention_bias) */
  readonly oBias: boolean;
  readonly mlpBias: boolean;
  readonly typeVocabSize: number;
  readonly numLabels: number;
  readonly id2label: readonly string[];
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | undefined;
  /** BERT-style sequence classification pools through the pooler (dense + tanh) */
  readonly source: string | undefined;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  constructor(
    private readonly json: Json,
    private readonly source: string | undefined,
  ) {}

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  int(key: string, fallback?: number): number {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`missing required field "${key}" (an integer)`, this.source);
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new ConfigError(
        `field "${key}" must be a non-negative integer, got ${JSON.stringify(v)}`,
        this.source,
      );
    }
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`missing required field "${key}" (a number)`, this.source);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ConfigError(`field "${key}" must be a number, got ${JSON.stringify(v)}`, this.source);
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw new ConfigError(`field "${key}" must be true or false`, this.source);
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.json[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') throw new ConfigError(`field "${key}" must be a string`, this.source);
    return v;
  }

  optInt(key: string): number | undefined {
    return this.has(key) ? this.int(key) : undefined;
  }

  intList(key: string): number[] {
    const v = this.json[key];
    if (v === undefined || v === null) return [];
    if (typeof v === 'number') return [this.int(key)];
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isSafeInteger(x)))
      return v as number[];
    throw new ConfigError(`field "${key}" must be an integer or a list of integers`, this.source);
  }
}

const LLAMA_TYPES = new Set(['llama', 'mistral', 'qwen2', 'smollm', 'smollm2', 'smollm3']);

function headFromArchitectures(archs: unknown): HeadKind {
  const names = Array.isArray(archs) ? archs.filter((a): a is string => typeof a === 'string') : [];
  const first = names[0] ?? '';
  if (first.endsWith('ForCausalLM') || first.endsWith('LMHeadModel')) return 'causal-lm';
  if (first.endsWith('ForSequenceClassification')) return 'sequence-classification';
  if (first.endsWith('ForTokenClassification')) return 'token-classification';
  return 'none';
}

function readRope(r: Reader, json: Json, source: string | undefined): RopeConfig {
  // transformers 5: rope_parameters {rope_theta, rope_type, factor, ...}; older: rope_theta + rope_scaling.
  const params = isObject(json.rope_parameters) ? json.rope_parameters : undefined;
  const scaling = isObject(json.rope_scaling) ? json.rope_scaling : undefined;
  const merged: Json = { ...(scaling ?? {}), ...(params ?? {}) };
  const m = new Reader(merged, source);
  const theta = m.has('rope_theta') ? m.num('rope_theta') : r.num('rope_theta', 10000);
  const rawType = m.str('rope_type', m.str('type', 'default'));
  const partialRotaryFactor = r.num('partial_rotary_factor', m.num('partial_rotary_factor', 1));
  if (partialRotaryFactor !== 1) {
    throw new ConfigError(`partial_rotary_factor ${partialRotaryFactor} is not supported (only 1)`, source);
  }
  switch (rawType) {
    case 'default':
      return { theta, type: 'default', partialRotaryFactor };
    case 'linear':
      return { theta, type: 'linear', factor: m.num('factor'), partialRotaryFactor };
    case 'llama3':
      return {
        theta,
        type: 'llama3',
        factor: m.num('factor'),
        lowFreqFactor: m.num('low_freq_factor'),
        highFreqFactor: m.num('high_freq_factor'),
        originalMaxPositions: m.int('original_max_position_embeddings'),
        partialRotaryFactor,
      };
    default:
      throw new ConfigError(
        `rope type "${rawType}" is not supported (supported: default, linear, llama3)`,
        source,
      );
  }
}

function labels(json: Json, numLabels: number): string[] {
  const out: string[] = [];
  const id2label = isObject(json.id2label) ? json.id2label : {};
  for (let i = 0; i < numLabels; i++) {
    const v = id2label[String(i)];
    out.push(typeof v === 'string' ? v : `LABEL_${i}`);
  }
  return out;
}

/** Parses a Hugging Face config.json object. `source` names the file in error messages. */
export function parseModelConfig(json: unknown, source?: string): ModelConfig {
  if (!isObject(json)) throw new ConfigError('config.json must be a JSON object', source);
  const r = new Reader(json, source);
  const modelType = r.str('model_type', '');
  const head = headFromArchitectures(json.architectures);
  const numLabelsFromMap = isObject(json.id2label) ? Object.keys(json.id2label).length : 0;
  const numLabels = r.int('num_labels', numLabelsFromMap > 0 ? numLabelsFromMap : 2);
  const common = {
    modelType,
    head,
    numLabels,
    id2label: labels(json, numLabels),
    bosTokenId: r.optInt('bos_token_id'),
    eosTokenIds: r.intList('eos_token_id'),
    padTokenId: r.optInt('pad_token_id'),
    source,
  };

  if (LLAMA_TYPES.has(modelType)) {
    const hiddenSize = r.int('hidden_size');
    const numHeads = r.int('num_attention_heads');
    const numKvHeads = r.int('num_key_value_heads', numHeads);
    if (numHeads === 0 || numKvHeads === 0 || numHeads % numKvHeads !== 0) {
      throw new ConfigError(
        `num_attention_heads (${numHeads}) must be a positive multiple of num_key_value_heads (${numKvHeads})`,
        source,
      );
    }
    const attentionBias = r.bool('attention_bias', false);
    const isQwen2 = modelType === 'qwen2';
    if (r.has('sliding_window') && r.bool('use_sliding_window', modelType === 'mistral')) {
      throw new ConfigError('sliding-window attention is not supported yet', source);
    }
    return {
      ...common,
      arch: 'llama',
      vocabSize: r.int('vocab_size'),
      hiddenSize,
      numLayers: r.int('num_hidden_layers'),
      numHeads,
      numKvHeads,
      headDim: r.int('head_dim', hiddenSize / numHeads),
      intermediateSize: r.int('intermediate_size'),
      maxPositions: r.int('max_position_embeddings', 2048),
      normEps: r.num('rms_norm_eps', 1e-6),
      hiddenAct: r.str('hidden_act', 'silu'),
      rope: readRope(r, json, source),
      tieWordEmbeddings: r.bool('tie_word_embeddings', false),
      qkvBias: isQwen2 || attentionBias,
      oBias: attentionBias,
      mlpBias: r.bool('mlp_bias', false),
      typeVocabSize: 0,
    };
  }
  if (modelType === 'gpt2') {
    const hiddenSize = r.int('n_embd');
    const numHeads = r.int('n_head');
    const inner = json.n_inner;
    return {
      ...common,
      arch: 'gpt2',
      vocabSize: r.int('vocab_size'),
      hiddenSize,
      numLayers: r.int('n_layer'),
      numHeads,
      numKvHeads: numHeads,
      headDim: hiddenSize / numHeads,
      intermediateSize: typeof inner === 'number' ? inner : 4 * hiddenSize,
      maxPositions: r.int('n_positions'),
      normEps: r.num('layer_norm_epsilon', 1e-5),
      hiddenAct: r.str('activation_function', 'gelu_new'),
      rope: undefined,
      tieWordEmbeddings: r.bool('tie_word_embeddings', true),
      qkvBias: true,
      oBias: true,
      mlpBias: true,
      typeVocabSize: 0,
    };
  }
  if (modelType === 'bert') {
    const hiddenSize = r.int('hidden_size');
    const numHeads = r.int('num_attention_heads');
    return {
      ...common,
      arch: 'bert',
      vocabSize: r.int('vocab_size'),
      hiddenSize,
      numLayers: r.int('num_hidden_layers'),
      numHeads,
      numKvHeads: numHeads,
      headDim: hiddenSize / numHeads,
      intermediateSize: r.int('intermediate_size'),
      maxPositions: r.int('max_position_embeddings'),
      normEps: r.num('layer_norm_eps', 1e-12),
      hiddenAct: r.str('hidden_act', 'gelu'),
      rope: undefined,
      tieWordEmbeddings: r.bool('tie_word_embeddings', true),
      qkvBias: true,
      oBias: true,
      mlpBias: true,
      typeVocabSize: r.int('type_vocab_size', 2),
    };
  }
  throw new ConfigError(
    `unknown architecture: model_type "${modelType}" (supported: llama, mistral, qwen2, smollm, gpt2, bert)`,
    source,
  );
}

/** Width of one layer's keys (or values): KV heads × head dim. PEFT calls this token_dim for prefix tuning. */
export function kvDim(c: ModelConfig): number {
  return c.numKvHeads * c.headDim;
}
