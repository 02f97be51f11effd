// Parity of the onnxruntime-web path (runtime/onnx.ts) with the golden ONNX outputs (computed by
// onnxruntime 1.30 / transformers 5.17) and with PEFT's greedy generate() for the bare model and 4 adapters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { bundledModel, fixture, readBytes, readJson } from '../helpers/paths.js';
import {
  OnnxCausalLM,
  generateOnnx,
  prefixAdapterFromPeft,
  type LayerPast,
  type OnnxAdapter,
} from '../../runtime/onnx.js';
import { argmax } from '../../core/generate/sampling.js';

// stories260K: L layers, Hkv KV heads, D head dim, C hidden, V vocab.
const L = 5;
const Hkv = 4;
const D = 8;
const C = 64;
const V = 512;

// A minimal safetensors reader (F32/I64 only), local to this test so it does not depend on core/formats.
interface Tensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}
function readSafetensors(file: string): Map<string, Tensor> {
  const bytes = readBytes(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, Tensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets;
    // Copy so that typed-array views below are aligned.
    out.set(name, {
      dtype: info.dtype,
      shape: info.shape,
      bytes: bytes.slice(8 + headerLength + start, 8 + headerLength + end),
    });
  }
  return out;
}
function get(file: Map<string, Tensor>, name: string, dtype: string): Tensor {
  const t = file.get(name);
  assert.ok(t, `tensor ${name} missing`);
  assert.equal(t.dtype, dtype, `tensor ${name} dtype`);
  return t;
}
function f32(file: Map<string, Tensor>, name: string): Float32Array {
  const t = get(file, name, 'F32');
  return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 4);
}
function i64(file: Map<string, Tensor>, name: string): number[] {
  const t = get(file, name, 'I64');
  return Array.from(new BigInt64Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 8), Number);
}
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const onnxDir = path.join(bundledModel(), 'onnx');
let model: OnnxCausalLM;
let embedTable: Float32Array;

before(async () => {
  embedTable = f32(
    readSafetensors(path.join(bundledModel(), 'model.safetensors')),
    'model.embed_tokens.weight',
  ); // (V, C)
  model = await OnnxCausalLM.create({
    embedsModel: readBytes(path.join(onnxDir, 'model_embeds.onnx')),
    decoderWithPast: readBytes(path.join(onnxDir, 'decoder_with_past.onnx')),
    numLayers: L,
    numKvHeads: Hkv,
    headDim: D,
    hiddenSize: C,
    vocabSize: V,
    embedTable,
    wasm: { numThreads: 1 },
  });
});

after(async () => {
  await model.release();
});

void test('embeds export: golden inputs_embeds = prompt + embedded ids, and logits match within 1e-4', async () => {
  const g = readSafetensors(fixture('golden', 'stories260K_onnx_embeds.safetensors'));
  const inputsEmbeds = f32(g, 'inputs_embeds'); // (B=2, S=20, C)
  const prompt = f32(g, 'prompt'); // (P=8, C)
  const inputIds = i64(g, 'input_ids'); // (B, T=12)
  const mask = i64(g, 'attention_mask'); // (B, S)
  const golden = f32(g, 'logits'); // (B, S, V)
  // Our embedding lookup rebuilds the golden input exactly.
  const T = 12;
  for (let b = 0; b < 2; b++) {
    const row = new Float32Array(20 * C);
    row.set(prompt, 0);
    row.set(model.embedIds(inputIds.slice(b * T, (b + 1) * T)), 8 * C);
    assert.deepEqual(row, inputsEmbeds.subarray(b * 20 * C, (b + 1) * 20 * C));
  }
  const out = await model.logitsFromEmbeds(inputsEmbeds, [2, 20, C], mask);
  assert.deepEqual(out.dims, [2, 20, V]);
  const diff = maxAbsDiff(out.data, golden);
  assert.ok(diff < 1e-4, `logits max |diff| ${diff}`);
  console.log(`embeds export: logits max |diff| ${diff.toExponential(2)}`);
});

