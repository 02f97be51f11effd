// parseSafetensors validation, reading, writing and the real stories260K checkpoint.
import { test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import {
  SafetensorsError,
  getTensor,
  parseSafetensors,
  readFloat32,
  readInt32,
  serializeSafetensors,
  tensorBytes,
} from '../../../core/formats/safetensors.js';
import type { SafetensorsFile, TensorToWrite } from '../../../core/formats/safetensors.js';
import {
  MODEL_PATH,
  assertSafetensorsError,
  maxRelativeError,
  rawFile,
  realModelBytes,
} from './safetensors.helpers.js';
import { fixture, readBytes } from '../../helpers/paths.js';

const SRC = 'broken.safetensors';
const parse = (bytes: Uint8Array): SafetensorsFile => parseSafetensors(bytes, { source: SRC });
const f32 = (shape: number[], offsets: [number, number]) => ({ dtype: 'F32', shape, data_offsets: offsets });

// ---------------------------------------------------------------------------------------------------------
// Validation

void test('a file shorter than 8 bytes is rejected as truncated', () => {
  assertSafetensorsError(() => parse(new Uint8Array(5)), [/5 bytes long/, /too short/, /truncated/], SRC);
  assertSafetensorsError(() => parseSafetensors(new Uint8Array(0)), [/0 bytes long/, /safetensors data/]);
});

void test('a header length past the end of the file is rejected', () => {
  const bytes = rawFile({ a: f32([1], [0, 4]) }, new Uint8Array(4), 1000n);
  assertSafetensorsError(() => parse(bytes), [/header length 1000 bytes runs past the end of the file/], SRC);
  // Valid file cut inside its header.
  const good = serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: [1, 2] } });
  assertSafetensorsError(() => parse(good.subarray(0, 20)), [/runs past the end of the file/], SRC);
});

void test('a header length over maxHeaderBytes is rejected, even a 2^64−1 one', () => {
  const bytes = rawFile({}, new Uint8Array(0), 2n ** 64n - 1n);
  assertSafetensorsError(
    () => parse(bytes),
    [/header length 18446744073709551615 bytes is over the limit/],
    SRC,
  );
  const small = rawFile({ a: f32([1], [0, 4]) }, new Uint8Array(4));
  assertSafetensorsError(
    () => parseSafetensors(small, { source: SRC, maxHeaderBytes: 8 }),
    [/over the limit of 8 bytes/, /maxHeaderBytes/],
    SRC,
  );
  assertSafetensorsError(
    () => parseSafetensors(small, { maxHeaderBytes: Infinity }),
    [/maxHeaderBytes must be/],
  );
});

void test('a header that is not UTF-8, not JSON or not an object is rejected', () => {
  assertSafetensorsError(() => parse(rawFile('{"a": ')), [/not valid JSON/], SRC);
  assertSafetensorsError(() => parse(rawFile('{"a":1,}')), [/not valid JSON/], SRC);
  assertSafetensorsError(() => parse(rawFile('[1, 2]')), [/must be a JSON object/, /\[1,2\]/], SRC);
  assertSafetensorsError(() => parse(rawFile('null')), [/must be a JSON object/], SRC);
  const invalidUtf8 = rawFile('{"\u00e9":1}');
  invalidUtf8[10] = 0xff; // break the two-byte sequence of é
  assertSafetensorsError(() => parse(invalidUtf8), [/not valid UTF-8/], SRC);
});

void test('entries that are not objects, and bad shapes or offsets, are rejected with the tensor named', () => {
  assertSafetensorsError(() => parse(rawFile({ w: 3 })), [/tensor "w"/, /must be an object/], SRC);
  assertSafetensorsError(() => parse(rawFile({ w: [1] })), [/tensor "w"/, /must be an object/], SRC);
  const data = new Uint8Array(8);
  for (const shape of [[-1], [1.5], ['2'], 4, null, [2 ** 53]]) {
    assertSafetensorsError(
      () => parse(rawFile({ w: { dtype: 'F32', shape, data_offsets: [0, 8] } }, data)),
      [/tensor "w"/, /shape must be an array of non-negative integers/],
      SRC,
    );
  }
  for (const offsets of [[0], [0, 8, 8], [0, -8], [0.5, 8], ['0', '8'], null, { begin: 0, end: 8 }]) {
    assertSafetensorsError(
      () => parse(rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: offsets } }, data)),
      [/tensor "w"/, /data_offsets must be \[begin, end\]/],
      SRC,
    );
  }
  assertSafetensorsError(
    () => parse(rawFile({ w: f32([0], [8, 4]) }, data)),
    [/tensor "w"/, /\[8, 4\] end before they begin/],
    SRC,
  );
});

