// Writing PEFT prompt-learning adapters: adapter_config.json with the keys PEFT 0.21 writes for each method
// (sorted, two-space indent, ASCII-escaped, as Python's json.dumps(indent=2, sort_keys=True)) and
// adapter_model.safetensors with `prompt_embeddings` and the classification head under PEFT's names
// (base_model.score.* for decoders, base_model.classifier.* for BERT: modules_to_save), metadata
// {format: "pt"}. The bytes are what core returns; the caller writes them (to a temp file, then renames).
import type { Architecture } from '../formats/hfconfig.js';
import { serializeSafetensors } from '../formats/safetensors.js';
import type { TensorToWrite } from '../formats/safetensors.js';
import { AdapterError, isPrefixMethod } from './peft.js';
import type { HostTensor, PeftAdapterConfig, PeftTaskType, PeftType } from './peft.js';

export type PromptTuningInit = 'RANDOM' | 'TEXT' | 'SAMPLE_VOCAB';
export type EncoderReparameterization = 'MLP' | 'LSTM';

/** The values of adapter_config.json; each optional field has PEFT's default. */
export interface AdapterConfigFields {
  readonly peftType: PeftType;
  readonly taskType: PeftTaskType;
  readonly numVirtualTokens: number;
  /** hidden size for input-level methods, KV heads × head dim for prefix tuning */
  readonly tokenDim: number;
  readonly numLayers: number;
  /** attention heads (KV heads for prefix tuning, as PEFT writes it) */
  readonly numAttentionHeads: number;
  readonly baseModelNameOrPath?: string | null;
  readonly revision?: string | null;
  /** default true, as save_pretrained writes it */
  readonly inferenceMode?: boolean;
  /** default: ["classifier", "score"] for classification tasks, null otherwise */
  readonly modulesToSave?: readonly string[] | null;
  // PROMPT_TUNING
  readonly promptTuningInit?: PromptTuningInit;
  readonly promptTuningInitText?: string | null;
  readonly tokenizerNameOrPath?: string | null;
  readonly tokenizerKwargs?: Readonly<Record<string, unknown>> | null;
  // PREFIX_TUNING and P_TUNING (default: token_dim, as PEFT fills it in)
  readonly encoderHiddenSize?: number;
  // PREFIX_TUNING
  readonly prefixProjection?: boolean;
  // P_TUNING
  readonly encoderReparameterizationType?: EncoderReparameterization;
  readonly encoderNumLayers?: number;
  readonly encoderDropout?: number;
  /** further keys written as given (and overriding the above), e.g. keys of a newer PEFT kept on re-save */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A classification head saved beside the prompt: y = x Wᵀ + b, W (N, C). */
export interface AdapterHead {
  /** PEFT's module name: `score` for Llama/GPT-2 style decoders, `classifier` for BERT */
  readonly module: 'score' | 'classifier';
  readonly weight: HostTensor;
  readonly bias?: HostTensor;
}

export interface AdapterFiles {
  readonly 'adapter_config.json': string;
  readonly 'adapter_model.safetensors': Uint8Array;
}

/** The module name transformers gives the classification head of an architecture. */
export function headModuleFor(arch: Architecture): AdapterHead['module'] {
  switch (arch) {
    case 'bert':
      return 'classifier';
    case 'llama':
    case 'gpt2':
      return 'score';
  }
}

/** Keys PEFT writes as floats even when the value is whole (Python writes 0.0, not 0). */
const FLOAT_KEYS = new Set(['encoder_dropout']);

const PEFT_VERSION = '0.21.0';

/** The adapter_config.json object, with PEFT 0.21's key set for the method. */
export function adapterConfigObject(fields: AdapterConfigFields): Record<string, unknown> {
  const classification = fields.taskType === 'SEQ_CLS' || fields.taskType === 'TOKEN_CLS';
  const out: Record<string, unknown> = {
    auto_mapping: null,
    base_model_name_or_path: fields.baseModelNameOrPath ?? null,
    inference_mode: fields.inferenceMode ?? true,
    modules_to_save:
      fields.modulesToSave === undefined
        ? classification
          ? ['classifier', 'score']
          : null
        : fields.modulesToSave,
    num_attention_heads: fields.numAttentionHeads,
    num_layers: fields.numLayers,
    num_transformer_submodules: 1,
    num_virtual_tokens: fields.numVirtualTokens,
    peft_type: fields.peftType,
    peft_version: PEFT_VERSION,
    revision: fields.revision ?? null,
    task_type: fields.taskType,
    token_dim: fields.tokenDim,
  };
  switch (fields.peftType) {
    case 'PROMPT_TUNING':
      out.prompt_tuning_init = fields.promptTuningInit ?? 'RANDOM';
      out.prompt_tuning_init_text = fields.promptTuningInitText ?? null;
      out.tokenizer_name_or_path = fields.tokenizerNameOrPath ?? null;
      out.tokenizer_kwargs = fields.tokenizerKwargs ?? null;
      break;
    case 'PREFIX_TUNING':
      out.encoder_hidden_size = fields.encoderHiddenSize ?? fields.tokenDim;
      out.init_weights = null;
      out.prefix_projection = fields.prefixProjection ?? false;
      break;
    case 'P_TUNING':
      out.encoder_hidden_size = fields.encoderHiddenSize ?? fields.tokenDim;
      out.encoder_reparameterization_type = fields.encoderReparameterizationType ?? 'MLP';
      out.encoder_num_layers = fields.encoderNumLayers ?? 2;
      out.encoder_dropout = fields.encoderDropout ?? 0;
      break;
  }
  return { ...out, ...(fields.extra ?? {}) };
}

/** A float as Python's repr writes it: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new AdapterError(`cannot write ${x} in adapter_config.json`, undefined);
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = String(x); // JS writes fixed notation for 1e-7 ≤ |x| < 1e21 with the same shortest digits
  return Number.isInteger(x) ? `${fixed}.0` : fixed;
}

/** JSON string literal with non-ASCII escaped as \uXXXX (Python's ensure_ascii). */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Python's json.dumps(value, indent=2, sort_keys=True). */
function pythonJson(value: unknown, indent: string, key: string | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && !(key !== undefined && FLOAT_KEYS.has(key))) return String(value);
    return pythonFloat(value);
  }
  if (typeof value === 'string') return pythonString(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + pythonJson(v, inner, undefined)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${pythonString(k)}: ${pythonJson(v, inner, k)}`).join(',\n')}\n${indent}}`;
  }
  throw new AdapterError(`cannot write a ${typeof value} in adapter_config.json`, undefined);
}

