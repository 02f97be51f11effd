// The training loop on the bundled stories260K model (tfjs cpu): gradient accumulation weights micro-batches
// by their labelled positions, a run stopped by an AbortSignal keeps its last checkpoint and, resumed from
// it, ends bit-identical to an uninterrupted run; no tensor leaks; only the prompt (and head) are variables;
// early stopping; the end of the data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../cli/backend.js';
import { readModelDir, readSafetensorsFile } from '../../../cli/files.js';
import { readFloat32, readInt32 } from '../../../core/formats/safetensors.js';
import { createModel } from '../../../core/model/index.js';
import type { FrozenTransformer } from '../../../core/model/types.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../core/train/checkpoint.js';
import type { TrainCheckpoint } from '../../../core/train/checkpoint.js';
import { labelledCount } from '../../../core/train/loss.js';
import { train } from '../../../core/train/loop.js';
import type { BatchStart, TrainBatch, TrainOptions, TrainProgress } from '../../../core/train/loop.js';
import { TrainRng } from '../../../core/train/rng.js';
import { bundledModel, fixture } from '../../helpers/paths.js';

const golden = readSafetensorsFile(fixture('golden', 'stories260K_prompt_tuning.safetensors'));
const prefixGolden = readSafetensorsFile(fixture('golden', 'stories260K_prefix_tuning.safetensors'));
const ids = readInt32(golden, 'input_ids'); // (2, 12), row 1 padded by 3
const mask = readInt32(golden, 'attention_mask');
const lmLabels = readInt32(golden, 'labels');
const T = 12;
const softPrompt = {
  shape: [8, 64],
  data: readFloat32(golden, 'param.prompt_encoder.default.embedding.weight'),
};
const prefixPrompt = {
  shape: [8, 320],
  data: readFloat32(prefixGolden, 'param.prompt_encoder.default.embedding.weight'),
};

function rows(which: readonly number[], labels: 'lm' | 'class'): TrainBatch {
  const pick = (a: Int32Array): Int32Array =>
    Int32Array.from(which.flatMap((r) => [...a.subarray(r * T, (r + 1) * T)]));
  return {
    inputIds: { data: pick(ids), shape: [which.length, T] },
    attentionMask: { data: pick(mask), shape: [which.length, T] },
    labels:
      labels === 'lm'
        ? { data: pick(lmLabels), shape: [which.length, T] }
        : { data: Int32Array.from(which.map((r) => r % 2)), shape: [which.length] },
  };
}