void test('an unknown dtype is rejected and the known ones are listed', () => {
  const bytes = rawFile({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2));
  assertSafetensorsError(
    () => parse(bytes),
    [/tensor "w"/, /unknown dtype "F8_E4M3"/, /known: F64, F32/],
    SRC,
  );
  const lower = rawFile({ w: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
  assertSafetensorsError(() => parse(lower), [/unknown dtype "f32"/], SRC);
});

void test('offsets out of the data section are rejected', () => {
  const bytes = rawFile({ w: f32([4], [0, 16]) }, new Uint8Array(12));
  assertSafetensorsError(
    () => parse(bytes),
    [/tensor "w"/, /\[0, 16\] are out of bounds of the data section \(12 bytes\)/],
    SRC,
  );
  // A valid file missing its last byte.
  const good = serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: [1, 2] } });
  assertSafetensorsError(
    () => parse(good.subarray(0, good.length - 1)),
    [/tensor "a"/, /out of bounds/],
    SRC,
  );
});

void test('a byte length that does not match shape × dtype size is rejected', () => {
  const bytes = rawFile({ w: f32([2, 3], [0, 20]) }, new Uint8Array(24));
  assertSafetensorsError(
    () => parse(bytes),
    [/tensor "w"/, /byte length 20/, /shape \[2, 3\] of F32, which needs 24 bytes/],
    SRC,
  );
  const f16 = rawFile({ h: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
  assertSafetensorsError(() => parse(f16), [/tensor "h"/, /needs 6 bytes/], SRC);
  // A shape whose element count overflows 2^53 is still compared exactly.
  const huge = rawFile({ w: f32([2 ** 52, 2 ** 52], [0, 0]) });
  assertSafetensorsError(() => parse(huge), [/tensor "w"/, /does not match shape/], SRC);
});

void test('overlapping tensors are rejected, naming both', () => {
  const bytes = rawFile({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Uint8Array(12));
  assertSafetensorsError(() => parse(bytes), [/tensors "a" \[0, 8\] and "b" \[4, 12\]/, /overlapping/], SRC);
  const same = rawFile({ a: f32([2], [0, 8]), b: f32([2], [0, 8]) }, new Uint8Array(8));
  assertSafetensorsError(() => parse(same), [/overlapping/], SRC);
  // b lies inside a, behind a short tensor c that ends before it.
  const nested = rawFile(
    { a: f32([4], [0, 16]), c: f32([1], [0, 4]), b: f32([1], [8, 12]) },
    new Uint8Array(16),
  );
  assertSafetensorsError(() => parse(nested), [/"a" \[0, 16\]/, /overlapping/], SRC);
});

void test('__metadata__ must map strings to strings', () => {
  assertSafetensorsError(
    () => parse(rawFile({ __metadata__: { n: 3 } })),
    [/"__metadata__" entry "n" must be a string/],
    SRC,
  );
  assertSafetensorsError(
    () => parse(rawFile({ __metadata__: ['x'] })),
    [/"__metadata__" must be an object/],
    SRC,
  );
  const ok = parse(rawFile('{"__metadata__": {"format": "pt", "__proto__": "x"}}'));
  assert.equal(ok.metadata.format, 'pt');
  assert.equal(Object.getOwnPropertyDescriptor(ok.metadata, '__proto__')?.value, 'x');
  assert.deepEqual(parse(rawFile({ __metadata__: null })).metadata, {});
});

void test('zero-size tensors, gaps, unaligned data, padding and extra entry keys are accepted', () => {
  // Header of 7 bytes, so the data section starts at byte 15: every tensor is unaligned.
  const data = new Uint8Array(4 + 4 + 8);
  const view = new DataView(data.buffer);
  view.setFloat32(0, 1.25, true);
  // bytes 4..8: a gap
  view.setFloat32(8, -2.5, true);
  view.setFloat32(12, 1e-3, true);
  const header = {
    a: f32([1], [0, 4]),
    b: { ...f32([2], [8, 16]), extra: 'ignored' },
    empty: f32([0, 3], [4, 4]),
    empty2: f32([3, 0], [16, 16]),
  };
  const text = `${JSON.stringify(header)}   `;
  const file = parseSafetensors(rawFile(text, data));
  assert.equal((8 + text.length) % 4 === 0, false, 'the data section is unaligned');
  assert.deepEqual([...readFloat32(file, 'a')], [1.25]);
  assert.deepEqual([...readFloat32(file, 'b')], [-2.5, Math.fround(1e-3)]);
  assert.equal(readFloat32(file, 'empty').length, 0);
  assert.deepEqual(getTensor(file, 'empty2').shape, [3, 0]);
  assert.equal(getTensor(file, 'b').begin, 8 + text.length + 8);
  assert.equal(tensorBytes(file, getTensor(file, 'a')).length, 4);
});

void test('getTensor names the file and suggests close tensor names', () => {
  const file = parseSafetensors(realModelBytes(), { source: MODEL_PATH });
  const error = assertSafetensorsError(
    () => getTensor(file, 'model.layers.0.self_attn.qkv_proj.weight'),
    [
      /no tensor named "model.layers.0.self_attn.qkv_proj.weight"/,
      /47 tensors/,
      /model\.layers\.0\.self_attn\./,
    ],
    MODEL_PATH,
  );
  assert.ok(!error.message.includes('model.layers.4'), 'suggestions are the close names');
  assertSafetensorsError(
    () => readFloat32(file, 'lm_head.weight'),
    [/no tensor named "lm_head.weight"/],
    MODEL_PATH,
  );
  assertSafetensorsError(() => getTensor(parse(rawFile({})), 'x'), [/the file has no tensors/], SRC);
});

// ---------------------------------------------------------------------------------------------------------
// Writing and reading back

void test('serialize → parse round-trips F32, I64 and I32 exactly, with metadata, sorted and padded', () => {
  const tensors: Record<string, TensorToWrite> = {
    'z.f32': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 65536.125]) },
    'a.i64': { dtype: 'I64', shape: [4], data: BigInt64Array.from([0n, -1n, 2n ** 62n, -(2n ** 63n)]) },
    'a.i64small': { dtype: 'I64', shape: [2, 2], data: [1, -2, 2 ** 40, -(2 ** 53 - 1)] },
    'm.i32': { dtype: 'I32', shape: [3], data: Int32Array.from([2147483647, -2147483648, 0]) },
    'm.i32list': { dtype: 'I32', shape: [1, 2], data: [7, -7] },
    scalar: { dtype: 'F32', shape: [], data: [42] },
    empty: { dtype: 'F32', shape: [0, 4], data: [] },
  };
  const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'héllo' });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0, 'header padded to a multiple of 8');
  const file = parseSafetensors(bytes);
  assert.deepEqual(file.metadata, { format: 'pt', note: 'héllo' });
  assert.deepEqual([...file.tensors.keys()].sort(), Object.keys(tensors).sort());
  // Dense, in name order.
  const ordered = [...file.tensors.values()].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let position = 8 + headerLength;
  for (const entry of ordered.filter((e) => e.end > e.begin)) {
    assert.equal(entry.begin, position, `${entry.name} starts where the previous ends`);
    position = entry.end;
  }
  assert.equal(position, bytes.length);
  const nonEmptyNames = ordered.filter((e) => e.end > e.begin).map((e) => e.name);
  assert.deepEqual(nonEmptyNames, [...nonEmptyNames].sort());

  assert.deepEqual(
    [...readFloat32(file, 'z.f32')].map((x) => (Object.is(x, -0) ? '-0' : x)),
    [1, -2, 3.5, Math.fround(1e-30), '-0', 65536.125],
  );
  assert.deepEqual(getTensor(file, 'z.f32').shape, [2, 3]);
  assert.deepEqual(getTensor(file, 'scalar').shape, []);
  assert.deepEqual([...readFloat32(file, 'scalar')], [42]);
  assert.equal(readFloat32(file, 'empty').length, 0);
  assert.deepEqual([...readInt32(file, 'm.i32')], [2147483647, -2147483648, 0]);
  assert.deepEqual([...readInt32(file, 'm.i32list')], [7, -7]);
  assert.deepEqual([...readFloat32(file, 'a.i64small')], [1, -2, 2 ** 40, Math.fround(-(2 ** 53 - 1))]);
  const raw = tensorBytes(file, getTensor(file, 'a.i64'));
  const i64 = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => i64.getBigInt64(i * 8, true)),
    [0n, -1n, 2n ** 62n, -(2n ** 63n)],
  );
  // Values outside int32 / safe-integer range are errors, not silent wraps.
  assertSafetensorsError(
    () => readInt32(file, 'a.i64'),
    [/tensor "a.i64" \(I64\): element 2 is 4611686018427387904, outside the int32 range/],
  );
  assertSafetensorsError(() => readFloat32(file, 'a.i64'), [/element 2 is 4611686018427387904/]);
  assertSafetensorsError(
    () => readInt32(file, 'z.f32'),
    [/tensor "z.f32" is F32, not an integer tensor/, /readFloat32/],
  );
});

