// The P-tuning prompt encoder against PEFT 0.21 (golden stories260K_p_tuning_mlp): with PEFT's parameters the
// MLP encoder gives the prompt_embeddings PEFT saved, and the loss on the golden batch and its gradients with
// respect to every encoder tensor match PEFT's backward. The LSTM encoder (no PEFT golden exists) is checked
// against an independent float64 implementation of torch's LSTM equations, values and finite-difference
// gradients. In the training loop the encoder's parameters are variables, kept in checkpoints, and a resumed
// run ends bit-identical to an uninterrupted one, with no tensor leaks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { readAdapterDir, readModelDir, readSafetensorsFile } from '../../../cli/files.js';
import { readFloat32, readInt32 } from '../../../core/formats/safetensors.js';
import { createModel } from '../../../core/model/index.js';
import type { FrozenTransformer } from '../../../core/model/types.js';
import { headLogits, promptedForward, taskLoss } from '../../../core/prompts/forward.js';
import type { HostTensor } from '../../../core/prompts/peft.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../core/train/checkpoint.js';
import type { TrainCheckpoint } from '../../../core/train/checkpoint.js';
import { train } from '../../../core/train/loop.js';
import type { TrainBatch, TrainOptions } from '../../../core/train/loop.js';
import {
  applyEncoder,
  encodePrompt,
  encoderParamShapes,
  initEncoderParams,
  peftEncoderParams,
  trainPromptEncoder,
} from '../../../core/train/prompt-encoder.js';
import type { PromptEncoderConfig } from '../../../core/train/prompt-encoder.js';
import { TrainRng } from '../../../core/train/rng.js';
import { bundledModel, fixture } from '../../helpers/paths.js';

const goldenName = 'stories260K_p_tuning_mlp';
const golden = readSafetensorsFile(fixture('golden', `${goldenName}.safetensors`));
const T = 12;
const ids = readInt32(golden, 'input_ids');
const mask = readInt32(golden, 'attention_mask');
const labels = readInt32(golden, 'labels');
const mlpConfig: PromptEncoderConfig = {
  type: 'MLP',
  virtualTokens: 8,
  tokenDim: 64,
  hiddenSize: 32,
  numLayers: 2,
};
const host = (name: string): HostTensor | undefined =>
  golden.tensors.has(name)
    ? { shape: [...golden.tensors.get(name)!.shape], data: readFloat32(golden, name) }
    : undefined;
const goldenParams = peftEncoderParams(mlpConfig, (n) => host(`param.${n}`));
const goldenGrads = peftEncoderParams(mlpConfig, (n) => host(`grad.${n}`));

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function tensorsOf(params: Readonly<Record<string, HostTensor>>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, p] of Object.entries(params)) out[name] = tf.tensor(p.data, [...p.shape]);
  return out;
}

// ---- an independent float64 reference of PEFT's LSTM encoder (torch.nn.LSTM equations), on plain arrays ----
type Mat = number[][];
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
function mat(p: HostTensor): Mat {
  const [r = 0, c = 1] = p.shape.length === 1 ? [p.shape[0], 1] : p.shape;
  return Array.from({ length: r }, (_, i) => Array.from(p.data.subarray(i * c, (i + 1) * c), Number));
}
/** y = W x + b for one vector */
function affine(W: Mat, b: Mat, x: readonly number[]): number[] {
  return W.map((row, i) => row.reduce((s, w, j) => s + w * x[j]!, b[i]![0]!));
}
function referenceLstmEncoder(
  config: PromptEncoderConfig,
  embedding: HostTensor,
  params: Readonly<Record<string, HostTensor>>,
): number[][] {
  const H = config.hiddenSize;
  const P = config.virtualTokens;
  let xs = mat(embedding); // P rows
  for (let l = 0; l < config.numLayers; l++) {
    const dirs = [`l${l}`, `l${l}_reverse`].map((suffix, d) => {
      const wih = mat(params[`lstm_head.weight_ih_${suffix}`]!);
      const whh = mat(params[`lstm_head.weight_hh_${suffix}`]!);
      const bih = mat(params[`lstm_head.bias_ih_${suffix}`]!);
      const bhh = mat(params[`lstm_head.bias_hh_${suffix}`]!);
      let h = new Array<number>(H).fill(0);
      let c = new Array<number>(H).fill(0);
      const out: number[][] = new Array<number[]>(P);
      for (let k = 0; k < P; k++) {
        const t = d === 0 ? k : P - 1 - k;
        const a = affine(wih, bih, xs[t]!);
        const r = affine(whh, bhh, h);
        const z = a.map((v, i) => v + r[i]!);
        const gi = z.slice(0, H).map(sigmoid);
        const gf = z.slice(H, 2 * H).map(sigmoid);
        const gg = z.slice(2 * H, 3 * H).map(Math.tanh);
        const go = z.slice(3 * H).map(sigmoid);
        c = c.map((cv, i) => gf[i]! * cv + gi[i]! * gg[i]!);
        h = c.map((cv, i) => go[i]! * Math.tanh(cv));
        out[t] = h;
      }
      return out;
    });
    xs = xs.map((_, t) => [...dirs[0]![t]!, ...dirs[1]![t]!]);
  }
  const w0 = mat(params['mlp_head.0.weight']!);
  const b0 = mat(params['mlp_head.0.bias']!);
  const w2 = mat(params['mlp_head.2.weight']!);
  const b2 = mat(params['mlp_head.2.bias']!);
  return xs.map((x) =>
    affine(
      w2,
      b2,
      affine(w0, b0, x).map((v) => Math.max(v, 0)),
    ),
  );
}