void test('decoder-with-past export: logits match within 1e-4; presents extend the past and chain across steps', async () => {
  const g = readSafetensors(fixture('golden', 'stories260K_onnx_kv.safetensors'));
  const ids = i64(g, 'input_ids'); // (1, 4)
  const mask = i64(g, 'attention_mask'); // (1, 12)
  const positions = i64(g, 'position_ids'); // (1, 4) = 8..11
  const past: LayerPast[] = Array.from({ length: L }, (_, i) => ({
    key: f32(g, `past_key_values.${i}.key`), // (1, Hkv, 8, D)
    value: f32(g, `past_key_values.${i}.value`),
    length: 8,
  }));
  const out = await model.decodeStep([ids], [mask], [positions], past);
  assert.deepEqual(out.dims, [1, 4, V]);
  const diff = maxAbsDiff(out.logits, f32(g, 'logits'));
  assert.ok(diff < 1e-4, `logits max |diff| ${diff}`);
  console.log(`decoder-with-past export: logits max |diff| ${diff.toExponential(2)}`);
  assert.equal(out.presents.length, L);
  // The golden file holds no presents: check that each present is (past ‖ new) with the past copied exactly…
  out.presents.forEach((p, i) => {
    assert.equal(p.length, 12);
    assert.equal(p.key.length, Hkv * 12 * D);
    for (let h = 0; h < Hkv; h++) {
      const ours = p.key.subarray(h * 12 * D, h * 12 * D + 8 * D);
      assert.deepEqual(ours, past[i]!.key.subarray(h * 8 * D, (h + 1) * 8 * D), `present.${i}.key head ${h}`);
      const oursV = p.value.subarray(h * 12 * D, h * 12 * D + 8 * D);
      assert.deepEqual(
        oursV,
        past[i]!.value.subarray(h * 8 * D, (h + 1) * 8 * D),
        `present.${i}.value head ${h}`,
      );
    }
  });
  // …and that the new entries are right: two steps of 2 tokens, chained through the presents, give the
  // same logits and final presents as the single 4-token step that matched the golden logits.
  const first = await model.decodeStep([ids.slice(0, 2)], [mask.slice(0, 10)], [positions.slice(0, 2)], past);
  const second = await model.decodeStep([ids.slice(2)], [mask], [positions.slice(2)], first.presents);
  const chained = new Float32Array(4 * V);
  chained.set(first.logits, 0);
  chained.set(second.logits, 2 * V);
  const chainDiff = maxAbsDiff(chained, f32(g, 'logits'));
  assert.ok(chainDiff < 1e-4, `chained logits max |diff| ${chainDiff}`);
  second.presents.forEach((p, i) => {
    const d = Math.max(maxAbsDiff(p.key, out.presents[i]!.key), maxAbsDiff(p.value, out.presents[i]!.value));
    assert.ok(d < 1e-5, `present.${i} chained vs single step |diff| ${d}`);
  });
});

void test('decodeStep rejects inconsistent shapes with a clear error', async () => {
  const empty = Array.from({ length: L }, () => ({
    key: new Float32Array(0),
    value: new Float32Array(0),
    length: 0,
  }));
  await assert.rejects(model.decodeStep([[1, 2]], [[1]], [[0, 1]], empty), /attentionMask is \[1, 1\]/);
  await assert.rejects(model.decodeStep([[1, 2]], [[1, 1]], [[0, 1]], empty.slice(1)), /past has 4 layers/);
  await assert.rejects(
    model.logitsFromEmbeds(new Float32Array(10), [1, 2, C], [1, 1]),
    /embeds has 10 floats/,
  );
});

interface GenerateCase {
  adapter: string | null;
  prompt: string;
  prompt_ids: number[];
  output_ids: number[];
  max_new_tokens: number;
  near_tie_steps: number[];
}

function adapterFor(name: string): OnnxAdapter {
  const config = readJson<{ peft_type: string; num_virtual_tokens: number }>(
    fixture('golden', 'adapters', name, 'adapter_config.json'),
  );
  const stored = f32(
    readSafetensors(fixture('golden', 'adapters', name, 'adapter_model.safetensors')),
    'prompt_embeddings',
  );
  switch (config.peft_type) {
    case 'PROMPT_TUNING':
    case 'P_TUNING': // the adapter file stores the encoder's output: plain virtual-token embeddings (P, C)
      return { kind: 'soft', embeddings: stored };
    case 'PREFIX_TUNING':
      return prefixAdapterFromPeft(stored, {
        numVirtualTokens: config.num_virtual_tokens,
        numLayers: L,
        numKvHeads: Hkv,
        headDim: D,
      });
    default:
      throw new Error(`unexpected peft_type ${config.peft_type} in ${name}`);
  }
}

