// Adapter folders and fetch wrappers for the registry tests.
import fs from 'node:fs';
import path from 'node:path';
import type { AdapterFile, FetchLike, FetchRequestInit } from '../../../core/registry/types.js';
import { fixture, readBytes } from '../../helpers/paths.js';

/** The golden PEFT adapter folders (test/fixtures/golden/adapters/<name>). */
export function goldenAdapterNames(): string[] {
  const dir = fixture('golden', 'adapters');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Every file of an adapter folder, sorted by name. */
export function readAdapterFolder(dir: string): AdapterFile[] {
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => ({ name, bytes: readBytes(path.join(dir, name)) }));
}

export function goldenAdapter(name: string): AdapterFile[] {
  return readAdapterFolder(fixture('golden', 'adapters', name));
}

/** A golden adapter plus a README and a metadata file whose content is unique to `marker`. */
export function adapterWithExtras(name: string, marker: string): AdapterFile[] {
  const enc = new TextEncoder();
  return [
    ...goldenAdapter(name),
    { name: 'README.md', bytes: enc.encode(`# ${name}\n\nTest adapter ${marker}.\n`) },
    { name: 'adapter_metadata.json', bytes: enc.encode(JSON.stringify({ marker, trainedSteps: 30 })) },
  ];
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Wraps Node's fetch, recording method, URL, request headers and status of every request. */
export function recordingFetch(inner: FetchLike = (url, init) => fetch(url, init)): {
  fetch: FetchLike;
  log: RecordedRequest[];
} {
  const log: RecordedRequest[] = [];
  return {
    log,
    fetch: async (url: string, init: FetchRequestInit) => {
      const res = await inner(url, init);
      log.push({ method: init.method, url, status: res.status, headers: { ...init.headers } });
      return res;
    },
  };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
