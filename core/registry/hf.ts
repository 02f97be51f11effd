// The Hugging Face Hub backend of the adapter marketplace, through @huggingface/hub (hubUrl and fetch
// injected, so the CLI, the extension host and the tests' local server share it).
//
// How the marketplace maps onto the Hub:
//   repository  `owner/name` (a model repo), one adapter per repo, in PEFT's save_pretrained layout:
//               adapter_config.json, adapter_model.safetensors, README.md (model card) + our metadata file
//   tag         a git revision (branch, tag or commit); publish commits to `main`
//   digest      the 40-hex commit id a revision resolved to: pulls pin it, so every file comes from one commit
//   search      GET /api/models with `filter=peft` and `filter=base_model:adapter:<id>` (the Hub derives that
//               tag from the card's `base_model` when `library_name: peft`), plus our task tag
//   download    every file is checked against the tree listing of the pinned commit before it is returned:
//               LFS files by their sha256 (`lfs.oid`), others by their git blob id (sha1 of
//               "blob <size>\0" + bytes), because what a server or a CDN hands out is not proof of itself.

import {
  HubApiError,
  commit,
  createRepo,
  downloadFile,
  listFiles,
  listModels,
  modelInfo,
} from '@huggingface/hub';
import type { CommitOperation, ListFileEntry, RepoDesignation } from '@huggingface/hub';
import {
  annotationsFromCard,
  buildModelCard,
  hubTag,
  metaOfArtifact,
  metadataFileOf,
} from './adapter-files.js';
import { sha256Digest } from './digest.js';
import {
  ADAPTER_FILE,
  ANNOTATION,
  encodeJson,
  isSafeFileName,
  searchTextMatches,
  validateArtifactFiles,
} from './oci-layout.js';
import { isLoopbackHost } from './ref.js';
import { RegistryError } from './types.js';
import type {
  AdapterArtifact,
  AdapterFile,
  AdapterRef,
  AdapterRegistry,
  OperationOptions,
  PublishedAdapter,
  PulledAdapter,
  ResolvedAdapter,
  SearchQuery,
  SearchResult,
} from './types.js';

export const HF_HUB_URL = 'https://huggingface.co';

/** `mediaType` of what `resolve` returns for a Hub revision: the JSON file listing of the pinned commit. */
export const HF_TREE_MEDIA_TYPE = 'application/vnd.promptadapter.hf-tree.v1+json';

export interface HfRegistryOptions {
  /** The Hub's address (default https://huggingface.co); plain http only for loopback hosts. */
  readonly hubUrl?: string;
  readonly fetch: typeof fetch;
  /** A user access token (`hf_…`); needed to publish and to read private or gated repos. */
  readonly accessToken?: string;
  readonly now?: () => number;
  /** Files larger than this are refused before download (default 2 GiB). */
  readonly maxFileBytes?: number;
  /**
   * Search reads at most this many models from the Hub (default 1000): the Hub filters by tags, but telling a
   * prompt-learning adapter from a LoRA one needs the card, so an unfiltered `hf://` search must stop somewhere.
   */
  readonly maxSearchScan?: number;
}

export interface HfSearchQuery extends SearchQuery {
  /** Only repositories of this user or organization (`hf://owner`). */
  readonly owner?: string;
}

/** One file of a pinned Hub revision, with what its bytes must hash to. */
export interface HfFileEntry {
  readonly name: string;
  readonly size: number;
  /** `sha256:<hex>` for LFS files (the Hub's `lfs.oid`). */
  readonly sha256?: string;
  /** Git blob id (40 hex) for files stored in git itself. */
  readonly gitOid?: string;
}

