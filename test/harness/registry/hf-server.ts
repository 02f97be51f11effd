// A small stand-in for the Hugging Face Hub on 127.0.0.1, implementing the endpoints that @huggingface/hub
// 2.17 calls for what core/registry/hf.ts does (read from node_modules/@huggingface/hub/src/lib):
//
//   POST /api/repos/create                                   createRepo     ({name, organization, type})
//   POST /api/models/<repo>/preupload/<rev>                  commit         (which files go to LFS)
//   POST /<repo>.git/info/lfs/objects/batch                  commit         (basic transfer: PUT to an href)
//   PUT  /lfs-upload/<sha256>                                the href above (checks the bytes' sha256)
//   POST /api/models/<repo>/commit/<rev>                     commit         (ndjson: header, file, lfsFile, deletedFile)
//   GET  /api/models?author=&filter=&search=&limit=&expand=  listModels     (filters AND-ed; Link paging)
//   GET  /api/models/<repo>/revision/<rev>?expand=           modelInfo      (sha, cardData, tags)
//   GET  /api/models/<repo>/tree/<rev>                       listFiles      (oid = git blob id; lfs.oid = sha256)
//   GET  /<repo>/resolve/<rev>/<path>                        downloadFile   (Range: bytes=0-0 probe, then GET)
//
// As on the Hub, the card's front matter becomes `cardData`, and `library_name: peft` + `base_model: X` give the
// tags `base_model:X` and `base_model:adapter:X`. A write needs a token from `tokens`; a wrong token is 401
// everywhere. `corrupt()` changes a stored file's bytes without changing what the tree lists, as a damaged
// disk or a tampering proxy would.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredFile {
  /** Git blob id of what git holds (the file itself, or its LFS pointer). */
  readonly gitOid: string;
  /** sha256 hex of the content for LFS files. */
  readonly lfsOid?: string;
  readonly size: number;
  /** Regular files hold their bytes; LFS files point into the LFS store. */
  bytes?: Uint8Array;
}

interface Repo {
  readonly owner: string;
  readonly name: string;
  readonly commits: Map<string, Map<string, StoredFile>>;
  main: string | undefined;
  lastModified: string;
}

export interface HfRequestRecord {
  readonly method: string;
  readonly path: string;
  /** The raw query string (`filter=peft&filter=…`). */
  readonly query: string;
  readonly status: number;
  readonly authorized: boolean;
}

export interface RunningHfServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: HfRequestRecord[];
  /** Flips one byte of a stored file (same size), for a refused download. */
  corrupt(repository: string, path: string): void;
  /** The commit id `main` points at, or undefined. */
  head(repository: string): string | undefined;
  stop(): Promise<void>;
}

export interface HfServerOptions {
  /** Tokens that may write (and read). */
  readonly tokens: readonly string[];
  /** Page size of /api/models (to exercise Link paging). */
  readonly pageSize?: number;
}

