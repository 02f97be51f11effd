// Reader and writer of the safetensors format (https://github.com/huggingface/safetensors):
//
//   bytes 0..8        N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N      the header: a UTF-8 JSON object
//                       { "__metadata__"?: {string: string},
//                         "<tensor name>": { "dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end] }, ... }
//   bytes 8+N..       the data section; each tensor's data_offsets are relative to its start and
//                     hold product(shape) · size(dtype) bytes, little-endian, row-major.
//
// Nothing in the file is trusted: every field is checked before use, so a damaged or hostile file ends in a
// SafetensorsError that names the file and the problem, never in a RangeError from a typed array.
// Data offsets are not guaranteed to be aligned (a file may mix F16 and F32 tensors, and the header length
// need not be a multiple of 8), so reads copy the bytes into fresh, aligned typed arrays.

import {
  DTYPE_SIZE,
  SAFETENSORS_DTYPES,
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  isFloatDType,
  isSafetensorsDType,
} from './dtype.js';
import type { SafetensorsDType } from './dtype.js';

export type { SafetensorsDType } from './dtype.js';
export {
  DTYPE_SIZE,
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './dtype.js';

/** Every problem with reading or writing safetensors data. `source` is the file it came from, when known. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  readonly source: string | undefined;

  constructor(message: string, source?: string) {
    super(message);
    this.source = source;
  }
}

/** One tensor of a file; `begin`/`end` are absolute byte offsets into the file's bytes. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsFile {
  /** Where the bytes came from (a file path, a URL), used in error messages. */
  readonly source: string | undefined;
  /** The header's `__metadata__` (empty when the file has none). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  /** The whole file. */
  readonly bytes: Uint8Array;
}

export interface ParseOptions {
  source?: string | undefined;
  /** Largest header accepted, in bytes (default 100 MiB, the limit of the reference implementation). */
  maxHeaderBytes?: number | undefined;
}

export const DEFAULT_MAX_HEADER_BYTES = 100 * 1024 * 1024;

const METADATA_KEY = '__metadata__';

function describeSource(source: string | undefined): string {
  return source === undefined ? 'safetensors data' : `safetensors file '${source}'`;
}

function fail(source: string | undefined, problem: string, advice: string): never {
  throw new SafetensorsError(`${describeSource(source)}: ${problem}. ${advice}`, source);
}

const NOT_SAFETENSORS =
  'Check that the file is a complete .safetensors file (re-download or re-export it if it is damaged).';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    // JSON.stringify returns undefined for undefined (its type says string).
    const json: unknown = JSON.stringify(value);
    text = typeof json === 'string' ? json : String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** product(shape), exactly (the product of safe integers can exceed 2^53). */
function elementCountBig(shape: readonly number[]): bigint {
  let count = 1n;
  for (const dim of shape) count *= BigInt(dim);
  return count;
}

/** Number of elements of a shape; throws when it is not a safe integer. */
export function elementCount(shape: readonly number[]): number {
  const count = elementCountBig(shape);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SafetensorsError(
      `shape [${shape.join(', ')}] has more elements than a JavaScript number counts exactly`,
    );
  }
  return Number(count);
}

function decodeHeader(bytes: Uint8Array, source: string | undefined): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail(source, 'the header is not valid UTF-8 text', NOT_SAFETENSORS);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(source, `the header is not valid JSON (${reason})`, NOT_SAFETENSORS);
  }
  if (!isPlainObject(json)) {
    return fail(source, `the header must be a JSON object, found ${shortJson(json)}`, NOT_SAFETENSORS);
  }
  return json;
}

function parseMetadata(value: unknown, source: string | undefined): Readonly<Record<string, string>> {
  // The reference implementation treats a null __metadata__ like a missing one.
  if (value === null || value === undefined) return Object.freeze({});
  if (!isPlainObject(value)) {
    return fail(
      source,
      `"${METADATA_KEY}" must be an object of strings, found ${shortJson(value)}`,
      NOT_SAFETENSORS,
    );
  }
  const entries: [string, string][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      return fail(
        source,
        `"${METADATA_KEY}" entry "${key}" must be a string, found ${shortJson(item)}`,
        'safetensors metadata maps strings to strings: store other values as JSON text.',
      );
    }
    entries.push([key, item]);
  }
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays a plain entry.
  return Object.freeze(Object.fromEntries(entries));
}