const COMMIT_ID = /^[0-9a-f]{40}$/;
const HF_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const encoder = new TextEncoder();

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Git's object id of a blob: sha1("blob <size>\0" + bytes), as the Hub reports for non-LFS files. */
export async function gitBlobOid(bytes: Uint8Array): Promise<string> {
  const header = encoder.encode(`blob ${bytes.byteLength}\0`);
  const all = new Uint8Array(header.byteLength + bytes.byteLength);
  all.set(header, 0);
  all.set(bytes, header.byteLength);
  return toHex(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', all)));
}

/** Throws DIGEST_MISMATCH / SIZE_MISMATCH unless `bytes` are what the tree listing says. */
export async function verifyHubFile(bytes: Uint8Array, entry: HfFileEntry, what: string): Promise<void> {
  if (bytes.byteLength !== entry.size) {
    throw new RegistryError(
      `${what}: received ${bytes.byteLength} bytes but the Hub lists ${entry.size}; refusing it (the download was damaged or replaced)`,
      { code: 'SIZE_MISMATCH' },
    );
  }
  if (entry.sha256 !== undefined) {
    const actual = await sha256Digest(bytes);
    if (actual !== entry.sha256) {
      throw new RegistryError(
        `${what}: content hashes to ${actual} but the Hub lists ${entry.sha256} (LFS oid); refusing it (the download was damaged or tampered with)`,
        { code: 'DIGEST_MISMATCH' },
      );
    }
    return;
  }
  if (entry.gitOid !== undefined) {
    const actual = await gitBlobOid(bytes);
    if (actual !== entry.gitOid) {
      throw new RegistryError(
        `${what}: git blob id ${actual} but the Hub lists ${entry.gitOid}; refusing it (the download was damaged or tampered with)`,
        { code: 'DIGEST_MISMATCH' },
      );
    }
    return;
  }
  throw new RegistryError(`${what}: the Hub gave no hash for it, so it cannot be verified; refusing it`, {
    code: 'DIGEST_MISMATCH',
  });
}

function statusCode(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NAME_UNKNOWN';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'TOOMANYREQUESTS';
  return 'HTTP_ERROR';
}

export class HfRegistry implements AdapterRegistry {
  readonly id: string;
  readonly hubUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly accessToken: string | undefined;
  private readonly now: () => number;
  private readonly maxFileBytes: number;
  private readonly maxSearchScan: number;

  constructor(options: HfRegistryOptions) {
    const hubUrl = (options.hubUrl ?? HF_HUB_URL).replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(hubUrl);
    } catch {
      throw new RegistryError(`'${hubUrl}' is not a URL (expected e.g. https://huggingface.co)`, {
        code: 'INVALID_REF',
      });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      throw new RegistryError(
        `refusing ${url.protocol}// for ${url.host}: only loopback hubs (localhost, 127.0.0.0/8, [::1]) may be reached without TLS`,
        { code: 'INSECURE' },
      );
    }
    if (
      options.accessToken !== undefined &&
      options.accessToken !== '' &&
      !options.accessToken.startsWith('hf_')
    ) {
      // @huggingface/hub throws a bare TypeError for this; say what to do instead.
      throw new RegistryError(
        'the Hugging Face token does not start with "hf_"; create a user access token at https://huggingface.co/settings/tokens and set HF_TOKEN',
        { code: 'UNAUTHORIZED' },
      );
    }
    this.hubUrl = hubUrl;
    this.id = `hf:${hubUrl}`;
    this.fetchImpl = options.fetch;
    this.accessToken = options.accessToken === '' ? undefined : options.accessToken;
    this.now = options.now ?? Date.now;
    this.maxFileBytes = options.maxFileBytes ?? 2 * 1024 * 1024 * 1024;
    this.maxSearchScan = options.maxSearchScan ?? 1000;
  }

  // -------------------------------------------------------------------------------------------------------

  /** The library's common parameters, with the operation's abort signal threaded into every request. */
  private params(options?: OperationOptions): {
    hubUrl: string;
    fetch: typeof fetch;
    accessToken?: string;
  } {
    const base = this.fetchImpl;
    const signal = options?.signal;
    const f = ((input: RequestInfo | URL, init?: RequestInit) =>
      base(input, signal === undefined ? init : { ...init, signal: init?.signal ?? signal })) as typeof fetch;
    return {
      hubUrl: this.hubUrl,
      fetch: f,
      ...(this.accessToken === undefined ? {} : { accessToken: this.accessToken }),
    };
  }

  private repo(repository: string): RepoDesignation {
    const parts = repository.split('/');
    if (parts.length !== 2 || !parts.every((p) => HF_NAME.test(p))) {
      throw new RegistryError(
        `'${repository}' is not a Hub repository id (owner/name: letters, digits, '-', '_', '.')`,
        { code: 'INVALID_REF' },
      );
    }
    return { type: 'model', name: repository };
  }

  /** Turns what @huggingface/hub throws into a RegistryError that says what to do. */
  private wrap(e: unknown, context: string): RegistryError {
    if (e instanceof RegistryError) return e;
    if (e instanceof HubApiError) {
      const status = e.statusCode;
      const hint =
        status === 401
          ? this.accessToken === undefined
            ? '; set HF_TOKEN to a Hugging Face access token'
            : '; the token was refused: check HF_TOKEN (a write token is needed to publish)'
          : status === 403
            ? '; this token may not do that (publishing needs a write token with access to the owner)'
            : status === 404
              ? '; check the owner/name and revision (a private repo also answers 404 without a token)'
              : '';
      return new RegistryError(
        `${context}: the Hub at ${this.hubUrl} answered HTTP ${status}: ${e.message}${hint}`,
        { status, code: statusCode(status), url: e.url, cause: e },
      );
    }
    if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) {
      return new RegistryError(`${context}: aborted`, { code: 'ABORTED', cause: e });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new RegistryError(`${context}: ${message} (is ${this.hubUrl} reachable?)`, {
      code: 'NETWORK',
      cause: e,
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // listing

  async listRepositories(options?: OperationOptions & { owner?: string }): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const m of listModels({
        ...this.params(options),
        search: { tags: ['peft'], ...(options?.owner === undefined ? {} : { owner: options.owner }) },
      })) {
        out.push(m.name);
      }
    } catch (e) {
      throw this.wrap(e, 'listing PEFT repositories');
    }
    return out;
  }

  /**
   * The Hub keeps versions as commits of one branch: the revision the marketplace lists is `main` (refs
   * other than main can still be pulled by name or commit id).
   */
  async listTags(repository: string, options?: OperationOptions): Promise<string[]> {
    await this.revisionInfo(repository, 'main', options);
    return ['main'];
  }

  private async revisionInfo(
    repository: string,
    revision: string,
    options?: OperationOptions,
  ): Promise<{ sha: string; annotations: Record<string, string> }> {
    const repo = this.repo(repository);
    let info;
    try {
      info = await modelInfo({
        ...this.params(options),
        name: typeof repo === 'string' ? repo : repo.name,
        revision,
        additionalFields: ['sha', 'cardData', 'tags'],
      });
    } catch (e) {
      throw this.wrap(e, `reading hf://${repository}@${revision}`);
    }
    const sha = info.sha;
    if (typeof sha !== 'string' || !COMMIT_ID.test(sha)) {
      throw new RegistryError(`hf://${repository}@${revision}: the Hub gave no commit id for the revision`, {
        code: 'HTTP_ERROR',
      });
    }
    const annotations = annotationsFromCard(info.cardData, Array.isArray(info.tags) ? info.tags : []) ?? {};
    return { sha, annotations };
  }

  /** The files at the top of a pinned revision, with the hashes the Hub lists for them. */
  async listRevisionFiles(
    repository: string,
    commitId: string,
    options?: OperationOptions,
  ): Promise<HfFileEntry[]> {
    const repo = this.repo(repository);
    const entries: ListFileEntry[] = [];
    try {
      for await (const e of listFiles({ ...this.params(options), repo, revision: commitId })) entries.push(e);
    } catch (e) {
      throw this.wrap(e, `listing the files of hf://${repository}@${commitId}`);
    }
    return entries
      .filter((e) => e.type === 'file' && e.path !== '.gitattributes')
      .map((e) => ({
        name: e.path,
        size: e.lfs?.size ?? e.size,
        ...(e.lfs === undefined ? {} : { sha256: `sha256:${e.lfs.oid}` }),
        ...(e.oid === undefined || e.lfs !== undefined ? {} : { gitOid: e.oid }),
      }));
  }

  // -------------------------------------------------------------------------------------------------------
  // resolve / pull

  private revisionOf(ref: AdapterRef): string {
    return ref.digest ?? ref.tag ?? 'main';
  }

  async resolve(ref: AdapterRef, options?: OperationOptions): Promise<ResolvedAdapter> {
    const revision = this.revisionOf(ref);
    options?.onProgress?.({
      phase: 'resolve',
      item: `${ref.repository}@${revision}`,
      bytesDone: 0,
      bytesTotal: 0,
    });
    const info = await this.revisionInfo(ref.repository, revision, options);
    if (ref.digest !== undefined && ref.digest !== info.sha) {
      throw new RegistryError(
        `hf://${ref.repository}@${ref.digest}: the Hub resolved it to commit ${info.sha}; give the full 40-hex commit id to pin a version`,
        { code: 'DIGEST_MISMATCH' },
      );
    }
    const files = await this.listRevisionFiles(ref.repository, info.sha, options);
    const bytes = encodeJson({ repository: ref.repository, commit: info.sha, files });
    return {
      repository: ref.repository,
      ...(ref.tag === undefined ? {} : { tag: ref.tag }),
      digest: info.sha,
      mediaType: HF_TREE_MEDIA_TYPE,
      size: bytes.byteLength,
      annotations: info.annotations,
      manifestBytes: bytes,
    };
  }

  /** Downloads every file of the pinned revision; nothing is returned unless each matched its listed hash. */
  async pull(ref: AdapterRef, options?: OperationOptions): Promise<PulledAdapter> {
    const resolved = await this.resolve(ref, options);
    const where = `hf://${ref.repository}@${resolved.digest}`;
    const entries = (JSON.parse(new TextDecoder().decode(resolved.manifestBytes)) as { files: HfFileEntry[] })
      .files;
    if (!entries.some((e) => e.name === ADAPTER_FILE.config)) {
      throw new RegistryError(`${where} has no ${ADAPTER_FILE.config}: it is not a PEFT adapter`, {
        code: 'NOT_AN_ADAPTER',
      });
    }
    const files: AdapterFile[] = [];
    for (const entry of entries) {
      if (!isSafeFileName(entry.name)) continue; // a sub-folder file: not part of PEFT's flat layout
      if (entry.size > this.maxFileBytes) {
        throw new RegistryError(
          `${where}/${entry.name} is ${entry.size} bytes, over the ${this.maxFileBytes}-byte limit`,
          {
            code: 'TOO_LARGE',
          },
        );
      }
      options?.onProgress?.({ phase: 'download', item: entry.name, bytesDone: 0, bytesTotal: entry.size });
      let blob: Blob | null;
      try {
        blob = await downloadFile({
          ...this.params(options),
          repo: this.repo(ref.repository),
          path: entry.name,
          revision: resolved.digest,
        });
      } catch (e) {
        throw this.wrap(e, `downloading ${where}/${entry.name}`);
      }
      if (blob === null) {
        throw new RegistryError(`${where}/${entry.name} is listed but the Hub does not serve it`, {
          status: 404,
          code: 'BLOB_UNKNOWN',
        });
      }
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await blob.arrayBuffer());
      } catch (e) {
        throw this.wrap(e, `downloading ${where}/${entry.name}`);
      }
      await verifyHubFile(bytes, entry, `${entry.name} from ${where}`);
      options?.onProgress?.({
        phase: 'download',
        item: entry.name,
        bytesDone: entry.size,
        bytesTotal: entry.size,
      });
      files.push({ name: entry.name, bytes });
    }
    return {
      repository: ref.repository,
      ...(ref.tag === undefined ? {} : { tag: ref.tag }),
      digest: resolved.digest,
      files,
      annotations: resolved.annotations,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // publish

  /**
   * Publishes an adapter as one commit on `main` of `owner/name` (the repo is created when missing): the
   * folder's files, a model card (README.md) with PEFT's front matter, and our metadata file when the folder
   * has none. Returns the commit id as the digest.
   */
  async publish(
    ref: AdapterRef,
    artifact: AdapterArtifact,
    options?: OperationOptions,
  ): Promise<PublishedAdapter> {
    const where = `publishing to hf://${ref.repository}`;
    const repo = this.repo(ref.repository);
    if (this.accessToken === undefined) {
      throw new RegistryError(`${where}: publishing needs a Hugging Face write token; set HF_TOKEN`, {
        code: 'UNAUTHORIZED',
      });
    }
    if (ref.digest !== undefined || (ref.tag !== undefined && ref.tag !== 'main')) {
      throw new RegistryError(
        `${where}: the Hub keeps versions as commits of main; publish to hf://${ref.repository} (each publish is a new commit, pinned by its id)`,
        { code: 'INVALID_REF' },
      );
    }
    validateArtifactFiles(artifact.files, where);
    const meta = metaOfArtifact(artifact, where);
    const created = meta.created ?? new Date(this.now()).toISOString();
    const full = { ...meta, created };
    const readme = artifact.files.find((f) => f.name === ADAPTER_FILE.readme);
    const files: AdapterFile[] = [
      ...artifact.files.filter((f) => f.name !== ADAPTER_FILE.readme),
      { name: ADAPTER_FILE.readme, bytes: buildModelCard(full, ref.repository, readme?.bytes) },
    ];
    if (metadataFileOf(artifact.files) === undefined) {
      // Not under prompt_adapter.json: that name holds training's own format (core/tasks/metadata.ts), which
      // this generated summary is not, and the CLI would refuse to load it there.
      files.push({ name: ADAPTER_FILE.legacyMetadata, bytes: encodeJson(full) });
    }

    const params = this.params(options);
    try {
      await createRepo({ ...params, accessToken: this.accessToken, repo });
    } catch (e) {
      // 409: the repository exists already; publishing adds a commit to it.
      if (!(e instanceof HubApiError && e.statusCode === 409))
        throw this.wrap(e, `${where}: creating the repository`);
    }
    const operations: CommitOperation[] = files.map((f) => ({
      operation: 'addOrUpdate',
      path: f.name,
      content: new Blob([new Uint8Array(f.bytes)]),
    }));
    const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
    options?.onProgress?.({ phase: 'upload', item: ref.repository, bytesDone: 0, bytesTotal: total });
    let out;
    try {
      out = await commit({
        ...params,
        accessToken: this.accessToken,
        repo,
        operations,
        title: `Publish ${meta.method} adapter for ${meta.baseModel}${meta.version === undefined ? '' : ` (${meta.version})`}`,
        ...(options?.signal === undefined ? {} : { abortSignal: options.signal }),
      });
    } catch (e) {
      throw this.wrap(e, where);
    }
    const oid = out?.commit.oid;
    if (oid === undefined || !COMMIT_ID.test(oid)) {
      throw new RegistryError(`${where}: the Hub answered the commit without a commit id`, {
        code: 'HTTP_ERROR',
      });
    }
    options?.onProgress?.({ phase: 'upload', item: ref.repository, bytesDone: total, bytesTotal: total });
    return { repository: ref.repository, tag: 'main', digest: oid, size: total };
  }

  // -------------------------------------------------------------------------------------------------------
  // search

  /**
   * Finds prompt-learning PEFT adapters: the Hub filters by `peft`, `base_model:adapter:<id>` and the task tag;
   * the card data is checked again here (exact base model and task) and models that are not prompt-learning
   * adapters (LoRA and the like) are left out.
   */
  async search(query: HfSearchQuery, options?: OperationOptions): Promise<SearchResult[]> {
    const tags = ['peft'];
    if (query.baseModel !== undefined) tags.push(`base_model:adapter:${query.baseModel}`);
    if (query.task !== undefined) tags.push(hubTag(query.task));
    const text = query.text?.toLowerCase();
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: SearchResult[] = [];
    options?.onProgress?.({ phase: 'search', item: this.hubUrl, bytesDone: 0, bytesTotal: 0 });
    try {
      for await (const m of listModels({
        ...this.params(options),
        search: { tags, ...(query.owner === undefined ? {} : { owner: query.owner }) },
        additionalFields: ['cardData', 'tags', 'sha'],
        limit: this.maxSearchScan,
      })) {
        if (out.length >= limit) break;
        if (query.repositories !== undefined && !query.repositories.includes(m.name)) continue;
        const modelTags = Array.isArray(m.tags) ? m.tags : [];
        const a = annotationsFromCard(m.cardData, modelTags);
        if (a === undefined) continue;
        if (query.baseModel !== undefined && a[ANNOTATION.baseModel] !== query.baseModel) continue;
        const task = a[ANNOTATION.task];
        if (query.task !== undefined && task !== undefined && hubTag(task) !== hubTag(query.task)) continue;
        if (!searchTextMatches(text, [m.name], a)) continue;
        out.push({
          repository: m.name,
          tag: 'main',
          digest: typeof m.sha === 'string' ? m.sha : '',
          annotations: a,
        });
      }
    } catch (e) {
      throw this.wrap(e, `searching ${this.hubUrl} for adapters (tags ${tags.join(', ')})`);
    }
    return out;
  }

  /** The Hub has no per-version delete; a repository is deleted on the Hub's website. */
  delete(ref: AdapterRef): Promise<void> {
    return Promise.reject(
      new RegistryError(
        `hf://${ref.repository}: the Hub keeps every commit; delete the repository on the Hub's website (Settings → Delete) if it must go`,
        { code: 'UNSUPPORTED' },
      ),
    );
  }
}
