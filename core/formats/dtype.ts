// Element types of tensor files and the bit-level conversions between float32 and the 16-bit floats.
//
// float16 (IEEE 754 binary16): 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
// bfloat16: the upper 16 bits of a float32: 1 sign bit, 8 exponent bits (bias 127), 7 mantissa bits.
// Every float16 and bfloat16 value is exactly representable as a float32, so decoding is exact;
// encoding rounds to nearest, ties to even, like numpy's and PyTorch's casts.

/** The dtypes of the safetensors format that this project reads (https://github.com/huggingface/safetensors). */
export type SafetensorsDType =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'U16' | 'U32' | 'U64';

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  U16: 2,
  U32: 4,
  U64: 8,
});

export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = Object.freeze(
  Object.keys(DTYPE_SIZE) as SafetensorsDType[],
);

export function isSafetensorsDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, value);
}

export function isFloatDType(dtype: SafetensorsDType): boolean {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

// One scratch word, viewed as float32 and as uint32, to move between a float and its bits without
// allocating. Typed arrays share the platform's byte order, so both views agree on any platform.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The IEEE bits of Math.fround(x). */
export function float32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0]!;
}

/** The float32 value whose IEEE bits are `bits` (taken as uint32). */
export function float32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0]!;
}

/** Decodes float16 bits (the low 16 bits of `bits`) to a number; the result is exactly a float32. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero or subnormal: mantissa · 2^-24
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25); // (1 + m/1024) · 2^(e-15)
}

/**
 * Encodes Math.fround(x) as float16 bits, rounding to nearest, ties to even. Values at or above
 * 65520 in magnitude become ±Infinity; values below 2^-25 become ±0; NaN stays NaN (quiet).
 * Rounding first to float32 keeps the result identical to a float32 → float16 cast of the same data.
 */
export function float32ToFloat16(x: number): number {
  const u = float32Bits(x);
  const sign = (u >>> 16) & 0x8000;
  const exponent32 = (u >>> 23) & 0xff;
  const mantissa32 = u & 0x7fffff;
  if (exponent32 === 0xff) {
    // Infinity keeps its sign; NaN keeps the top of its payload and is made quiet so it cannot become Infinity.
    return mantissa32 === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa32 >>> 13);
  }
  const exponent16 = exponent32 - 127 + 15;
  if (exponent16 >= 0x1f) return sign | 0x7c00;
  if (exponent16 <= 0) {
    // Subnormal float16 (or zero): the half mantissa is the 24-bit significand scaled by 2^(exponent16-14).
    const shift = 14 - exponent16;
    if (shift > 24) return sign; // below half of the smallest subnormal: rounds to zero
    const significand = mantissa32 | 0x800000;
    let half = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const tie = 1 << (shift - 1);
    if (rest > tie || (rest === tie && (half & 1) === 1)) half += 1; // may carry into the smallest normal
    return sign | half;
  }
  let half = (exponent16 << 10) | (mantissa32 >>> 13);
  const rest = mantissa32 & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1; // a carry may reach Infinity: correct
  return sign | half;
}

/** Decodes bfloat16 bits (the low 16 bits of `bits`) to a number; the result is exactly a float32. */
export function bfloat16ToFloat32(bits: number): number {
  return float32FromBits((bits & 0xffff) << 16);
}

/** Encodes Math.fround(x) as bfloat16 bits, rounding to nearest, ties to even; NaN stays NaN (quiet). */
export function float32ToBfloat16(x: number): number {
  const u = float32Bits(x);
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  // Adding 0x7fff plus the lowest kept bit rounds half to even; a carry may reach Infinity, which is correct.
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

// A table of all 65,536 float16 values as float32 makes bulk decoding one lookup per element.
let float16Table: Float32Array | undefined;

function getFloat16Table(): Float32Array {
  if (float16Table === undefined) {
    float16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) float16Table[bits] = float16ToFloat32(bits);
  }
  return float16Table;
}

/** Decodes an array of float16 bit patterns. */
export function float16ArrayToFloat32(bits: Uint16Array): Float32Array {
  const table = getFloat16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** Decodes an array of bfloat16 bit patterns. */
export function bfloat16ArrayToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}

/** Encodes float32 values as float16 bit patterns. */
export function float32ArrayToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16(values[i]!);
  return out;
}

/** Encodes float32 values as bfloat16 bit patterns. */
export function float32ArrayToBfloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16(values[i]!);
  return out;
}
