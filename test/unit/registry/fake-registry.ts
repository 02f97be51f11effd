// An in-memory stand-in for an OCI registry, served through a fake `fetch`, for unit tests that must not need
// a real server: monolithic and chunked uploads, mounts, manifests by tag and digest, paged listings with
// `Link` headers, and hooks to tamper with stored bytes or to inject failures.
import crypto from 'node:crypto';
import type { FetchLike, FetchRequestInit, FetchResponse } from '../../../core/registry/types.js';

export interface FakeCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  status: number;
}

function sha(bytes: Uint8Array): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
}

export function response(
  status: number,
  body: Uint8Array | string = '',
  headers: Record<string, string> = {},
): FetchResponse {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    headers: { get: (name: string) => h.get(name.toLowerCase()) ?? null },
    arrayBuffer: () => Promise.resolve(bytes.slice().buffer),
  };
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

export class FakeRegistry {
  readonly blobs = new Map<string, Uint8Array>(); // digest → bytes (shared store)
  readonly repoBlobs = new Map<string, Set<string>>(); // repo → digests linked into it
  readonly manifests = new Map<string, { bytes: Uint8Array; mediaType: string }>(); // repo@digest
  readonly tags = new Map<string, Map<string, string>>(); // repo → tag → digest
  readonly uploads = new Map<string, { repo: string; data: Uint8Array[] }>();
  readonly calls: FakeCall[] = [];
  /** Called first for every request; return a response to short-circuit (failure injection). */
  intercept:
    ((method: string, url: URL, init: FetchRequestInit) => FetchResponse | Error | undefined) | undefined;
  /** Whether `tags/list` honours `n` (Distribution 2.8 does not). */
  pageTags = true;
  /** Whether the fake serves the referrers API (and answers `OCI-Subject` to a manifest with a subject). */
  referrersApi = false;
  private nextUpload = 1;

  constructor(readonly base = 'http://127.0.0.1:5000') {}