/** Parses and validates a safetensors file. The returned object keeps a reference to `bytes`, not a copy. */
export function parseSafetensors(bytes: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const source = options.source;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!isNonNegativeSafeInteger(maxHeaderBytes)) {
    throw new SafetensorsError(
      `maxHeaderBytes must be a non-negative integer, got ${String(maxHeaderBytes)}`,
      source,
    );
  }
  if (bytes.length < 8) {
    fail(
      source,
      `the file is ${bytes.length} bytes long, too short to hold the 8-byte header length (truncated file?)`,
      NOT_SAFETENSORS,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLengthBig = view.getBigUint64(0, true);
  if (headerLengthBig > BigInt(maxHeaderBytes)) {
    fail(
      source,
      `the header length ${headerLengthBig} bytes is over the limit of ${maxHeaderBytes} bytes (is this a safetensors file?)`,
      `${NOT_SAFETENSORS} If the header is really that large, raise maxHeaderBytes.`,
    );
  }
  const headerLength = Number(headerLengthBig);
  if (8 + headerLength > bytes.length) {
    fail(
      source,
      `the header length ${headerLength} bytes runs past the end of the file (${bytes.length} bytes): the file is truncated or not a safetensors file`,
      NOT_SAFETENSORS,
    );
  }
  const header = decodeHeader(bytes.subarray(8, 8 + headerLength), source);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  let metadata: Readonly<Record<string, string>> = Object.freeze({});
  const tensors = new Map<string, TensorEntry>();
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(info, source);
      continue;
    }
    const entry = parseEntry(name, info, dataStart, dataLength, source);
    tensors.set(name, entry);
  }
  checkOverlaps(tensors, dataStart, source);
  return Object.freeze({ source, metadata, tensors, bytes });
}

function parseEntry(
  name: string,
  info: unknown,
  dataStart: number,
  dataLength: number,
  source: string | undefined,
): TensorEntry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(info)) {
    return fail(
      source,
      `${where}: the header entry must be an object {dtype, shape, data_offsets}, found ${shortJson(info)}`,
      NOT_SAFETENSORS,
    );
  }
  const dtype = info.dtype;
  if (!isSafetensorsDType(dtype)) {
    return fail(
      source,
      `${where}: unknown dtype ${shortJson(dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`,
      'Convert the tensor to one of the known dtypes (for example with PyTorch: tensor.to(torch.float32)) and save again.',
    );
  }
  const shape = info.shape;
  if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInteger)) {
    return fail(
      source,
      `${where}: shape must be an array of non-negative integers, found ${shortJson(shape)}`,
      NOT_SAFETENSORS,
    );
  }
  const offsets = info.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !isNonNegativeSafeInteger(offsets[0]) ||
    !isNonNegativeSafeInteger(offsets[1])
  ) {
    return fail(
      source,
      `${where}: data_offsets must be [begin, end], two non-negative integers, found ${shortJson(offsets)}`,
      NOT_SAFETENSORS,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    return fail(source, `${where}: data_offsets [${begin}, ${end}] end before they begin`, NOT_SAFETENSORS);
  }
  if (end > dataLength) {
    return fail(
      source,
      `${where}: data_offsets [${begin}, ${end}] are out of bounds of the data section (${dataLength} bytes): the file is truncated or its header is wrong`,
      NOT_SAFETENSORS,
    );
  }
  const expected = elementCountBig(shape) * BigInt(DTYPE_SIZE[dtype]);
  if (expected !== BigInt(end - begin)) {
    return fail(
      source,
      `${where}: byte length ${end - begin} (data_offsets [${begin}, ${end}]) does not match shape [${shape.join(', ')}] of ${dtype}, which needs ${expected} bytes`,
      NOT_SAFETENSORS,
    );
  }
  // `+ 0` turns a -0 dimension (valid JSON) into 0.
  const cleanShape = Object.freeze(shape.map((dim) => dim + 0));
  return Object.freeze({ name, dtype, shape: cleanShape, begin: dataStart + begin, end: dataStart + end });
}

