// Content digests (`sha256:<hex>`) through Web Crypto, which Node 20 and browsers both expose as
// globalThis.crypto.subtle. Registries do not re-hash what they serve (a blob altered on the server's disk is
// served as is), so every byte the client accepts goes through `verifyDigest` first.

import { RegistryError } from './types.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b] ?? '';
  return s;
}

/** `sha256:<64 hex>` of the bytes. */
export async function sha256Digest(bytes: Uint8Array): Promise<string> {
  // subtle.digest wants a BufferSource over a plain ArrayBuffer; a view over a SharedArrayBuffer is copied.
  const view =
    bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const hash = await globalThis.crypto.subtle.digest('SHA-256', view);
  return `sha256:${toHex(new Uint8Array(hash))}`;
}

/**
 * Throws DIGEST_MISMATCH (or SIZE_MISMATCH) unless `bytes` are exactly what `expected` names. `what` says
 * which object it was, for the message.
 */
export async function verifyDigest(
  bytes: Uint8Array,
  expected: { digest: string; size?: number },
  what: string,
): Promise<void> {
  if (expected.size !== undefined && bytes.byteLength !== expected.size) {
    throw new RegistryError(
      `${what}: received ${bytes.byteLength} bytes but its descriptor says ${expected.size}; refusing it (the registry's copy is damaged or was replaced)`,
      { code: 'SIZE_MISMATCH' },
    );
  }
  const actual = await sha256Digest(bytes);
  if (actual !== expected.digest) {
    throw new RegistryError(
      `${what}: content hashes to ${actual} but ${expected.digest} was expected; refusing it (the registry's copy is damaged or was tampered with)`,
      { code: 'DIGEST_MISMATCH' },
    );
  }
}
