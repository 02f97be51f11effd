// Locates the repository root from a bundled test (dist-test/<dir>/x.test.mjs) or a source file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'core'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root above ${start}`);
    dir = parent;
  }
}

export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Path of a file under test/fixtures. */
export function fixture(...parts: string[]): string {
  return path.join(repoRoot, 'test', 'fixtures', ...parts);
}

/** Path of the bundled default model (models/stories260K) or the GGUF beside it. */
export function bundledModel(name = 'stories260K'): string {
  return path.join(repoRoot, 'models', name);
}

export function readBytes(p: string): Uint8Array {
  const b = fs.readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the fixture's shape
export function readJson<T = unknown>(p: string): T {
  return JSON.parse(fs.readFileSync(p, 'utf8')) as T;
}
