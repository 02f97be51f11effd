// GGML tensor element types: their storage sizes and dequantization to float32.
//
// A GGML tensor is stored row by row; each row (ne[0] values, the fastest axis) is cut into blocks of
// `blockSize` values that occupy `bytesPerBlock` bytes. The block layouts come from ggml's own
// description of its types (ggml/src/ggml-common.h, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
//
//   F32   1 value,  4 bytes: IEEE binary32
//   F16   1 value,  2 bytes: IEEE binary16
//   BF16  1 value,  2 bytes: bfloat16 (the upper half of a binary32)
//   Q8_0 32 values, 34 bytes: d (f16) then 32 × int8 q;            x = d · q
//   Q4_0 32 values, 18 bytes: d (f16) then 16 bytes of nibbles;     x = d · (nibble − 8),
//        byte j holds value j in its low nibble and value j + 16 in its high nibble.
//
// All multi-byte fields are little-endian (GGUF files written by llama.cpp on little-endian hosts;
// big-endian files are refused before they get here).

import { bfloat16ArrayToFloat32, float16ArrayToFloat32, float16ToFloat32 } from './dtype.js';

/** GGML type ids as they appear in a GGUF tensor-info record (ggml.h `enum ggml_type`). */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
  BF16: 30,
} as const;
export type SupportedGgmlType = (typeof GgmlType)[keyof typeof GgmlType];

// Names of every GGML type id that ggml defined at the time of writing, for error messages about the
// ones this file cannot decode.
const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

/** A readable name for a GGML type id, e.g. `Q4_K`, or `type 99` for an id ggml never defined. */
export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `type ${type}`;
}

interface BlockLayout {
  /** values per block */
  readonly blockSize: number;
  /** bytes per block */
  readonly bytesPerBlock: number;
}

const LAYOUTS: Readonly<Record<SupportedGgmlType, BlockLayout>> = {
  [GgmlType.F32]: { blockSize: 1, bytesPerBlock: 4 },
  [GgmlType.F16]: { blockSize: 1, bytesPerBlock: 2 },
  [GgmlType.BF16]: { blockSize: 1, bytesPerBlock: 2 },
  [GgmlType.Q8_0]: { blockSize: 32, bytesPerBlock: 34 },
  [GgmlType.Q4_0]: { blockSize: 32, bytesPerBlock: 18 },
};

export const SUPPORTED_GGML_TYPE_NAMES: readonly string[] = Object.keys(LAYOUTS).map((t) =>
  ggmlTypeName(Number(t)),
);

export function isSupportedGgmlType(type: number): type is SupportedGgmlType {
  return Object.prototype.hasOwnProperty.call(LAYOUTS, type);
}

export function ggmlBlockLayout(type: SupportedGgmlType): BlockLayout {
  return LAYOUTS[type];
}

/**
 * Bytes that `count` values of `type` occupy, or `undefined` when `count` is not a whole number of
 * blocks (each row of a quantized tensor must be, so the caller reports the tensor as malformed).
 */
export function ggmlByteSize(type: SupportedGgmlType, count: number): number | undefined {
  const { blockSize, bytesPerBlock } = LAYOUTS[type];
  if (count % blockSize !== 0) return undefined;
  return (count / blockSize) * bytesPerBlock;
}

/** A copy of `bytes` as a fresh, aligned buffer: GGUF data need not sit at an even offset of the caller's array. */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function dequantizeQ8_0(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = count / 32;
  for (let b = 0; b < blocks; b++) {
    const base = b * 34;
    const d = float16ToFloat32(view.getUint16(base, true));
    const o = b * 32;
    for (let j = 0; j < 32; j++) out[o + j] = d * view.getInt8(base + 2 + j);
  }
  return out;
}

function dequantizeQ4_0(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = count / 32;
  for (let b = 0; b < blocks; b++) {
    const base = b * 18;
    const d = float16ToFloat32(view.getUint16(base, true));
    const o = b * 32;
    for (let j = 0; j < 16; j++) {
      const packed = view.getUint8(base + 2 + j);
      out[o + j] = d * ((packed & 0x0f) - 8);
      out[o + j + 16] = d * ((packed >>> 4) - 8);
    }
  }
  return out;
}

/**
 * Decodes `count` values of `type` from `bytes` (exactly `ggmlByteSize(type, count)` bytes, checked by
 * the caller) into a new Float32Array, in storage order.
 */
export function dequantize(type: SupportedGgmlType, bytes: Uint8Array, count: number): Float32Array {
  switch (type) {
    case GgmlType.F32:
      return new Float32Array(alignedCopy(bytes.subarray(0, count * 4)));
    case GgmlType.F16:
      return float16ArrayToFloat32(new Uint16Array(alignedCopy(bytes.subarray(0, count * 2))));
    case GgmlType.BF16:
      return bfloat16ArrayToFloat32(new Uint16Array(alignedCopy(bytes.subarray(0, count * 2))));
    case GgmlType.Q8_0:
      return dequantizeQ8_0(bytes, count);
    case GgmlType.Q4_0:
      return dequantizeQ4_0(bytes, count);
  }
}
