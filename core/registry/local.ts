// The local-folder backend of the adapter marketplace, which is also the install cache:
//
//   <root>/<repository>/<tag>/adapter_config.json, adapter_model.safetensors, …   the adapter's files
//   <root>/<repository>/<tag>/.adapter-index.json                              the version's index
//   <root>/.tmp/…                                                              installs in progress
//
// The index is this backend's manifest: the files with their sha256 digests and sizes plus the annotations;
// the version's digest is the sha256 of the index's bytes. Core does no I/O, so the folder is reached through
// an injected `FileStore` (the CLI's lives in cli/registry-env.ts; tests use an in-memory one).
//
// Installs are atomic: everything is written into a fresh temp folder under <root>/.tmp, read back and
// verified, and only then renamed into place; a failed or killed install leaves at most a temp folder, never
// a half-written version.

import { sha256Digest, verifyDigest } from './digest.js';
import {
  ANNOTATION,
  encodeJson,
  isSafeFileName,
  validateAnnotations,
  validateArtifactFiles,
  matchesSearch,
} from './oci-layout.js';
import { isValidTag } from './ref.js';
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

/**
 * A folder tree addressed by `/`-separated paths relative to its root (no `.`/`..` parts; the store may assume
 * that). Implementations for Node (cli/registry-env.ts) and memory (tests).
 */
export interface FileStore {
  /** The file's bytes, or undefined when there is no such file. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Writes a file, creating its parent folders. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  /**
   * Renames a file or folder (atomically where the platform can), creating the destination's parent folders.
   * The destination must not exist.
   */
  rename(from: string, to: string): Promise<void>;
  /** Names of the entries of a folder; empty when it does not exist or is not a folder. */
  list(path: string): Promise<string[]>;
  /** Removes a file or a folder with everything in it; nothing when it does not exist. */
  remove(path: string): Promise<void>;
  /** Creates a new empty folder whose name starts with `prefix` (a path) and returns its path. */
  mkdtemp(prefix: string): Promise<string>;
}

/** Name of the index file in each version folder (hidden; no adapter file may take it). */
export const LOCAL_INDEX_FILE = '.adapter-index.json';
/** Folder under the root where installs are staged. */
export const LOCAL_TEMP_DIR = '.tmp';
export const LOCAL_INDEX_MEDIA_TYPE = 'application/vnd.promptadapter.local-index.v1+json';

export interface LocalIndexFile {
  readonly name: string;
  readonly digest: string;
  readonly size: number;
}

export interface LocalIndex {
  readonly schemaVersion: 1;
  readonly mediaType: typeof LOCAL_INDEX_MEDIA_TYPE;
  readonly repository: string;
  readonly tag: string;
  readonly files: readonly LocalIndexFile[];
  readonly annotations: Readonly<Record<string, string>>;
}

// Repository components: the OCI grammar and Hub ids both fit (Hub ids have upper case); no leading dot, so
// that `.tmp` and index files never look like repositories.
const LOCAL_COMPONENT = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
const MAX_DEPTH = 8;

export function isValidLocalRepository(repository: string): boolean {
  const parts = repository.split('/');
  return parts.length <= MAX_DEPTH && parts.every((p) => LOCAL_COMPONENT.test(p) && !p.includes('..'));
}

const decoder = new TextDecoder();

function invalid(message: string): RegistryError {
  return new RegistryError(message, { code: 'INVALID_REF' });
}

/** Parses and checks an index read from the store (it is data on disk: anything may have changed it). */
export function parseLocalIndex(bytes: Uint8Array, where: string): LocalIndex {
  const bad = (why: string): RegistryError =>
    new RegistryError(`${where}: ${why}; reinstall this version`, { code: 'INVALID_MANIFEST' });
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(bytes));
  } catch {
    throw bad('the index is not JSON');
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (o.schemaVersion !== 1 || o.mediaType !== LOCAL_INDEX_MEDIA_TYPE) throw bad('not an adapter index');
  if (typeof o.repository !== 'string' || typeof o.tag !== 'string') throw bad('repository or tag missing');
  if (!Array.isArray(o.files)) throw bad("'files' is not a list");
  const files = o.files.map((f: unknown, i) => {
    const r = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    if (
      typeof r.name !== 'string' ||
      !isSafeFileName(r.name) ||
      typeof r.digest !== 'string' ||
      typeof r.size !== 'number'
    ) {
      throw bad(`file ${i} needs a safe name, a digest and a size`);
    }
    return { name: r.name, digest: r.digest, size: r.size };
  });
  const a = o.annotations;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw bad("'annotations' is not an object");
  const annotations: Record<string, string> = {};
  for (const [k, val] of Object.entries(a)) {
    if (typeof val !== 'string') throw bad(`annotation '${k}' is not a string`);
    annotations[k] = val;
  }
  return {
    schemaVersion: 1,
    mediaType: LOCAL_INDEX_MEDIA_TYPE,
    repository: o.repository,
    tag: o.tag,
    files,
    annotations,
  };
}

export interface LocalRegistryOptions {
  readonly store: FileStore;
  /** Shown in messages and ids, e.g. the root folder's path. */
  readonly label?: string;
  readonly now?: () => number;
}

