// A small GGUF writer for tests only: it re-encodes the F32 stories260K GGUF as F16 / BF16 / Q8_0 / Q4_0
// files and makes deliberately odd files (other architecture, unsupported tensor type, untied head).
// The second half loads that fixture (typed metadata + float32 tensors) and the HF reference tensors.
// Written from the GGUF spec (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md), version 3,
// little-endian:
//   "GGUF" u32 version  u64 tensor_count  u64 kv_count
//   kv:     string key, u32 value type, value          (string = u64 byte length + UTF-8 bytes)
//   tensor: string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset (relative to the data start)
//   padding to `alignment`, then each tensor's data at its offset (each offset a multiple of `alignment`).

import { GGMLQuantizationType, gguf } from '@huggingface/gguf';
import {
  float16ToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToFloat16,
} from '../../core/formats/dtype.js';
import { parseSafetensors, readFloat32 } from '../../core/formats/safetensors.js';
import { bundledModel, readBytes } from './paths.js';

/** GGUF metadata value types. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

type Scalar = string | number | bigint | boolean;

/** A metadata value with its GGUF type; arrays give their element type as subType (no nested arrays). */
export interface TypedValue {
  type: number;
  value: Scalar | Scalar[];
  subType?: number;
}

export interface WriterTensor {
  name: string;
  /** GGUF order: ne[0] (fastest axis) first */
  ggufShape: number[];
  /** GGML type id */
  type: number;
  data: Uint8Array;
}