function checkOverlaps(
  tensors: ReadonlyMap<string, TensorEntry>,
  dataStart: number,
  source: string | undefined,
): void {
  // Empty tensors occupy no bytes and cannot overlap anything. Gaps between tensors are accepted: the spec
  // asks writers to cover the data section fully, but a gap does not make any tensor unreadable.
  const sorted = [...tensors.values()]
    .filter((t) => t.end > t.begin)
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  let furthest: TensorEntry | undefined;
  for (const tensor of sorted) {
    if (furthest !== undefined && tensor.begin < furthest.end) {
      const range = (t: TensorEntry): string => `[${t.begin - dataStart}, ${t.end - dataStart}]`;
      fail(
        source,
        `tensors "${furthest.name}" ${range(furthest)} and "${tensor.name}" ${range(tensor)} have overlapping data_offsets`,
        NOT_SAFETENSORS,
      );
    }
    if (furthest === undefined || tensor.end > furthest.end) furthest = tensor;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading tensors

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** A few names of `available`, those closest to `wanted` (by common prefix) first. */
export function suggestNames(wanted: string, available: Iterable<string>, count = 5): string[] {
  return [...available]
    .map((name) => ({ name, score: commonPrefixLength(wanted, name) }))
    .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, count)
    .map((x) => x.name);
}

/** The entry of tensor `name`; throws a SafetensorsError naming the file and some available names. */
export function getTensor(file: SafetensorsFile, name: string): TensorEntry {
  const entry = file.tensors.get(name);
  if (entry === undefined) {
    const names = suggestNames(name, file.tensors.keys());
    const listing =
      names.length === 0
        ? 'the file has no tensors'
        : `the file has ${file.tensors.size} tensors, for example ${names.map((n) => `"${n}"`).join(', ')}`;
    fail(
      file.source,
      `no tensor named "${name}" (${listing})`,
      'Check the tensor name and the model architecture.',
    );
  }
  return entry;
}

// Typed arrays use the platform's byte order; safetensors data is little-endian.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytesInPlace(bytes: Uint8Array, elementSize: number): void {
  for (let i = 0; i + elementSize <= bytes.length; i += elementSize)
    bytes.subarray(i, i + elementSize).reverse();
}

/** The raw little-endian bytes of a tensor (a view into the file, not a copy), after checking the entry. */
export function tensorBytes(file: SafetensorsFile, entry: TensorEntry): Uint8Array {
  const size = DTYPE_SIZE[entry.dtype];
  if (
    !Number.isSafeInteger(entry.begin) ||
    !Number.isSafeInteger(entry.end) ||
    entry.begin < 0 ||
    entry.end < entry.begin ||
    entry.end > file.bytes.length ||
    BigInt(entry.end - entry.begin) !== elementCountBig(entry.shape) * BigInt(size)
  ) {
    fail(
      file.source,
      `tensor "${entry.name}": byte range [${entry.begin}, ${entry.end}] does not fit the file (${file.bytes.length} bytes) or shape [${entry.shape.join(', ')}] of ${entry.dtype}`,
      'Parse the file with parseSafetensors instead of building entries by hand.',
    );
  }
  return file.bytes.subarray(entry.begin, entry.end);
}

type TypedArrayConstructor<T> = new (buffer: ArrayBuffer) => T;

/** Copies little-endian element bytes into a fresh, aligned typed array in the platform's byte order. */
function copyElements<T>(bytes: Uint8Array, elementSize: number, ctor: TypedArrayConstructor<T>): T {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!LITTLE_ENDIAN_HOST && elementSize > 1) swapBytesInPlace(copy, elementSize);
  return new ctor(copy.buffer);
}

type IntegerView = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

/** The elements of a narrow integer tensor (everything but 64-bit and floats). */
function integerElements(bytes: Uint8Array, dtype: SafetensorsDType): IntegerView | undefined {
  switch (dtype) {
    case 'I32':
      return copyElements(bytes, 4, Int32Array);
    case 'U32':
      return copyElements(bytes, 4, Uint32Array);
    case 'I16':
      return copyElements(bytes, 2, Int16Array);
    case 'U16':
      return copyElements(bytes, 2, Uint16Array);
    case 'I8':
      return copyElements(bytes, 1, Int8Array);
    case 'U8':
      return copyElements(bytes, 1, Uint8Array);
    case 'BOOL': {
      // Any non-zero byte is true, as numpy and PyTorch read it.
      const out = new Uint8Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] === 0 ? 0 : 1;
      return out;
    }
    case 'F64':
    case 'F32':
    case 'F16':
    case 'BF16':
    case 'I64':
    case 'U64':
      return undefined;
  }
}

