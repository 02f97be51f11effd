// Shared helpers of the safetensors tests: raw file construction and error assertions.
import assert from 'node:assert/strict';
import path from 'node:path';
import { SafetensorsError } from '../../../core/formats/safetensors.js';
import { bundledModel, readBytes } from '../../helpers/paths.js';

export const MODEL_PATH = path.join(bundledModel(), 'model.safetensors');

let modelBytes: Uint8Array | undefined;
/** The real stories260K model file (F32), read once. */
export function realModelBytes(): Uint8Array {
  modelBytes ??= readBytes(MODEL_PATH);
  return modelBytes;
}

/**
 * A file with a hand-written header: `header` is JSON-encoded unless it is a string already;
 * `declaredLength` overrides the 8-byte header length.
 */
export function rawFile(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  declaredLength?: bigint,
): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(text);
  return rawFileFromHeaderBytes(headerBytes, data, declaredLength);
}

export function rawFileFromHeaderBytes(
  headerBytes: Uint8Array,
  data: Uint8Array,
  declaredLength?: bigint,
): Uint8Array {
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** Asserts that `fn` throws a SafetensorsError whose message matches every pattern. */
export function assertSafetensorsError(
  fn: () => unknown,
  patterns: RegExp[],
  source?: string,
): SafetensorsError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SafetensorsError, `expected a SafetensorsError, got ${String(caught)}`);
  assert.equal(caught.name, 'SafetensorsError');
  for (const pattern of patterns) assert.match(caught.message, pattern);
  if (source !== undefined) {
    assert.equal(caught.source, source);
    assert.ok(caught.message.includes(source), `message names the source: ${caught.message}`);
  }
  return caught;
}

/** Largest |a[i] − b[i]| relative to max(|b[i]|, floor). */
export function maxRelativeError(a: Float32Array, b: Float32Array, floor: number): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor);
    if (err > worst) worst = err;
  }
  return worst;
}