export function adapterConfigJson(fields: AdapterConfigFields): string {
  return pythonJson(adapterConfigObject(fields), '', undefined);
}

function checkShapes(fields: AdapterConfigFields, prompt: HostTensor, head: AdapterHead | undefined): void {
  const width = isPrefixMethod(fields.peftType) ? fields.numLayers * 2 * fields.tokenDim : fields.tokenDim;
  const s = prompt.shape;
  if (
    s.length !== 2 ||
    s[0] !== fields.numVirtualTokens ||
    s[1] !== width ||
    prompt.data.length !== fields.numVirtualTokens * width
  ) {
    throw new AdapterError(
      `prompt embeddings have shape [${s.join(', ')}] (${prompt.data.length} values) but the config implies [${fields.numVirtualTokens}, ${width}]`,
      undefined,
    );
  }
  if (head === undefined) return;
  if (fields.taskType !== 'SEQ_CLS' && fields.taskType !== 'TOKEN_CLS') {
    throw new AdapterError(`a ${fields.taskType} adapter has no classification head to save`, undefined);
  }
  const w = head.weight.shape;
  if (w.length !== 2 || head.weight.data.length !== (w[0] ?? 0) * (w[1] ?? 0)) {
    throw new AdapterError(`the head weight must be (labels, hidden), got [${w.join(', ')}]`, undefined);
  }
  const b = head.bias;
  if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== w[0] || b.data.length !== w[0])) {
    throw new AdapterError(`the head bias has shape [${b.shape.join(', ')}], expected [${w[0]}]`, undefined);
  }
}