void test('serialize → parse round-trips F16 and BF16 with correct rounding', () => {
  const values = Float32Array.from([
    0,
    1,
    -1,
    0.1,
    65504,
    70000,
    2 ** -24,
    2 ** -25,
    1 + 2 ** -11,
    3.3e-39,
    Infinity,
    NaN,
  ]);
  const bytes = serializeSafetensors({
    h: { dtype: 'F16', shape: [values.length], data: values },
    b: { dtype: 'BF16', shape: [3, 4], data: values },
  });
  const file = parseSafetensors(bytes);
  const h = readFloat32(file, 'h');
  const b = readFloat32(file, 'b');
  const expectedF16 = [0, 1, -1, 0.0999755859375, 65504, Infinity, 2 ** -24, 0, 1, 0, Infinity, NaN];
  const expectedBf16 = [
    0,
    1,
    -1,
    0.10009765625,
    65536,
    70144,
    Math.fround(2 ** -24),
    Math.fround(2 ** -25),
    1,
    3.3e-39,
    Infinity,
    NaN,
  ];
  for (let i = 0; i < values.length; i++) {
    assert.ok(
      Object.is(h[i], Math.fround(expectedF16[i]!)),
      `F16 ${values[i]} → ${h[i]}, want ${expectedF16[i]}`,
    );
    if (i === 9) {
      // 3.3e-39 is a float32 subnormal: bfloat16 keeps its top 7 mantissa bits.
      assert.ok(Math.abs(b[i]! - 3.3e-39) < 2 ** -133, `BF16 subnormal ${b[i]}`);
    } else {
      assert.ok(
        Object.is(b[i], Math.fround(expectedBf16[i]!)),
        `BF16 ${values[i]} → ${b[i]}, want ${expectedBf16[i]}`,
      );
    }
  }
  assert.equal(getTensor(file, 'h').dtype, 'F16');
  assert.equal(getTensor(file, 'b').end - getTensor(file, 'b').begin, 24);
});

