// Reads only the header of a .safetensors file (8-byte length + JSON), so that a multi-gigabyte model opens
// in the header view, and its embedding tensor can be fingerprinted, without reading the whole file.
// parseSafetensors (core/formats) validates a complete file held in memory; this is its lean sibling for the
// first few kilobytes, with the same layout rules (https://github.com/huggingface/safetensors).
import {
  DTYPE_SIZE,
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  isSafetensorsDType,
} from '../formats/dtype.js';
import type { SafetensorsDType } from '../formats/dtype.js';
import { InspectError } from './adapter.js';
import type { SafetensorsHeaderSummary } from './types.js';

/** One tensor of a header, with absolute byte offsets into the file. */
export interface HeaderTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly headerBytes: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly HeaderTensor[];
}

/** Largest header read (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** The JSON header's length from the file's first 8 bytes (little-endian u64). */
export function safetensorsHeaderLength(first8: Uint8Array, fileName: string): number {
  if (first8.length < 8) {
    throw new InspectError(
      `${fileName}: ${first8.length} bytes is too short for a safetensors file (truncated?)`,
    );
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new InspectError(
      `${fileName}: header length ${n} bytes is over ${MAX_HEADER_BYTES}: this is not a safetensors file or it is damaged`,
    );
  }
  return Number(n);
}

/** Parses the header JSON (the bytes after the 8-byte length) of a file of `fileBytes` bytes. */
export function parseSafetensorsHeader(
  headerJson: Uint8Array,
  fileBytes: number,
  fileName: string,
): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerJson));
  } catch (e) {
    throw new InspectError(
      `${fileName}: the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)}); re-export or re-download the file`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InspectError(`${fileName}: the header must be a JSON object`);
  }
  const dataStart = 8 + headerJson.length;
  let metadata: Record<string, string> = {};
  const tensors: HeaderTensor[] = [];
  for (const [name, info] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info === 'object' && info !== null) {
        metadata = Object.fromEntries(
          Object.entries(info as Record<string, unknown>).filter(
            (e): e is [string, string] => typeof e[1] === 'string',
          ),
        );
      }
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (info ?? {}) as {
      dtype?: unknown;
      shape?: unknown;
      data_offsets?: unknown;
    };
    const okShape = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
    const okOffsets =
      Array.isArray(offsets) &&
      offsets.length === 2 &&
      offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
    if (!isSafetensorsDType(dtype) || !okShape || !okOffsets) {
      throw new InspectError(
        `${fileName}: tensor "${name}" has a malformed header entry {dtype, shape, data_offsets}`,
      );
    }
    const [b, e] = offsets as [number, number];
    if (dataStart + e > fileBytes || e < b) {
      throw new InspectError(
        `${fileName}: tensor "${name}" spans bytes ${b}..${e} of the data but the file holds ${fileBytes - dataStart}: truncated file`,
      );
    }
    tensors.push({ name, dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e });
  }
  tensors.sort((a, b) => a.begin - b.begin);
  return { headerBytes: dataStart, metadata, tensors };
}

export function summarizeHeader(
  header: SafetensorsHeader,
  fileBytes: number,
  fileName: string,
): SafetensorsHeaderSummary {
  let parameters = 0;
  for (const t of header.tensors) parameters += t.shape.reduce((a, d) => a * d, 1);
  return {
    kind: 'header',
    fileName,
    fileBytes,
    headerBytes: header.headerBytes,
    metadata: header.metadata,
    tensors: header.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      bytes: t.end - t.begin,
    })),
    parameters,
  };
}

/** A float tensor's little-endian bytes (F32, F16, BF16, F64) as float32. */
export function floatTensorToFloat32(bytes: Uint8Array, dtype: SafetensorsDType, name: string): Float32Array {
  const size = DTYPE_SIZE[dtype];
  if (bytes.length % size !== 0)
    throw new InspectError(`tensor "${name}": ${bytes.length} bytes is not a whole number of ${dtype}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / size;
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16':
    case 'BF16': {
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true);
      return dtype === 'F16' ? float16ArrayToFloat32(bits) : bfloat16ArrayToFloat32(bits);
    }
    case 'I64':
    case 'I32':
    case 'I16':
    case 'I8':
    case 'U8':
    case 'BOOL':
    case 'U16':
    case 'U32':
    case 'U64':
      throw new InspectError(`tensor "${name}" is ${dtype}, not a float tensor`);
  }
}
