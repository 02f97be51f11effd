// The Node side of the marketplace commands (publish, pull, search): the file store of the local backend,
// credentials from the environment and ~/.docker/config.json, the registry client for a reference, and
// reading/writing adapter folders. Core takes bytes; paths and environment variables stop here.
//
// Credentials, in order: PROMPT_ADAPTER_REGISTRY_USER + PROMPT_ADAPTER_REGISTRY_PASSWORD (OCI), then the
// `auths` entry for the host in $DOCKER_CONFIG/config.json or ~/.docker/config.json (read only, never printed
// or logged); HF_TOKEN for the Hub, whose address HF_ENDPOINT overrides (as huggingface_hub does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sha256Digest } from '../core/registry/digest.js';
import { dockerConfigCredentials as parseDockerConfig } from '../core/registry/docker-config.js';
import { HfRegistry } from '../core/registry/hf.js';
import type { FileStore } from '../core/registry/local.js';
import { OciRegistry } from '../core/registry/oci.js';
import { isSafeFileName } from '../core/registry/oci-layout.js';
import type { OciReference, OciRegistryAddress } from '../core/registry/ref.js';
import { RegistryError } from '../core/registry/types.js';
import type { AdapterFile, Credentials } from '../core/registry/types.js';
import { UsageError } from './args.js';
import { UserFileError } from './files.js';

// ---------------------------------------------------------------------------------------------------------
// the local file store

function isErrno(e: unknown, ...codes: string[]): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}

/** `FileStore` over a folder of the local file system; paths are `/`-separated and relative to `root`. */
export class NodeFileStore implements FileStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Absolute path of a store path; refuses anything that would leave the root. */
  resolve(p: string): string {
    const parts = p.split('/').filter((s) => s !== '');
    if (parts.some((s) => s === '.' || s === '..' || s.includes('\\') || s.includes('\0'))) {
      throw new UserFileError(`${p}: not a plain path inside ${this.root}`);
    }
    return path.join(this.root, ...parts);
  }

  async readFile(p: string): Promise<Uint8Array | undefined> {
    try {
      const b = await fs.promises.readFile(this.resolve(p));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR', 'EISDIR')) return undefined;
      throw e;
    }
  }

  async writeFile(p: string, bytes: Uint8Array): Promise<void> {
    const file = this.resolve(p);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, bytes);
  }

  async rename(from: string, to: string): Promise<void> {
    const dest = this.resolve(to);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    await fs.promises.rename(this.resolve(from), dest);
  }

  async list(p: string): Promise<string[]> {
    try {
      return await fs.promises.readdir(this.resolve(p));
    } catch (e) {
      if (isErrno(e, 'ENOENT', 'ENOTDIR')) return [];
      throw e;
    }
  }

  async remove(p: string): Promise<void> {
    await fs.promises.rm(this.resolve(p), { recursive: true, force: true });
  }

  async mkdtemp(prefix: string): Promise<string> {
    const full = this.resolve(prefix);
    await fs.promises.mkdir(path.dirname(full), { recursive: true });
    const made = await fs.promises.mkdtemp(full);
    return path.relative(this.root, made).split(path.sep).join('/');
  }
}

// ---------------------------------------------------------------------------------------------------------
// credentials

export type Env = Readonly<Record<string, string | undefined>>;