void test('the other dtypes are read by readFloat32 and readInt32 (F64, I16, I8, U8, U16, U32, U64, BOOL)', () => {
  const data = new Uint8Array(8 * 2 + 2 * 2 + 2 + 2 + 2 * 2 + 4 * 2 + 8 + 8 + 3);
  const view = new DataView(data.buffer);
  let o = 0;
  const header: Record<string, unknown> = {};
  const put = (
    name: string,
    dtype: string,
    count: number,
    size: number,
    write: (i: number, at: number) => void,
  ): void => {
    header[name] = { dtype, shape: [count], data_offsets: [o, o + count * size] };
    for (let i = 0; i < count; i++) write(i, o + i * size);
    o += count * size;
  };
  put('f64', 'F64', 2, 8, (i, at) => {
    view.setFloat64(at, [0.1, -1e300][i]!, true);
  });
  put('i16', 'I16', 2, 2, (i, at) => {
    view.setInt16(at, [-300, 300][i]!, true);
  });
  put('i8', 'I8', 2, 1, (i, at) => {
    view.setInt8(at, [-128, 127][i]!);
  });
  put('u8', 'U8', 2, 1, (i, at) => {
    view.setUint8(at, [0, 255][i]!);
  });
  put('u16', 'U16', 2, 2, (i, at) => {
    view.setUint16(at, [1, 65535][i]!, true);
  });
  put('u32', 'U32', 2, 4, (i, at) => {
    view.setUint32(at, [5, 4294967295][i]!, true);
  });
  put('u64', 'U64', 1, 8, (_i, at) => {
    view.setBigUint64(at, 12345678901n, true);
  });
  put('u64big', 'U64', 1, 8, (_i, at) => {
    view.setBigUint64(at, 2n ** 64n - 1n, true);
  });
  put('bool', 'BOOL', 3, 1, (i, at) => {
    view.setUint8(at, [0, 1, 7][i]!);
  });
  assert.equal(o, data.length);
  // An odd header length puts the data section off every alignment.
  const file = parseSafetensors(rawFile(`${JSON.stringify(header)} `, data));
  assert.deepEqual([...readFloat32(file, 'f64')], [Math.fround(0.1), -Infinity]);
  assert.deepEqual([...readInt32(file, 'i16')], [-300, 300]);
  assert.deepEqual([...readInt32(file, 'i8')], [-128, 127]);
  assert.deepEqual([...readInt32(file, 'u8')], [0, 255]);
  assert.deepEqual([...readInt32(file, 'u16')], [1, 65535]);
  assert.deepEqual([...readFloat32(file, 'u32')], [5, Math.fround(4294967295)]);
  assert.deepEqual([...readInt32(file, 'bool')], [0, 1, 1]);
  assert.deepEqual([...readFloat32(file, 'bool')], [0, 1, 1]);
  assert.deepEqual([...readFloat32(file, 'u64')], [Math.fround(12345678901)]);
  assertSafetensorsError(
    () => readFloat32(file, 'u64big'),
    [/tensor "u64big" \(U64\): element 0 is 18446744073709551615, outside a safe JavaScript integer/],
  );
  assertSafetensorsError(
    () => readInt32(file, 'u32'),
    [/tensor "u32" \(U32\): element 1 is 4294967295, outside the int32 range/],
  );
  assertSafetensorsError(() => readInt32(file, 'u64'), [/element 0 is 12345678901, outside the int32 range/]);
  assertSafetensorsError(() => readInt32(file, 'f64'), [/is F64, not an integer tensor/]);
});