function sha1Hex(data: Uint8Array | string): string {
  return createHash('sha1').update(data).digest('hex');
}
function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
function gitBlobId(bytes: Uint8Array): string {
  return sha1Hex(Buffer.concat([Buffer.from(`blob ${bytes.byteLength}\0`), bytes]));
}
function lfsPointer(oid: string, size: number): Uint8Array {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`);
}

/**
 * The YAML subset the adapter cards use (and the Hub reads): `key: scalar`, `key:` + `- item` lines,
 * `key:` + indented `sub: scalar` lines; scalars are JSON-quoted strings, numbers or plain words.
 */
export function parseCardYaml(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const scalar = (s: string): unknown => {
    const t = s.trim();
    if (t.startsWith('"')) return JSON.parse(t) as unknown;
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    return t;
  };
  let current: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const item = /^\s*- (.*)$/.exec(line);
    if (item !== null && current !== undefined) {
      const list = Array.isArray(out[current]) ? (out[current] as unknown[]) : [];
      list.push(scalar(item[1] ?? ''));
      out[current] = list;
      continue;
    }
    const nested = /^\s+([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (nested !== null && current !== undefined) {
      const prev = out[current];
      const obj = (typeof prev === 'object' && prev !== null && !Array.isArray(prev) ? prev : {}) as Record<
        string,
        unknown
      >;
      obj[nested[1] ?? ''] = scalar(nested[2] ?? '');
      out[current] = obj;
      continue;
    }
    const top = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (top === null) throw new Error(`card YAML: cannot read line '${line}'`);
    const key = top[1] ?? '';
    current = key;
    out[key] = (top[2] ?? '') === '' ? null : scalar(top[2] ?? '');
  }
  return out;
}

function frontMatterOf(text: string): Record<string, unknown> | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  return m === null ? undefined : parseCardYaml(m[1] ?? '');
}

export async function startHfServer(options: HfServerOptions): Promise<RunningHfServer> {
  const repos = new Map<string, Repo>();
  const lfs = new Map<string, Uint8Array>();
  const requests: HfRequestRecord[] = [];
  const pageSize = options.pageSize ?? 500;
  let counter = 0;
  let base = '';

  const cardOf = (repo: Repo, sha: string | undefined): { cardData?: unknown; tags: string[] } => {
    const files = sha === undefined ? undefined : repo.commits.get(sha);
    const readme = files?.get('README.md');
    const card =
      readme?.bytes === undefined ? undefined : frontMatterOf(Buffer.from(readme.bytes).toString('utf8'));
    if (card === undefined) return { tags: [] };
    const tags = Array.isArray(card.tags) ? card.tags.map(String) : [];
    const lib = card.library_name;
    if (typeof lib === 'string') tags.push(lib);
    const baseModel = card.base_model;
    if (typeof baseModel === 'string') {
      tags.push(`base_model:${baseModel}`);
      if (lib === 'peft') tags.push(`base_model:adapter:${baseModel}`);
    }
    if (typeof card.license === 'string') tags.push(`license:${card.license}`);
    return { cardData: card, tags: [...new Set(tags)] };
  };

  const resolveRev = (repo: Repo, rev: string): string | undefined => {
    if (rev === 'main' || rev === 'HEAD') return repo.main;
    return repo.commits.has(rev) ? rev : undefined;
  };

  const modelJson = (repo: Repo, sha: string | undefined): Record<string, unknown> => {
    const { cardData, tags } = cardOf(repo, sha);
    return {
      _id: sha1Hex(`${repo.owner}/${repo.name}`).slice(0, 24),
      id: `${repo.owner}/${repo.name}`,
      private: false,
      gated: false,
      downloads: 0,
      likes: 0,
      lastModified: repo.lastModified,
      library_name: (cardData as { library_name?: unknown } | undefined)?.library_name,
      sha,
      tags,
      ...(cardData === undefined ? {} : { cardData }),
      siblings:
        sha === undefined
          ? []
          : [...(repo.commits.get(sha)?.keys() ?? [])].map((rfilename) => ({ rfilename })),
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', base);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') === true ? auth.slice('Bearer '.length) : undefined;
      const authorized = token !== undefined && options.tokens.includes(token);
      const send = ({ status, payload, headers }: Reply): void => {
        requests.push({
          method: req.method ?? '',
          path: url.pathname,
          query: url.search.slice(1),
          status,
          authorized,
        });
        if (payload instanceof Uint8Array) {
          res.writeHead(status, { 'Content-Type': 'application/octet-stream', ...headers });
          res.end(payload);
          return;
        }
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      send(route(req, url, body, authorized, token));
    });
  });

  interface Reply {
    readonly status: number;
    readonly payload: unknown;
    readonly headers: Record<string, string>;
  }
  const reply = (status: number, payload: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    payload,
    headers,
  });
  const fail = (status: number, error: string, headers: Record<string, string> = {}): Reply =>
    reply(status, { error }, headers);

  /** Answers one request of the Hub's API. */
  function route(
    req: http.IncomingMessage,
    url: URL,
    body: Buffer,
    authorized: boolean,
    token: string | undefined,
  ): Reply {
    if (token !== undefined && !authorized) return fail(401, 'Invalid credentials in Authorization header');
    const method = req.method ?? 'GET';
    const p = url.pathname.split('/').map(decodeURIComponent);
    // p[0] is '' (leading slash)
    try {
      // ---- create repo
      if (method === 'POST' && url.pathname === '/api/repos/create') {
        if (!authorized) return fail(401, 'You must be authenticated to create a repository');
        const b = JSON.parse(body.toString('utf8')) as {
          name: string;
          organization?: string;
          type?: string;
        };
        const owner = b.organization ?? 'user';
        const key = `${owner}/${b.name}`;
        if (repos.has(key)) return fail(409, 'You already created this model repo');
        repos.set(key, {
          owner,
          name: b.name,
          commits: new Map(),
          main: undefined,
          lastModified: new Date().toISOString(),
        });
        return reply(200, { url: `${base}/${key}`, id: key });
      }
      // ---- list models
      if (method === 'GET' && url.pathname === '/api/models') {
        const filters = url.searchParams.getAll('filter');
        const author = url.searchParams.get('author');
        const search = url.searchParams.get('search');
        const limit = Number(url.searchParams.get('limit') ?? '500');
        const cursor = Number(url.searchParams.get('cursor') ?? '0');
        const all = [...repos.values()]
          .filter((r) => r.main !== undefined)
          .filter((r) => author === null || r.owner === author)
          .filter((r) => search === null || `${r.owner}/${r.name}`.includes(search))
          .map((r) => modelJson(r, r.main))
          .filter((m) => filters.every((f) => (m.tags as string[]).includes(f)))
          .sort((a, b) => String(a.id).localeCompare(String(b.id)));
        const size = Math.min(limit, pageSize);
        const page = all.slice(cursor, cursor + size);
        const headers: Record<string, string> = {};
        if (cursor + size < all.length) {
          const next = new URL(url.toString());
          next.searchParams.set('cursor', String(cursor + size));
          headers.Link = `<${next.toString()}>; rel="next"`;
        }
        return reply(200, page, headers);
      }
      // ---- /api/models/<owner>/<name>/<op>/<rev>[/...]
      if (p[1] === 'api' && p[2] === 'models' && p.length >= 7) {
        const key = `${p[3] ?? ''}/${p[4] ?? ''}`;
        const op = p[5];
        const rev = p[6] ?? '';
        const repo = repos.get(key);
        if (repo === undefined) return fail(404, 'Repository not found', { 'X-Error-Code': 'RepoNotFound' });
        if (op === 'revision' && method === 'GET') {
          const sha = resolveRev(repo, rev);
          if (sha === undefined)
            return fail(404, `Invalid rev id: ${rev}`, { 'X-Error-Code': 'RevisionNotFound' });
          return reply(200, modelJson(repo, sha));
        }
        if (op === 'tree' && method === 'GET') {
          const sha = resolveRev(repo, rev);
          if (sha === undefined)
            return fail(404, `Invalid rev id: ${rev}`, { 'X-Error-Code': 'RevisionNotFound' });
          const files = repo.commits.get(sha) ?? new Map<string, StoredFile>();
          return reply(
            200,
            [...files.entries()].map(([path, f]) => ({
              type: 'file',
              path,
              oid: f.gitOid,
              size: f.size,
              ...(f.lfsOid === undefined
                ? {}
                : {
                    lfs: {
                      oid: f.lfsOid,
                      size: f.size,
                      pointerSize: lfsPointer(f.lfsOid, f.size).byteLength,
                    },
                  }),
            })),
          );
        }
        if (!authorized) return fail(401, 'You must be authenticated to write to this repository');
        if (op === 'preupload' && method === 'POST') {
          const b = JSON.parse(body.toString('utf8')) as { files: { path: string; size: number }[] };
          return reply(200, {
            files: b.files.map((f) => ({
              path: f.path,
              uploadMode: /\.(safetensors|bin|pt)$/.test(f.path) || f.size > 10_000_000 ? 'lfs' : 'regular',
            })),
          });
        }
        if (op === 'commit' && method === 'POST') {
          if (rev !== 'main') return fail(404, `Invalid rev id: ${rev}`);
          const files = new Map(repo.main === undefined ? [] : (repo.commits.get(repo.main) ?? []));
          let summary = '';
          for (const line of body.toString('utf8').split('\n')) {
            if (line.trim() === '') continue;
            const op2 = JSON.parse(line) as { key: string; value: Record<string, unknown> };
            const v = op2.value;
            if (op2.key === 'header') summary = String(v.summary);
            else if (op2.key === 'file') {
              const bytes = Buffer.from(String(v.content), 'base64');
              files.set(String(v.path), { gitOid: gitBlobId(bytes), size: bytes.byteLength, bytes });
            } else if (op2.key === 'lfsFile') {
              const oid = String(v.oid);
              const stored = lfs.get(oid);
              if (stored === undefined) return fail(400, `LFS object ${oid} was not uploaded`);
              files.set(String(v.path), {
                gitOid: gitBlobId(lfsPointer(oid, stored.byteLength)),
                lfsOid: oid,
                size: stored.byteLength,
              });
            } else if (op2.key === 'deletedFile') files.delete(String(v.path));
            else return fail(400, `unknown commit operation ${op2.key}`);
          }
          const sha = sha1Hex(`${key}\n${repo.main ?? ''}\n${summary}\n${++counter}`);
          repo.commits.set(sha, files);
          repo.main = sha;
          repo.lastModified = new Date().toISOString();
          return reply(200, { commitOid: sha, commitUrl: `${base}/${key}/commit/${sha}`, hookOutput: '' });
        }
        return fail(404, `no such endpoint ${method} ${url.pathname}`);
      }
      // ---- LFS batch
      if (
        method === 'POST' &&
        p.length === 7 &&
        (p[2] ?? '').endsWith('.git') &&
        p[3] === 'info' &&
        p[6] === 'batch'
      ) {
        if (!authorized) return fail(401, 'You must be authenticated to upload');
        const b = JSON.parse(body.toString('utf8')) as { objects: { oid: string; size: number }[] };
        return reply(
          200,
          {
            transfer: 'basic',
            objects: b.objects.map((o) => ({
              oid: o.oid,
              size: o.size,
              authenticated: true,
              ...(lfs.has(o.oid) ? {} : { actions: { upload: { href: `${base}/lfs-upload/${o.oid}` } } }),
            })),
          },
          { 'Content-Type': 'application/vnd.git-lfs+json' },
        );
      }
      if (method === 'PUT' && p[1] === 'lfs-upload') {
        const oid = p[2] ?? '';
        if (sha256Hex(body) !== oid) return fail(400, 'the uploaded bytes do not hash to the oid');
        lfs.set(oid, new Uint8Array(body));
        return reply(200, {});
      }
      // ---- resolve
      if (method === 'GET' && p[3] === 'resolve' && p.length >= 6) {
        const repo = repos.get(`${p[1] ?? ''}/${p[2] ?? ''}`);
        if (repo === undefined) return fail(404, 'Repository not found', { 'X-Error-Code': 'RepoNotFound' });
        const sha = resolveRev(repo, p[4] ?? '');
        if (sha === undefined) return fail(404, 'Revision not found', { 'X-Error-Code': 'RevisionNotFound' });
        const path = p.slice(5).join('/');
        const f = repo.commits.get(sha)?.get(path);
        if (f === undefined) return fail(404, 'Entry not found', { 'X-Error-Code': 'EntryNotFound' });
        const bytes = f.lfsOid === undefined ? f.bytes : lfs.get(f.lfsOid);
        if (bytes === undefined) return fail(500, 'object lost');
        const headers = {
          ETag: `"${f.lfsOid ?? f.gitOid}"`,
          'X-Repo-Commit': sha,
          'Accept-Ranges': 'bytes',
        };
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (range !== null) {
          const start = Number(range[1]);
          const end = Math.min(Number(range[2]), bytes.byteLength - 1);
          return reply(206, bytes.subarray(start, end + 1), {
            ...headers,
            'Content-Range': `bytes ${start}-${end}/${bytes.byteLength}`,
          });
        }
        return reply(200, bytes, headers);
      }
      return fail(404, `no such endpoint ${method} ${url.pathname}`);
    } catch (e) {
      return fail(400, `bad request: ${(e as Error).message}`);
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    requests,
    corrupt(repository: string, path: string): void {
      const repo = repos.get(repository);
      const f = repo?.main === undefined ? undefined : repo.commits.get(repo.main)?.get(path);
      if (f === undefined) throw new Error(`hf-server: no ${repository}/${path} to corrupt`);
      const bytes = f.lfsOid === undefined ? f.bytes : lfs.get(f.lfsOid);
      if (bytes === undefined || bytes.byteLength === 0) throw new Error(`hf-server: ${path} is empty`);
      const changed = new Uint8Array(bytes);
      changed[changed.byteLength - 1] = (changed[changed.byteLength - 1] ?? 0) ^ 0xff;
      if (f.lfsOid === undefined) f.bytes = changed;
      else lfs.set(f.lfsOid, changed);
    },
    head(repository: string): string | undefined {
      return repos.get(repository)?.main;
    },
    stop(): Promise<void> {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