class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private fixed(size: number, write: (view: DataView) => void): void {
    const b = new Uint8Array(size);
    write(new DataView(b.buffer));
    this.bytes(b);
  }

  u8(v: number): void {
    this.fixed(1, (d) => {
      d.setUint8(0, v);
    });
  }
  u32(v: number): void {
    this.fixed(4, (d) => {
      d.setUint32(0, v, true);
    });
  }
  u64(v: number | bigint): void {
    this.fixed(8, (d) => {
      d.setBigUint64(0, BigInt(v), true);
    });
  }
  string(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u64(utf8.length);
    this.bytes(utf8);
  }
  pad(alignment: number): void {
    const rest = this.length % alignment;
    if (rest !== 0) this.bytes(new Uint8Array(alignment - rest));
  }

  scalar(type: number, v: Scalar): void {
    switch (type) {
      case GgufValueType.UINT8:
      case GgufValueType.BOOL:
        this.u8(Number(v));
        break;
      case GgufValueType.INT8:
        this.fixed(1, (d) => {
          d.setInt8(0, Number(v));
        });
        break;
      case GgufValueType.UINT16:
        this.fixed(2, (d) => {
          d.setUint16(0, Number(v), true);
        });
        break;
      case GgufValueType.INT16:
        this.fixed(2, (d) => {
          d.setInt16(0, Number(v), true);
        });
        break;
      case GgufValueType.UINT32:
        this.u32(Number(v));
        break;
      case GgufValueType.INT32:
        this.fixed(4, (d) => {
          d.setInt32(0, Number(v), true);
        });
        break;
      case GgufValueType.FLOAT32:
        this.fixed(4, (d) => {
          d.setFloat32(0, Number(v), true);
        });
        break;
      case GgufValueType.STRING:
        this.string(String(v));
        break;
      case GgufValueType.UINT64:
        this.u64(BigInt(v));
        break;
      case GgufValueType.INT64:
        this.fixed(8, (d) => {
          d.setBigInt64(0, BigInt(v), true);
        });
        break;
      case GgufValueType.FLOAT64:
        this.fixed(8, (d) => {
          d.setFloat64(0, Number(v), true);
        });
        break;
      default:
        throw new Error(`gguf-writer: unsupported scalar type ${type}`);
    }
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Serialises a GGUF v3 file. `metadata` is written in the order given. */
export function writeGguf(
  metadata: [string, TypedValue][],
  tensors: WriterTensor[],
  alignment = 32,
): Uint8Array {
  const sink = new ByteSink();
  sink.bytes(new TextEncoder().encode('GGUF'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, { type, value, subType }] of metadata) {
    sink.string(key);
    sink.u32(type);
    if (type === GgufValueType.ARRAY) {
      if (!Array.isArray(value) || subType === undefined)
        throw new Error(`gguf-writer: ${key} needs an array and a subType`);
      sink.u32(subType);
      sink.u64(value.length);
      for (const v of value) sink.scalar(subType, v);
    } else {
      if (Array.isArray(value)) throw new Error(`gguf-writer: ${key} is an array but its type is ${type}`);
      sink.scalar(type, value);
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  tensors.forEach((t, i) => {
    sink.string(t.name);
    sink.u32(t.ggufShape.length);
    for (const n of t.ggufShape) sink.u64(n);
    sink.u32(t.type);
    sink.u64(offsets[i] ?? 0);
  });
  sink.pad(alignment);
  for (const t of tensors) {
    sink.bytes(t.data);
    sink.pad(alignment);
  }
  return sink.concat();
}

// ---- element encodings ----

export function encodeF32(values: Float32Array): Uint8Array {
  return new Uint8Array(values.slice().buffer);
}

export function encodeF16(values: Float32Array): Uint8Array {
  return new Uint8Array(float32ArrayToFloat16(values).buffer);
}

export function encodeBF16(values: Float32Array): Uint8Array {
  return new Uint8Array(float32ArrayToBfloat16(values).buffer);
}

/**
 * The float16 bits of the scale for a symmetric block quantizer with `levels` steps on each side of 0:
 * amax / levels rounded to float16, nudged up one float16 step if rounding made it too small to reach
 * amax. With that scale every |x| / d ≤ levels, so rounding to the nearest level errs by at most d / 2.
 */
export function blockScaleBits(block: ArrayLike<number>, levels: number): number {
  let amax = 0;
  for (let i = 0; i < block.length; i++) amax = Math.max(amax, Math.abs(block[i] ?? 0));
  let bits = float32ToFloat16(amax / levels);
  if (float16ToFloat32(bits) * levels < amax) bits += 1;
  return bits;
}

/** Q8_0: blocks of 32 values → f16 scale d + 32 int8 (x ≈ d·q). `values.length` must be a multiple of 32. */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % 32 !== 0) throw new Error('quantizeQ8_0: length must be a multiple of 32');
  const out = new Uint8Array((values.length / 32) * 34);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const bits = blockScaleBits(block, 127);
    const d = float16ToFloat32(bits);
    view.setUint16(b * 34, bits, true);
    for (let j = 0; j < 32; j++) {
      const q = d === 0 ? 0 : Math.max(-127, Math.min(127, Math.round((block[j] ?? 0) / d)));
      view.setInt8(b * 34 + 2 + j, q);
    }
  }
  return out;
}

/**
 * Q4_0: blocks of 32 values → f16 scale d + 16 bytes; byte j holds value j (low nibble) and value j + 16
 * (high nibble), each stored as q + 8 with x ≈ d·q. This quantizer uses q ∈ [-7, 7] (symmetric), which
 * the format allows; llama.cpp's own quantizer also uses -8.
 */
export function quantizeQ4_0(values: Float32Array): Uint8Array {
  if (values.length % 32 !== 0) throw new Error('quantizeQ4_0: length must be a multiple of 32');
  const out = new Uint8Array((values.length / 32) * 18);
  const view = new DataView(out.buffer);
  for (let b = 0; b < values.length / 32; b++) {
    const block = values.subarray(b * 32, b * 32 + 32);
    const bits = blockScaleBits(block, 7);
    const d = float16ToFloat32(bits);
    view.setUint16(b * 18, bits, true);
    const q = (x: number): number => (d === 0 ? 0 : Math.max(-7, Math.min(7, Math.round(x / d)))) + 8;
    for (let j = 0; j < 16; j++) {
      view.setUint8(b * 18 + 2 + j, q(block[j] ?? 0) | (q(block[j + 16] ?? 0) << 4));
    }
  }
  return out;
}

