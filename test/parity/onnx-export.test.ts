// Parity of our own ONNX exporter (runtime/onnx-export.ts) with the golden decoder-with-past outputs
// (onnxruntime 1.30 on the torch export) and with the shipped export models/stories260K/onnx/decoder_with_past.onnx,
// run side by side on onnxruntime-web: same graph interface, same logits, same presents, same greedy ids.
//
// stories260K: L layers, Hkv KV heads, D head dim, V vocab; B batch, T new tokens, P past length.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { readModelDir } from '../../cli/files.js';
import { parseSafetensors } from '../../core/formats/safetensors.js';
import type { SafetensorsFile } from '../../core/formats/safetensors.js';
import type { WeightSource } from '../../core/model/types.js';
import { OnnxCausalLM, generateOnnx, type LayerPast } from '../../runtime/onnx.js';
import { OnnxExportError, exportLlamaDecoderWithPast } from '../../runtime/onnx-export.js';
import { bundledModel, fixture, readBytes } from '../helpers/paths.js';

const L = 5;
const Hkv = 4;
const D = 8;
const V = 512;

const modelDir = bundledModel();
const files = readModelDir(modelDir);
const shippedBytes = readBytes(path.join(modelDir, 'onnx', 'decoder_with_past.onnx'));
let exportedBytes: Uint8Array;
let exported: OnnxCausalLM;
let shipped: OnnxCausalLM;

function create(bytes: Uint8Array): Promise<OnnxCausalLM> {
  const c = files.config;
  return OnnxCausalLM.create({
    decoderWithPast: bytes,
    numLayers: c.numLayers,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    hiddenSize: c.hiddenSize,
    vocabSize: c.vocabSize,
  });
}

