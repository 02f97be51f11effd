// quant.ts on hand-made blocks: the byte layouts are checked against values worked out by hand from
// ggml's block definitions (independently of test/helpers/gguf-writer.ts, which shares the reader's author).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GgmlType,
  dequantize,
  ggmlByteSize,
  ggmlTypeName,
  isSupportedGgmlType,
} from '../../../core/formats/quant.js';

void test('Q8_0: f16 scale then 32 signed bytes', () => {
  const block = new Uint8Array(34);
  block[0] = 0x00;
  block[1] = 0x38; // f16 0x3800 = 0.5
  const q = [127, -127, 1, -1, 0, 64, -128];
  q.forEach((v, j) => (block[2 + j] = v & 0xff));
  const out = dequantize(GgmlType.Q8_0, block, 32);
  assert.deepEqual(Array.from(out.subarray(0, 7)), [63.5, -63.5, 0.5, -0.5, 0, 32, -64]);
  assert.ok(out.subarray(7).every((v) => v === 0));
});

void test('Q4_0: f16 scale, byte j = value j (low nibble) and value j+16 (high nibble), offset 8', () => {
  const block = new Uint8Array(18);
  block[0] = 0x00;
  block[1] = 0xc0; // f16 0xC000 = -2
  block[2] = 0x9f; // value 0: 0xF - 8 = 7 → -14; value 16: 0x9 - 8 = 1 → -2
  block[17] = 0x08; // value 15: 8 - 8 = 0 → 0; value 31: 0 - 8 = -8 → 16
  for (let j = 1; j < 15; j++) block[2 + j] = 0x88; // zeros
  const out = dequantize(GgmlType.Q4_0, block, 32);
  assert.equal(out[0], -14);
  assert.equal(out[16], -2);
  assert.ok(out[15] === 0); // -0: d · 0 with d < 0
  assert.equal(out[31], 16);
  assert.equal(out.filter((v) => v !== 0).length, 3);
});

void test('F16 / BF16 / F32 decode at any byte offset of the input', () => {
  // One leading byte so that the values start at an odd offset of the underlying buffer.
  const f16 = new Uint8Array([0xff, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00]).subarray(1); // 1, -2, 2^-24
  assert.deepEqual(Array.from(dequantize(GgmlType.F16, f16, 3)), [1, -2, 2 ** -24]);
  const bf16 = new Uint8Array([0xff, 0x80, 0x3f, 0x40, 0xc0]).subarray(1); // 0x3F80 = 1, 0xC040 = -3
  assert.deepEqual(Array.from(dequantize(GgmlType.BF16, bf16, 2)), [1, -3]);
  const f32 = new Uint8Array(9);
  new DataView(f32.buffer).setFloat32(1, -0.25, true);
  new DataView(f32.buffer).setFloat32(5, 3.5, true);
  assert.deepEqual(Array.from(dequantize(GgmlType.F32, f32.subarray(1), 2)), [-0.25, 3.5]);
});

void test('sizes and names', () => {
  assert.equal(ggmlByteSize(GgmlType.Q8_0, 64), 68);
  assert.equal(ggmlByteSize(GgmlType.Q4_0, 64), 36);
  assert.equal(ggmlByteSize(GgmlType.F16, 3), 6);
  assert.equal(ggmlByteSize(GgmlType.Q8_0, 172), undefined, 'not whole blocks');
  assert.equal(ggmlTypeName(14), 'Q6_K');
  assert.equal(ggmlTypeName(99), 'type 99');
  assert.equal(isSupportedGgmlType(12), false);
  assert.equal(isSupportedGgmlType(8), true);
});