export class LocalRegistry implements AdapterRegistry {
  readonly id: string;
  private readonly store: FileStore;
  private readonly label: string;
  private readonly now: () => number;

  constructor(options: LocalRegistryOptions) {
    this.store = options.store;
    this.label = options.label ?? 'local';
    this.id = `local:${this.label}`;
    this.now = options.now ?? Date.now;
  }

  private checkRepository(repository: string): void {
    if (!isValidLocalRepository(repository)) {
      throw invalid(
        `'${repository}' is not a valid repository name for the local store (components of letters, digits, '.', '_', '-' separated by '/')`,
      );
    }
  }

  private checkTag(tag: string): void {
    if (!isValidTag(tag)) throw invalid(`'${tag}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
  }

  private async readIndex(
    repository: string,
    tag: string,
  ): Promise<{ index: LocalIndex; bytes: Uint8Array; digest: string } | undefined> {
    const bytes = await this.store.readFile(`${repository}/${tag}/${LOCAL_INDEX_FILE}`);
    if (bytes === undefined) return undefined;
    const index = parseLocalIndex(bytes, `${this.label}/${repository}/${tag}/${LOCAL_INDEX_FILE}`);
    return { index, bytes, digest: await sha256Digest(bytes) };
  }

  // -------------------------------------------------------------------------------------------------------
  // listing

  async listRepositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (prefix: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH) return;
      for (const name of (await this.store.list(prefix)).sort()) {
        if (!LOCAL_COMPONENT.test(name)) continue; // .tmp, index files, stray names
        const path = prefix === '' ? name : `${prefix}/${name}`;
        if ((await this.listTags(path)).length > 0) out.push(path);
        await walk(path, depth + 1);
      }
    };
    await walk('', 1);
    return out;
  }

  async listTags(repository: string): Promise<string[]> {
    this.checkRepository(repository);
    const tags: string[] = [];
    for (const name of (await this.store.list(repository)).sort()) {
      if (!isValidTag(name)) continue;
      if ((await this.store.readFile(`${repository}/${name}/${LOCAL_INDEX_FILE}`)) !== undefined)
        tags.push(name);
    }
    return tags;
  }

  // -------------------------------------------------------------------------------------------------------
  // resolve / pull

  private async find(
    ref: AdapterRef,
  ): Promise<{ tag: string; index: LocalIndex; bytes: Uint8Array; digest: string }> {
    this.checkRepository(ref.repository);
    const where = `${this.label}/${ref.repository}`;
    if (ref.tag !== undefined || ref.digest === undefined) {
      const tag = ref.tag ?? 'latest';
      this.checkTag(tag);
      const got = await this.readIndex(ref.repository, tag);
      if (got === undefined) {
        throw new RegistryError(
          `no version '${tag}' in ${where}; installed: ${(await this.listTags(ref.repository)).join(', ') || 'none'}`,
          {
            status: 404,
            code: 'MANIFEST_UNKNOWN',
          },
        );
      }
      if (ref.digest !== undefined && got.digest !== ref.digest) {
        throw new RegistryError(`${where}:${tag} is ${got.digest}, not the requested ${ref.digest}`, {
          code: 'DIGEST_MISMATCH',
        });
      }
      return { tag, ...got };
    }
    for (const tag of await this.listTags(ref.repository)) {
      const got = await this.readIndex(ref.repository, tag);
      if (got !== undefined && got.digest === ref.digest) return { tag, ...got };
    }
    throw new RegistryError(`no version ${ref.digest} in ${where}`, {
      status: 404,
      code: 'MANIFEST_UNKNOWN',
    });
  }

  async resolve(ref: AdapterRef): Promise<ResolvedAdapter> {
    const got = await this.find(ref);
    return {
      repository: ref.repository,
      tag: got.tag,
      digest: got.digest,
      mediaType: LOCAL_INDEX_MEDIA_TYPE,
      size: got.bytes.byteLength,
      annotations: got.index.annotations,
      manifestBytes: got.bytes,
    };
  }

  /** Reads a version back; every file is checked against the index's digest before it is returned. */
  async pull(ref: AdapterRef, options?: OperationOptions): Promise<PulledAdapter> {
    const got = await this.find(ref);
    const base = `${ref.repository}/${got.tag}`;
    const files: AdapterFile[] = [];
    for (const f of got.index.files) {
      options?.signal?.throwIfAborted();
      const bytes = await this.store.readFile(`${base}/${f.name}`);
      if (bytes === undefined) {
        throw new RegistryError(
          `${this.label}/${base}/${f.name} is in the index but missing; reinstall this version`,
          {
            code: 'BLOB_UNKNOWN',
          },
        );
      }
      await verifyDigest(bytes, f, `${this.label}/${base}/${f.name}`);
      options?.onProgress?.({ phase: 'download', item: f.name, bytesDone: f.size, bytesTotal: f.size });
      files.push({ name: f.name, bytes });
    }
    return {
      repository: ref.repository,
      tag: got.tag,
      digest: got.digest,
      files,
      annotations: got.index.annotations,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // publish (install)

  /**
   * Installs a version atomically: staged under .tmp, verified by reading it back, then renamed into place
   * (an existing version under the same tag is replaced only after the new one is complete).
   */
  async publish(
    ref: AdapterRef,
    artifact: AdapterArtifact,
    options?: OperationOptions,
  ): Promise<PublishedAdapter> {
    this.checkRepository(ref.repository);
    const where = `installing into ${this.label}/${ref.repository}`;
    if (ref.tag === undefined) throw invalid(`${where}: a version tag is required`);
    if (ref.digest !== undefined)
      throw invalid(`${where}: give a tag, not a digest (the digest is computed)`);
    this.checkTag(ref.tag);
    validateArtifactFiles(artifact.files, where);
    validateAnnotations(artifact.annotations, where);
    if (artifact.files.some((f) => f.name === LOCAL_INDEX_FILE)) {
      throw new RegistryError(`${where}: '${LOCAL_INDEX_FILE}' is reserved for the index`, {
        code: 'INVALID_ARTIFACT',
      });
    }
    const annotations: Record<string, string> = { ...artifact.annotations };
    annotations[ANNOTATION.created] ??= new Date(this.now()).toISOString();
    const files: LocalIndexFile[] = [];
    for (const f of artifact.files) {
      files.push({ name: f.name, digest: await sha256Digest(f.bytes), size: f.bytes.byteLength });
    }
    const index: LocalIndex = {
      schemaVersion: 1,
      mediaType: LOCAL_INDEX_MEDIA_TYPE,
      repository: ref.repository,
      tag: ref.tag,
      files,
      annotations,
    };
    const indexBytes = encodeJson(index);
    const target = `${ref.repository}/${ref.tag}`;

    const staged = await this.store.mkdtemp(`${LOCAL_TEMP_DIR}/install-`);
    let trash: string | undefined;
    try {
      for (const f of artifact.files) {
        options?.signal?.throwIfAborted();
        await this.store.writeFile(`${staged}/${f.name}`, f.bytes);
        options?.onProgress?.({
          phase: 'upload',
          item: f.name,
          bytesDone: f.bytes.byteLength,
          bytesTotal: f.bytes.byteLength,
        });
      }
      // The index last: a staged folder without it is never mistaken for a version.
      await this.store.writeFile(`${staged}/${LOCAL_INDEX_FILE}`, indexBytes);
      // Read everything back: a full disk or a flaky store shows up here, before anything is replaced.
      for (const f of files) {
        const back = await this.store.readFile(`${staged}/${f.name}`);
        if (back === undefined) {
          throw new RegistryError(`${where}: ${f.name} vanished while installing`, { code: 'BLOB_UNKNOWN' });
        }
        await verifyDigest(back, f, `${where}: ${f.name} as written`);
      }
      options?.signal?.throwIfAborted();
      if ((await this.store.list(target)).length > 0) {
        trash = await this.store.mkdtemp(`${LOCAL_TEMP_DIR}/replaced-`);
        await this.store.remove(trash);
        await this.store.rename(target, trash);
      } else {
        await this.store.remove(target); // an empty folder would block the rename
      }
      await this.store.rename(staged, target);
    } catch (e) {
      await this.store.remove(staged);
      // Put the previous version back if the new one did not make it.
      if (trash !== undefined && (await this.store.list(target)).length === 0) {
        await this.store.remove(target);
        await this.store.rename(trash, target);
        trash = undefined;
      }
      throw e;
    } finally {
      if (trash !== undefined) await this.store.remove(trash);
    }
    return {
      repository: ref.repository,
      tag: ref.tag,
      digest: await sha256Digest(indexBytes),
      size: indexBytes.byteLength,
    };
  }

  /** Removes one version (a digest removes every tag that holds it). */
  async delete(ref: AdapterRef): Promise<void> {
    if (ref.tag !== undefined) {
      const got = await this.find(ref);
      await this.store.remove(`${ref.repository}/${got.tag}`);
      return;
    }
    const digest = (await this.find(ref)).digest;
    for (const tag of await this.listTags(ref.repository)) {
      const got = await this.readIndex(ref.repository, tag);
      if (got?.digest === digest) await this.store.remove(`${ref.repository}/${tag}`);
    }
  }

  /** Removes staged installs left behind by an interrupted process. */
  async cleanTemp(): Promise<void> {
    await this.store.remove(LOCAL_TEMP_DIR);
  }

  async search(query: SearchQuery, options?: OperationOptions): Promise<SearchResult[]> {
    const repos = query.repositories ?? (await this.listRepositories());
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: SearchResult[] = [];
    for (const repo of repos) {
      if (!isValidLocalRepository(repo)) continue;
      options?.onProgress?.({ phase: 'search', item: repo, bytesDone: out.length, bytesTotal: 0 });
      for (const tag of await this.listTags(repo)) {
        if (out.length >= limit) return out;
        const got = await this.readIndex(repo, tag);
        if (got === undefined) continue;
        const a = got.index.annotations;
        if (!matchesSearch(query, [repo, tag], a)) continue;
        out.push({ repository: repo, tag, digest: got.digest, annotations: a });
      }
    }
    return out;
  }
}
