// Sequence-classification training as `prompt-adapter train --task classification --head linear` does it,
// written against core only (no DOM, no Node), so the webview, a worker and the Node parity test run the very
// same code. It repeats the CLI's steps in the CLI's order (cli/commands/train.ts):
//   1. parse the data (classificationTask.load), 2. hold out a seeded, stratified 10% when no eval set is given,
//   3. labels (sorted), 4. encode with maxLength, 5. initial prompt (initialPrompt, `random` for prefix and
//   P-tuning-less deep prompts, `labels` for soft prompts), 6. zero linear head (classificationTask.initialHead),
//   7. warm start: pooled features of the frozen model with the initial prompt → featureStatistics →
//   fitLinearHead (a probe), 8. train(): AdamW, linear schedule with round(6% of steps) warm-up, global-norm
//   clipping at 1, the seeded batch source.
// What it leaves to the caller (the CLI does it around train()): evaluation/selection of the best step and
// writing the adapter. Neither changes the training losses. P-tuning and the verbalizer head are not here.
// The CLI was not refactored onto this module because cli/commands/train.ts is being changed by others; the
// browser parity test (test/browser/trainer.test.ts) checks that the two agree step for step.
//
// Legend: P virtual tokens, W prompt width, F pooled feature width, N labels.
import * as tf from '@tensorflow/tfjs-core';
import { stratifiedSplit, throwIfErrors } from '../../core/datasets/index.js';
import type { ClassificationExample } from '../../core/datasets/tasks.js';
import type { FrozenTransformer } from '../../core/model/types.js';
import type { PromptKind } from '../../core/prompts/forward.js';
import type { HostTensor } from '../../core/prompts/peft.js';
import { batchSource } from '../../core/tasks/batching.js';
import {
  classificationTask,
  featureStatistics,
  fitLinearHead,
  pooledFeatures,
} from '../../core/tasks/classification.js';
import { initialPrompt } from '../../core/tasks/init.js';
import type { PromptInit } from '../../core/tasks/init.js';
import type { Tokenizer } from '../../core/tokenizer/index.js';
import { train } from '../../core/train/loop.js';
import type { TrainCheckpoint } from '../../core/train/checkpoint.js';
import type { EvalContext, TrainHead, TrainProgress, TrainResult } from '../../core/train/loop.js';
import type { TaskHead } from '../../core/prompts/forward.js';

export class TrainerRunError extends Error {
  override readonly name = 'TrainerRunError';
}

/** The CLI's flags that matter for a classification run, with the CLI's defaults (README "Training defaults"). */
export interface ClassificationRunSettings {
  /** 'prefix' (deep prompts, the CLI default) or 'prompt' (soft prompt) */
  readonly method: 'prefix' | 'prompt';
  readonly virtualTokens: number;
  readonly lr: number;
  readonly epochs: number;
  /** overrides the epoch-based step count (the CLI's --steps) */
  readonly steps?: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly seed: number;
  readonly headLrScale: number;
  /** fit the head as a linear probe on the standardised frozen features before training (the CLI always
   * does; default true). Off, the features are still standardised but the head starts at zero, so the loss
   * starts at ln(labels) and the charts show the learning: the quick preset does that. */
  readonly warmStart?: boolean;
}

export const CLI_CLASSIFICATION_DEFAULTS: ClassificationRunSettings = {
  method: 'prefix',
  virtualTokens: 10,
  lr: 3e-3,
  epochs: 2,
  batchSize: 16,
  maxLength: 128,
  seed: 42,
  headLrScale: 1,
};

