// Types shared by the adapter marketplace backends (OCI Distribution now; Hugging Face Hub and a local folder
// later). Everything here is platform-free: backends talk HTTP through an injected `fetch`, take and return
// bytes, and never touch the file system; the CLI and the extension host do the I/O at the edges.

/** One file of an adapter, as it lies in the adapter folder (PEFT's `save_pretrained` layout). */
export interface AdapterFile {
  /** Plain file name, no directories: `adapter_config.json`, `adapter_model.safetensors`, `README.md`, … */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * An adapter as a registry stores it: its files plus string annotations (OCI manifest annotations; see
 * `ANNOTATION` in oci.ts and `adapterAnnotations()` to build them from `AdapterMeta`).
 */
export interface AdapterArtifact {
  readonly files: readonly AdapterFile[];
  readonly annotations: Readonly<Record<string, string>>;
}

/** The searchable description of an adapter, written into and read back from the annotations. */
export interface AdapterMeta {
  /** Hub id or name of the frozen base model, e.g. `stories260K` or `openai-community/gpt2`. */
  readonly baseModel: string;
  /** `sha256:<hex>` of the base model's embedding tensor, so that a different base with the same name is caught. */
  readonly baseFingerprint?: string;
  /** PEFT method: `PROMPT_TUNING`, `PREFIX_TUNING`, `P_TUNING`. */
  readonly method: string;
  /** Task, e.g. `CAUSAL_LM`, `SEQ_CLS`, `TOKEN_CLS`, or a finer label such as `sentiment-classification`. */
  readonly task: string;
  readonly virtualTokens: number;
  /** Evaluation numbers, stored as one JSON annotation. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** SPDX licence expression. */
  readonly license?: string;
  readonly description?: string;
  /** URL of the source (repository, training run). */
  readonly source?: string;
  /** Human version; the tag is the registry's version, this is informative. */
  readonly version?: string;
  /** RFC 3339 date-time; publish fills it in when absent. */
  readonly created?: string;
}

/** A reference relative to one registry: a repository and a tag and/or a digest (a digest wins). */
export interface AdapterRef {
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` */
  readonly digest?: string;
}

/** What `resolve` answers: the pinned digest of a reference, with the manifest it names. */
export interface ResolvedAdapter {
  readonly repository: string;
  readonly tag?: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** The manifest's bytes exactly as served (their sha256 is `digest`). */
  readonly manifestBytes: Uint8Array;
}

/** A pulled artifact: every file verified against its digest before it was returned. */
export interface PulledAdapter extends AdapterArtifact {
  readonly repository: string;
  readonly tag?: string;
  readonly digest: string;
  readonly artifactType?: string;
}

/** A published version, pinned by the digest of its manifest. */
export interface PublishedAdapter {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly size: number;
}

export interface SearchQuery {
  /** Exact base model id (annotation `io.promptadapter.base-model`). */
  readonly baseModel?: string;
  /** Exact task (annotation `io.promptadapter.task`). */
  readonly task?: string;
  /** Case-insensitive substring of the repository, tag, description or base model. */
  readonly text?: string;
  /**
   * Repositories to look in. Without it the registry's catalog is listed (`_catalog`), which public
   * registries such as GHCR and Docker Hub do not allow.
   */
  readonly repositories?: readonly string[];
  /** Stop after this many results. */
  readonly limit?: number;
}

export interface SearchResult {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly artifactType?: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface Progress {
  readonly phase: 'resolve' | 'upload' | 'download' | 'manifest' | 'search';
  /** The file (title) or repository being worked on. */
  readonly item: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface OperationOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

/** The marketplace backend interface: the CLI and the extension talk only to this. */
export interface AdapterRegistry {
  /** A stable id such as `oci:ghcr.io` or `hf:https://huggingface.co`. */
  readonly id: string;
  search(query: SearchQuery, options?: OperationOptions): Promise<SearchResult[]>;
  listRepositories(options?: OperationOptions): Promise<string[]>;
  listTags(repository: string, options?: OperationOptions): Promise<string[]>;
  resolve(ref: AdapterRef, options?: OperationOptions): Promise<ResolvedAdapter>;
  pull(ref: AdapterRef, options?: OperationOptions): Promise<PulledAdapter>;
  publish(ref: AdapterRef, artifact: AdapterArtifact, options?: OperationOptions): Promise<PublishedAdapter>;
  /** Deletes one version (by digest; a tag is resolved first, and every tag of that digest goes with it). */
  delete(ref: AdapterRef, options?: OperationOptions): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP: the smallest slice of `fetch` the clients need, so that tests can fake it and any real fetch fits.

export interface FetchRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
  signal?: AbortSignal;
  redirect?: 'follow';
}

export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type FetchLike = (url: string, init: FetchRequestInit) => Promise<FetchResponse>;

/** Credentials for one registry host. */
export type Credentials =
  | { readonly username: string; readonly password: string }
  /** A bearer token used as is (e.g. a GitHub token for ghcr.io is sent as a password instead). */
  | { readonly token: string };

/** Called with the registry host (`host[:port]`) when the registry asks for authentication. */
export type CredentialProvider = (host: string) => Promise<Credentials | undefined> | Credentials | undefined;

/** Sleeps `ms` milliseconds; rejects when the signal aborts. Injected so that tests do not wait. */
export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

// ---------------------------------------------------------------------------------------------------------

/**
 * Error codes: the registry's own (`UNAUTHORIZED`, `DENIED`, `NAME_UNKNOWN`, `MANIFEST_UNKNOWN`,
 * `BLOB_UNKNOWN`, `MANIFEST_BLOB_UNKNOWN`, `DIGEST_INVALID`, `TOOMANYREQUESTS`, `UNSUPPORTED`, …, as the
 * distribution spec lists them) or the client's: `INVALID_REF`, `INSECURE`, `NETWORK`, `ABORTED`,
 * `DIGEST_MISMATCH`, `SIZE_MISMATCH`, `NOT_AN_ADAPTER`, `INVALID_MANIFEST`, `INVALID_ARTIFACT`,
 * `TOKEN_FAILED`, `HTTP_ERROR`.
 */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  /** HTTP status that caused it; 0 when no response was involved (a bad reference, a network failure). */
  readonly status: number;
  readonly code: string;
  /** The URL of the failing request, when there was one. */
  readonly url: string | undefined;

  constructor(message: string, options: { status?: number; code: string; url?: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? 0;
    this.code = options.code;
    this.url = options.url;
  }
}
