// Shared pieces of the CLI commands: flag parsing, usage errors, atomic writes, model lifetime.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, isNodeBackend } from './backend.js';
import type { NodeBackend } from './backend.js';
import { loadModel } from './load.js';
import type { LoadedModel } from './load.js';

/** A command of `prompt-adapter`: its usage lines (for --help) and what it runs. */
export interface Command {
  readonly name: string;
  /** usage and a short description, already indented for the help text */
  readonly usage: string;
  readonly run: (args: string[]) => Promise<void>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function backendOf(value: string | undefined): NodeBackend {
  const b = value ?? 'wasm';
  if (!isNodeBackend(b)) throw new UsageError(`--backend must be cpu or wasm, got "${b}"`);
  return b;
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

export function numberFlag(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  }
  return n;
}

export function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Writes a file atomically: a temp file beside it, then a rename. */
export function writeAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export async function withModel<T>(
  location: string,
  backend: NodeBackend,
  run: (m: LoadedModel) => Promise<T>,
): Promise<T> {
  await initBackend(backend);
  const loaded = await loadModel(location);
  try {
    return await run(loaded);
  } finally {
    loaded.model.dispose();
  }
}