void test('greedy generation reproduces PEFT generate() for the bare model and 4 adapters (near ties excepted)', async () => {
  const cases = readJson<GenerateCase[]>(fixture('golden', 'generate_cases.json'));
  assert.equal(cases.length, 10);
  let exact = 0;
  let acceptedNearTie = 0;
  for (const c of cases) {
    const label = `${c.adapter ?? 'bare model'} / "${c.prompt}"`;
    const rowsSeen: Float32Array[] = [];
    const streamed: number[] = [];
    const ids = await generateOnnx(model, c.prompt_ids, {
      ...(c.adapter === null ? {} : { adapter: adapterFor(c.adapter) }),
      maxNewTokens: c.max_new_tokens,
      sampling: {},
      onToken: (id) => streamed.push(id),
      onLogits: (row) => rowsSeen.push(row),
    });
    assert.deepEqual(ids.slice(0, c.prompt_ids.length), c.prompt_ids, label);
    assert.deepEqual(ids.slice(c.prompt_ids.length), streamed, `${label}: onToken streams every new id`);
    const ours = ids.slice(c.prompt_ids.length);
    const golden = c.output_ids.slice(c.prompt_ids.length);
    let diverged = false;
    for (let s = 0; s < golden.length; s++) {
      if (ours[s] === golden[s]) continue;
      // A near tie: the reference's token must be our second best; the rest of the case is not compared.
      assert.ok(c.near_tie_steps.includes(s), `${label}: step ${s} gives ${ours[s]}, expected ${golden[s]}`);
      const row = Float32Array.from(rowsSeen[s]!);
      row[argmax(row)] = -Infinity;
      assert.equal(
        argmax(row),
        golden[s],
        `${label}: near-tie step ${s}: the reference token is not our second best`,
      );
      diverged = true;
      break;
    }
    if (diverged) acceptedNearTie++;
    else {
      assert.equal(ours.length, golden.length, label);
      exact++;
    }
  }
  assert.equal(exact + acceptedNearTie, 10);
  console.log(`generate cases: ${exact} exact, ${acceptedNearTie} accepted at a near tie`);
});

void test('without a decoder-with-past export the bare model generates through the embeds export, same ids', async () => {
  const embedsOnly = await OnnxCausalLM.create({
    embedsModel: readBytes(path.join(onnxDir, 'model_embeds.onnx')),
    numLayers: L,
    numKvHeads: Hkv,
    headDim: D,
    hiddenSize: C,
    vocabSize: V,
    embedTable,
  });
  try {
    const cases = readJson<GenerateCase[]>(fixture('golden', 'generate_cases.json')).filter(
      (c) => c.adapter === null,
    );
    assert.equal(cases.length, 2);
    for (const c of cases) {
      const ids = await generateOnnx(embedsOnly, c.prompt_ids, {
        maxNewTokens: c.max_new_tokens,
        sampling: {},
      });
      assert.deepEqual(ids, c.output_ids, c.prompt);
    }
    await assert.rejects(embedsOnly.decodeStep([[1]], [[1]], [[0]], []), /no decoderWithPast/);
  } finally {
    await embedsOnly.release();
  }
});

void test('generateOnnx stops at EOS, honours an aborted signal and rejects bad adapters', async () => {
  // Force EOS: the first greedy token from BOS is 403 ("Once"); pretend it is EOS.
  const first = await generateOnnx(model, [1], { maxNewTokens: 1, sampling: {} });
  const eos = first[1]!;
  const ids = await generateOnnx(model, [1], { maxNewTokens: 10, sampling: {}, eosTokenId: eos });
  assert.deepEqual(ids, [1, eos]);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    generateOnnx(model, [1], { maxNewTokens: 3, sampling: {}, signal: controller.signal }),
    {
      name: 'AbortError',
    },
  );
  await assert.rejects(
    generateOnnx(model, [1], {
      maxNewTokens: 1,
      sampling: {},
      adapter: { kind: 'soft', embeddings: new Float32Array(10) },
    }),
    /soft prompt has 10 floats/,
  );
  // Seeded sampling is reproducible on the same model.
  const a = await generateOnnx(model, [1], {
    maxNewTokens: 8,
    sampling: { temperature: 1, topP: 0.9, seed: 5 },
  });
  const b = await generateOnnx(model, [1], {
    maxNewTokens: 8,
    sampling: { temperature: 1, topP: 0.9, seed: 5 },
  });
  assert.deepEqual(a, b);
});
