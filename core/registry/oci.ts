// The OCI Distribution backend of the adapter marketplace: a small client over an injected `fetch`
// (distribution-spec 1.1, checked against CNCF Distribution 2.8 as Debian packages it).
//
// What real registries need, and where this file does it:
//   - blob upload: HEAD to skip what exists; cross-repository mount (POST ?mount=&from=) when the blob is
//     known elsewhere; POST → 202 Location, then PUT ?digest= with Content-Type application/octet-stream
//     (Distribution 2.8 answers DIGEST_INVALID without it); PATCH chunks with Content-Range for large blobs
//   - manifest PUT with Content-Type application/vnd.oci.image.manifest.v1+json, by tag
//   - tags/list and _catalog paged through the `Link` header (Distribution 2.8 ignores `n` for tags)
//   - tag → digest: HEAD (Docker-Content-Digest), then GET by digest, and the bytes' sha256 checked
//   - pull: every blob hashed and compared with its descriptor BEFORE anything is returned (registries do
//     not re-check what they store: a blob altered on disk is served with 200)
//   - delete by digest (Distribution refuses DELETE by tag)
//   - referrers: GET /v2/<name>/referrers/<digest>, falling back to the `sha256-<hex>` tag schema, which the
//     client maintains on push when the registry does not answer `OCI-Subject` (Distribution 2.8, GHCR,
//     Docker Hub)
// Authentication and retries live in http.ts.

import { sha256Digest, verifyDigest } from './digest.js';
import { DEFAULT_RETRY, RegistryHttp } from './http.js';
import type { HttpResponse, RetryPolicy } from './http.js';
import {
  ADAPTER_FILE,
  ANNOTATION,
  EMPTY_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  MEDIA_TYPE,
  artifactTypeOf,
  buildArtifactManifest,
  encodeJson,
  isReferrersTag,
  isSafeFileName,
  parseIndex,
  parseManifest,
  referrersTag,
  validateAnnotations,
  validateArtifactFiles,
  matchesSearch,
} from './oci-layout.js';
import type { Descriptor, OciIndex, OciManifest } from './oci-layout.js';
import { isDigest, isValidRepository, isValidTag, parseOciRegistry } from './ref.js';
import { RegistryError } from './types.js';
import type {
  AdapterArtifact,
  AdapterFile,
  AdapterRef,
  AdapterRegistry,
  CredentialProvider,
  FetchLike,
  OperationOptions,
  PublishedAdapter,
  PulledAdapter,
  ResolvedAdapter,
  SearchQuery,
  SearchResult,
  SleepFn,
} from './types.js';

export * from './oci-layout.js';

export interface OciRegistryOptions {
  /** `host[:port]`, e.g. `ghcr.io` or `127.0.0.1:5000`. */
  readonly registry: string;
  readonly fetch: FetchLike;
  readonly credentials?: CredentialProvider;
  /** Defaults to http for loopback hosts and https otherwise; http for any other host is refused. */
  readonly scheme?: 'http' | 'https';
  readonly retry?: RetryPolicy;
  readonly sleep?: SleepFn;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Blobs larger than this are uploaded in PATCH chunks (default 16 MiB). */
  readonly chunkThreshold?: number;
  /** Chunk size of chunked uploads (default 8 MiB). */
  readonly chunkSize?: number;
  /** Page size asked of `_catalog` and `tags/list` (default 100). */
  readonly pageSize?: number;
  /** Larger blobs are refused before download (default 2 GiB). */
  readonly maxBlobBytes?: number;
  readonly userAgent?: string;
}

export interface PublishOptions extends OperationOptions {
  /** Repositories of this registry that may already hold some of the blobs (tried as mount sources). */
  readonly mountFrom?: readonly string[];
}

export interface PullOptions extends OperationOptions {
  /** Accept any artifact type instead of requiring an adapter (e.g. to read an evaluation report). */
  readonly anyArtifactType?: boolean;
}

export interface AttachOptions extends OperationOptions {
  readonly artifactType?: string;
}

export interface Referrer {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly annotations: Readonly<Record<string, string>>;
}

const MANIFEST_ACCEPT = [
  MEDIA_TYPE.manifest,
  MEDIA_TYPE.index,
  MEDIA_TYPE.dockerManifest,
  MEDIA_TYPE.dockerManifestList,
].join(', ');
const OCTET = 'application/octet-stream';
const MAX_PAGES = 10_000;

interface RegistryErrorBody {
  code: string;
  message: string;
  detail: string;
}

const decoder = new TextDecoder();