function dockerConfigPath(env: Env): string {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/**
 * Credentials for an OCI registry host from ~/.docker/config.json (`auths.<host>.auth` = base64 of
 * `user:password`, or `username`/`password`, or an `identitytoken`). Credential helpers (`credsStore`) are
 * not run. Undefined when there is none; a file that is not JSON is an error that names the file, not its content.
 */
export function dockerConfigCredentials(registry: string, env: Env): Credentials | undefined {
  const file = dockerConfigPath(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return parseDockerConfig(text, registry, file);
  } catch {
    throw new UserFileError(`${file}: not valid JSON; fix it or set PROMPT_ADAPTER_REGISTRY_USER/_PASSWORD`);
  }
}

/** OCI credentials for `registry`: the environment first, then the Docker config. */
export function ociCredentials(registry: string, env: Env = process.env): Credentials | undefined {
  const user = env.PROMPT_ADAPTER_REGISTRY_USER;
  const password = env.PROMPT_ADAPTER_REGISTRY_PASSWORD;
  if (user !== undefined && user !== '') return { username: user, password: password ?? '' };
  if (password !== undefined && password !== '') return { token: password };
  return dockerConfigCredentials(registry, env);
}

// ---------------------------------------------------------------------------------------------------------
// clients

const nodeFetch: typeof fetch = (input, init) => fetch(input, init);

export function ociRegistryFor(
  address: OciReference | OciRegistryAddress,
  env: Env = process.env,
): OciRegistry {
  return new OciRegistry({
    registry: address.registry,
    fetch: (url, init) => nodeFetch(url, init),
    credentials: (host) => ociCredentials(host, env),
    userAgent: 'prompt-adapter-cli',
  });
}

/** The Hub client: HF_ENDPOINT overrides the address (default https://huggingface.co), HF_TOKEN authenticates. */
export function hfRegistryFor(env: Env = process.env): HfRegistry {
  const token = env.HF_TOKEN;
  const endpoint = env.HF_ENDPOINT;
  return new HfRegistry({
    fetch: nodeFetch,
    ...(endpoint === undefined || endpoint === '' ? {} : { hubUrl: endpoint }),
    ...(token === undefined || token === '' ? {} : { accessToken: token }),
  });
}

/**
 * Adds where the CLI looks for credentials to an OCI authentication failure (the core's message names the
 * registry; only the CLI knows its environment variables and files).
 */
export async function withCredentialHint<T>(work: Promise<T>, env: Env = process.env): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof RegistryError && (e.code === 'UNAUTHORIZED' || e.code === 'DENIED')) {
      throw new RegistryError(
        `${e.message} (credentials come from PROMPT_ADAPTER_REGISTRY_USER/PROMPT_ADAPTER_REGISTRY_PASSWORD, else from the auths of ${dockerConfigPath(env)})`,
        { status: e.status, code: e.code, ...(e.url === undefined ? {} : { url: e.url }), cause: e },
      );
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// arguments

/** Like args.ts `parse`, but with positionals (REF, ADAPTER_DIR, REGISTRY). */
export function parseWithPositionals<
  T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>,
>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function exactlyPositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    throw new UsageError(
      `expected ${names.join(' ')}, got ${positionals.length === 0 ? 'nothing' : positionals.map((p) => `"${p}"`).join(' ')}`,
    );
  }
  return positionals;
}

/** Turns a reference parse error (RegistryError INVALID_REF) into a usage error. */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RegistryError && e.code === 'INVALID_REF') throw new UsageError(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// adapter folders

/** The plain files at the top of an adapter folder (sub-folders and dot-files are not part of an adapter). */
export function readAdapterDir(dir: string): AdapterFile[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new UserFileError(
      isErrno(e, 'ENOENT')
        ? `${dir}: no such adapter folder`
        : isErrno(e, 'ENOTDIR')
          ? `${dir}: not a folder (an adapter is a folder with adapter_config.json and adapter_model.safetensors)`
          : `${dir}: cannot read (${(e as Error).message})`,
    );
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && isSafeFileName(e.name))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const b = fs.readFileSync(path.join(dir, name));
      return { name, bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
    });
}

/**
 * Writes an adapter's files into `out` atomically: a temp folder beside it is filled, read back and checked
 * against the digests of `files`, then renamed to `out`. `out` must not exist or be empty, unless `replace`.
 * On any failure nothing is left behind.
 */
export async function writeAdapterDirAtomic(
  out: string,
  files: readonly AdapterFile[],
  replace = false,
): Promise<void> {
  const target = path.resolve(out);
  let existing: string[] = [];
  try {
    if (!fs.statSync(target).isDirectory()) throw new UserFileError(`${out}: exists and is not a folder`);
    existing = fs.readdirSync(target);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
  if (existing.length > 0 && !replace) {
    throw new UserFileError(
      `${out}: the folder is not empty; choose a new folder or pass --force to replace it`,
    );
  }
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staged = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.partial-`));
  let trash: string | undefined;
  try {
    for (const f of files) {
      if (!isSafeFileName(f.name))
        throw new UserFileError(`refusing to write the unsafe file name '${f.name}'`);
      fs.writeFileSync(path.join(staged, f.name), f.bytes);
    }
    for (const f of files) {
      const back = fs.readFileSync(path.join(staged, f.name));
      if ((await sha256Digest(back)) !== (await sha256Digest(f.bytes))) {
        throw new UserFileError(
          `${out}: ${f.name} did not read back as written (disk full?); nothing was installed`,
        );
      }
    }
    if (existing.length > 0) {
      trash = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.old-`));
      fs.rmSync(trash, { recursive: true, force: true });
      fs.renameSync(target, trash);
    } else {
      fs.rmSync(target, { recursive: true, force: true }); // an empty folder would block the rename
    }
    fs.renameSync(staged, target);
  } catch (e) {
    fs.rmSync(staged, { recursive: true, force: true });
    if (trash !== undefined && !fs.existsSync(target)) {
      fs.renameSync(trash, target);
      trash = undefined;
    }
    throw e;
  } finally {
    if (trash !== undefined) fs.rmSync(trash, { recursive: true, force: true });
  }
}