function int64Elements(bytes: Uint8Array, dtype: 'I64' | 'U64'): BigInt64Array | BigUint64Array {
  return dtype === 'I64' ? copyElements(bytes, 8, BigInt64Array) : copyElements(bytes, 8, BigUint64Array);
}

/**
 * A tensor as float32 (a fresh array, row-major). Floats are rounded to float32 (F64) or widened exactly
 * (F16, BF16); integers are converted, and 64-bit integers must be within ±(2^53 − 1).
 */
export function readFloat32(file: SafetensorsFile, name: string): Float32Array {
  const entry = getTensor(file, name);
  const bytes = tensorBytes(file, entry);
  switch (entry.dtype) {
    case 'F32':
      return copyElements(bytes, 4, Float32Array);
    case 'F64':
      return new Float32Array(copyElements(bytes, 8, Float64Array));
    case 'F16':
      return float16ArrayToFloat32(copyElements(bytes, 2, Uint16Array));
    case 'BF16':
      return bfloat16ArrayToFloat32(copyElements(bytes, 2, Uint16Array));
    case 'I64':
    case 'U64': {
      const values = int64Elements(bytes, entry.dtype);
      const out = new Float32Array(values.length);
      const max = BigInt(Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v > max || v < -max)
          int64OutOfRange(file, entry, i, v, 'a safe JavaScript integer (±(2^53 − 1))');
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32':
    case 'U32':
    case 'I16':
    case 'U16':
    case 'I8':
    case 'U8':
    case 'BOOL': {
      const values = integerElements(bytes, entry.dtype);
      if (values === undefined) throw new Error('unreachable: narrow integer dtype without elements');
      return new Float32Array(values);
    }
  }
}

function int64OutOfRange(
  file: SafetensorsFile,
  entry: TensorEntry,
  index: number,
  value: bigint,
  range: string,
): never {
  return fail(
    file.source,
    `tensor "${entry.name}" (${entry.dtype}): element ${index} is ${value}, outside ${range}`,
    'Store the tensor with a narrower range of values, or read it as raw bytes with tensorBytes().',
  );
}

/** An integer tensor as int32 (a fresh array, row-major); throws if a value does not fit int32. */
export function readInt32(file: SafetensorsFile, name: string): Int32Array {
  const entry = getTensor(file, name);
  const bytes = tensorBytes(file, entry);
  const dtype = entry.dtype;
  if (isFloatDType(dtype)) {
    fail(
      file.source,
      `tensor "${name}" is ${dtype}, not an integer tensor`,
      'Read floating-point tensors with readFloat32().',
    );
  }
  if (dtype === 'I64' || dtype === 'U64') {
    const values = int64Elements(bytes, dtype);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v > 2147483647n || v < -2147483648n) int64OutOfRange(file, entry, i, v, 'the int32 range');
      out[i] = Number(v);
    }
    return out;
  }
  const values = integerElements(bytes, dtype);
  if (values === undefined) throw new Error(`unreachable: no integer reader for ${dtype}`);
  if (values instanceof Int32Array) return values;
  if (values instanceof Uint32Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v > 2147483647) {
        fail(
          file.source,
          `tensor "${name}" (U32): element ${i} is ${v}, outside the int32 range`,
          'Store the tensor as I64 or with smaller values.',
        );
      }
    }
  }
  return new Int32Array(values);
}

// ---------------------------------------------------------------------------------------------------------
// Writing

export interface TensorToWrite {
  dtype: 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';
  shape: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | number[];
}

function writeError(problem: string, advice: string): never {
  throw new SafetensorsError(`cannot write safetensors: ${problem}. ${advice}`);
}