function registryErrors(body: Uint8Array): RegistryErrorBody[] {
  try {
    const parsed: unknown = JSON.parse(decoder.decode(body));
    const errors = (parsed as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) return [];
    return errors.map((e: unknown) => {
      const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
      const detail = r.detail;
      return {
        code: typeof r.code === 'string' ? r.code : '',
        message: typeof r.message === 'string' ? r.message : '',
        detail: detail === undefined ? '' : typeof detail === 'string' ? detail : JSON.stringify(detail),
      };
    });
  } catch {
    return [];
  }
}

function codeForStatus(status: number): string {
  if (status === 404) return 'NOT_FOUND';
  if (status === 403) return 'DENIED';
  if (status === 405) return 'UNSUPPORTED';
  if (status === 429) return 'TOOMANYREQUESTS';
  return 'HTTP_ERROR';
}

/** Parses the `next` target of an RFC 8288 `Link` header, e.g. `</v2/_catalog?last=b&n=2>; rel="next"`. */
export function parseNextLink(link: string | null): string | undefined {
  if (link === null) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m === null) continue;
    const params = m[2] ?? '';
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) return m[1];
  }
  return undefined;
}

function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}
function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

export class OciRegistry implements AdapterRegistry {
  readonly id: string;
  readonly registry: string;
  readonly http: RegistryHttp;
  private readonly now: () => number;
  private readonly chunkThreshold: number;
  private readonly chunkSize: number;
  private readonly pageSize: number;
  private readonly maxBlobBytes: number;
  /** Repositories in which a blob is known to exist (pushed or pulled here): mount sources. */
  private readonly blobHomes = new Map<string, Set<string>>();

