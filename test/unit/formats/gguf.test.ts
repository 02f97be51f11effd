// GGUF import: weights and config against the same model in HF layout (models/stories260K), re-encoded
// F16 / BF16 / Q8_0 / Q4_0 files made by test/helpers/gguf-writer.ts, and malformed or unsupported files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgufError, importGguf, readGgufHeader } from '../../../core/formats/gguf.js';
import type { ImportedModel } from '../../../core/formats/gguf.js';
import { parseModelConfig } from '../../../core/formats/hfconfig.js';
import {
  float16ArrayToFloat32,
  float16ToFloat32,
  float32ArrayToFloat16,
  bfloat16ArrayToFloat32,
  float32ArrayToBfloat16,
} from '../../../core/formats/dtype.js';
import { readJson } from '../../helpers/paths.js';
import {
  GGUF_PATH,
  HF_DIR,
  blockScaleBits,
  encodeBF16,
  encodeF16,
  f32Tensor,
  quantizeQ4_0,
  quantizeQ8_0,
  referenceTensors,
  sourceModel,
  str,
  u32,
  writeVariant,
} from '../../helpers/gguf-writer.js';
import type { SourceTensor, WriterTensor } from '../../helpers/gguf-writer.js';

const Q8_0 = 8;
const Q4_0 = 2;
const Q4_K = 12;
const F16 = 1;
const BF16 = 30;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

let f32Model: Promise<ImportedModel> | undefined;
async function importF32(): Promise<ImportedModel> {
  const src = await sourceModel();
  f32Model ??= importGguf(src.bytes, GGUF_PATH);
  return f32Model;
}

void test('F32 stories260K GGUF imports to the HF tensors exactly (Q/K rows un-permuted)', async () => {
  const model = await importF32();
  const reference = referenceTensors();
  assert.deepEqual([...model.tensors.keys()].sort(), [...reference.keys()].sort());
  assert.equal(model.tensors.has('lm_head.weight'), false, 'tied: no separate lm_head');
  for (const [name, ref] of reference) {
    const got = model.tensors.get(name);
    assert.ok(got, name);
    assert.equal(got.data.length, ref.length, name);
    assert.ok(maxAbsDiff(got.data, ref) <= 1e-6, `${name}: max |diff| ${maxAbsDiff(got.data, ref)}`);
  }
  // Shapes: HF row-major ([out, in] for linear weights).
  assert.deepEqual(model.tensors.get('model.embed_tokens.weight')?.shape, [512, 64]);
  assert.deepEqual(model.tensors.get('model.layers.0.self_attn.q_proj.weight')?.shape, [64, 64]);
  assert.deepEqual(model.tensors.get('model.layers.0.self_attn.k_proj.weight')?.shape, [32, 64]);
  assert.deepEqual(model.tensors.get('model.layers.0.mlp.down_proj.weight')?.shape, [64, 172]);
  assert.deepEqual(model.tensors.get('model.layers.0.mlp.gate_proj.weight')?.shape, [172, 64]);
  assert.deepEqual(model.tensors.get('model.norm.weight')?.shape, [64]);
});

void test('the Q/K un-permutation is needed: the raw GGUF rows differ from HF order', async () => {
  const src = await sourceModel();
  const reference = referenceTensors();
  const rawQ = src.tensors.find((t) => t.name === 'blk.0.attn_q.weight');
  const hfQ = reference.get('model.layers.0.self_attn.q_proj.weight');
  const rawV = src.tensors.find((t) => t.name === 'blk.0.attn_v.weight');
  const hfV = reference.get('model.layers.0.self_attn.v_proj.weight');
  assert.ok(rawQ && hfQ && rawV && hfV);
  assert.ok(maxAbsDiff(rawQ.values, hfQ) > 1e-3, 'Q is stored permuted');
  assert.equal(maxAbsDiff(rawV.values, hfV), 0, 'V is stored as is');
});

