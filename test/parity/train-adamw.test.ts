// The training loop against PyTorch: 30 AdamW steps (lr 1e-2, betas 0.9/0.999, eps 1e-8, no weight decay, no
// schedule, no clipping) from the golden prompt on the golden batch reproduce the loss before each step (1e-4
// relative) and the final prompt's first row (1e-4), as torch.optim.AdamW + PEFT computed them
// (test/fixtures/golden/stories260K_prompt_tuning_adamw30.json); and one AdamW update of the golden gradient
// equals a hand computation of torch's formula (1e-6). On the tfjs cpu and wasm backends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../cli/backend.js';
import type { NodeBackend } from '../../cli/backend.js';
import { readModelDir, readSafetensorsFile } from '../../cli/files.js';
import { readFloat32, readInt32 } from '../../core/formats/safetensors.js';
import { createModel } from '../../core/model/index.js';
import type { FrozenTransformer } from '../../core/model/types.js';
import { train } from '../../core/train/loop.js';
import type { TrainBatch } from '../../core/train/loop.js';
import { AdamW } from '../../core/train/optimizer.js';
import { bundledModel, fixture, readJson } from '../helpers/paths.js';

interface AdamW30 {
  readonly losses: number[];
  readonly final_prompt_first_row: number[];
}

const golden = readSafetensorsFile(fixture('golden', 'stories260K_prompt_tuning.safetensors'));
const expected = readJson<AdamW30>(fixture('golden', 'stories260K_prompt_tuning_adamw30.json'));
const shape = (n: string): number[] => [...(golden.tensors.get(n)?.shape ?? [])];
const startPrompt = {
  shape: shape('param.prompt_encoder.default.embedding.weight'),
  data: readFloat32(golden, 'param.prompt_encoder.default.embedding.weight'),
};
const batch: TrainBatch = {
  inputIds: { data: readInt32(golden, 'input_ids'), shape: shape('input_ids') },
  attentionMask: { data: readInt32(golden, 'attention_mask'), shape: shape('attention_mask') },
  labels: { data: readInt32(golden, 'labels'), shape: shape('labels') },
};

/** torch.optim.AdamW's first update from zero moments, in double precision. */
function handAdamWFirstStep(
  p: Float32Array,
  g: Float32Array,
  lr: number,
  b1: number,
  b2: number,
  eps: number,
): Float64Array {
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const m = (1 - b1) * g[i]!;
    const v = (1 - b2) * g[i]! * g[i]!;
    const stepSize = lr / (1 - b1);
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2) + eps;
    out[i] = p[i]! - stepSize * (m / denom);
  }
  return out;
}

for (const backend of ['cpu', 'wasm'] as NodeBackend[]) {
  describe(`AdamW training parity with PyTorch on tfjs-${backend}`, () => {
    let model: FrozenTransformer;
    before(async () => {
      await initBackend(backend);
      const files = readModelDir(bundledModel('stories260K'));
      model = createModel(files.config, files.weights);
    });
    after(() => {
      model.dispose();
    });

    it('30 steps reproduce the losses and the final prompt', async (t) => {
      const result = await train({
        model,
        promptKind: 'soft',
        prompt: startPrompt,
        batches: function* () {
          for (;;) yield batch;
        },
        steps: 30,
        lr: 1e-2,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        seed: 0,
      });
      assert.equal(result.stopReason, 'completed');
      assert.equal(result.losses.length, 30);
      let worstLoss = 0;
      for (let i = 0; i < 30; i++) {
        const want = expected.losses[i]!;
        const rel = Math.abs(result.losses[i]! - want) / Math.abs(want);
        worstLoss = Math.max(worstLoss, rel);
        assert.ok(rel <= 1e-4, `loss before step ${i + 1}: ${result.losses[i]} vs ${want} (relative ${rel})`);
      }
      const C = result.prompt.shape[1]!;
      assert.equal(expected.final_prompt_first_row.length, C);
      let worst = 0;
      for (let j = 0; j < C; j++)
        worst = Math.max(worst, Math.abs(result.prompt.data[j]! - expected.final_prompt_first_row[j]!));
      t.diagnostic(
        `losses within ${worstLoss.toExponential(2)} relative, final first row within ${worst.toExponential(2)}`,
      );
      assert.ok(worst <= 1e-4, `final prompt's first row differs by ${worst}`);
    });

    it('one update of the golden gradient equals torch AdamW computed by hand', async (t) => {
      const g = readFloat32(golden, 'grad.prompt_encoder.default.embedding.weight');
      const [P, C] = startPrompt.shape as [number, number];
      const init = tf.tensor2d(startPrompt.data, [P, C]);
      const param = tf.variable(init);
      init.dispose();
      const grad = tf.tensor2d(g, [P, C]);
      const opt = new AdamW(
        { prompt: param },
        { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      );
      opt.step({ prompt: grad });
      const ours = await param.data();
      const want = handAdamWFirstStep(startPrompt.data, g, 1e-2, 0.9, 0.999, 1e-8);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - want[i]!));
      t.diagnostic(`AdamW update within ${worst.toExponential(2)} of the hand computation`);
      assert.ok(worst <= 1e-6, `AdamW update differs from the hand computation by ${worst}`);
      opt.dispose();
      param.dispose();
      grad.dispose();
    });

    it('one training step from the golden prompt equals the hand update of the golden gradient', async (t) => {
      const result = await train({
        model,
        promptKind: 'soft',
        prompt: startPrompt,
        batches: () => [batch],
        steps: 1,
        lr: 1e-2,
        weightDecay: 0,
        seed: 0,
      });
      const g = readFloat32(golden, 'grad.prompt_encoder.default.embedding.weight');
      const want = handAdamWFirstStep(startPrompt.data, g, 1e-2, 0.9, 0.999, 1e-8);
      let worst = 0;
      for (let i = 0; i < want.length; i++)
        worst = Math.max(worst, Math.abs(result.prompt.data[i]! - want[i]!));
      t.diagnostic(`the loop's first step within ${worst.toExponential(2)} of the hand update`);
      assert.ok(worst <= 1e-6, `the loop's first step differs from the hand update by ${worst}`);
    });
  });
}
