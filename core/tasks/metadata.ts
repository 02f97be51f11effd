// Our metadata beside a PEFT adapter (prompt_adapter.json): what it was trained for and on, with which
// settings, how it scored, and a fingerprint of the base model so that loading it onto another model warns.
// The fingerprint hashes the embedding matrix and the tokenizer, plus the shapes that must match.
import type { ModelConfig } from '../formats/hfconfig.js';
import type { FrozenTransformer } from '../model/types.js';

export const METADATA_FILE = 'prompt_adapter.json';
export const TRAINING_LOG_FILE = 'training_log.jsonl';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export interface BaseModelFingerprint {
  /** sha256 of the float32 embedding matrix and of the tokenizer.json text, hex */
  readonly embeddingSha256: string;
  readonly tokenizerSha256: string | null;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly vocabSize: number;
  readonly modelType: string;
}

export interface AdapterMetadata {
  readonly format: 'prompt-adapter-studio/1';
  readonly task: 'sft' | 'classification' | 'ner';
  readonly labels: readonly string[];
  /** sequence classification: the pooling of the saved head */
  readonly pooling?: string;
  /** sequence classification: 'verbalizer' when classes are label words over the LM head (no head saved) */
  readonly head?: 'linear' | 'verbalizer';
  /** verbalizer: each label's word (its first token's LM logit is the class logit) */
  readonly labelWords?: Readonly<Record<string, string>>;
  readonly baseModel: { readonly name: string; readonly fingerprint: BaseModelFingerprint };
  readonly training: Readonly<Record<string, unknown>>;
  readonly dataset: {
    readonly train: string;
    readonly trainSha256: string;
    readonly rows: number;
    readonly eval?: string;
  };
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly created: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes.slice());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256OfText(text: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(text));
}

export async function fingerprintModel(
  model: FrozenTransformer,
  tokenizerJsonText: string | undefined,
): Promise<BaseModelFingerprint> {
  const c: ModelConfig = model.config;
  const embedding = (await model.embeddingMatrix.data()) as Float32Array;
  return {
    embeddingSha256: await sha256Hex(
      new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength),
    ),
    tokenizerSha256: tokenizerJsonText === undefined ? null : await sha256OfText(tokenizerJsonText),
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    vocabSize: c.vocabSize,
    modelType: c.modelType,
  };
}

/** Differences between the fingerprint an adapter was trained on and the model at hand (empty: same model). */
export function fingerprintDifferences(
  trained: BaseModelFingerprint,
  current: BaseModelFingerprint,
): string[] {
  const out: string[] = [];
  for (const key of Object.keys(trained) as (keyof BaseModelFingerprint)[]) {
    if (trained[key] !== current[key])
      out.push(`${key}: trained on ${String(trained[key])}, this model has ${String(current[key])}`);
  }
  return out;
}

export function parseMetadata(json: unknown, source: string): AdapterMetadata {
  if (
    typeof json !== 'object' ||
    json === null ||
    (json as { format?: unknown }).format !== 'prompt-adapter-studio/1'
  ) {
    throw new Error(
      `${source}: not a Prompt Adapter Studio metadata file (format "prompt-adapter-studio/1")`,
    );
  }
  return json as AdapterMetadata;
}