void test('serializeSafetensors rejects bad input with SafetensorsError', () => {
  assertSafetensorsError(
    () => serializeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } }),
    [/tensor "a"/, /holds 4 elements but the data has 3/],
  );
  assertSafetensorsError(
    () => serializeSafetensors({ a: { dtype: 'F32', shape: [-1], data: [] } }),
    [/shape \[-1\] is not a list of non-negative integers/],
  );
  assertSafetensorsError(
    () => serializeSafetensors({ a: { dtype: 'I32', shape: [1], data: [2 ** 31] } }),
    [/element 0 is 2147483648, outside/],
  );
  assertSafetensorsError(
    () => serializeSafetensors({ a: { dtype: 'I64', shape: [1], data: [0.5] } }),
    [/element 0 is 0.5, not a safe integer/],
  );
  assertSafetensorsError(
    () => serializeSafetensors({ a: { dtype: 'F16', shape: [1], data: BigInt64Array.from([1n]) } }),
    [/BigInt64Array data cannot be written as F16/],
  );
  assertSafetensorsError(
    () => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: [] } }),
    [/"__metadata__" is reserved/],
  );
  const badMeta = { n: 1 } as unknown as Record<string, string>;
  assertSafetensorsError(() => serializeSafetensors({}, badMeta), [/metadata "n" is number, not a string/]);
});

void test('tensor names that are JSON-special or object-special survive a round trip', () => {
  const names = ['__proto__', '0', '10', '2', 'constructor', 'with "quotes" and \\ and \n', 'ü/ñ', ''];
  const tensors: Record<string, TensorToWrite> = {};
  names.forEach((name, i) => {
    Object.defineProperty(tensors, name, {
      value: { dtype: 'I32', shape: [1], data: [i] },
      enumerable: true,
    });
  });
  const file = parseSafetensors(serializeSafetensors(tensors));
  assert.equal(file.tensors.size, names.length);
  names.forEach((name, i) => {
    assert.deepEqual([...readInt32(file, name)], [i], JSON.stringify(name));
  });
});

// ---------------------------------------------------------------------------------------------------------
// The real checkpoint