  constructor(options: OciRegistryOptions) {
    const address = parseOciRegistry(options.registry);
    const scheme = options.scheme ?? address.scheme;
    if (scheme === 'http' && address.scheme !== 'http') {
      throw new RegistryError(
        `refusing plain http to ${address.registry}: only loopback registries (localhost, 127.0.0.0/8, [::1]) may be reached without TLS`,
        { code: 'INSECURE' },
      );
    }
    this.registry = address.registry;
    this.id = `oci:${address.registry}`;
    this.now = options.now ?? Date.now;
    this.chunkThreshold = options.chunkThreshold ?? 16 * 1024 * 1024;
    this.chunkSize = Math.max(1, options.chunkSize ?? 8 * 1024 * 1024);
    this.pageSize = options.pageSize ?? 100;
    this.maxBlobBytes = options.maxBlobBytes ?? 2 * 1024 * 1024 * 1024;
    this.http = new RegistryHttp({
      baseUrl: `${scheme}://${address.registry}`,
      registry: address.registry,
      fetch: options.fetch,
      credentials: options.credentials,
      retry: options.retry ?? DEFAULT_RETRY,
      sleep: options.sleep,
      now: options.now,
      random: options.random,
      userAgent: options.userAgent,
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // errors

  private fail(res: HttpResponse, context: string, hint?: string): RegistryError {
    const errors = registryErrors(res.body);
    const first = errors[0];
    const code = first !== undefined && first.code !== '' ? first.code : codeForStatus(res.status);
    const said = errors
      .map(
        (e) =>
          `${e.code}${e.message === '' ? '' : `: ${e.message}`}${e.detail === '' ? '' : ` (${e.detail})`}`,
      )
      .join('; ');
    const text = said !== '' ? said : decoder.decode(res.body.subarray(0, 200)).trim();
    return new RegistryError(
      `${context}: registry ${this.registry} answered HTTP ${res.status}${text === '' ? '' : ` ${text}`}${hint === undefined ? '' : `; ${hint}`}`,
      { status: res.status, code, url: res.url },
    );
  }

  private checkRepository(repo: string): void {
    if (!isValidRepository(repo)) {
      throw new RegistryError(
        `'${repo}' is not a valid repository name (lower-case [a-z0-9] components separated by '/')`,
        {
          code: 'INVALID_REF',
        },
      );
    }
  }

  private rememberBlob(digest: string, repo: string): void {
    let homes = this.blobHomes.get(digest);
    if (homes === undefined) this.blobHomes.set(digest, (homes = new Set()));
    homes.add(repo);
  }

  // -------------------------------------------------------------------------------------------------------
  // listing

  /** Follows `Link: <…>; rel="next"` pages, collecting `field` of each JSON page. */
  private async paged(
    first: string,
    field: 'repositories' | 'tags',
    scopes: string[],
    what: string,
    options?: OperationOptions,
  ): Promise<{ items: string[]; notFound: boolean }> {
    const items: string[] = [];
    const seen = new Set<string>();
    let url: string | undefined = first;
    for (let page = 0; url !== undefined; page++) {
      const absolute = this.http.resolveUrl(url);
      if (page >= MAX_PAGES || seen.has(absolute)) {
        throw new RegistryError(`${what}: the registry's page links loop (${absolute} again)`, {
          code: 'HTTP_ERROR',
          url: absolute,
        });
      }
      seen.add(absolute);
      const res = await this.http.request({ method: 'GET', url: absolute, scopes, signal: options?.signal });
      if (res.status === 404 && page === 0) return { items, notFound: true };
      if (res.status !== 200) throw this.fail(res, what);
      let body: unknown;
      try {
        body = JSON.parse(decoder.decode(res.body));
      } catch {
        throw new RegistryError(`${what}: the registry answered something that is not JSON`, {
          status: 200,
          code: 'HTTP_ERROR',
          url: absolute,
        });
      }
      const list = (body as Record<string, unknown> | null)?.[field];
      if (list !== null && list !== undefined) {
        if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
          throw new RegistryError(`${what}: '${field}' is not a list of strings`, {
            status: 200,
            code: 'HTTP_ERROR',
            url: absolute,
          });
        }
        items.push(...list);
      }
      const next = parseNextLink(res.headers.get('link'));
      url = next === undefined ? undefined : new URL(next, absolute).toString();
    }
    return { items, notFound: false };
  }

  /** Every repository of the registry (`_catalog`, paged). Public registries usually refuse it. */
  async listRepositories(options?: OperationOptions): Promise<string[]> {
    let result;
    try {
      result = await this.paged(
        `/v2/_catalog?n=${this.pageSize}`,
        'repositories',
        ['registry:catalog:*'],
        `listing the repositories of ${this.registry}`,
        options,
      );
    } catch (e) {
      if (e instanceof RegistryError && (e.status === 403 || e.status === 405 || e.code === 'UNSUPPORTED')) {
        throw new RegistryError(
          `registry ${this.registry} does not let this account list its repositories (_catalog); name the repositories to search instead`,
          { status: e.status, code: 'UNSUPPORTED', cause: e },
        );
      }
      throw e;
    }
    if (result.notFound) {
      throw new RegistryError(
        `registry ${this.registry} does not offer a catalog (_catalog answered 404); name the repositories to search instead`,
        { status: 404, code: 'UNSUPPORTED' },
      );
    }
    return result.items;
  }

  /** Every tag of a repository (`tags/list`, paged). */
  async listTags(repository: string, options?: OperationOptions): Promise<string[]> {
    this.checkRepository(repository);
    const { items, notFound } = await this.paged(
      `/v2/${repository}/tags/list?n=${this.pageSize}`,
      'tags',
      [pullScope(repository)],
      `listing the tags of ${this.registry}/${repository}`,
      options,
    );
    if (notFound) {
      throw new RegistryError(`repository ${this.registry}/${repository} does not exist`, {
        status: 404,
        code: 'NAME_UNKNOWN',
      });
    }
    return items;
  }

  // -------------------------------------------------------------------------------------------------------
  // manifests

  /** GET a manifest; its bytes are checked against `expected` (a digest reference) or the served digest. */
  private async getManifest(
    repo: string,
    reference: string,
    options?: OperationOptions,
  ): Promise<{ bytes: Uint8Array; digest: string; mediaType: string }> {
    const where = `${this.registry}/${repo}${isDigest(reference) ? '@' : ':'}${reference}`;
    const res = await this.http.request({
      method: 'GET',
      url: `/v2/${repo}/manifests/${reference}`,
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [pullScope(repo)],
      signal: options?.signal,
    });
    if (res.status === 404) {
      throw this.fail(
        res,
        `no manifest ${where}`,
        isDigest(reference) ? undefined : 'check the repository and tag (tags are versions)',
      );
    }
    if (res.status !== 200) throw this.fail(res, `reading manifest ${where}`);
    if (res.body.byteLength > MAX_MANIFEST_BYTES) {
      throw new RegistryError(
        `manifest ${where} is ${res.body.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
        {
          code: 'INVALID_MANIFEST',
          url: res.url,
        },
      );
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (isDigest(reference)) {
      await verifyDigest(res.body, { digest: reference }, `manifest ${where}`);
      return { bytes: res.body, digest: reference, mediaType };
    }
    const digest = await sha256Digest(res.body);
    const served = res.headers.get('docker-content-digest');
    if (served !== null && isDigest(served) && served !== digest) {
      throw new RegistryError(
        `manifest ${where}: the registry says it is ${served} but its bytes hash to ${digest}; refusing it`,
        { status: res.status, code: 'DIGEST_MISMATCH', url: res.url },
      );
    }
    return { bytes: res.body, digest, mediaType };
  }

  /** Tag → digest: HEAD for Docker-Content-Digest, falling back to GET when a registry omits it. */
  private async digestOfTag(
    repo: string,
    tag: string,
    options?: OperationOptions,
  ): Promise<string | undefined> {
    const res = await this.http.request({
      method: 'HEAD',
      url: `/v2/${repo}/manifests/${tag}`,
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [pullScope(repo)],
      signal: options?.signal,
    });
    if (res.status === 404) {
      throw new RegistryError(
        `no version '${tag}' in ${this.registry}/${repo}; check the repository and tag`,
        {
          status: 404,
          code: 'MANIFEST_UNKNOWN',
          url: res.url,
        },
      );
    }
    if (res.status !== 200) return undefined;
    const d = res.headers.get('docker-content-digest');
    return d !== null && isDigest(d) ? d : undefined;
  }

  async resolve(ref: AdapterRef, options?: OperationOptions): Promise<ResolvedAdapter> {
    this.checkRepository(ref.repository);
    const repo = ref.repository;
    const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
    if (tag !== undefined && !isValidTag(tag))
      throw new RegistryError(`'${tag}' is not a valid tag`, { code: 'INVALID_REF' });
    if (ref.digest !== undefined && !isDigest(ref.digest)) {
      throw new RegistryError(`'${ref.digest}' is not a sha256 digest`, { code: 'INVALID_REF' });
    }
    options?.onProgress?.({
      phase: 'resolve',
      item: `${repo}:${tag ?? ref.digest ?? ''}`,
      bytesDone: 0,
      bytesTotal: 0,
    });
    // A digest pins the version; a tag is looked up and then the manifest is read by its digest.
    const pinned = ref.digest ?? (tag === undefined ? undefined : await this.digestOfTag(repo, tag, options));
    const got = await this.getManifest(repo, pinned ?? tag ?? 'latest', options);
    const manifest = parseManifest(
      got.bytes,
      `manifest ${this.registry}/${repo}@${got.digest}`,
      got.mediaType,
    );
    return {
      repository: repo,
      ...(tag === undefined ? {} : { tag }),
      digest: got.digest,
      mediaType: manifest.mediaType,
      size: got.bytes.byteLength,
      ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
      annotations: manifest.annotations ?? {},
      manifestBytes: got.bytes,
    };
  }

  /** PUT a manifest (or index) by tag or digest. Returns its digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    options?: OperationOptions,
  ): Promise<{ digest: string; subjectHeader: string | null }> {
    this.checkRepository(repository);
    const digest = await sha256Digest(bytes);
    const where = `${this.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
    options?.onProgress?.({ phase: 'manifest', item: where, bytesDone: 0, bytesTotal: bytes.byteLength });
    const res = await this.http.request({
      method: 'PUT',
      url: `/v2/${repository}/manifests/${reference}`,
      headers: { 'Content-Type': mediaType },
      body: bytes,
      scopes: [pushScope(repository)],
      signal: options?.signal,
    });
    if (res.status !== 201 && res.status !== 200) {
      const codes = registryErrors(res.body).map((e) => e.code);
      const hint = codes.includes('MANIFEST_BLOB_UNKNOWN')
        ? 'the manifest names a blob that is not in the repository: upload every layer before the manifest'
        : codes.includes('MANIFEST_INVALID')
          ? 'the registry does not accept this manifest format'
          : undefined;
      throw this.fail(res, `pushing manifest ${where}`, hint);
    }
    const served = res.headers.get('docker-content-digest');
    if (served !== null && isDigest(served) && served !== digest) {
      throw new RegistryError(
        `pushing manifest ${where}: the registry stored it as ${served} but its bytes hash to ${digest}`,
        {
          status: res.status,
          code: 'DIGEST_MISMATCH',
          url: res.url,
        },
      );
    }
    options?.onProgress?.({
      phase: 'manifest',
      item: where,
      bytesDone: bytes.byteLength,
      bytesTotal: bytes.byteLength,
    });
    return { digest, subjectHeader: res.headers.get('oci-subject') };
  }

  // -------------------------------------------------------------------------------------------------------
  // blobs

  private async blobExists(repo: string, digest: string, options?: OperationOptions): Promise<boolean> {
    const res = await this.http.request({
      method: 'HEAD',
      url: `/v2/${repo}/blobs/${digest}`,
      scopes: [pushScope(repo)],
      signal: options?.signal,
    });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail(res, `checking blob ${digest} in ${this.registry}/${repo}`);
  }

  /** Starts an upload session (or mounts the blob from `from`): returns the session URL, or null when mounted. */
  private async startUpload(
    repo: string,
    digest: string,
    from: string | undefined,
    options?: OperationOptions,
  ): Promise<string | null> {
    const url =
      from === undefined
        ? `/v2/${repo}/blobs/uploads/`
        : `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.http.request({
      method: 'POST',
      url,
      // No body: fetch sends Content-Length: 0 itself (browsers forbid setting it).
      scopes: from === undefined ? [pushScope(repo)] : [pushScope(repo), pullScope(from)],
      signal: options?.signal,
    });
    if (res.status === 201 && from !== undefined) return null;
    if (res.status !== 202) throw this.fail(res, `starting an upload to ${this.registry}/${repo}`);
    const location = res.headers.get('location');
    if (location === null || location === '') {
      throw new RegistryError(
        `starting an upload to ${this.registry}/${repo}: the registry gave no Location`,
        {
          status: res.status,
          code: 'HTTP_ERROR',
          url: res.url,
        },
      );
    }
    return new URL(location, res.url).toString();
  }

  private withDigest(location: string, digest: string): string {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    return u.toString();
  }

  private async uploadInto(
    repo: string,
    session: string,
    bytes: Uint8Array,
    digest: string,
    name: string,
    options?: OperationOptions,
  ): Promise<void> {
    let location = session;
    const total = bytes.byteLength;
    let body: Uint8Array = bytes;
    if (total > this.chunkThreshold) {
      // Chunked upload: PATCH each chunk with its inclusive byte range; the last PUT carries no body.
      for (let start = 0; start < total; start += this.chunkSize) {
        const end = Math.min(total, start + this.chunkSize);
        const res = await this.http.request({
          method: 'PATCH',
          url: location,
          headers: { 'Content-Type': OCTET, 'Content-Range': `${start}-${end - 1}` },
          body: bytes.subarray(start, end),
          scopes: [pushScope(repo)],
          retry: 'rate-limit',
          signal: options?.signal,
        });
        if (res.status !== 202)
          throw this.fail(res, `uploading ${name} (bytes ${start}-${end - 1}) to ${this.registry}/${repo}`);
        const next = res.headers.get('location');
        if (next !== null && next !== '') location = new URL(next, res.url).toString();
        options?.onProgress?.({ phase: 'upload', item: name, bytesDone: end, bytesTotal: total });
      }
      body = new Uint8Array(0);
    }
    const res = await this.http.request({
      method: 'PUT',
      url: this.withDigest(location, digest),
      // Distribution 2.8 answers DIGEST_INVALID to a blob PUT without this content type.
      headers: { 'Content-Type': OCTET },
      body,
      scopes: [pushScope(repo)],
      retry: 'rate-limit',
      signal: options?.signal,
    });
    if (res.status !== 201 && res.status !== 204)
      throw this.fail(res, `uploading ${name} (${digest}) to ${this.registry}/${repo}`);
    const served = res.headers.get('docker-content-digest');
    if (served !== null && isDigest(served) && served !== digest) {
      throw new RegistryError(`uploading ${name}: the registry stored ${served}, not ${digest}`, {
        status: res.status,
        code: 'DIGEST_MISMATCH',
        url: res.url,
      });
    }
    options?.onProgress?.({ phase: 'upload', item: name, bytesDone: total, bytesTotal: total });
  }

  /**
   * Makes sure `repo` holds the blob: skips it when present, mounts it when another repository of this
   * registry holds it, uploads it otherwise. A failed upload is retried once from a fresh session, after
   * checking that the failure did not in fact store it.
   */
  async pushBlob(
    repo: string,
    bytes: Uint8Array,
    name: string,
    options?: PublishOptions,
  ): Promise<Descriptor & { how: 'existed' | 'mounted' | 'uploaded' }> {
    this.checkRepository(repo);
    const digest = await sha256Digest(bytes);
    const base = { mediaType: OCTET, digest, size: bytes.byteLength };
    if (await this.blobExists(repo, digest, options)) {
      this.rememberBlob(digest, repo);
      options?.onProgress?.({
        phase: 'upload',
        item: name,
        bytesDone: bytes.byteLength,
        bytesTotal: bytes.byteLength,
      });
      return { ...base, how: 'existed' };
    }
    const sources = [...(options?.mountFrom ?? []), ...(this.blobHomes.get(digest) ?? [])].filter(
      (r, i, all) => r !== repo && all.indexOf(r) === i,
    );
    let session: string | null | undefined;
    for (const from of sources) {
      if (!isValidRepository(from)) continue;
      try {
        session = await this.startUpload(repo, digest, from, options);
      } catch (e) {
        // No read access to the source repository: not worth failing the publish; upload instead.
        if (e instanceof RegistryError && (e.status === 401 || e.status === 403)) continue;
        throw e;
      }
      if (session === null) {
        this.rememberBlob(digest, repo);
        options?.onProgress?.({
          phase: 'upload',
          item: name,
          bytesDone: bytes.byteLength,
          bytesTotal: bytes.byteLength,
        });
        return { ...base, how: 'mounted' };
      }
      // Not mounted: the 202 opened an ordinary upload session; use it.
      break;
    }
    for (let attempt = 0; ; attempt++) {
      session ??= await this.startUpload(repo, digest, undefined, options);
      if (session === null)
        throw new RegistryError('unreachable: plain upload mounted', { code: 'HTTP_ERROR' });
      try {
        await this.uploadInto(repo, session, bytes, digest, name, options);
        this.rememberBlob(digest, repo);
        return { ...base, how: 'uploaded' };
      } catch (e) {
        const retryable =
          e instanceof RegistryError &&
          (e.status >= 500 || e.code === 'BLOB_UPLOAD_UNKNOWN' || e.code === 'NETWORK');
        if (!retryable || attempt >= 1) throw e;
        if (await this.blobExists(repo, digest, options)) {
          this.rememberBlob(digest, repo);
          return { ...base, how: 'uploaded' };
        }
        session = undefined;
      }
    }
  }

  /** Downloads one blob and returns it only if its size and sha256 match the descriptor. */
  async fetchBlob(
    repo: string,
    descriptor: Descriptor,
    name: string,
    options?: OperationOptions,
  ): Promise<Uint8Array> {
    this.checkRepository(repo);
    if (descriptor.size > this.maxBlobBytes) {
      throw new RegistryError(
        `${name} (${descriptor.digest}) is ${descriptor.size} bytes, over the ${this.maxBlobBytes}-byte limit`,
        { code: 'TOO_LARGE' },
      );
    }
    options?.onProgress?.({ phase: 'download', item: name, bytesDone: 0, bytesTotal: descriptor.size });
    const res = await this.http.request({
      method: 'GET',
      url: `/v2/${repo}/blobs/${descriptor.digest}`,
      scopes: [pullScope(repo)],
      signal: options?.signal,
    });
    if (res.status === 404) {
      throw this.fail(
        res,
        `${name} (${descriptor.digest}) is named by the manifest but missing from ${this.registry}/${repo}`,
        'the published version is incomplete: republish it',
      );
    }
    if (res.status !== 200)
      throw this.fail(res, `downloading ${name} (${descriptor.digest}) from ${this.registry}/${repo}`);
    await verifyDigest(res.body, descriptor, `${name} from ${this.registry}/${repo}`);
    this.rememberBlob(descriptor.digest, repo);
    options?.onProgress?.({
      phase: 'download',
      item: name,
      bytesDone: descriptor.size,
      bytesTotal: descriptor.size,
    });
    return res.body;
  }

  // -------------------------------------------------------------------------------------------------------
  // adapters

  /**
   * Publishes an artifact under `ref.tag`: blobs first, the manifest last, so that an interrupted publish
   * leaves only unreferenced blobs and a pull of the tag never sees half a version.
   */
  async publish(
    ref: AdapterRef,
    artifact: AdapterArtifact,
    options?: PublishOptions,
  ): Promise<PublishedAdapter> {
    return this.publishArtifact(ref, artifact, MEDIA_TYPE.adapter, undefined, options);
  }

  private async publishArtifact(
    ref: AdapterRef,
    artifact: AdapterArtifact,
    artifactType: string,
    subject: Descriptor | undefined,
    options?: PublishOptions,
  ): Promise<PublishedAdapter> {
    this.checkRepository(ref.repository);
    const repo = ref.repository;
    const where = `publishing to ${this.registry}/${repo}`;
    if (subject === undefined && (ref.tag === undefined || !isValidTag(ref.tag))) {
      throw new RegistryError(`${where}: a version tag is required (e.g. ${repo}:v1)`, {
        code: 'INVALID_REF',
      });
    }
    if (ref.digest !== undefined) {
      throw new RegistryError(
        `${where}: a digest cannot be published to; give a tag (the digest is computed)`,
        { code: 'INVALID_REF' },
      );
    }
    validateArtifactFiles(artifact.files, where);
    validateAnnotations(artifact.annotations, where);
    const annotations: Record<string, string> = { ...artifact.annotations };
    annotations[ANNOTATION.created] ??= new Date(this.now()).toISOString();

    await this.pushBlob(repo, EMPTY_CONFIG_BYTES, 'config {}', options);
    const layers: { name: string; digest: string; size: number }[] = [];
    for (const file of artifact.files) {
      const d = await this.pushBlob(repo, file.bytes, file.name, options);
      layers.push({ name: file.name, digest: d.digest, size: d.size });
    }
    const built = buildArtifactManifest({
      artifactType,
      layers,
      annotations,
      ...(subject === undefined ? {} : { subject }),
    });
    const digest = await sha256Digest(built.bytes);
    const reference = ref.tag ?? digest;
    const put = await this.putManifest(repo, reference, built.bytes, MEDIA_TYPE.manifest, options);
    if (subject !== undefined && put.subjectHeader === null) {
      await this.addToReferrersFallback(
        repo,
        subject.digest,
        {
          mediaType: MEDIA_TYPE.manifest,
          digest,
          size: built.bytes.byteLength,
          artifactType,
          ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
        },
        options,
      );
    }
    return { repository: repo, tag: reference, digest, size: built.bytes.byteLength };
  }

  /** Pulls and verifies an adapter. Nothing is returned unless every file matched its digest. */
  async pull(ref: AdapterRef, options?: PullOptions): Promise<PulledAdapter> {
    const resolved = await this.resolve(ref, options);
    const what = `${this.registry}/${resolved.repository}@${resolved.digest}`;
    const manifest = parseManifest(resolved.manifestBytes, `manifest ${what}`, resolved.mediaType);
    const type = artifactTypeOf(manifest);
    if (options?.anyArtifactType !== true && type !== MEDIA_TYPE.adapter) {
      throw new RegistryError(
        `${what} is not a prompt adapter (artifact type '${type}', expected '${MEDIA_TYPE.adapter}')`,
        { code: 'NOT_AN_ADAPTER' },
      );
    }
    const names = manifest.layers.map((l, i) => {
      const title = l.annotations?.[ANNOTATION.title];
      if (title === undefined || !isSafeFileName(title)) {
        throw new RegistryError(
          `manifest ${what}: layer ${i} (${l.digest}) has ${title === undefined ? 'no file name' : `the unsafe file name '${title}'`} (${ANNOTATION.title}); refusing the artifact`,
          { code: 'INVALID_MANIFEST' },
        );
      }
      return title;
    });
    if (new Set(names).size !== names.length) {
      throw new RegistryError(`manifest ${what}: two layers have the same file name; refusing the artifact`, {
        code: 'INVALID_MANIFEST',
      });
    }
    const files: AdapterFile[] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      const name = names[i] ?? '';
      files.push({ name, bytes: await this.fetchBlob(resolved.repository, layer, name, options) });
    }
    return {
      repository: resolved.repository,
      ...(resolved.tag === undefined ? {} : { tag: resolved.tag }),
      digest: resolved.digest,
      ...(manifest.artifactType === undefined ? {} : { artifactType: manifest.artifactType }),
      files,
      annotations: manifest.annotations ?? {},
    };
  }

  /** Deletes a version by digest (a tag is resolved first; Distribution then drops every tag of it). */
  async delete(ref: AdapterRef, options?: OperationOptions): Promise<void> {
    this.checkRepository(ref.repository);
    const digest = ref.digest ?? (await this.resolve(ref, options)).digest;
    const res = await this.http.request({
      method: 'DELETE',
      url: `/v2/${ref.repository}/manifests/${digest}`,
      scopes: [`repository:${ref.repository}:delete`],
      signal: options?.signal,
    });
    if (res.status === 202 || res.status === 200) return;
    if (res.status === 405)
      throw this.fail(
        res,
        `deleting ${this.registry}/${ref.repository}@${digest}`,
        'this registry does not allow deletes',
      );
    throw this.fail(res, `deleting ${this.registry}/${ref.repository}@${digest}`);
  }

  /**
   * Searches adapter versions: _catalog (or `query.repositories`) → tags/list → one manifest per tag,
   * keeping artifacts of our type whose annotations match. Referrer index tags (`sha256-<hex>`) are skipped.
   */
  async search(query: SearchQuery, options?: OperationOptions): Promise<SearchResult[]> {
    const repos = query.repositories ?? (await this.listRepositories(options));
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const out: SearchResult[] = [];
    for (const repo of repos) {
      if (out.length >= limit) break;
      if (!isValidRepository(repo)) continue;
      options?.onProgress?.({ phase: 'search', item: repo, bytesDone: out.length, bytesTotal: 0 });
      let tags: string[];
      try {
        tags = await this.listTags(repo, options);
      } catch (e) {
        if (e instanceof RegistryError && e.status === 404) continue; // deleted since the catalog was read
        throw e;
      }
      for (const tag of tags) {
        if (out.length >= limit) break;
        if (isReferrersTag(tag)) continue;
        let got;
        try {
          got = await this.getManifest(repo, tag, options);
        } catch (e) {
          if (e instanceof RegistryError && e.status === 404) continue;
          throw e;
        }
        let manifest: OciManifest;
        try {
          manifest = parseManifest(got.bytes, `manifest ${this.registry}/${repo}:${tag}`, got.mediaType);
        } catch {
          continue; // an index or something else that is not ours
        }
        if (artifactTypeOf(manifest) !== MEDIA_TYPE.adapter) continue;
        const a = manifest.annotations ?? {};
        if (!matchesSearch(query, [repo, tag], a)) continue;
        out.push({
          repository: repo,
          tag,
          digest: got.digest,
          artifactType: MEDIA_TYPE.adapter,
          annotations: a,
        });
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------------------
  // referrers

  /**
   * Attaches an artifact (an evaluation report, a signature) to `subject`: the artifact's manifest names the
   * subject manifest, and when the registry does not index referrers itself the `sha256-<hex>` index is updated.
   * Returns the attached manifest's digest.
   */
  async attach(
    subject: AdapterRef,
    artifact: AdapterArtifact,
    options?: AttachOptions,
  ): Promise<PublishedAdapter> {
    const resolved = await this.resolve(subject, options);
    const subjectDescriptor: Descriptor = {
      mediaType: resolved.mediaType,
      digest: resolved.digest,
      size: resolved.size,
    };
    return this.publishArtifact(
      { repository: resolved.repository },
      artifact,
      options?.artifactType ?? MEDIA_TYPE.evalReport,
      subjectDescriptor,
      options,
    );
  }

  /** Attaches an evaluation report (JSON bytes) to an adapter version. */
  async attachEvaluationReport(
    subject: AdapterRef,
    report: Uint8Array,
    annotations: Readonly<Record<string, string>> = {},
    options?: OperationOptions,
  ): Promise<PublishedAdapter> {
    return this.attach(
      subject,
      { files: [{ name: ADAPTER_FILE.evalReport, bytes: report }], annotations },
      { ...options, artifactType: MEDIA_TYPE.evalReport },
    );
  }

  private async readIndex(
    repo: string,
    tag: string,
    options?: OperationOptions,
  ): Promise<OciIndex | undefined> {
    const res = await this.http.request({
      method: 'GET',
      url: `/v2/${repo}/manifests/${tag}`,
      headers: { Accept: MEDIA_TYPE.index },
      scopes: [pullScope(repo)],
      signal: options?.signal,
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200)
      throw this.fail(res, `reading the referrers index ${this.registry}/${repo}:${tag}`);
    const served = res.headers.get('docker-content-digest');
    if (served !== null && isDigest(served))
      await verifyDigest(res.body, { digest: served }, `referrers index ${repo}:${tag}`);
    return parseIndex(res.body, `referrers index ${this.registry}/${repo}:${tag}`);
  }

  /** The OCI spec's fallback for registries without the referrers API: an index under tag `sha256-<hex>`. */
  private async addToReferrersFallback(
    repo: string,
    subjectDigest: string,
    descriptor: Descriptor,
    options?: OperationOptions,
  ): Promise<void> {
    const tag = referrersTag(subjectDigest);
    const current = await this.readIndex(repo, tag, options);
    const manifests = [...(current?.manifests ?? [])];
    if (manifests.some((m) => m.digest === descriptor.digest)) return;
    manifests.push(descriptor);
    const index = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests };
    await this.putManifest(repo, tag, encodeJson(index), MEDIA_TYPE.index, options);
  }

  /**
   * Lists the artifacts attached to `subject`: the referrers API when the registry has it, else the
   * `sha256-<hex>` tag index. Filtered by artifact type when one is given.
   */
  async listReferrers(
    subject: AdapterRef,
    options?: OperationOptions & { artifactType?: string },
  ): Promise<Referrer[]> {
    this.checkRepository(subject.repository);
    const repo = subject.repository;
    const digest = subject.digest ?? (await this.resolve(subject, options)).digest;
    const filter = options?.artifactType;
    const res = await this.http.request({
      method: 'GET',
      url: `/v2/${repo}/referrers/${digest}${filter === undefined ? '' : `?artifactType=${encodeURIComponent(filter)}`}`,
      headers: { Accept: MEDIA_TYPE.index },
      scopes: [pullScope(repo)],
      signal: options?.signal,
    });
    let descriptors: readonly Descriptor[];
    if (res.status === 200 && (res.headers.get('content-type') ?? '').startsWith(MEDIA_TYPE.index)) {
      descriptors = parseIndex(res.body, `referrers of ${this.registry}/${repo}@${digest}`).manifests;
    } else if (res.status === 404 || res.status === 200) {
      // 404 (or a non-index answer from a proxy): the registry has no referrers API; read the tag index.
      descriptors = (await this.readIndex(repo, referrersTag(digest), options))?.manifests ?? [];
    } else {
      throw this.fail(res, `listing the referrers of ${this.registry}/${repo}@${digest}`);
    }
    return descriptors
      .filter((d) => filter === undefined || d.artifactType === filter)
      .map((d) => ({
        digest: d.digest,
        size: d.size,
        mediaType: d.mediaType,
        ...(d.artifactType === undefined ? {} : { artifactType: d.artifactType }),
        annotations: d.annotations ?? {},
      }));
  }
}