// ---- the stories260K fixture: the F32 GGUF read into typed metadata and float32 tensors, for re-encoding ----

export const GGUF_PATH = `${bundledModel()}.gguf`;
export const HF_DIR = bundledModel();

export interface SourceTensor {
  name: string;
  ggufShape: number[];
  values: Float32Array;
}

export interface SourceModel {
  bytes: Uint8Array;
  metadata: [string, TypedValue][];
  tensors: SourceTensor[];
}

let cached: Promise<SourceModel> | undefined;

async function load(): Promise<SourceModel> {
  const bytes = readBytes(GGUF_PATH);
  const parsed = await gguf(GGUF_PATH, { allowLocalFile: true, typedMetadata: true });
  const metadata: [string, TypedValue][] = [];
  for (const [key, entry] of Object.entries(parsed.typedMetadata)) {
    if (key === 'version' || key === 'tensor_count' || key === 'kv_count') continue;
    const value = entry.value as TypedValue['value'];
    const subType = 'subType' in entry ? entry.subType : undefined;
    metadata.push([
      key,
      subType === undefined ? { type: entry.type, value } : { type: entry.type, value, subType },
    ]);
  }
  const dataStart = Number(parsed.tensorDataOffset);
  const tensors = parsed.tensorInfos.map((info): SourceTensor => {
    if (info.dtype !== GGMLQuantizationType.F32) throw new Error(`fixture: ${info.name} is not F32`);
    const ggufShape = info.shape.map(Number);
    const count = ggufShape.reduce((a, b) => a * b, 1);
    const begin = dataStart + Number(info.offset);
    const values = new Float32Array(bytes.slice(begin, begin + count * 4).buffer);
    return { name: info.name, ggufShape, values };
  });
  return { bytes, metadata, tensors };
}

/** The F32 stories260K GGUF, parsed once per test file. */
export function sourceModel(): Promise<SourceModel> {
  cached ??= load();
  return cached;
}

/** The HF reference tensors (models/stories260K/model.safetensors), float32. */
export function referenceTensors(): Map<string, Float32Array> {
  const file = parseSafetensors(readBytes(`${HF_DIR}/model.safetensors`), { source: 'model.safetensors' });
  const out = new Map<string, Float32Array>();
  for (const name of file.tensors.keys()) out.set(name, readFloat32(file, name));
  return out;
}

export interface Variant {
  /** replace or add metadata entries (undefined deletes) */
  metadata?: Record<string, TypedValue | undefined>;
  /** encode each tensor: return undefined to drop it */
  encode?: (t: SourceTensor) => WriterTensor | undefined;
  /** extra tensors appended at the end */
  extra?: WriterTensor[];
}

export function f32Tensor(t: SourceTensor): WriterTensor {
  return { name: t.name, ggufShape: t.ggufShape, type: 0, data: encodeF32(t.values) };
}

/** Re-writes the source model with changes. */
export function writeVariant(src: SourceModel, variant: Variant): Uint8Array {
  const overrides = variant.metadata ?? {};
  const metadata: [string, TypedValue][] = [];
  for (const [key, value] of src.metadata) {
    if (Object.prototype.hasOwnProperty.call(overrides, key)) {
      const replacement = overrides[key];
      if (replacement !== undefined) metadata.push([key, replacement]);
    } else {
      metadata.push([key, value]);
    }
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined && !src.metadata.some(([k]) => k === key)) metadata.push([key, value]);
  }
  const encode = variant.encode ?? f32Tensor;
  const tensors: WriterTensor[] = [];
  for (const t of src.tensors) {
    const w = encode(t);
    if (w !== undefined) tensors.push(w);
  }
  tensors.push(...(variant.extra ?? []));
  return writeGguf(metadata, tensors);
}

export const str = (value: string): TypedValue => ({ type: GgufValueType.STRING, value });
export const u32 = (value: number): TypedValue => ({ type: GgufValueType.UINT32, value });
export const bool = (value: boolean): TypedValue => ({ type: GgufValueType.BOOL, value });
