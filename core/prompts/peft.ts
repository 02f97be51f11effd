// PEFT prompt-learning adapters on disk: adapter_config.json + adapter_model.safetensors.
// Inference uses the stored `prompt_embeddings` for every method (PEFT saves the encoder's output for
// P_TUNING and projected PREFIX_TUNING), plus the classification head saved beside it (modules_to_save).
import type { ModelConfig } from '../formats/hfconfig.js';
import { kvDim } from '../formats/hfconfig.js';

export class AdapterError extends Error {
  constructor(
    message: string,
    readonly source: string | undefined,
  ) {
    super(source === undefined ? message : `${source}: ${message}`);
    this.name = 'AdapterError';
  }
}

export type PeftType = 'PROMPT_TUNING' | 'P_TUNING' | 'PREFIX_TUNING';
export type PeftTaskType =
  'CAUSAL_LM' | 'SEQ_CLS' | 'TOKEN_CLS' | 'SEQ_2_SEQ_LM' | 'FEATURE_EXTRACTION' | 'QUESTION_ANS';

const PEFT_TYPES: readonly PeftType[] = ['PROMPT_TUNING', 'P_TUNING', 'PREFIX_TUNING'];
const TASK_TYPES: readonly PeftTaskType[] = [
  'CAUSAL_LM',
  'SEQ_CLS',
  'TOKEN_CLS',
  'SEQ_2_SEQ_LM',
  'FEATURE_EXTRACTION',
  'QUESTION_ANS',
];