void test('config: HF config.json fields, context length as the GGUF says', async () => {
  const { config } = await importF32();
  const hf = readJson<Record<string, unknown>>(`${HF_DIR}/config.json`);
  for (const key of [
    'model_type',
    'architectures',
    'hidden_size',
    'intermediate_size',
    'num_hidden_layers',
    'num_attention_heads',
    'num_key_value_heads',
    'head_dim',
    'rms_norm_eps',
    'vocab_size',
    'tie_word_embeddings',
    'bos_token_id',
    'eos_token_id',
    'pad_token_id',
    'hidden_act',
    'attention_bias',
    'mlp_bias',
  ]) {
    assert.deepEqual(config[key], hf[key], key);
  }
  assert.equal(config.rope_theta, 10000);
  assert.equal(config.rms_norm_eps, 1e-5, 'float32 1e-5 written back as 1e-5');
  // The GGUF says 2048 where the HF config says 512 (llama2.c trained at 512; the converter wrote 2048).
  assert.equal(config.max_position_embeddings, 2048);
  assert.equal(config.rope_scaling, undefined);

  const parsed = parseModelConfig(config, 'imported');
  assert.equal(parsed.arch, 'llama');
  assert.equal(parsed.numKvHeads, 4);
  assert.equal(parsed.headDim, 8);
  assert.equal(parsed.tieWordEmbeddings, true);
  assert.equal(parsed.rope?.theta, 10000);
});

void test('readGgufHeader lists metadata and the tensor directory in GGUF order', async () => {
  const src = await sourceModel();
  const header = await readGgufHeader(src.bytes, 'stories260K.gguf');
  assert.equal(header.version, 3);
  assert.equal(header.metadata['general.architecture'], 'llama');
  assert.equal(header.tensors.length, 48);
  const q = header.tensors.find((t) => t.name === 'blk.0.attn_k.weight');
  assert.deepEqual(q?.ggufShape, [64, 32]);
  assert.equal(q.typeName, 'F32');
  assert.ok(q.byteOffset >= header.dataOffset);
});

function isQuantizable(t: SourceTensor): boolean {
  // llama.cpp keeps 1-D tensors (norms) in F32 and falls back for rows that are not whole blocks (ffn_down: 172).
  return t.ggufShape.length === 2 && (t.ggufShape[0] ?? 0) % 32 === 0;
}

