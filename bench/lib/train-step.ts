// Time of one prompt-tuning step on tfjs (cpu or wasm), measured inside the project's own training loop
// (core/train/loop.ts `train`): forward over [soft prompt; text], causal LM loss, backward to the prompt
// variable only, AdamW update. Nothing is re-implemented here: the loop runs `warmupSteps + timedSteps` steps
// on one fixed batch and the bench stamps each step's end in onProgress; a step's time is the gap between
// consecutive stamps (the first gap starts when `train` is called, and belongs to the warm-up).
//
// Legend: B batch, T text tokens, P virtual tokens, C hidden size, V vocab.
import * as tf from '@tensorflow/tfjs-core';
import { performance } from 'node:perf_hooks';
import type { NodeBackend } from '../../cli/backend.js';
import { readModelDir } from '../../cli/files.js';
import { createModel } from '../../core/model/index.js';
import type { FrozenTransformer } from '../../core/model/index.js';
import type { TrainBatch, TrainOptions } from '../../core/train/loop.js';
import { train } from '../../core/train/loop.js';
import { progress } from './env.js';
import { BenchError, promptIds } from './plan.js';
import { NormalStream } from './random-model.js';
import { median, round } from './stats.js';
import { tfjsBackendInfo } from './tfjs-runtime.js';

/**
 * The optimizer settings of both sides: torch.optim.AdamW's defaults with the reference's lr (1e-3, weight
 * decay 0.01), a constant learning rate and no gradient clipping, because ../shared/bench/torch_reference.py
 * runs exactly that. (The CLI adds a linear schedule and clipping to norm 1: per step that is one multiplier
 * and one global norm of a (P, C) gradient, nothing next to the forward and backward.)
 */
export const STEP_OPTIMIZER = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

/** Scale of the random initial soft prompt, as the reference's `randn(P, C) * 0.02`. */
const PROMPT_INIT_STD = 0.02;

export interface TrainStepShape {
  readonly batch: number; // B
  readonly textTokens: number; // T
  readonly virtualTokens: number; // P
}

export interface TrainStepPlan extends TrainStepShape {
  readonly warmupSteps: number;
  readonly timedSteps: number;
}

export interface TrainStepResult extends TrainStepShape {
  readonly model: string;
  readonly backend: `tfjs-${NodeBackend}`;
  readonly threads: number;
  readonly warmupSteps: number;
  readonly timedSteps: number;
  /** median time of the timed steps */
  readonly msPerStepMedian: number;
  readonly msPerStepAll: readonly number[];
  /** warm-up step times (the first includes setting up the variables and the first-use allocations) */
  readonly warmupMs: readonly number[];
  /** B · T / median step time: text tokens only, the P virtual tokens are not counted */
  readonly textTokensPerSecond: number;
  /** the loss of the first and the last step: it falls when the update reaches the prompt */
  readonly lossFirst: number;
  readonly lossLast: number;
}

export interface SkippedTrainStep {
  readonly model: string;
  readonly backend: `tfjs-${NodeBackend}`;
  readonly skipped: string;
  /** estimate that decided the skip, when there was one */
  readonly estimatedMsPerStep?: number;
}

/** The fixed batch: BOS then random ids in [3, V) per row, mask of ones, labels = input ids (causal LM). */
export function fixedBatch(B: number, T: number, vocab: number, seed: number): TrainBatch {
  const ids = new Int32Array(B * T); // (B, T)
  for (let b = 0; b < B; b++) ids.set(promptIds(T, vocab, seed + b), b * T);
  return {
    inputIds: { data: ids, shape: [B, T] },
    attentionMask: { data: new Int32Array(B * T).fill(1), shape: [B, T] },
    // the loop's causal LM loss shifts labels itself: position t predicts label t + 1
    labels: { data: ids.slice(), shape: [B, T] },
  };
}

export interface StepTimes {
  readonly stepMs: readonly number[];
  readonly losses: readonly number[];
}

/** Runs `train` for `steps` steps of prompt tuning on `batch` and returns each step's wall time. */
export async function timeTrainSteps(
  model: FrozenTransformer,
  batch: TrainBatch,
  virtualTokens: number,
  steps: number,
): Promise<StepTimes> {
  const P = virtualTokens;
  const C = model.config.hiddenSize;
  const prompt = { shape: [P, C], data: new NormalStream(5).fill(P * C, PROMPT_INIT_STD) }; // (P, C)
  const stamps: number[] = [];
  const options: TrainOptions = {
    model,
    promptKind: 'soft',
    prompt,
    head: { kind: 'causal-lm' },
    batches: () =>
      (function* () {
        for (;;) yield batch;
      })(),
    steps,
    ...STEP_OPTIMIZER,
    seed: 0,
    // no progressEveryMs: the loop then reports every step
    onProgress: () => {
      stamps.push(performance.now());
    },
  };
  const start = performance.now();
  const result = await train(options);
  if (stamps.length !== steps || result.stopReason !== 'completed') {
    throw new BenchError(
      `train ran ${stamps.length} of ${steps} steps (stop reason '${result.stopReason}'): the loop must report every step`,
    );
  }
  return { stepMs: stamps.map((t, i) => t - (i === 0 ? start : stamps[i - 1]!)), losses: result.losses };
}

export interface TfjsStepOptions {
  readonly modelName: string;
  readonly dir: string;
  readonly backend: NodeBackend;
  readonly plan: TrainStepPlan;
}

/** One model on one tfjs backend: warm-up steps, then the timed steps; checks that no tensor leaks. */
export async function benchTrainStepTfjs(o: TfjsStepOptions): Promise<TrainStepResult> {
  const { plan } = o;
  const backend = `tfjs-${o.backend}` as const;
  const { threads } = await tfjsBackendInfo(o.backend);
  const files = readModelDir(o.dir);
  const model = createModel(files.config, files.weights);
  const modelTensors = tf.memory().numTensors;
  try {
    const V = model.config.vocabSize;
    const batch = fixedBatch(plan.batch, plan.textTokens, V, 100);
    progress(
      `${o.modelName} ${backend}: ${plan.warmupSteps} + ${plan.timedSteps} steps, ` +
        `B=${plan.batch} T=${plan.textTokens} P=${plan.virtualTokens}`,
    );
    const t = await timeTrainSteps(model, batch, plan.virtualTokens, plan.warmupSteps + plan.timedSteps);
    const leaked = tf.memory().numTensors - modelTensors;
    if (leaked !== 0) throw new BenchError(`${o.modelName} on ${backend}: train left ${leaked} tensors`);
    const timed = t.stepMs.slice(plan.warmupSteps);
    const ms = median(timed);
    return {
      model: o.modelName,
      backend,
      threads,
      batch: plan.batch,
      textTokens: plan.textTokens,
      virtualTokens: plan.virtualTokens,
      warmupSteps: plan.warmupSteps,
      timedSteps: plan.timedSteps,
      msPerStepMedian: round(ms, 1),
      msPerStepAll: timed.map((x) => round(x, 1)),
      warmupMs: t.stepMs.slice(0, plan.warmupSteps).map((x) => round(x, 1)),
      textTokensPerSecond: round((plan.batch * plan.textTokens * 1000) / ms, 1),
      lossFirst: round(t.losses[0] ?? Number.NaN, 4),
      lossLast: round(t.losses[t.losses.length - 1] ?? Number.NaN, 4),
    };
  } finally {
    model.dispose();
  }
}