/** The two files of a PEFT adapter folder. */
export function adapterFiles(
  fields: AdapterConfigFields,
  promptEmbeddings: HostTensor,
  head?: AdapterHead,
): AdapterFiles {
  checkShapes(fields, promptEmbeddings, head);
  const tensors: Record<string, TensorToWrite> = {
    prompt_embeddings: { dtype: 'F32', shape: promptEmbeddings.shape, data: promptEmbeddings.data },
  };
  if (head !== undefined) {
    tensors[`base_model.${head.module}.weight`] = {
      dtype: 'F32',
      shape: head.weight.shape,
      data: head.weight.data,
    };
    if (head.bias !== undefined) {
      tensors[`base_model.${head.module}.bias`] = {
        dtype: 'F32',
        shape: head.bias.shape,
        data: head.bias.data,
      };
    }
  }
  return {
    'adapter_config.json': adapterConfigJson(fields),
    'adapter_model.safetensors': serializeSafetensors(tensors, { format: 'pt' }),
  };
}

const KNOWN_KEYS = new Set([
  'auto_mapping',
  'base_model_name_or_path',
  'inference_mode',
  'modules_to_save',
  'num_attention_heads',
  'num_layers',
  'num_transformer_submodules',
  'num_virtual_tokens',
  'peft_type',
  'peft_version',
  'revision',
  'task_type',
  'token_dim',
  'prompt_tuning_init',
  'prompt_tuning_init_text',
  'tokenizer_name_or_path',
  'tokenizer_kwargs',
  'encoder_hidden_size',
  'init_weights',
  'prefix_projection',
  'encoder_reparameterization_type',
  'encoder_num_layers',
  'encoder_dropout',
]);

function optionalString(raw: Readonly<Record<string, unknown>>, key: string): string | null {
  const v = raw[key];
  return typeof v === 'string' ? v : null;
}

/** The fields of a loaded adapter's config, for saving it again (keys this file does not know go to `extra`). */
export function adapterConfigFieldsOf(config: PeftAdapterConfig): AdapterConfigFields {
  const raw = config.raw;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!KNOWN_KEYS.has(k)) extra[k] = v;
  const init = raw.prompt_tuning_init;
  const reparam = raw.encoder_reparameterization_type;
  const kwargs = raw.tokenizer_kwargs;
  const num = (key: string): number | undefined => {
    const v = raw[key];
    return typeof v === 'number' ? v : undefined;
  };
  const encoderHiddenSize = num('encoder_hidden_size');
  const encoderNumLayers = num('encoder_num_layers');
  const encoderDropout = num('encoder_dropout');
  return {
    peftType: config.peftType,
    taskType: config.taskType,
    numVirtualTokens: config.numVirtualTokens,
    tokenDim: config.tokenDim,
    numLayers: config.numLayers,
    numAttentionHeads: config.numAttentionHeads,
    baseModelNameOrPath: config.baseModelNameOrPath ?? null,
    revision: optionalString(raw, 'revision'),
    inferenceMode: raw.inference_mode !== false,
    modulesToSave:
      config.modulesToSave.length === 0 && !Array.isArray(raw.modules_to_save) ? null : config.modulesToSave,
    ...(init === 'RANDOM' || init === 'TEXT' || init === 'SAMPLE_VOCAB' ? { promptTuningInit: init } : {}),
    promptTuningInitText: optionalString(raw, 'prompt_tuning_init_text'),
    tokenizerNameOrPath: optionalString(raw, 'tokenizer_name_or_path'),
    tokenizerKwargs:
      typeof kwargs === 'object' && kwargs !== null && !Array.isArray(kwargs)
        ? (kwargs as Record<string, unknown>)
        : null,
    ...(encoderHiddenSize === undefined ? {} : { encoderHiddenSize }),
    ...(typeof raw.prefix_projection === 'boolean' ? { prefixProjection: raw.prefix_projection } : {}),
    ...(reparam === 'MLP' || reparam === 'LSTM' ? { encoderReparameterizationType: reparam } : {}),
    ...(encoderNumLayers === undefined ? {} : { encoderNumLayers }),
    ...(encoderDropout === undefined ? {} : { encoderDropout }),
    extra,
  };
}
