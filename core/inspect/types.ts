// What the adapter inspector shows, as plain data (JSON-safe: numbers, strings, arrays). The extension host
// computes it from the files, the webview draws it, and `prompt-adapter inspect --json` can print it.

export interface TensorSummary {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** bytes the tensor occupies in the file */
  readonly bytes: number;
}

/** The header of any .safetensors file: names, dtypes, shapes and sizes, no tensor data read. */
export interface SafetensorsHeaderSummary {
  readonly kind: 'header';
  readonly fileName: string;
  readonly fileBytes: number;
  readonly headerBytes: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly TensorSummary[];
  /** sum of the tensors' element counts */
  readonly parameters: number;
}

/** A PEFT prompt-learning adapter (adapter_config.json + adapter_model.safetensors). */
export interface AdapterSummary {
  readonly kind: 'adapter';
  readonly fileName: string;
  readonly method: string;
  readonly taskType: string;
  readonly baseModel: string | null;
  readonly numVirtualTokens: number;
  readonly tokenDim: number;
  readonly numLayers: number;
  readonly numAttentionHeads: number;
  readonly modulesToSave: readonly string[];
  /** input-level methods put the rows in the model's embedding space; prefix rows are per-layer keys/values */
  readonly inEmbeddingSpace: boolean;
  /** prompt_embeddings shape [P, W] */
  readonly promptShape: readonly [number, number];
  /** L2 norm of each virtual token's row, length P */
  readonly tokenNorms: readonly number[];
  /** cosine similarity between virtual tokens, P×P row-major (1 on the diagonal; 0 for a zero row) */
  readonly cosine: readonly number[];
  readonly tensors: readonly TensorSummary[];
  readonly metadata: Readonly<Record<string, string>>;
  /** the base model's fingerprint recorded at training time (prompt_adapter.json), if any */
  readonly recordedFingerprint: RecordedFingerprint | null;
  /** adapter_config.json as read */
  readonly config: Readonly<Record<string, unknown>>;
  /** prompt_adapter.json as read (task, labels, training settings, dataset, metrics), if present */
  readonly trainingMetadata: Readonly<Record<string, unknown>> | null;
  /** training loss by step from training_log.jsonl (empty when there is no log) */
  readonly lossCurve: readonly TrainingPoint[];
  /** evaluation results by step from training_log.jsonl */
  readonly evalPoints: readonly EvalPoint[];
}

/** What prompt_adapter.json records of the base model (core/tasks/metadata.ts BaseModelFingerprint). */
export interface RecordedFingerprint {
  /** hex sha256 of the float32 embedding matrix (little-endian) */
  readonly embeddingSha256: string;
  /** hex sha256 of tokenizer.json's bytes */
  readonly tokenizerSha256: string | null;
}

export interface TrainingPoint {
  readonly step: number;
  readonly loss: number;
}

export interface EvalPoint {
  readonly step: number;
  readonly metric: string;
  readonly value: number;
}

export interface NearestToken {
  readonly id: number;
  readonly token: string;
  readonly cosine: number;
}

/** The result of checking an adapter against a chosen base model. */
export interface ModelCheck {
  readonly modelName: string;
  /** true when every shape the adapter needs fits the model */
  readonly fits: boolean;
  /** what does not fit, one sentence each */
  readonly problems: readonly string[];
  /** hex sha256 of the model's float32 embedding matrix; null when it could not be read */
  readonly modelFingerprint: string | null;
  /** null: the adapter records no fingerprint (or the model's could not be read), so only shapes were compared */
  readonly fingerprintMatches: boolean | null;
  /** per virtual token, the 5 vocabulary tokens with the highest cosine (input-level methods only) */
  readonly nearest: readonly (readonly NearestToken[])[] | null;
}
