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
import type { TrainHead, TrainProgress, TrainResult } from '../../core/train/loop.js';

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
}

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
  if (head.kind === 'sequence-classification') {
    // the CLI's warm start: a linear probe on the standardised pooled features of the frozen model
    const p0 = tf.tensor2d(prompt.data, [prompt.shape[0]!, prompt.shape[1]!]); // (P, W)
    try {
      const features = await pooledFeatures(
        model,
        { kind: promptKind, embeddings: p0 },
        head.pooling ?? 'last',
        encoded.examples,
        padId,
      ); // (examples·F)
      const normalize = featureStatistics(features, features.length / encoded.examples.length);
      const fitted = await fitLinearHead(
        features,
        encoded.examples.map((e) => e.labels as number),
        labels.length,
        normalize,
      );
      head = { ...head, weight: fitted.weight, bias: fitted.bias, normalize };
    } finally {
      p0.dispose();
    }
  }
  const warmStartMs = Date.now() - warmStarted;
  const perEpoch = Math.ceil(encoded.examples.length / settings.batchSize);
  const steps = settings.steps ?? Math.max(1, Math.round(perEpoch * settings.epochs));
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
  });
  return {
    labels,
    trainRows: split.train.length,
    validation: split.validation,
    truncated: encoded.truncated,
    steps,
    warmStartMs,
    normalize: head.kind === 'sequence-classification' ? head.normalize : undefined,
    result,
  };
}