export interface ClassificationRunOptions {
  readonly model: FrozenTransformer;
  readonly tokenizer: Tokenizer;
  /** the training file's text */
  readonly dataText: string;
  /** its name (the format is detected from the extension, as the CLI does from the path) */
  readonly dataSource: string;
  readonly settings: ClassificationRunSettings;
  readonly signal?: AbortSignal;
  /** every step's progress (the caller throttles what it forwards) */
  readonly onProgress?: (progress: TrainProgress) => void;
  /** continue a stopped run of the same settings and data: its last checkpoint and the head's standardisation
   * (no warm start then; the losses continue exactly as the uninterrupted run's) */
  readonly resume?: {
    readonly checkpoint: TrainCheckpoint;
    readonly normalize: { readonly mean: HostTensor; readonly std: HostTensor } | undefined;
  };
  /** evaluate on the held-out rows this many times, evenly spaced (none when unset; no effect on the losses) */
  readonly evaluations?: number;
  /** each of those evaluations (the numeric metrics: accuracy, macro_f1, …) */
  readonly onEvaluation?: (step: number, metrics: Readonly<Record<string, number>>) => void;
}

export interface ClassificationRun {
  readonly labels: readonly string[];
  readonly trainRows: number;
  readonly validation: readonly ClassificationExample[];
  readonly truncated: number;
  readonly steps: number;
  /** wall time of the warm start (the probe) */
  readonly warmStartMs: number;
  /** the head's feature standardisation (fold it into the trained head before saving: foldNormalization) */
  readonly normalize: { readonly mean: HostTensor; readonly std: HostTensor } | undefined;
  readonly result: TrainResult;
  /** the final prompt and head on the held-out rows (classificationTask.evaluate: with confusion, per class);
   * null when nothing was held out */
  readonly finalEvaluation: Readonly<Record<string, unknown>> | null;
}