void test('reads the real stories260K model.safetensors', () => {
  const file = parseSafetensors(realModelBytes(), { source: MODEL_PATH });
  assert.equal(file.source, MODEL_PATH);
  assert.deepEqual(file.metadata, { format: 'pt' });
  assert.equal(file.tensors.size, 47); // embeddings + 5 layers × 9 + final norm
  assert.deepEqual(getTensor(file, 'model.embed_tokens.weight').shape, [512, 64]);
  assert.deepEqual(getTensor(file, 'model.layers.0.mlp.down_proj.weight').shape, [64, 172]);
  assert.deepEqual(getTensor(file, 'model.layers.3.self_attn.k_proj.weight').shape, [32, 64]);
  assert.deepEqual(getTensor(file, 'model.norm.weight').shape, [64]);
  for (const entry of file.tensors.values()) assert.equal(entry.dtype, 'F32');
  // Reference values read with numpy from the same file.
  const norm = readFloat32(file, 'model.norm.weight');
  assert.deepEqual([...norm.subarray(0, 3)], [2.4583089351654053, 1.3673226833343506, 1.7504382133483887]);
  const embed = readFloat32(file, 'model.embed_tokens.weight');
  assert.equal(embed.length, 512 * 64);
  assert.deepEqual([...embed.subarray(0, 3)], [-0.29474878311157227, 0.5618956089019775, 0.1754225343465805]);
  const sum = (a: Float32Array): number => a.reduce((s, x) => s + x, 0);
  assert.ok(Math.abs(sum(embed) - -752.3677446640068) < 1e-6);
  assert.ok(
    Math.abs(sum(readFloat32(file, 'model.layers.4.mlp.down_proj.weight')) - 19.543787761240765) < 1e-6,
  );
  // A fresh copy, not a view: writing to it leaves the file unchanged.
  norm[0] = 0;
  assert.equal(readFloat32(file, 'model.norm.weight')[0], 2.4583089351654053);
});

void test('the real model converted to F16 and BF16 in memory reads back within each dtype precision', () => {
  const original = parseSafetensors(realModelBytes(), { source: MODEL_PATH });
  for (const [dtype, relTolerance] of [
    ['F16', 2 ** -11], // 10 mantissa bits: half an ulp
    ['BF16', 2 ** -8], // 7 mantissa bits
  ] as const) {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, entry] of original.tensors)
      tensors[name] = { dtype, shape: entry.shape, data: readFloat32(original, name) };
    const bytes = serializeSafetensors(tensors, { ...original.metadata });
    const converted = parseSafetensors(bytes, { source: `in-memory ${dtype}` });
    assert.equal(converted.tensors.size, original.tensors.size);
    // Half the bytes of the data section, plus a similar header.
    assert.ok(bytes.length < realModelBytes().length / 2 + 8192, `${dtype} file is ${bytes.length} bytes`);
    for (const [name, entry] of original.tensors) {
      const back = converted.tensors.get(name);
      assert.ok(back !== undefined);
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, entry.shape);
      const want = readFloat32(original, name);
      const got = readFloat32(converted, name);
      // Below float16's normal range (2^-14) the absolute error is bounded by the subnormal spacing instead.
      const err = maxRelativeError(got, want, dtype === 'F16' ? 2 ** -14 : 0);
      assert.ok(err <= relTolerance, `${dtype} ${name}: relative error ${err}`);
      if (err === 0) assert.fail(`${dtype} ${name}: no rounding at all is implausible`);
    }
  }
});

void test('SafetensorsError is an Error with name and source', () => {
  const error = new SafetensorsError('x', 'f.safetensors');
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'SafetensorsError');
  assert.equal(error.source, 'f.safetensors');
  assert.equal(new SafetensorsError('y').source, undefined);
});

void test('every safetensors file under test/fixtures parses and every tensor reads', () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.safetensors')) files.push(p);
    }
  };
  walk(fixture());
  assert.ok(files.length >= 10, `found ${files.length} files`);
  let intTensors = 0;
  for (const p of files) {
    const file = parseSafetensors(readBytes(p), { source: p });
    for (const [name, entry] of file.tensors) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      if (entry.dtype === 'I64') {
        assert.equal(readInt32(file, name).length, count);
        intTensors++;
      } else {
        assert.equal(readFloat32(file, name).length, count);
      }
    }
  }
  assert.ok(intTensors > 0, 'the golden files include I64 inputs (input_ids, labels)');
});