export interface PeftAdapterConfig {
  readonly peftType: PeftType;
  readonly taskType: PeftTaskType;
  readonly numVirtualTokens: number;
  readonly tokenDim: number;
  readonly numLayers: number;
  readonly numAttentionHeads: number;
  readonly numTransformerSubmodules: number;
  readonly baseModelNameOrPath: string | undefined;
  readonly modulesToSave: readonly string[];
  /** the whole JSON object as read, for writing back unchanged keys */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Input-level methods put virtual tokens in front of the text; prefix methods feed per-layer keys/values. */
export function isPrefixMethod(type: PeftType): boolean {
  return type === 'PREFIX_TUNING';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(json: Record<string, unknown>, key: string, source: string | undefined): number {
  const v = json[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new AdapterError(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`, source);
  }
  return v;
}

export function parseAdapterConfig(json: unknown, source?: string): PeftAdapterConfig {
  if (!isObject(json)) throw new AdapterError('adapter_config.json must be a JSON object', source);
  const peftType = json.peft_type;
  if (typeof peftType !== 'string' || !(PEFT_TYPES as readonly string[]).includes(peftType)) {
    throw new AdapterError(
      `peft_type ${JSON.stringify(peftType)} is not a prompt-learning method this tool runs (${PEFT_TYPES.join(', ')})`,
      source,
    );
  }
  const taskType = json.task_type ?? 'CAUSAL_LM';
  if (typeof taskType !== 'string' || !(TASK_TYPES as readonly string[]).includes(taskType)) {
    throw new AdapterError(`task_type ${JSON.stringify(taskType)} is not known`, source);
  }
  const modules = json.modules_to_save;
  if (
    modules !== null &&
    modules !== undefined &&
    !(Array.isArray(modules) && modules.every((m) => typeof m === 'string'))
  ) {
    throw new AdapterError('"modules_to_save" must be null or a list of module names', source);
  }
  const subm = json.num_transformer_submodules ?? 1;
  if (subm !== 1) {
    throw new AdapterError(
      `num_transformer_submodules ${JSON.stringify(subm)} (encoder-decoder models) is not supported: only decoder or encoder models`,
      source,
    );
  }
  const base = json.base_model_name_or_path;
  return {
    peftType: peftType as PeftType,
    taskType: taskType as PeftTaskType,
    numVirtualTokens: positiveInt(json, 'num_virtual_tokens', source),
    tokenDim: positiveInt(json, 'token_dim', source),
    numLayers: positiveInt(json, 'num_layers', source),
    numAttentionHeads: positiveInt(json, 'num_attention_heads', source),
    numTransformerSubmodules: 1,
    baseModelNameOrPath: typeof base === 'string' ? base : undefined,
    // PEFT writes duplicated entries (["classifier","score","classifier","score"]): keep each once.
    modulesToSave: Array.isArray(modules) ? [...new Set(modules as string[])] : [],
    raw: json,
  };
}

export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A loaded adapter: what inference needs, platform-free. */
export interface PromptAdapter {
  readonly config: PeftAdapterConfig;
  /** (P, C) for input-level methods, (P, L·2·K·D) for prefix tuning */
  readonly promptEmbeddings: HostTensor;
  /** classification head saved with the adapter (base_model.score.* / base_model.classifier.*) */
  readonly head: { readonly weight: HostTensor; readonly bias?: HostTensor } | undefined;
  readonly source: string | undefined;
}

/** The tensors of adapter_model.safetensors, by name (see core/formats/safetensors.ts to read them). */
export interface AdapterTensors {
  has(name: string): boolean;
  get(name: string): HostTensor;
  readonly names: readonly string[];
}

const HEAD_PREFIXES = ['base_model.score.', 'base_model.classifier.', 'score.', 'classifier.'];

export function loadPromptAdapter(
  configJson: unknown,
  tensors: AdapterTensors,
  source?: string,
): PromptAdapter {
  const config = parseAdapterConfig(configJson, source);
  if (!tensors.has('prompt_embeddings')) {
    throw new AdapterError(
      `adapter_model.safetensors has no "prompt_embeddings" tensor (found: ${tensors.names.slice(0, 8).join(', ')})`,
      source,
    );
  }
  const promptEmbeddings = tensors.get('prompt_embeddings');
  const expectedWidth = isPrefixMethod(config.peftType)
    ? config.numLayers * 2 * config.tokenDim
    : config.tokenDim;
  if (
    promptEmbeddings.shape.length !== 2 ||
    promptEmbeddings.shape[0] !== config.numVirtualTokens ||
    promptEmbeddings.shape[1] !== expectedWidth
  ) {
    throw new AdapterError(
      `"prompt_embeddings" has shape [${promptEmbeddings.shape.join(', ')}] but adapter_config.json implies [${config.numVirtualTokens}, ${expectedWidth}]`,
      source,
    );
  }
  let head: PromptAdapter['head'];
  for (const prefix of HEAD_PREFIXES) {
    if (tensors.has(`${prefix}weight`)) {
      const weight = tensors.get(`${prefix}weight`);
      const bias = tensors.has(`${prefix}bias`) ? tensors.get(`${prefix}bias`) : undefined;
      head = bias === undefined ? { weight } : { weight, bias };
      break;
    }
  }
  return { config, promptEmbeddings, head, source };
}

/**
 * Refuses an adapter whose shapes do not fit the model, naming each mismatch. token_dim is the hidden size
 * for input-level methods and the key/value width (KV heads × head dim) for prefix tuning.
 */
export function checkAdapterFitsModel(adapter: PromptAdapter, model: ModelConfig): void {
  const c = adapter.config;
  const problems: string[] = [];
  const prefix = isPrefixMethod(c.peftType);
  const wantTokenDim = prefix ? kvDim(model) : model.hiddenSize;
  if (c.tokenDim !== wantTokenDim) {
    problems.push(
      `token_dim is ${c.tokenDim} but the model needs ${wantTokenDim} (${prefix ? 'KV heads × head dim' : 'hidden size'})`,
    );
  }
  if (c.numLayers !== model.numLayers) {
    problems.push(`num_layers is ${c.numLayers} but the model has ${model.numLayers} layers`);
  }
  if (prefix && c.numAttentionHeads !== model.numKvHeads) {
    problems.push(
      `num_attention_heads is ${c.numAttentionHeads} but the model has ${model.numKvHeads} key/value heads`,
    );
  }
  const head = adapter.head;
  // a head reads the hidden size, or twice it for our mean+last pooling of sequence classification
  const width = head?.weight.shape[1];
  const widthOk = width === model.hiddenSize || (width === 2 * model.hiddenSize && c.taskType === 'SEQ_CLS');
  if (head !== undefined && (head.weight.shape.length !== 2 || !widthOk)) {
    problems.push(
      `the classification head has shape [${head.weight.shape.join(', ')}], expected [labels, ${model.hiddenSize}]`,
    );
  }
  if (problems.length > 0) {
    throw new AdapterError(
      `adapter does not fit the model (${model.modelType}, hidden ${model.hiddenSize}, ${model.numLayers} layers): ${problems.join('; ')}`,
      adapter.source,
    );
  }
}