  readonly fetch: FetchLike = (url, init) => {
    const call: FakeCall = { method: init.method, url, headers: { ...init.headers }, status: 0 };
    this.calls.push(call);
    try {
      const u = new URL(url);
      const injected = this.intercept?.(init.method, u, init);
      if (injected instanceof Error) return Promise.reject(injected);
      const res = injected ?? this.handle(init.method, u, init.body ?? new Uint8Array(), init.headers);
      call.status = res.status;
      return Promise.resolve(res);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  private link(repo: string, digest: string): void {
    let set = this.repoBlobs.get(repo);
    if (set === undefined) this.repoBlobs.set(repo, (set = new Set()));
    set.add(digest);
  }

  /** Stores a blob directly (as if pushed earlier). */
  putBlob(repo: string, bytes: Uint8Array): string {
    const d = sha(bytes);
    this.blobs.set(d, bytes);
    this.link(repo, d);
    return d;
  }

  /** Stores a manifest directly under a tag. */
  putManifest(
    repo: string,
    tag: string | undefined,
    bytes: Uint8Array,
    mediaType = 'application/vnd.oci.image.manifest.v1+json',
  ): string {
    const d = sha(bytes);
    this.manifests.set(`${repo}@${d}`, { bytes, mediaType });
    if (tag !== undefined) {
      let t = this.tags.get(repo);
      if (t === undefined) this.tags.set(repo, (t = new Map<string, string>()));
      t.set(tag, d);
    }
    return d;
  }

  private page(items: string[], u: URL, path: string, field: string): FetchResponse {
    const n = Number(u.searchParams.get('n') ?? '0');
    const last = u.searchParams.get('last');
    const sorted = [...items].sort();
    const start = last === null ? 0 : sorted.findIndex((x) => x > last);
    const rest = start < 0 ? [] : sorted.slice(start);
    const pageItems = n > 0 ? rest.slice(0, n) : rest;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (n > 0 && rest.length > n) {
      const lastItem = pageItems[pageItems.length - 1] ?? '';
      headers.Link = `<${path}?last=${encodeURIComponent(lastItem)}&n=${n}>; rel="next"`;
    }
    return response(200, JSON.stringify({ [field]: pageItems }), headers);
  }

  private handle(method: string, u: URL, body: Uint8Array, headers: Record<string, string>): FetchResponse {
    const p = u.pathname;
    if (p === '/v2/_catalog' && method === 'GET') {
      const repos = [...new Set([...this.tags.keys(), ...this.repoBlobs.keys()])];
      return this.page(repos, u, '/v2/_catalog', 'repositories');
    }
    let m = /^\/v2\/(.+)\/tags\/list$/.exec(p);
    if (m !== null && method === 'GET') {
      const repo = m[1] ?? '';
      const t = this.tags.get(repo);
      if (t === undefined)
        return response(404, errorBody('NAME_UNKNOWN', 'repository name not known to registry'));
      if (!this.pageTags) u.searchParams.delete('n');
      const r = this.page([...t.keys()], u, `/v2/${repo}/tags/list`, 'tags');
      return r;
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(p);
    if (m !== null) {
      const repo = m[1] ?? '';
      const ref = m[2] ?? '';
      if (method === 'PUT') {
        const d = sha(body);
        if (ref.startsWith('sha256:') && ref !== d)
          return response(400, errorBody('DIGEST_INVALID', 'provided digest did not match'));
        this.putManifest(
          repo,
          ref.startsWith('sha256:') ? undefined : ref,
          body,
          headers['Content-Type'] ?? '',
        );
        const subject = (JSON.parse(new TextDecoder().decode(body)) as { subject?: { digest: string } })
          .subject;
        const h: Record<string, string> = {
          'Docker-Content-Digest': d,
          Location: `/v2/${repo}/manifests/${d}`,
        };
        if (this.referrersApi && subject !== undefined) h['OCI-Subject'] = subject.digest;
        return response(201, '', h);
      }
      const digest = ref.startsWith('sha256:') ? ref : this.tags.get(repo)?.get(ref);
      const stored = digest === undefined ? undefined : this.manifests.get(`${repo}@${digest}`);
      if (method === 'DELETE') {
        if (stored === undefined || digest === undefined)
          return response(404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown'));
        this.manifests.delete(`${repo}@${digest}`);
        for (const [tag, d] of this.tags.get(repo) ?? []) if (d === digest) this.tags.get(repo)?.delete(tag);
        return response(202);
      }
      if (stored === undefined || digest === undefined)
        return response(404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown'));
      const h = { 'Content-Type': stored.mediaType, 'Docker-Content-Digest': digest };
      return response(200, method === 'HEAD' ? '' : stored.bytes, h);
    }
    m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(p);
    if (m !== null && this.referrersApi && method === 'GET') {
      const repo = m[1] ?? '';
      const manifests: unknown[] = [];
      for (const [key, stored] of this.manifests) {
        if (!key.startsWith(`${repo}@`)) continue;
        const parsed = JSON.parse(new TextDecoder().decode(stored.bytes)) as {
          subject?: { digest: string };
          artifactType?: string;
          annotations?: Record<string, string>;
        };
        if (parsed.subject?.digest !== m[2]) continue;
        manifests.push({
          mediaType: stored.mediaType,
          digest: key.slice(repo.length + 1),
          size: stored.bytes.byteLength,
          artifactType: parsed.artifactType,
          annotations: parsed.annotations,
        });
      }
      return response(
        200,
        JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
        {
          'Content-Type': 'application/vnd.oci.image.index.v1+json',
        },
      );
    }
    m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(p);
    if (m !== null) {
      const repo = m[1] ?? '';
      const id = m[2] ?? '';
      if (method === 'POST') {
        const mount = u.searchParams.get('mount');
        const from = u.searchParams.get('from');
        if (mount !== null && from !== null && this.repoBlobs.get(from)?.has(mount) === true) {
          this.link(repo, mount);
          return response(201, '', { 'Docker-Content-Digest': mount });
        }
        const newId = String(this.nextUpload++);
        this.uploads.set(newId, { repo, data: [] });
        return response(202, '', {
          Location: `/v2/${repo}/blobs/uploads/${newId}?_state=abc%3D`,
          Range: '0-0',
        });
      }
      const up = this.uploads.get(id);
      if (up === undefined) return response(404, errorBody('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown'));
      if (method === 'PATCH') {
        up.data.push(body.slice());
        const size = up.data.reduce((s, c) => s + c.byteLength, 0);
        return response(202, '', {
          Location: `/v2/${repo}/blobs/uploads/${id}?_state=next`,
          Range: `0-${size - 1}`,
        });
      }
      if (method === 'PUT') {
        if (headers['Content-Type'] !== 'application/octet-stream')
          return response(400, errorBody('DIGEST_INVALID', 'no content type'));
        up.data.push(body.slice());
        const all = new Uint8Array(up.data.reduce((s, c) => s + c.byteLength, 0));
        let off = 0;
        for (const c of up.data) {
          all.set(c, off);
          off += c.byteLength;
        }
        const want = u.searchParams.get('digest');
        if (want !== sha(all))
          return response(400, errorBody('DIGEST_INVALID', 'provided digest did not match uploaded content'));
        this.uploads.delete(id);
        this.blobs.set(want, all);
        this.link(repo, want);
        return response(201, '', { 'Docker-Content-Digest': want });
      }
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(p);
    if (m !== null) {
      const repo = m[1] ?? '';
      const d = m[2] ?? '';
      const bytes = this.repoBlobs.get(repo)?.has(d) === true ? this.blobs.get(d) : undefined;
      if (bytes === undefined) return response(404, errorBody('BLOB_UNKNOWN', 'blob unknown to registry'));
      return response(200, method === 'HEAD' ? '' : bytes, {
        'Content-Length': String(bytes.byteLength),
        'Docker-Content-Digest': d,
      });
    }
    return response(404, '404 page not found');
  }
}