/** The numeric entries of a metrics object (what charts and the train loop take). */
export function numericMetrics(metrics: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** How many examples estimate the feature standardisation when the head is not warm-started. */
export const STATS_EXAMPLES = 64;

export async function runClassificationTraining(
  options: ClassificationRunOptions,
): Promise<ClassificationRun> {
  const { model, tokenizer, settings } = options;
  const task = classificationTask;
  const parsed = task.load(options.dataText, options.dataSource);
  throwIfErrors(parsed.issues);
  if (parsed.rows.length === 0) throw new TrainerRunError(`${options.dataSource}: no usable rows`);
  // the CLI without --eval: a seeded, label-stratified 10% of the training file is held out
  const split = stratifiedSplit(parsed.rows, {
    validationFraction: 0.1,
    seed: settings.seed,
    labelOf: (r) => task.exampleLabels(r)[0] ?? '',
  });
  const labels = task.labelsOf(split.train);
  const encoded = task.encode(split.train, { tokenizer, maxLength: settings.maxLength, labels });
  const promptKind: PromptKind = settings.method === 'prefix' ? 'prefix' : 'soft';
  const init: PromptInit = settings.method === 'prompt' ? 'labels' : 'random';
  const prompt = await initialPrompt({
    model,
    tokenizer,
    kind: promptKind,
    virtualTokens: settings.virtualTokens,
    init,
    labels,
    seed: settings.seed,
  });
  let head: TrainHead = await task.initialHead({ model, labels, head: 'linear', seed: settings.seed });
  const padId = tokenizer.padTokenId ?? 0;
  const warmStarted = Date.now();
  if (head.kind === 'sequence-classification' && options.resume !== undefined) {
    head = {
      ...head,
      ...(options.resume.normalize === undefined ? {} : { normalize: options.resume.normalize }),
    };
  } else if (head.kind === 'sequence-classification') {
    // the CLI's warm start: a linear probe on the standardised pooled features of the frozen model
    const p0 = tf.tensor2d(prompt.data, [prompt.shape[0]!, prompt.shape[1]!]); // (P, W)
    try {
      // without the probe only the standardisation is needed: the first STATS_EXAMPLES examples estimate it
      // (a software WebGPU adapter makes a pass over every example cost minutes)
      const statsExamples =
        settings.warmStart === false ? encoded.examples.slice(0, STATS_EXAMPLES) : encoded.examples;
      const features = await pooledFeatures(
        model,
        { kind: promptKind, embeddings: p0 },
        head.pooling ?? 'last',
        statsExamples,
        padId,
      ); // (examples·F)
      const normalize = featureStatistics(features, features.length / statsExamples.length);
      const fitted =
        settings.warmStart === false
          ? undefined
          : await fitLinearHead(
              features,
              encoded.examples.map((e) => e.labels as number),
              labels.length,
              normalize,
            );
      head =
        fitted === undefined
          ? { ...head, normalize }
          : { ...head, weight: fitted.weight, bias: fitted.bias, normalize };
    } finally {
      p0.dispose();
    }
  }
  const warmStartMs = Date.now() - warmStarted;
  const perEpoch = Math.ceil(encoded.examples.length / settings.batchSize);
  const steps = settings.steps ?? Math.max(1, Math.round(perEpoch * settings.epochs));
  const evaluateWith = (prompt: tf.Tensor2D, evalHead: TaskHead, signal?: AbortSignal) =>
    task.evaluate({
      model,
      prompt: { kind: promptKind, embeddings: prompt },
      head: evalHead,
      examples: split.validation,
      tokenizer,
      labels,
      maxLength: settings.maxLength,
      ...(signal === undefined ? {} : { signal }),
    });
  const evaluate =
    options.evaluations === undefined || options.evaluations <= 0 || split.validation.length === 0
      ? undefined
      : {
          every: Math.max(1, Math.ceil(steps / options.evaluations)),
          run: async (context: EvalContext) => {
            const metrics = numericMetrics(await evaluateWith(context.prompt, context.head, context.signal));
            options.onEvaluation?.(context.step, metrics);
            return metrics;
          },
        };
  const result = await train({
    model,
    promptKind,
    prompt,
    head,
    batches: batchSource(encoded.examples, { batchSize: settings.batchSize, padId }),
    steps,
    lr: settings.lr,
    headLrScale: settings.headLrScale,
    schedule: { kind: 'linear', warmupSteps: Math.round(steps * 0.06) },
    maxGradNorm: 1,
    seed: settings.seed,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(evaluate === undefined ? {} : { evaluate }),
    ...(options.resume === undefined ? {} : { resume: options.resume.checkpoint }),
  });
  let finalEvaluation: Record<string, unknown> | null = null;
  if (split.validation.length > 0) {
    const trained = result.head;
    const p = tf.tensor2d(result.prompt.data, [result.prompt.shape[0]!, result.prompt.shape[1]!]);
    const finalHead: TaskHead =
      head.kind === 'sequence-classification' && trained !== undefined
        ? {
            kind: 'sequence-classification',
            weight: tf.tensor2d(trained.weight.data, [trained.weight.shape[0]!, trained.weight.shape[1]!]),
            ...(trained.bias === undefined ? {} : { bias: tf.tensor1d(trained.bias.data) }),
            ...(head.pooling === undefined ? {} : { pooling: head.pooling }),
            ...(head.normalize === undefined
              ? {}
              : {
                  normalize: {
                    mean: tf.tensor1d(head.normalize.mean.data),
                    std: tf.tensor1d(head.normalize.std.data),
                  },
                }),
          }
        : { kind: 'causal-lm' };
    try {
      finalEvaluation = await evaluateWith(p, finalHead);
    } finally {
      p.dispose();
      if (finalHead.kind === 'sequence-classification') {
        finalHead.weight.dispose();
        finalHead.bias?.dispose();
        finalHead.normalize?.mean.dispose();
        finalHead.normalize?.std.dispose();
      }
    }
  }
  return {
    labels,
    trainRows: split.train.length,
    validation: split.validation,
    truncated: encoded.truncated,
    steps,
    warmStartMs,
    normalize: head.kind === 'sequence-classification' ? head.normalize : undefined,
    result,
    finalEvaluation,
  };
}