/** The integer at `index` of `data`, checked to be a whole number within [min, max]. */
function integerAt(
  data: TensorToWrite['data'],
  index: number,
  name: string,
  min: bigint,
  max: bigint,
): bigint {
  const raw = data[index]!;
  let value: bigint;
  if (typeof raw === 'bigint') {
    value = raw;
  } else {
    if (!Number.isSafeInteger(raw)) {
      writeError(
        `tensor "${name}": element ${index} is ${raw}, not a safe integer`,
        'Round the values first.',
      );
    }
    value = BigInt(raw);
  }
  if (value < min || value > max) {
    writeError(
      `tensor "${name}": element ${index} is ${value}, outside [${min}, ${max}]`,
      'Use a wider dtype.',
    );
  }
  return value;
}

/** The little-endian bytes of one tensor's data in the asked dtype. */
function encodeTensor(name: string, tensor: TensorToWrite): Uint8Array {
  const { dtype, data } = tensor;
  const count = data.length;
  let typed: Float32Array | Uint16Array | Int32Array | BigInt64Array;
  let elementSize: number;
  const floatSource = (): ArrayLike<number> => {
    if (data instanceof BigInt64Array) {
      writeError(
        `tensor "${name}": BigInt64Array data cannot be written as ${dtype}`,
        'Use I64 or I32 for it.',
      );
    }
    return data;
  };
  switch (dtype) {
    case 'F32':
      typed = data instanceof Float32Array ? data : Float32Array.from(floatSource());
      elementSize = 4;
      break;
    case 'F16':
      typed = float32ArrayToFloat16(floatSource());
      elementSize = 2;
      break;
    case 'BF16':
      typed = float32ArrayToBfloat16(floatSource());
      elementSize = 2;
      break;
    case 'I32':
      if (data instanceof Int32Array) {
        typed = data;
      } else {
        typed = new Int32Array(count);
        for (let i = 0; i < count; i++)
          typed[i] = Number(integerAt(data, i, name, -2147483648n, 2147483647n));
      }
      elementSize = 4;
      break;
    case 'I64':
      if (data instanceof BigInt64Array) {
        typed = data;
      } else {
        typed = new BigInt64Array(count);
        const limit = 2n ** 63n;
        for (let i = 0; i < count; i++) typed[i] = integerAt(data, i, name, -limit, limit - 1n);
      }
      elementSize = 8;
      break;
    default: {
      const unknown: never = dtype;
      return writeError(
        `tensor "${name}": dtype ${shortJson(unknown)} cannot be written`,
        'Use one of F32, F16, BF16, I64, I32.',
      );
    }
  }
  const bytes = new Uint8Array(typed.byteLength);
  bytes.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  if (!LITTLE_ENDIAN_HOST && elementSize > 1) swapBytesInPlace(bytes, elementSize);
  return bytes;
}

/**
 * Writes a safetensors file: the header JSON padded with spaces to a multiple of 8 bytes, tensors sorted by
 * name (UTF-16 code unit order), laid out densely in that order. Float data is rounded to F16/BF16 (round
 * to nearest, ties to even) when that dtype is asked.
 */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const headerParts: string[] = [];
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        writeError(`metadata "${key}" is ${typeof value}, not a string`, 'Store other values as JSON text.');
      }
    }
    headerParts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) writeError(`"${METADATA_KEY}" is reserved`, 'Rename the tensor.');
    const tensor = tensors[name]!;
    const shape = [...tensor.shape];
    if (!shape.every(isNonNegativeSafeInteger)) {
      writeError(
        `tensor "${name}": shape ${shortJson(shape)} is not a list of non-negative integers`,
        'Fix the shape.',
      );
    }
    const count = elementCountBig(shape);
    if (count !== BigInt(tensor.data.length)) {
      writeError(
        `tensor "${name}": shape [${shape.join(', ')}] holds ${count} elements but the data has ${tensor.data.length}`,
        'Pass data of exactly product(shape) elements.',
      );
    }
    const bytes = encodeTensor(name, tensor);
    chunks.push(bytes);
    const info = { dtype: tensor.dtype, shape, data_offsets: [offset, offset + bytes.length] };
    // Built as text, not as an object, so that a tensor named "__proto__" or "0" keeps its place and meaning.
    headerParts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += bytes.length;
  }
  const headerText = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const headerLength = Math.ceil(headerText.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(headerText, 8);
  out.fill(0x20, 8 + headerText.length, 8 + headerLength); // trailing spaces: JSON whitespace
  let position = 8 + headerLength;
  for (const chunk of chunks) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}