function f32(file: SafetensorsFile, name: string): Float32Array {
  const t = file.tensors.get(name);
  assert.ok(t, `golden tensor ${name} missing`);
  assert.equal(t.dtype, 'F32', name);
  const copy = file.bytes.slice(t.begin, t.end); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

function i64(file: SafetensorsFile, name: string): number[] {
  const t = file.tensors.get(name);
  assert.ok(t, `golden tensor ${name} missing`);
  assert.equal(t.dtype, 'I64', name);
  const copy = file.bytes.slice(t.begin, t.end);
  return Array.from(new BigInt64Array(copy.buffer, 0, copy.byteLength / 8), Number);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** An empty past (length 0) for each of `layers` layers: a prefill step. */
const emptyPast = (layers: number): LayerPast[] =>
  Array.from({ length: layers }, () => ({ key: new Float32Array(0), value: new Float32Array(0), length: 0 }));

before(async () => {
  exportedBytes = exportLlamaDecoderWithPast(files.config, files.weights);
  exported = await create(exportedBytes);
  shipped = await create(shippedBytes);
});

after(async () => {
  await exported.release();
  await shipped.release();
});

void test('the exported graph declares the same inputs, outputs, types and dims as the shipped export', async () => {
  const ours = await ort.InferenceSession.create(exportedBytes);
  const theirs = await ort.InferenceSession.create(shippedBytes);
  try {
    assert.deepEqual(ours.inputNames, theirs.inputNames);
    assert.deepEqual(ours.outputNames, theirs.outputNames);
    assert.deepEqual(ours.inputMetadata, theirs.inputMetadata);
    assert.deepEqual(ours.outputMetadata, theirs.outputMetadata);
    assert.equal(ours.inputNames.length, 3 + 2 * L);
  } finally {
    await ours.release();
    await theirs.release();
  }
});

void test('golden decoder step: logits within 1e-4, presents equal to the shipped export within 2e-6 relative', async () => {
  const g = parseSafetensors(readBytes(fixture('golden', 'stories260K_onnx_kv.safetensors')));
  const ids = i64(g, 'input_ids'); // (1, 4)
  const mask = i64(g, 'attention_mask'); // (1, 12)
  const positions = i64(g, 'position_ids'); // (1, 4) = 8..11
  const past: LayerPast[] = Array.from({ length: L }, (_, i) => ({
    key: f32(g, `past_key_values.${i}.key`), // (1, Hkv, 8, D)
    value: f32(g, `past_key_values.${i}.value`),
    length: 8,
  }));
  const ours = await exported.decodeStep([ids], [mask], [positions], past);
  const theirs = await shipped.decodeStep([ids], [mask], [positions], past);
  assert.deepEqual(ours.dims, [1, 4, V]);
  const diff = maxAbsDiff(ours.logits, f32(g, 'logits'));
  assert.ok(diff < 1e-4, `logits max |diff| ${diff}`);
  // Presents: the golden file has none, so compare with the shipped export's, relative to their largest entry.
  let presentDiff = 0;
  let presentMax = 0;
  ours.presents.forEach((p, i) => {
    const ref = theirs.presents[i];
    assert.ok(ref);
    assert.equal(p.length, 12);
    assert.equal(p.key.length, Hkv * 12 * D);
    presentDiff = Math.max(presentDiff, maxAbsDiff(p.key, ref.key), maxAbsDiff(p.value, ref.value));
    for (const x of [...ref.key, ...ref.value]) presentMax = Math.max(presentMax, Math.abs(x));
  });
  assert.ok(
    presentDiff <= 2e-6 * presentMax,
    `presents max |diff| ${presentDiff} (largest entry ${presentMax})`,
  );
  console.log(
    `exported decoder: logits max |diff| ${diff.toExponential(2)}; presents max |diff| ` +
      `${presentDiff.toExponential(2)} (largest entry ${presentMax.toFixed(2)})`,
  );
});

void test('padding and batching: a right-padded batch of 2 from an empty past matches the shipped export', async () => {
  // Row 1 is padded by 3 (mask 0, id 0), as in the golden batches; padded query rows are compared too.
  const ids = [
    [1, 403, 407, 261, 378, 425],
    [1, 403, 280, 0, 0, 0],
  ]; // (B, T)
  const mask = [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0, 0],
  ]; // (B, T)
  const positions = ids.map((row) => row.map((_, t) => t));
  const empty = emptyPast(L);
  const ours = await exported.decodeStep(ids, mask, positions, empty);
  const theirs = await shipped.decodeStep(ids, mask, positions, empty);
  assert.deepEqual(ours.dims, [2, 6, V]);
  const diff = maxAbsDiff(ours.logits, theirs.logits);
  assert.ok(diff < 1e-4, `logits max |diff| ${diff}`);
  // Causality: the first row's logits at position 2 do not depend on what comes after it.
  const prefix = await exported.decodeStep([ids[0]!.slice(0, 3)], [mask[0]!.slice(0, 3)], [[0, 1, 2]], empty);
  const rowDiff = maxAbsDiff(prefix.logits.subarray(2 * V, 3 * V), ours.logits.subarray(2 * V, 3 * V));
  assert.ok(rowDiff < 1e-5, `causal mask: position 2 changed by later tokens (|diff| ${rowDiff})`);
});

void test('greedy generation gives the same ids as the shipped export, with and without a past', async () => {
  const prompts = [[1], [1, 403, 407, 261, 378, 425, 280, 261]];
  for (const prompt of prompts) {
    const opts = { maxNewTokens: 24, sampling: {} };
    const ours = await generateOnnx(exported, prompt, opts);
    const theirs = await generateOnnx(shipped, prompt, opts);
    assert.equal(ours.length, prompt.length + 24);
    assert.deepEqual(ours, theirs, `prompt [${prompt.join(', ')}]`);
  }
});

void test('tiny-qwen2 (q/k/v bias, GQA 4/2, eps 1e-6): golden transformers logits of a padded batch within 2e-4', async () => {
  const qwen = readModelDir(fixture('models', 'tiny-qwen2'));
  const c = qwen.config;
  assert.ok(c.qkvBias);
  const model = await OnnxCausalLM.create({
    decoderWithPast: exportLlamaDecoderWithPast(c, qwen.weights),
    numLayers: c.numLayers,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    hiddenSize: c.hiddenSize,
    vocabSize: c.vocabSize,
  });
  try {
    const g = parseSafetensors(readBytes(fixture('golden', 'tiny-qwen2_base.safetensors')));
    const flatIds = i64(g, 'input_ids'); // (B=2, T=12)
    const flatMask = i64(g, 'attention_mask');
    const rows = (flat: number[]): number[][] => [flat.slice(0, 12), flat.slice(12)];
    const positions = [0, 1].map(() => Array.from({ length: 12 }, (_, t) => t)); // transformers' default
    const out = await model.decodeStep(rows(flatIds), rows(flatMask), positions, emptyPast(c.numLayers));
    // Padded positions (mask 0) still get logits; transformers computes them the same way, so compare all.
    const diff = maxAbsDiff(out.logits, f32(g, 'logits'));
    assert.ok(diff < 2e-4, `tiny-qwen2 logits max |diff| ${diff}`);
    console.log(`tiny-qwen2 export: logits max |diff| ${diff.toExponential(2)}`);
  } finally {
    await model.release();
  }
});

void test('an untied LM head (lm_head.weight) is exported and used', async () => {
  // The same model with tie_word_embeddings false and lm_head.weight = 2 · embeddings: logits double.
  const base = files.weights;
  const embed = base.get('model.embed_tokens.weight');
  const head = { shape: embed.shape, data: embed.data.map((x) => 2 * x) };
  const untied: WeightSource = {
    has: (name) => name === 'lm_head.weight' || base.has(name),
    get: (name) => (name === 'lm_head.weight' ? head : base.get(name)),
    names: [...base.names, 'lm_head.weight'],
    source: 'stories260K + lm_head',
  };
  const config = { ...files.config, tieWordEmbeddings: false };
  const model = await create(exportLlamaDecoderWithPast(config, untied));
  try {
    const ids = [[1, 403, 407]];
    const step = (m: OnnxCausalLM) => m.decodeStep(ids, [[1, 1, 1]], [[0, 1, 2]], emptyPast(L));
    const doubled = (await step(exported)).logits.map((x) => 2 * x);
    const diff = maxAbsDiff((await step(model)).logits, doubled);
    assert.ok(diff < 1e-4, `untied head logits max |diff| ${diff}`);
  } finally {
    await model.release();
  }
  assert.throws(
    () => exportLlamaDecoderWithPast(config, base), // stories260K has no lm_head.weight
    (e: unknown) => e instanceof OnnxExportError && /no "lm_head.weight"/.test(e.message),
  );
});

void test('the exporter rejects configs and weights it cannot export, with a clear error', () => {
  assert.throws(
    () => exportLlamaDecoderWithPast({ ...files.config, hiddenAct: 'gelu' }, files.weights),
    (e: unknown) => e instanceof OnnxExportError && /hidden_act 'gelu'/.test(e.message),
  );
  assert.throws(
    () => exportLlamaDecoderWithPast({ ...files.config, intermediateSize: 100 }, files.weights),
    (e: unknown) =>
      e instanceof OnnxExportError && /mlp\.gate_proj\.weight' has shape \[172, 64\]/.test(e.message),
  );
});
