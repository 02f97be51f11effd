// Fuzzing parseSafetensors and the readers: whatever the bytes, the outcome is a parsed file whose every
// tensor reads, or a SafetensorsError; never a RangeError, TypeError or another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  SafetensorsError,
  parseSafetensors,
  readFloat32,
  readInt32,
  serializeSafetensors,
} from '../../../core/formats/safetensors.js';
import { DTYPE_SIZE, SAFETENSORS_DTYPES } from '../../../core/formats/dtype.js';
import { rawFile, rawFileFromHeaderBytes } from './safetensors.helpers.js';

type Outcome = 'parsed' | 'rejected';

/** Parses, then reads every tensor both ways; returns how it ended, rethrowing anything but SafetensorsError. */
function parseAndReadAll(bytes: Uint8Array): Outcome {
  try {
    const file = parseSafetensors(bytes, { source: 'fuzz.safetensors' });
    for (const [name, entry] of file.tensors) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      try {
        assert.equal(readFloat32(file, name).length, count);
      } catch (error) {
        if (!(error instanceof SafetensorsError)) throw error;
      }
      try {
        assert.equal(readInt32(file, name).length, count);
      } catch (error) {
        if (!(error instanceof SafetensorsError)) throw error;
      }
    }
    return 'parsed';
  } catch (error) {
    if (error instanceof SafetensorsError) {
      assert.match(error.message, /fuzz\.safetensors/, 'errors name the source');
      return 'rejected';
    }
    throw error;
  }
}

// A valid file with one tensor of each writable dtype and an odd-sized one, as the seed for mutations.
const seed = serializeSafetensors(
  {
    'w.f32': { dtype: 'F32', shape: [2, 3], data: [1, -2, 3, 0.5, NaN, Infinity] },
    'w.f16': { dtype: 'F16', shape: [3], data: [0.1, -65504, 2 ** -24] },
    'w.bf16': { dtype: 'BF16', shape: [1, 2], data: [1e30, -1e-30] },
    'w.i64': { dtype: 'I64', shape: [2], data: BigInt64Array.from([2n ** 40n, -5n]) },
    'w.i32': { dtype: 'I32', shape: [2, 1], data: [7, -8] },
    'w.empty': { dtype: 'F32', shape: [0], data: [] },
  },
  { format: 'pt' },
);
const seedHeaderLength = Number(new DataView(seed.buffer).getBigUint64(0, true));

void test('the seed file itself parses and reads', () => {
  assert.equal(parseAndReadAll(seed), 'parsed');
});

void test('random bytes: parsed or SafetensorsError, nothing else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
      parseAndReadAll(bytes);
    }),
    { numRuns: 1000 },
  );
  // Random bytes behind a plausible header length, so that the JSON decoder sees them.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 96 }), fc.nat(100), (body, length) => {
      parseAndReadAll(rawFileFromHeaderBytes(body, new Uint8Array(0), BigInt(length)));
    }),
    { numRuns: 500 },
  );
});

void test('valid files with flipped bytes or truncations: parsed or SafetensorsError', () => {
  const mutation = fc.oneof(
    // Byte flips, mostly inside the header where they change structure.
    fc.array(fc.record({ at: fc.nat(seedHeaderLength + 7), value: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.array(fc.record({ at: fc.nat(seed.length - 1), value: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 4,
    }),
  );
  let parsed = 0;
  fc.assert(
    fc.property(mutation, fc.option(fc.nat(seed.length)), (flips, cut) => {
      const bytes = seed.slice(0, cut ?? seed.length);
      for (const { at, value } of flips) if (at < bytes.length) bytes[at] = value;
      if (parseAndReadAll(bytes) === 'parsed') parsed++;
    }),
    { numRuns: 1500 },
  );
  assert.ok(parsed > 0, 'some mutations (inside tensor data, header whitespace) still parse');
});

void test('rewritten headers with wild dtypes, shapes and offsets: parsed or SafetensorsError', () => {
  const dimension = fc.oneof(
    { weight: 6, arbitrary: fc.nat(6) },
    fc.constantFrom(-1, 1.5, 2 ** 53, 2 ** 60, Number.MAX_SAFE_INTEGER, -0),
    fc.constant('3'),
    fc.constant(null),
  );
  const offset = fc.oneof(
    { weight: 6, arbitrary: fc.nat(64) },
    fc.constantFrom(-4, 0.5, 2 ** 53, 1e300),
    fc.constant('8'),
  );
  const fields = {
    dtype: fc.constantFrom(
      'F64',
      'F32',
      'F16',
      'BF16',
      'I64',
      'I32',
      'I16',
      'I8',
      'U8',
      'BOOL',
      'U16',
      'U32',
      'U64',
      'F8',
      '',
      'f32',
    ),
    shape: fc.oneof({ weight: 8, arbitrary: fc.array(dimension, { maxLength: 3 }) }, fc.jsonValue()),
    data_offsets: fc.oneof(
      { weight: 8, arbitrary: fc.tuple(offset, offset) },
      fc.array(offset, { maxLength: 3 }),
      fc.jsonValue(),
    ),
  };
  // Entries whose offsets agree with their shape (or nearly), placed anywhere in or past the data.
  const coherent = fc
    .record({
      dtype: fc.constantFrom(...SAFETENSORS_DTYPES),
      shape: fc.array(fc.nat(4), { maxLength: 3 }),
      begin: fc.nat(72),
      slack: fc.constantFrom(0, 0, 0, 0, 1, -1, 8),
    })
    .map(({ dtype, shape, begin, slack }) => {
      const end = begin + shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype] + slack;
      return { dtype, shape, data_offsets: [begin, end] };
    });
  // Mostly complete entries, so that the checks after the first ones are reached too.
  const entry = fc.oneof(
    { weight: 8, arbitrary: coherent },
    { weight: 8, arbitrary: fc.record(fields) },
    fc.record(fields, { requiredKeys: [] }),
    fc.jsonValue(),
  );
  const header = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', '__metadata__', '__proto__'), entry, {
        maxKeys: 4,
      }),
    },
    fc.jsonValue(),
  );
  let parsed = 0;
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 64 }), fc.nat(8), (json, data, pad) => {
      const text = JSON.stringify(json) + ' '.repeat(pad);
      if (parseAndReadAll(rawFile(text, data)) === 'parsed') parsed++;
    }),
    { numRuns: 1500 },
  );
  assert.ok(parsed > 20, `enough rewritten headers are valid to exercise the readers (${parsed})`);
});