describe('P-tuning prompt encoder', () => {
  let model: FrozenTransformer;
  before(async () => {
    await initBackend('cpu');
    const files = readModelDir(bundledModel('stories260K'));
    model = createModel(files.config, files.weights);
  });
  after(() => {
    model.dispose();
  });

  it("has PEFT's parameter names and shapes", () => {
    const peftNames = [...golden.tensors.keys()]
      .filter((n) => n.startsWith('param.prompt_encoder.default.') && !n.endsWith('embedding.weight'))
      .map((n) => n.slice('param.prompt_encoder.default.'.length))
      .sort();
    const shapes = encoderParamShapes(mlpConfig);
    assert.deepEqual(Object.keys(shapes).sort(), peftNames);
    for (const n of peftNames)
      assert.deepEqual([...shapes[n]!], [...golden.tensors.get(`param.prompt_encoder.default.${n}`)!.shape]);
    const lstm = encoderParamShapes({ ...mlpConfig, type: 'LSTM' });
    assert.deepEqual(lstm['lstm_head.weight_ih_l1'], [128, 64], 'layer 1 reads both directions (2H)');
    assert.deepEqual(lstm['lstm_head.weight_hh_l0_reverse'], [128, 32]);
    assert.deepEqual(lstm['mlp_head.2.weight'], [64, 64]);
    assert.throws(
      () =>
        trainPromptEncoder(mlpConfig, {
          ...goldenParams.params,
          'mlp_head.4.bias': { shape: [3], data: new Float32Array(3) },
        }),
      /"mlp_head.4.bias" has shape \[3\] but the MLP encoder .* needs \[64\]/,
    );
  });

  it("with PEFT's parameters, outputs the prompt_embeddings PEFT saved (MLP)", async () => {
    const adapter = readAdapterDir(fixture('golden', 'adapters', goldenName));
    const out = await encodePrompt(mlpConfig, goldenParams.embedding, goldenParams.params);
    assert.deepEqual(out.shape, [8, 64]);
    const diff = maxAbsDiff(out.data, adapter.promptEmbeddings.data);
    assert.ok(diff <= 1e-5, `encoder output differs from the saved prompt_embeddings by ${diff}`);
    assert.ok(maxAbs(out.data) > 1e-2, 'the comparison is not between near-zero tensors');
  });

  it("gives PEFT's loss and gradients on the golden batch (MLP)", () => {
    const names = ['embedding.weight', ...Object.keys(goldenParams.params)];
    const before = tf.memory().numTensors;
    const result = tf.tidy(() => {
      const vars = tensorsOf({ 'embedding.weight': goldenParams.embedding, ...goldenParams.params });
      const inputIds = tf.tensor2d(ids, [2, T], 'int32');
      const attentionMask = tf.tensor2d(mask, [2, T], 'int32');
      const lossOf = (...xs: tf.Tensor[]): tf.Scalar => {
        const byName: Record<string, tf.Tensor> = {};
        names.forEach((n, i) => (byName[n] = xs[i]!));
        const prompt = applyEncoder(mlpConfig, byName, byName['embedding.weight'] as tf.Tensor2D);
        const f = promptedForward(model, { inputIds, attentionMask }, { kind: 'soft', embeddings: prompt });
        const head = { kind: 'causal-lm' } as const;
        return taskLoss(
          head,
          headLogits(model, head, f, attentionMask),
          tf.tensor2d(labels, [2, T], 'int32'),
          f.textOffset,
        );
      };
      const { value, grads } = tf.valueAndGrads(lossOf)(names.map((n) => vars[n]!));
      return { value, grads };
    });
    const loss = result.value.dataSync()[0]!;
    const goldenLoss = readFloat32(golden, 'loss')[0]!;
    assert.ok(
      Math.abs(loss - goldenLoss) <= 1e-5 * Math.abs(goldenLoss),
      `loss ${loss} vs PEFT ${goldenLoss}`,
    );
    names.forEach((n, i) => {
      const g = result.grads[i]!.dataSync();
      const want = n === 'embedding.weight' ? goldenGrads.embedding : goldenGrads.params[n]!;
      const rel = maxAbsDiff(g, want.data) / maxAbs(want.data);
      assert.ok(rel <= 1e-3, `d loss / d ${n} differs by ${rel} relative to its largest entry`);
      assert.ok(maxAbs(want.data) > 0, `${n}: golden gradient is zero`);
    });
    result.value.dispose();
    for (const g of result.grads) g.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('LSTM encoder: values and gradients match a float64 reference of torch.nn.LSTM (bidirectional, 2 layers)', () => {
    const config: PromptEncoderConfig = {
      type: 'LSTM',
      virtualTokens: 3,
      tokenDim: 4,
      hiddenSize: 3,
      numLayers: 2,
    };
    const params = initEncoderParams(config, 7);
    // larger weights than torch's init, so the gates leave their linear range and a mistake shows
    for (const p of Object.values(params)) for (let i = 0; i < p.data.length; i++) p.data[i]! *= 2.5;
    const rng = new TrainRng(11);
    const embedding: HostTensor = {
      shape: [3, 4],
      data: Float32Array.from({ length: 12 }, () => rng.nextNormal()),
    };
    const want = referenceLstmEncoder(config, embedding, params).flat();
    const weights = Float32Array.from({ length: 12 }, () => rng.nextNormal()); // a random linear functional
    const names = Object.keys(params);
    const { out, grads } = tf.tidy(() => {
      const vars = tensorsOf(params);
      const emb = tf.tensor2d(embedding.data, [3, 4]);
      const w = tf.tensor2d(weights, [3, 4]);
      const f = (...xs: tf.Tensor[]): tf.Scalar => {
        const byName: Record<string, tf.Tensor> = {};
        names.forEach((n, i) => (byName[n] = xs[i]!));
        return tf.sum(tf.mul(applyEncoder(config, byName, emb), w));
      };
      return {
        out: applyEncoder(config, vars, emb),
        grads: tf.grads(f)(names.map((n) => vars[n]!)),
      };
    });
    const got = out.dataSync();
    assert.ok(maxAbsDiff(got, want) <= 1e-5, `LSTM encoder output differs by ${maxAbsDiff(got, want)}`);
    assert.ok(maxAbs(want) > 0.1);
    // central differences of the float64 reference, for a few entries of every tensor
    const objective = (ps: Record<string, HostTensor>): number =>
      referenceLstmEncoder(config, embedding, ps)
        .flat()
        .reduce((s, v, i) => s + v * weights[i]!, 0);
    const h = 1e-4;
    names.forEach((n, k) => {
      const g = grads[k]!.dataSync();
      const scale = Math.max(maxAbs(g), 1e-3);
      for (const i of [0, Math.floor(params[n]!.data.length / 2), params[n]!.data.length - 1]) {
        const shifted = (delta: number): Record<string, HostTensor> => {
          const data = Float64Array.from(params[n]!.data);
          data[i] = data[i]! + delta;
          // float64 values: the reference reads them through Number(), so wrap them as a HostTensor lookalike
          return { ...params, [n]: { shape: params[n]!.shape, data: data as unknown as Float32Array } };
        };
        const numeric = (objective(shifted(h)) - objective(shifted(-h))) / (2 * h);
        assert.ok(
          Math.abs(numeric - g[i]!) <= 2e-3 * scale,
          `d/d ${n}[${i}]: tfjs ${g[i]} vs finite difference ${numeric}`,
        );
      }
    });
    out.dispose();
    for (const g of grads) g.dispose();
  });

  it('trains in the loop: encoder variables, checkpoints, bit-identical resume, no leaks', async () => {
    const rows = (which: readonly number[]): TrainBatch => {
      const pick = (a: Int32Array): Int32Array =>
        Int32Array.from(which.flatMap((r) => [...a.subarray(r * T, (r + 1) * T)]));
      return {
        inputIds: { data: pick(ids), shape: [which.length, T] },
        attentionMask: { data: pick(mask), shape: [which.length, T] },
        labels: { data: pick(labels), shape: [which.length, T] },
      };
    };
    const source = function* (start: { microBatch: number }): Generator<TrainBatch> {
      for (let i = start.microBatch; ; i++) yield rows([i % 2]);
    };
    const encoder = trainPromptEncoder(mlpConfig, goldenParams.params);
    const options = (extra: Partial<TrainOptions>): TrainOptions => ({
      model,
      promptKind: 'soft',
      prompt: goldenParams.embedding,
      promptEncoder: encoder,
      batches: source,
      steps: 4,
      lr: 1e-3,
      maxGradNorm: 1,
      seed: 5,
      checkpointEvery: 2,
      ...extra,
    });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const variables: number[] = [];
    const evaluated: number[][] = [];
    const full = await train(
      options({
        onProgress: () => {
          counts.push(tf.memory().numTensors);
          variables.push(Object.keys(tf.engine().registeredVariables).length);
        },
        evaluate: {
          every: 2,
          run: (ctx) => {
            evaluated.push([...ctx.prompt.shape]);
            return { x: 0 };
          },
        },
      }),
    );
    assert.equal(tf.memory().numTensors, before, 'everything disposed after training');
    assert.ok(
      counts.every((c) => c === counts[0]),
      `tensor counts per step: ${counts.join(', ')}`,
    );
    assert.ok(
      variables.every((v) => v === 7),
      `the embedding and 6 encoder tensors are variables: ${variables.join(', ')}`,
    );
    assert.deepEqual(evaluated, [
      [8, 64],
      [8, 64],
    ]);
    assert.deepEqual(Object.keys(full.encoder ?? {}).sort(), Object.keys(goldenParams.params).sort());
    assert.notDeepEqual(
      full.encoder?.['mlp_head.0.weight']?.data,
      goldenParams.params['mlp_head.0.weight']!.data,
    );
    const reEncoded = await encodePrompt(mlpConfig, full.prompt, full.encoder ?? {});
    assert.deepEqual(
      full.encodedPrompt?.data,
      reEncoded.data,
      'encodedPrompt is the encoder output of the final state',
    );
    assert.deepEqual(
      Object.keys(full.lastCheckpoint.optimizer.moments).sort(),
      ['prompt', ...Object.keys(goldenParams.params).map((n) => `encoder.${n}`)].sort(),
    );

    const controller = new AbortController();
    const checkpoints: TrainCheckpoint[] = [];
    const first = await train(
      options({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 3) controller.abort();
        },
        onCheckpoint: (c) => {
          checkpoints.push(c);
        },
      }),
    );
    assert.equal(first.step, 3);
    const restored = decodeCheckpoint(encodeCheckpoint(first.lastCheckpoint));
    assert.deepEqual(restored, first.lastCheckpoint, 'the encoder survives the byte form');
    const second = await train(options({ resume: restored }));
    assert.deepEqual([...first.losses, ...second.losses], full.losses);
    assert.deepEqual(second.prompt.data, full.prompt.data, 'embedding bit-identical');
    for (const n of Object.keys(goldenParams.params))
      assert.deepEqual(second.encoder?.[n], full.encoder?.[n], `${n} bit-identical`);
    assert.deepEqual(second.encodedPrompt?.data, full.encodedPrompt.data);

    const withoutEncoder: TrainCheckpoint = Object.fromEntries(
      Object.entries(restored).filter(([k]) => k !== 'encoder'),
    ) as unknown as TrainCheckpoint;
    await assert.rejects(train(options({ resume: withoutEncoder })), /checkpoint has no prompt encoder/);
    await assert.rejects(
      train(
        Object.fromEntries(
          Object.entries(options({ resume: restored })).filter(([k]) => k !== 'promptEncoder'),
        ) as unknown as TrainOptions,
      ),
      /checkpoint has a prompt encoder, but this run has none/,
    );
    await assert.rejects(
      train(options({ promptKind: 'prefix' })),
      /prompt encoder's output has shape \[8, 64\] but this model needs a prefix prompt \(8, 320\)/,
    );
    assert.equal(tf.memory().numTensors, before, 'failed runs dispose what they made');
  });
});
