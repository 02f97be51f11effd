// float16 / bfloat16 conversions: known values, an independent reference table (numpy / exact rationals,
// test/fixtures/formats/float_conversions.json) and exhaustive round trips over all 65,536 bit patterns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from '../../../core/formats/safetensors.js';
import {
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32Bits,
  float32FromBits,
} from '../../../core/formats/dtype.js';
import { fixture, readJson } from '../../helpers/paths.js';

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

void test('float16 decodes known bit patterns, including subnormals, infinities and NaN', () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xbc00, -1],
    [0x3555, 0.333251953125],
    [0x7bff, 65504], // largest finite
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, value] of cases) assert.equal(float16ToFloat32(bits), value, hex(bits));
  assert.ok(Object.is(float16ToFloat32(0x8000), -0));
  assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
  assert.ok(Number.isNaN(float16ToFloat32(0x7c01)));
  assert.ok(Number.isNaN(float16ToFloat32(0xfe00)));
});

void test('float16 encodes with round-to-nearest-even, overflow to infinity and underflow to zero', () => {
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65519.99, 0x7bff], // below the midpoint to 65536: stays finite
    [65520, 0x7c00], // the midpoint rounds to even, which is infinity
    [1e10, 0x7c00],
    [-1e10, 0xfc00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal: to even (0)
    [2 ** -25 * 1.5, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2: to even (2)
    [5 * 2 ** -25, 0x0002], // tie between 2 and 3: to even (2)
    [2 ** -26, 0x0000],
    [1023.5 * 2 ** -24, 0x0400], // rounds up from the largest subnormal into the smallest normal
    [1 + 2 ** -11, 0x3c00], // tie: to even (1.0)
    [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (1 + 2^-9)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie: up
    [0.1, 0x2e66],
  ];
  for (const [value, bits] of cases) assert.equal(float32ToFloat16(value), bits, String(value));
  assert.equal(float32ToFloat16(-0), 0x8000);
  assert.equal(float32ToFloat16(0), 0x0000);
  const nan = float32ToFloat16(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x3ff, 0, 'NaN must not become infinity');
  // A signalling NaN whose payload sits only in the low float32 bits stays NaN.
  assert.ok(Number.isNaN(float16ToFloat32(float32ToFloat16(float32FromBits(0x7f800001)))));
});

void test('bfloat16 decodes and encodes known values with round-to-nearest-even', () => {
  assert.equal(bfloat16ToFloat32(0x3f80), 1);
  assert.equal(bfloat16ToFloat32(0xc000), -2);
  assert.equal(bfloat16ToFloat32(0x7f80), Infinity);
  assert.equal(bfloat16ToFloat32(0xff80), -Infinity);
  assert.equal(bfloat16ToFloat32(0x0001), float32FromBits(0x00010000)); // subnormal
  assert.ok(Object.is(bfloat16ToFloat32(0x8000), -0));
  assert.ok(Number.isNaN(bfloat16ToFloat32(0x7fc0)));

  assert.equal(float32ToBfloat16(1), 0x3f80);
  assert.equal(float32ToBfloat16(float32FromBits(0x3f808000)), 0x3f80); // tie: to even
  assert.equal(float32ToBfloat16(float32FromBits(0x3f818000)), 0x3f82); // tie: to even (up)
  assert.equal(float32ToBfloat16(float32FromBits(0x3f808001)), 0x3f81); // above the tie
  assert.equal(float32ToBfloat16(float32FromBits(0x7f7fffff)), 0x7f80); // float32 max rounds to infinity
  assert.equal(float32ToBfloat16(float32FromBits(0x7f7f7fff)), 0x7f7f); // below the midpoint: finite
  assert.equal(float32ToBfloat16(float32FromBits(0x00008000)), 0x0000); // subnormal tie: to even (0)
  assert.equal(float32ToBfloat16(float32FromBits(0x00018000)), 0x0002); // subnormal tie: to even (2)
  assert.equal(float32ToBfloat16(-Infinity), 0xff80);
  assert.equal(float32ToBfloat16(-0), 0x8000);
  const nan = float32ToBfloat16(float32FromBits(0x7f800001)); // NaN with payload only in the low half
  assert.ok(Number.isNaN(bfloat16ToFloat32(nan)), `NaN must stay NaN, got ${hex(nan)}`);
});

void test('conversions match the independent reference table (numpy float16, exact-rational bfloat16)', () => {
  const table = readJson<{ rows: [number, number, number][] }>(fixture('formats', 'float_conversions.json'));
  assert.ok(table.rows.length >= 1000);
  let ties = 0;
  for (const [f32, f16, bf16] of table.rows) {
    const x = float32FromBits(f32);
    assert.equal(float32ToFloat16(x), f16, `float16 of ${f32.toString(16)} (${x})`);
    assert.equal(float32ToBfloat16(x), bf16, `bfloat16 of ${f32.toString(16)} (${x})`);
    if ((f32 & 0xffff) === 0x8000) ties++;
  }
  assert.ok(ties > 50, 'the table exercises bfloat16 ties');
});

void test('every float16 and bfloat16 value survives decode → encode unchanged (exhaustive)', () => {
  for (let bits = 0; bits < 65536; bits++) {
    const f16 = float16ToFloat32(bits);
    if (Number.isNaN(f16)) {
      assert.ok(Number.isNaN(float16ToFloat32(float32ToFloat16(f16))), hex(bits));
    } else if (float32ToFloat16(f16) !== bits) {
      assert.fail(`float16 ${hex(bits)} → ${f16} → ${hex(float32ToFloat16(f16))}`);
    }
    const bf16 = bfloat16ToFloat32(bits);
    if (Number.isNaN(bf16)) {
      assert.ok(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(bf16))), hex(bits));
    } else if (float32ToBfloat16(bf16) !== bits || float32Bits(bf16) !== (bits << 16) >>> 0) {
      assert.fail(`bfloat16 ${hex(bits)} → ${bf16} → ${hex(float32ToBfloat16(bf16))}`);
    }
  }
});

void test('array conversions agree with the scalar ones', () => {
  const values = Float32Array.from([0, -0, 1.5, -3.25e-6, 70000, NaN, 1e-30, 0.1, -65504]);
  const f16 = float32ArrayToFloat16(values);
  const bf16 = float32ArrayToBfloat16(values);
  const back16 = float16ArrayToFloat32(f16);
  const backBf16 = bfloat16ArrayToFloat32(bf16);
  for (let i = 0; i < values.length; i++) {
    assert.equal(f16[i], float32ToFloat16(values[i]!));
    assert.equal(bf16[i], float32ToBfloat16(values[i]!));
    assert.ok(Object.is(back16[i], Math.fround(float16ToFloat32(f16[i]!))), `f16 ${i}`);
    assert.ok(Object.is(backBf16[i], Math.fround(bfloat16ToFloat32(bf16[i]!))), `bf16 ${i}`);
  }
});