/** An endless, seeded, shuffled stream of one-row micro-batches: a function of (seed, position) only. */
function* shuffledRows(start: BatchStart, labels: 'lm' | 'class'): Generator<TrainBatch> {
  for (let epoch = 0, index = 0; ; epoch++) {
    const order = new TrainRng(start.seed * 1000 + epoch).shuffle([0, 1, 0, 1, 1, 0]);
    for (const r of order) {
      if (index++ >= start.microBatch) yield rows([r], labels);
    }
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** Stop a run at step 3 of 6 by its signal, resume it from the checkpoint's bytes, compare with a whole run. */
async function abortAndResume(model: FrozenTransformer): Promise<void> {
  const head = { shape: [2, 64], data: Float32Array.from({ length: 128 }, (_, i) => Math.sin(i) * 0.1) };
  const options = (extra: Partial<TrainOptions>): TrainOptions => ({
    model,
    promptKind: 'soft',
    prompt: softPrompt,
    head: { kind: 'sequence-classification', weight: head, trainable: true },
    batches: (start) => shuffledRows(start, 'class'),
    steps: 6,
    lr: 0.01,
    headLrScale: 5,
    weightDecay: 0.01,
    schedule: { kind: 'cosine', warmupSteps: 2 },
    maxGradNorm: 0.5,
    accumulationSteps: 2,
    seed: 3,
    checkpointEvery: 2,
    ...extra,
  });
  const full = await train(options({}));
  assert.equal(full.stopReason, 'completed');

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
  assert.equal(first.stopReason, 'aborted');
  assert.equal(first.step, 3);
  assert.deepEqual(
    checkpoints.map((c) => c.step),
    [2, 3],
    'a checkpoint every 2 steps, and one of the step that was running when the signal came',
  );
  assert.equal(first.lastCheckpoint, checkpoints[1]);
  assert.equal(first.lastCheckpoint.microBatches, 6);

  // through the byte form, as a checkpoint on disk would go
  const restored = decodeCheckpoint(encodeCheckpoint(first.lastCheckpoint));
  assert.deepEqual(restored, first.lastCheckpoint);
  const second = await train(options({ resume: restored }));
  assert.equal(second.stopReason, 'completed');
  assert.equal(second.step, 6);
  assert.deepEqual([...first.losses, ...second.losses], full.losses, 'the same loss at every step');
  assert.deepEqual(second.prompt.data, full.prompt.data, 'prompt bit-identical');
  assert.deepEqual(second.head?.weight.data, full.head?.weight.data, 'head bit-identical');
  assert.deepEqual(
    second.lastCheckpoint.optimizer,
    full.lastCheckpoint.optimizer,
    'optimizer state bit-identical',
  );
  assert.notDeepEqual(second.prompt.data, softPrompt.data);
}

describe('training loop (stories260K, tfjs cpu)', () => {
  let model: FrozenTransformer;
  before(async () => {
    await initBackend('cpu');
    const files = readModelDir(bundledModel('stories260K'));
    model = createModel(files.config, files.weights);
  });
  after(() => {
    model.dispose();
  });

  it('counts labelled positions as transformers averages them', () => {
    const b = rows([0, 1], 'lm');
    // soft prompt: every text label (12 + 9); prefix: each row's first label has no prediction (11 + 8)
    assert.equal(labelledCount('causal-lm', b.labels, 8), 21);
    assert.equal(labelledCount('causal-lm', b.labels, 0), 19);
    assert.equal(
      labelledCount('sequence-classification', { data: Int32Array.from([1, -100, 0]), shape: [3] }, 8),
      2,
    );
  });

  for (const [kind, prompt] of [
    ['soft', softPrompt],
    ['prefix', prefixPrompt],
  ] as const) {
    it(`accumulating two micro-batches equals one batch of both (${kind} prompt)`, async () => {
      // AdamW with a huge eps makes the first update lr · g / eps, linear in the gradient, so the prompts'
      // changes compare the gradients themselves (a plain first Adam step is ≈ lr · sign(g)).
      const common: Omit<TrainOptions, 'batches' | 'accumulationSteps'> = {
        model,
        promptKind: kind,
        prompt,
        steps: 1,
        lr: 1,
        eps: 1e3,
        seed: 1,
      };
      const whole = await train({ ...common, batches: () => [rows([0, 1], 'lm')] });
      const split = await train({
        ...common,
        accumulationSteps: 2,
        batches: () => [rows([0], 'lm'), rows([1], 'lm')],
      });
      const equalWeights = await train({
        ...common,
        accumulationSteps: 2,
        lossWeight: () => 1,
        batches: () => [rows([0], 'lm'), rows([1], 'lm')],
      });
      assert.ok(
        Math.abs(split.losses[0]! - whole.losses[0]!) <= 1e-5 * whole.losses[0]!,
        `${split.losses[0]} vs ${whole.losses[0]}`,
      );
      const delta = (p: Float32Array): Float32Array => p.map((v, i) => v - prompt.data[i]!);
      const dWhole = delta(whole.prompt.data);
      const rel = maxAbsDiff(delta(split.prompt.data), dWhole) / maxAbs(dWhole);
      assert.ok(rel <= 1e-4, `accumulated gradient differs by ${rel} relative`);
      // the weighting matters: averaging the two means equally does not give the batch gradient
      const relEqual = maxAbsDiff(delta(equalWeights.prompt.data), dWhole) / maxAbs(dWhole);
      assert.ok(
        relEqual > 1e-2,
        `equal weights came out too close (${relEqual}): the test would not see a wrong weighting`,
      );
    });
  }

  it('an aborted run keeps its last checkpoint; resumed from it, it ends bit-identical to an uninterrupted run', async () => {
    await abortAndResume(model);
  });

  it('leaks no tensors across steps and makes only the prompt and the head variables', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const variables: string[][] = [];
    const result = await train({
      model,
      promptKind: 'soft',
      prompt: softPrompt,
      head: {
        kind: 'sequence-classification',
        weight: { shape: [2, 64], data: new Float32Array(128) },
        bias: { shape: [2], data: new Float32Array(2) },
        trainable: true,
      },
      batches: (start) => shuffledRows(start, 'class'),
      steps: 5,
      lr: 0.01,
      maxGradNorm: 1,
      accumulationSteps: 2,
      seed: 0,
      onProgress: () => {
        counts.push(tf.memory().numTensors);
        variables.push(Object.keys(tf.engine().registeredVariables));
      },
    });
    assert.equal(result.step, 5);
    assert.ok(
      counts.every((c) => c === counts[1]),
      `tensor counts per step: ${counts.join(', ')}`,
    );
    assert.ok(
      variables.every((v) => v.length === 3),
      `variables: ${JSON.stringify(variables[0])}`,
    );
    assert.equal(tf.memory().numTensors, before, 'everything disposed after training');
  });

  it('reports progress and stops early when the watched metric stops improving', async () => {
    const seen: TrainProgress[] = [];
    const metric = [1, 0.8, 0.85, 0.9, 0.7];
    let calls = 0;
    const result = await train({
      model,
      promptKind: 'soft',
      prompt: softPrompt,
      batches: (start) => shuffledRows(start, 'lm'),
      steps: 20,
      lr: 0.01,
      schedule: { kind: 'linear', warmupSteps: 2 },
      seed: 0,
      onProgress: (p) => seen.push(p),
      evaluate: { every: 2, run: ({ step }) => ({ loss: metric[calls++] ?? 0, step }) },
      earlyStopping: { metric: 'loss', mode: 'min', patience: 2 },
    });
    assert.equal(result.stopReason, 'early-stopped');
    assert.equal(result.step, 8, 'evaluations at 2 (best), 4 (better), 6 and 8 (worse twice) → stop');
    assert.deepEqual(result.earlyStopping, { best: 0.8, bestStep: 4, badEvaluations: 2 });
    assert.deepEqual(
      result.evaluations.map((e) => e.step),
      [2, 4, 6, 8],
    );
    assert.deepEqual(
      seen.map((p) => p.lr),
      [
        0,
        0.005,
        0.01,
        0.01 * (17 / 18),
        0.01 * (16 / 18),
        0.01 * (15 / 18),
        0.01 * (14 / 18),
        0.01 * (13 / 18),
      ],
    );
    const last = seen.at(-1)!;
    assert.equal(last.step, 8);
    assert.equal(last.totalSteps, 20);
    assert.ok(
      last.tokensPerSecond > 0 && last.elapsedMs >= 0 && last.etaMs >= 0 && Number.isFinite(last.loss),
    );
  });

  it('throttles progress reports but always reports the first and the last step', async () => {
    const steps: number[] = [];
    await train({
      model,
      promptKind: 'soft',
      prompt: softPrompt,
      batches: (start) => shuffledRows(start, 'lm'),
      steps: 4,
      lr: 0.01,
      seed: 0,
      progressEveryMs: 1e9,
      onProgress: (p) => steps.push(p.step),
    });
    assert.deepEqual(steps, [1, 4]);
  });

  it('stops when the data ends, and names the problem with batches it cannot use', async () => {
    const done = await train({
      model,
      promptKind: 'soft',
      prompt: softPrompt,
      batches: () => [rows([0], 'lm'), rows([1], 'lm'), rows([0], 'lm')],
      steps: 10,
      lr: 0.01,
      accumulationSteps: 2,
      seed: 0,
    });
    assert.equal(done.stopReason, 'data-exhausted');
    assert.equal(done.step, 2, 'the short last group still makes a step');
    assert.equal(done.lastCheckpoint.microBatches, 3);
    const before = tf.memory().numTensors;
    await assert.rejects(
      train({
        model,
        promptKind: 'soft',
        prompt: softPrompt,
        head: {
          kind: 'sequence-classification',
          weight: { shape: [2, 64], data: new Float32Array(128) },
          trainable: false,
        },
        batches: () => [rows([0, 1], 'lm')],
        steps: 1,
        lr: 0.01,
        seed: 0,
      }),
      /micro-batch 0: labels have shape \[2, 12\] but the sequence-classification task needs \[2\]/,
    );
    const unlabelled = rows([0], 'lm');
    await assert.rejects(
      train({
        model,
        promptKind: 'soft',
        prompt: softPrompt,
        batches: () => [{ ...unlabelled, labels: { data: new Int32Array(12).fill(-100), shape: [1, 12] } }],
        steps: 1,
        lr: 0.01,
        seed: 0,
      }),
      /no labelled positions/,
    );
    const base = { model, promptKind: 'soft', prompt: softPrompt, steps: 1, lr: 0.01, seed: 0 } as const;
    await assert.rejects(
      train({ ...base, lr: -1, batches: () => [rows([0], 'lm')] }),
      /AdamW lr is out of range/,
    );
    await assert.rejects(
      train({ ...base, promptKind: 'prefix', batches: () => [rows([0], 'lm')] }),
      /prefix prompt has shape \[8, 64\].*\(P, 320\)/,
    );
    await assert.rejects(
      train({
        ...base,
        batches: () => {
          throw new Error('no data file');
        },
      }),
      /no data file/,
    );
    assert.equal(tf.memory().numTensors, before, 'failed runs dispose what they made');
  });
});

describe('training loop (stories260K, tfjs wasm)', () => {
  let model: FrozenTransformer;
  before(async () => {
    await initBackend('wasm');
    const files = readModelDir(bundledModel('stories260K'));
    model = createModel(files.config, files.weights);
  });
  after(() => {
    model.dispose();
  });

  it('a resumed run ends bit-identical to an uninterrupted run on wasm too', async () => {
    await abortAndResume(model);
  });
});