void test('F16 GGUF imports within float16 rounding (exactly the rounded reference)', async () => {
  const src = await sourceModel();
  const bytes = writeVariant(src, {
    metadata: { 'general.file_type': u32(1) },
    encode: (t): WriterTensor =>
      t.ggufShape.length === 2
        ? { name: t.name, ggufShape: t.ggufShape, type: F16, data: encodeF16(t.values) }
        : f32Tensor(t),
  });
  const model = await importGguf(bytes, 'stories260K-f16.gguf');
  const reference = referenceTensors();
  assert.equal(model.config.tie_word_embeddings, true);
  assert.deepEqual([...model.tensors.keys()].sort(), [...reference.keys()].sort());
  for (const [name, ref] of reference) {
    const got = model.tensors.get(name)?.data;
    assert.ok(got, name);
    const rounded = name.endsWith('norm.weight') ? ref : float16ArrayToFloat32(float32ArrayToFloat16(ref));
    assert.equal(maxAbsDiff(got, rounded), 0, name);
    for (let i = 0; i < ref.length; i++) {
      const x = ref[i] ?? 0;
      assert.ok(Math.abs((got[i] ?? 0) - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${name}[${i}]`);
    }
  }
});

void test('BF16 GGUF imports exactly the bfloat16-rounded reference', async () => {
  const src = await sourceModel();
  const bytes = writeVariant(src, {
    encode: (t): WriterTensor =>
      t.ggufShape.length === 2
        ? { name: t.name, ggufShape: t.ggufShape, type: BF16, data: encodeBF16(t.values) }
        : f32Tensor(t),
  });
  const model = await importGguf(bytes);
  for (const [name, ref] of referenceTensors()) {
    const got = model.tensors.get(name)?.data;
    assert.ok(got, name);
    const rounded = name.endsWith('norm.weight') ? ref : bfloat16ArrayToFloat32(float32ArrayToBfloat16(ref));
    assert.equal(maxAbsDiff(got, rounded), 0, name);
  }
});

/**
 * Each block of 32 consecutive values of an HF row (a GGUF row too: un-permuting moves whole rows) is
 * within d/2 of the reference, d being the block's scale as the writer chose it from the same values.
 */
function assertBlockError(name: string, got: Float32Array, ref: Float32Array, levels: number): number {
  let worst = 0;
  for (let b = 0; b < ref.length / 32; b++) {
    const block = ref.subarray(b * 32, b * 32 + 32);
    const d = float16ToFloat32(blockScaleBits(block, levels));
    const err = maxAbsDiff(got.subarray(b * 32, b * 32 + 32), block);
    assert.ok(err <= (d / 2) * (1 + 1e-6) + 1e-12, `${name} block ${b}: error ${err} > scale/2 ${d / 2}`);
    worst = Math.max(worst, err / d);
  }
  return worst;
}

void test('Q8_0 GGUF (mixed with F16/F32 like llama.cpp) imports within scale/2 per block', async () => {
  const src = await sourceModel();
  let quantized = 0;
  const bytes = writeVariant(src, {
    metadata: { 'general.file_type': u32(7) },
    encode: (t): WriterTensor => {
      if (isQuantizable(t)) {
        quantized++;
        return { name: t.name, ggufShape: t.ggufShape, type: Q8_0, data: quantizeQ8_0(t.values) };
      }
      if (t.ggufShape.length === 2)
        return { name: t.name, ggufShape: t.ggufShape, type: F16, data: encodeF16(t.values) };
      return f32Tensor(t);
    },
  });
  assert.equal(quantized, 2 + 5 * 6, 'token_embd, output and 6 matrices per layer are Q8_0');
  const header = await readGgufHeader(bytes);
  assert.equal(header.tensors.find((t) => t.name === 'blk.3.attn_q.weight')?.typeName, 'Q8_0');
  assert.equal(header.tensors.find((t) => t.name === 'blk.3.ffn_down.weight')?.typeName, 'F16');

  const model = await importGguf(bytes, 'stories260K-q8_0.gguf');
  assert.equal(
    model.config.tie_word_embeddings,
    true,
    'identical Q8_0 token_embd/output bytes are recognised as tied',
  );
  let worst = 0;
  for (const [name, ref] of referenceTensors()) {
    const got = model.tensors.get(name)?.data;
    assert.ok(got, name);
    if (name.endsWith('norm.weight')) assert.equal(maxAbsDiff(got, ref), 0, name);
    else if (name.endsWith('down_proj.weight'))
      assert.equal(maxAbsDiff(got, float16ArrayToFloat32(float32ArrayToFloat16(ref))), 0, name);
    else worst = Math.max(worst, assertBlockError(name, got, ref, 127));
  }
  // The bound is reached in practice (errors near d/2), so the check above is not vacuous.
  assert.ok(worst > 0.4, `worst error/scale ${worst}`);
});

void test('Q4_0 GGUF imports within scale/2 per block', async () => {
  const src = await sourceModel();
  const bytes = writeVariant(src, {
    encode: (t): WriterTensor =>
      isQuantizable(t)
        ? { name: t.name, ggufShape: t.ggufShape, type: Q4_0, data: quantizeQ4_0(t.values) }
        : f32Tensor(t),
  });
  const model = await importGguf(bytes);
  for (const [name, ref] of referenceTensors()) {
    const got = model.tensors.get(name)?.data;
    assert.ok(got, name);
    if (name.endsWith('norm.weight') || name.endsWith('down_proj.weight'))
      assert.equal(maxAbsDiff(got, ref), 0, name);
    else assertBlockError(name, got, ref, 7);
  }
});

void test('an untied output.weight becomes lm_head.weight; a file without it is tied', async () => {
  const src = await sourceModel();
  const untied = writeVariant(src, {
    encode: (t): WriterTensor =>
      t.name === 'output.weight' ? f32Tensor({ ...t, values: t.values.map((v) => v * 2) }) : f32Tensor(t),
  });
  const model = await importGguf(untied);
  assert.equal(model.config.tie_word_embeddings, false);
  const head = model.tensors.get('lm_head.weight');
  const embed = model.tensors.get('model.embed_tokens.weight');
  assert.ok(head && embed);
  assert.deepEqual(head.shape, [512, 64]);
  assert.ok(head.data.every((v, i) => v === (embed.data[i] ?? NaN) * 2));
  assert.equal(parseModelConfig(model.config).tieWordEmbeddings, false);

  const noOutput = writeVariant(src, {
    encode: (t) => (t.name === 'output.weight' ? undefined : f32Tensor(t)),
  });
  const tied = await importGguf(noOutput);
  assert.equal(tied.config.tie_word_embeddings, true);
  assert.equal(tied.tensors.has('lm_head.weight'), false);
});

async function rejectsGguf(bytes: Uint8Array, pattern: RegExp, source = 'bad.gguf'): Promise<void> {
  await assert.rejects(
    Promise.resolve().then(() => importGguf(bytes, source)),
    (err: unknown) => {
      assert.ok(err instanceof GgufError, `expected a GgufError, got ${String(err)}`);
      assert.match(err.message, pattern);
      assert.ok(err.message.includes(source), 'the message names the file');
      return true;
    },
  );
}

void test('truncated files are rejected with a GgufError, wherever the cut falls', async () => {
  const src = await sourceModel();
  const header = await readGgufHeader(src.bytes);
  const cuts = [
    0,
    3,
    10,
    23,
    24,
    100,
    2000,
    11000,
    11347,
    14000,
    header.dataOffset + 1000,
    src.bytes.length - 1,
  ];
  for (const cut of cuts) {
    await rejectsGguf(src.bytes.subarray(0, cut), /truncated|too short|magic|header|ends at byte|more than/);
  }
});

void test('garbled files are rejected with a GgufError', async () => {
  const src = await sourceModel();
  await rejectsGguf(new TextEncoder().encode('PK\u0003\u0004 this is a zip file, not a GGUF'), /GGUF magic/);
  // Version 7
  const badVersion = src.bytes.slice();
  badVersion[4] = 7;
  await rejectsGguf(badVersion, /version/);
  // Absurd tensor count
  const badCount = src.bytes.slice();
  badCount[15] = 0x7f;
  await rejectsGguf(badCount, /declares|header/);
  // A metadata value type that does not exist: the first key is at byte 24, its u32 type follows the key.
  const badType = src.bytes.slice();
  const view = new DataView(badType.buffer);
  const keyLength = Number(view.getBigUint64(24, true));
  view.setUint32(32 + keyLength, 99, true);
  await rejectsGguf(badType, /header cannot be parsed/);
  // Random bytes after a valid preamble.
  const noise = src.bytes.slice(0, 4096);
  let seed = 12345;
  for (let i = 24; i < noise.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    noise[i] = seed >>> 24;
  }
  await rejectsGguf(noise, /./);
});

void test('a non-llama architecture is refused with a clear message', async () => {
  const src = await sourceModel();
  const gpt2 = writeVariant(src, { metadata: { 'general.architecture': str('gpt2') } });
  await rejectsGguf(gpt2, /architecture is 'gpt2'.*only 'llama'/);
});

void test('an unsupported tensor type names the tensor, the type and what to do', async () => {
  const src = await sourceModel();
  // A Q4_K attn_q (Q4_K packs 256 values in 144 bytes); the importer refuses the type before it looks at sizes.
  const bytes = writeVariant(src, {
    encode: (t): WriterTensor =>
      t.name === 'blk.2.attn_q.weight'
        ? { name: t.name, ggufShape: t.ggufShape, type: Q4_K, data: new Uint8Array((4096 / 256) * 144) }
        : f32Tensor(t),
  });
  await rejectsGguf(
    bytes,
    /tensor 'blk\.2\.attn_q\.weight' is stored as Q4_K.*convert_hf_to_gguf\.py --outtype f16/,
  );
});

void test('other refusals: unknown tensor, MLP bias, partial attention biases, wrong shape, unsupported tokenizer, MoE, llama3 rope factors', async () => {
  const src = await sourceModel();
  const extra = (name: string, values: Float32Array): WriterTensor => ({
    name,
    ggufShape: [values.length],
    type: 0,
    data: new Uint8Array(values.buffer),
  });
  await rejectsGguf(
    writeVariant(src, { extra: [extra('blk.0.ffn_gate_inp.weight', new Float32Array(64))] }),
    /'blk\.0\.ffn_gate_inp\.weight' has no counterpart/,
  );
  await rejectsGguf(
    writeVariant(src, { extra: [extra('blk.0.ffn_up.bias', new Float32Array(172))] }),
    /'blk\.0\.ffn_up\.bias' would be 'model\.layers\.0\.mlp\.up_proj\.bias'/,
  );
  await rejectsGguf(
    writeVariant(src, { extra: [extra('blk.0.attn_q.bias', new Float32Array(64))] }),
    /1 of the 20 attention biases/,
  );
  await rejectsGguf(
    writeVariant(src, { extra: [extra('rope_freqs.weight', new Float32Array(4).fill(1))] }),
    /rope_freqs/,
  );
  await rejectsGguf(
    writeVariant(src, { metadata: { 'llama.attention.head_count_kv': u32(8) } }),
    /blk\.0\.attn_k\.weight' has shape \[32, 64\].*\[64, 64\]/,
  );
  await rejectsGguf(
    writeVariant(src, { metadata: { 'tokenizer.ggml.model': str('gpt2') } }),
    /tokenizer\.ggml\.model = 'gpt2'/,
  );
  await rejectsGguf(writeVariant(src, { metadata: { 'llama.expert_count': u32(8) } }), /mixture-of-experts/);
  await rejectsGguf(
    writeVariant(src, { metadata: { 'llama.rope.scaling.type': str('yarn') } }),
    /RoPE scaling 'yarn'/,
  );
  await rejectsGguf(
    writeVariant(src, { encode: (t) => (t.name === 'blk.4.ffn_up.weight' ? undefined : f32Tensor(t)) }),
    /lacks 1 tensor.*model\.layers\.4\.mlp\.up_proj\.weight/,
  );
  await rejectsGguf(
    writeVariant(src, { metadata: { 'llama.embedding_length': undefined } }),
    /llama\.embedding_length is missing/,
  );
});

void test('linear RoPE scaling is carried into config.rope_scaling', async () => {
  const src = await sourceModel();
  const bytes = writeVariant(src, {
    metadata: {
      'llama.rope.scaling.type': str('linear'),
      'llama.rope.scaling.factor': { type: 6, value: 4 },
      'llama.rope.freq_base': { type: 6, value: 500000 },
    },
  });
  const { config } = await importGguf(bytes);
  assert.deepEqual(config.rope_scaling, { type: 'linear', rope_type: 'linear', factor: 4 });
  assert.equal(config.rope_theta, 500000);
  const rope = parseModelConfig(config).rope;
  assert.equal(rope?.type, 'linear');
  assert.equal(rope.factor, 4);
});

void test('progress is reported per tensor and an aborted signal stops the import', async () => {
  const src = await sourceModel();
  const seen: number[] = [];
  await importGguf(src.bytes, undefined, { onProgress: (p) => seen.push(p.done / p.total) });
  assert.equal(seen.length, 47);
  assert.equal(seen.at(-1), 1);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(importGguf(src.bytes, undefined, { signal: controller.signal }), {
    name: 'AbortError',
  });
});

void test('attention biases on all four projections: attention_bias, with Q/K biases un-permuted like their rows', async () => {
  const src = await sourceModel();
  const D = 8;
  // What llama.cpp writes for an HF bias whose entry r is r: GGUF entry h·D + 2i + s holds HF entry h·D + s·D/2 + i.
  const permutedRamp = (n: number): Float32Array =>
    Float32Array.from({ length: n }, (_, g) => {
      const h = Math.floor(g / D);
      const i = Math.floor((g % D) / 2);
      const s = g % 2;
      return h * D + s * (D / 2) + i;
    });
  const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, r) => r);
  const extra: WriterTensor[] = [];
  for (let layer = 0; layer < 5; layer++) {
    const add = (kind: string, values: Float32Array): void => {
      extra.push({
        name: `blk.${layer}.${kind}.bias`,
        ggufShape: [values.length],
        type: 0,
        data: new Uint8Array(values.buffer),
      });
    };
    add('attn_q', permutedRamp(64));
    add('attn_k', permutedRamp(32));
    add('attn_v', ramp(32));
    add('attn_output', ramp(64));
  }
  const model = await importGguf(writeVariant(src, { extra }));
  assert.equal(model.config.attention_bias, true);
  for (const [proj, n] of [
    ['q_proj', 64],
    ['k_proj', 32],
    ['v_proj', 32],
    ['o_proj', 64],
  ] as const) {
    const bias = model.tensors.get(`model.layers.3.self_attn.${proj}.bias`);
    assert.ok(bias, proj);
    assert.deepEqual(bias.shape, [n]);
    assert.deepEqual(Array.from(bias.data), Array.from(ramp(n)), proj);
  }
  assert.equal(parseModelConfig(model.config).qkvBias, true);
});
