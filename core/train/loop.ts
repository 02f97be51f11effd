// The training loop: a frozen model, a trainable prompt (and optionally a trainable linear head), batches from
// the caller, AdamW, a schedule, clipping, gradient accumulation, evaluation, early stopping, checkpoints and
// cancellation. Gradients are taken with respect to the prompt (and head) variables only: the frozen weights
// are plain tensors, never tf.Variable. Each step disposes everything it created (no tensor leaks).
//
// Determinism: the loop itself draws no random numbers; the seeded generator it owns (TrainRng, passed to a
// custom loss) and the data position are part of every checkpoint, and the batch source is re-created from
// (seed, position) on resume, so a resumed run repeats exactly the operations of an uninterrupted one and
// ends bit-identical on the same backend.
//
// Legend: B batch, T text tokens, P virtual tokens, W prompt width (C for soft prompts, L·2·K·D for
// prefixes), C hidden, N labels.
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenTransformer } from '../model/types.js';
import { headLogits, promptedForward, taskLoss } from '../prompts/forward.js';
import type { PromptInput, PromptKind, SequencePooling, TaskHead } from '../prompts/forward.js';
import type { HostTensor } from '../prompts/peft.js';
import type { HostArray } from '../prompts/run.js';
import type { EarlyStoppingState, TrainCheckpoint } from './checkpoint.js';
import { clipByGlobalNorm } from './clip.js';
import { TrainError } from './errors.js';
import { labelledCount } from './loss.js';
import { AdamW } from './optimizer.js';
import { TrainRng } from './rng.js';
import type { TrainPromptEncoder } from './prompt-encoder.js';
import { lrMultiplier } from './schedule.js';
import type { ScheduleKind } from './schedule.js';

/** One micro-batch, on the host. */
export interface TrainBatch {
  readonly inputIds: HostArray<Int32Array>; // (B, T)
  readonly attentionMask: HostArray<Int32Array>; // (B, T)
  /** (B, T) for language modelling and token classification (−100 ignored), (B) for sequence classification */
  readonly labels: HostArray<Int32Array>;
}

export type TrainHead =
  | { readonly kind: 'causal-lm' }
  | {
      readonly kind: 'sequence-classification' | 'token-classification';
      /** (N, C) */
      readonly weight: HostTensor;
      /** (N) */
      readonly bias?: HostTensor;
      readonly trainable: boolean;
      /** sequence classification only: which features the head reads (default 'last'; 'mean-last' is (N, 2C)) */
      readonly pooling?: SequencePooling;
      /** sequence classification only: fixed feature standardisation before the head, (F) each */
      readonly normalize?: { readonly mean: HostTensor; readonly std: HostTensor };
    };

/** Where the batch source must start: it is called once per run, and again from the same point on resume. */
export interface BatchStart {
  readonly seed: number;
  /** optimizer steps already done */
  readonly step: number;
  /** micro-batches already consumed: skip this many */
  readonly microBatch: number;
}

export interface TrainProgress {
  /** completed optimizer steps */
  readonly step: number;
  readonly totalSteps: number;
  /** the mean loss of this step's batch, before the update */
  readonly loss: number;
  /** the learning rate of this update (base × schedule) */
  readonly lr: number;
  /** global gradient norm before clipping (only when clipping is on) */
  readonly gradNorm: number | undefined;
  /** text tokens (attention mask) per second since this run started */
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
  readonly etaMs: number;
}

export interface EvalContext {
  readonly step: number;
  /** the live prompt variable (P, W), or with a prompt encoder its output: read it, do not dispose it */
  readonly prompt: tf.Tensor2D;
  /** the live head (its tensors belong to the loop) */
  readonly head: TaskHead;
  readonly signal: AbortSignal | undefined;
}

export type Metrics = Readonly<Record<string, number>>;

export interface LossContext {
  readonly model: FrozenTransformer;
  readonly prompt: PromptInput;
  readonly head: TaskHead;
  readonly inputIds: tf.Tensor2D; // (B, T) int32
  readonly attentionMask: tf.Tensor2D; // (B, T) int32
  readonly labels: tf.Tensor; // int32
  readonly rng: TrainRng;
}

export interface TrainOptions {
  readonly model: FrozenTransformer;
  readonly promptKind: PromptKind;
  /** the initial prompt (P, W), or with a prompt encoder its input embedding; ignored when resuming */
  readonly prompt: HostTensor;
  /**
   * P-tuning: a trainable network between the prompt variable and the model (PEFT's PromptEncoder). Its
   * parameters become variables too (named `encoder.<name>`, trained at the prompt's learning rate and kept in
   * checkpoints), and the model reads `apply(params, prompt)` instead of the prompt.
   */
  readonly promptEncoder?: TrainPromptEncoder;
  /** default: causal LM */
  readonly head?: TrainHead;
  /** a fresh batch source starting at `start` (it must depend only on its argument) */
  readonly batches: (start: BatchStart) => Iterable<TrainBatch> | AsyncIterable<TrainBatch>;
  /** optimizer steps in total (a resumed run counts the steps already done) */
  readonly steps: number;
  readonly lr: number;
  /** the head's learning rate as a multiple of `lr` (default 1) */
  readonly headLrScale?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** decoupled weight decay (default 0: prompts are not decayed unless asked) */
  readonly weightDecay?: number;
  readonly schedule?: {
    readonly kind: ScheduleKind;
    readonly warmupSteps?: number;
    readonly numCycles?: number;
  };
  /** clip the global gradient norm to this (default: no clipping) */
  readonly maxGradNorm?: number;
  /** micro-batches per optimizer step (default 1) */
  readonly accumulationSteps?: number;
  readonly seed: number;
  readonly resume?: TrainCheckpoint;
  /** stops after the current step, emitting a checkpoint of it */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TrainProgress) => void;
  /** report progress at most this often (the first and the last step always); default: every step */
  readonly progressEveryMs?: number;
  readonly evaluate?: {
    readonly every: number;
    readonly run: (context: EvalContext) => Metrics | Promise<Metrics>;
  };
  readonly earlyStopping?: {
    readonly metric: string;
    readonly mode: 'min' | 'max';
    /** evaluations without improvement before stopping */
    readonly patience: number;
    /** an improvement must exceed this (default 0) */
    readonly minDelta?: number;
  };
  /** emit a checkpoint every this many steps (also at the end and on abort) */
  readonly checkpointEvery?: number;
  readonly onCheckpoint?: (checkpoint: TrainCheckpoint) => void | Promise<void>;
  /** a custom objective (e.g. a verbalizer over the LM head); default: taskLoss of the head */
  readonly loss?: (context: LossContext) => tf.Scalar;
  /** the weight of a micro-batch in its accumulation group (default: its number of labelled positions) */
  readonly lossWeight?: (batch: TrainBatch, textOffset: number) => number;
}

export type StopReason = 'completed' | 'aborted' | 'early-stopped' | 'data-exhausted';

export interface TrainResult {
  readonly step: number;
  readonly stopReason: StopReason;
  readonly prompt: HostTensor;
  readonly head: { readonly weight: HostTensor; readonly bias?: HostTensor } | undefined;
  /** with a prompt encoder: its final parameters */
  readonly encoder?: Readonly<Record<string, HostTensor>>;
  /** with a prompt encoder: its final output (P, W), what a PEFT P_TUNING adapter stores */
  readonly encodedPrompt?: HostTensor;
  /** the loss of each step of this run */
  readonly losses: readonly number[];
  readonly evaluations: readonly { readonly step: number; readonly metrics: Metrics }[];
  readonly earlyStopping: EarlyStoppingState;
  /** the last checkpoint emitted (also the final state) */
  readonly lastCheckpoint: TrainCheckpoint;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TrainError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function checkBatch(batch: TrainBatch, kind: TaskHead['kind'], index: number, custom: boolean): void {
  const ids = batch.inputIds.shape;
  const where = `micro-batch ${index}`;
  if (ids.length !== 2)
    throw new TrainError(`${where}: input_ids must be (batch, tokens), got [${ids.join(', ')}]`);
  const m = batch.attentionMask.shape;
  if (m.length !== 2 || m[0] !== ids[0] || m[1] !== ids[1]) {
    throw new TrainError(
      `${where}: attention_mask has shape [${m.join(', ')}], input_ids [${ids.join(', ')}]`,
    );
  }
  if (custom) return;
  const want = kind === 'sequence-classification' ? [ids[0]] : [ids[0], ids[1]];
  const l = batch.labels.shape;
  if (l.length !== want.length || l.some((d, i) => d !== want[i])) {
    throw new TrainError(
      `${where}: labels have shape [${l.join(', ')}] but the ${kind} task needs [${want.join(', ')}]`,
    );
  }
}

/** A function, so that the compiler does not narrow `signal.aborted` across awaits. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

async function hostOf(t: tf.Tensor): Promise<HostTensor> {
  return { shape: [...t.shape], data: Float32Array.from(await t.data()) };
}

async function hostsOf(tensors: Readonly<Record<string, tf.Tensor>>): Promise<Record<string, HostTensor>> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = await hostOf(t);
  return out;
}

/** Runs the encoder once on the starting values (nothing kept) and checks its output is the prompt the model needs. */
function checkEncoderOutput(
  model: FrozenTransformer,
  promptKind: PromptKind,
  start: HostTensor,
  encoder: TrainPromptEncoder,
  params: Readonly<Record<string, HostTensor>>,
): void {
  const c = model.config;
  const want = promptKind === 'soft' ? c.hiddenSize : c.numLayers * 2 * c.numKvHeads * c.headDim;
  const [P, W] = start.shape as [number, number];
  const shape = tf.tidy(() => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, p] of Object.entries(params)) tensors[name] = tf.tensor(p.data, [...p.shape]);
    return [...encoder.apply(tensors, tf.tensor2d(start.data, [P, W])).shape];
  });
  if (shape[0] !== P || shape[1] !== want) {
    throw new TrainError(
      `the prompt encoder's output has shape [${shape.join(', ')}] but this model needs a ${promptKind} prompt (${P}, ${want})`,
    );
  }
}

/** Reads the next `count` items of an iterator (sync or async); fewer when it ends. */
async function take(
  it: Iterator<TrainBatch> | AsyncIterator<TrainBatch>,
  count: number,
): Promise<TrainBatch[]> {
  const out: TrainBatch[] = [];
  while (out.length < count) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}

function iteratorOf(
  source: Iterable<TrainBatch> | AsyncIterable<TrainBatch>,
): Iterator<TrainBatch> | AsyncIterator<TrainBatch> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/** Shapes of the prompt and head against the model, checked before any tensor is made. */
function checkTrainables(
  model: FrozenTransformer,
  promptKind: PromptKind,
  prompt: HostTensor,
  head: TrainHead,
  resume: TrainCheckpoint | undefined,
  encoded: boolean,
): void {
  const c = model.config;
  const [P, W] = prompt.shape as [number, number];
  const want = promptKind === 'soft' ? c.hiddenSize : c.numLayers * 2 * c.numKvHeads * c.headDim;
  // an encoder's input may have any width: its output is checked once the encoder has run
  if ((W !== want && !encoded) || !(P > 0) || prompt.data.length !== P * W) {
    throw new TrainError(
      `the ${promptKind} prompt has shape [${prompt.shape.join(', ')}] (${prompt.data.length} values) but this model needs (P, ${want})` +
        (promptKind === 'soft' ? ' (hidden size)' : ' (layers × 2 × kv heads × head dim)'),
    );
  }
  if (head.kind === 'causal-lm') return;
  const weight = resume?.head?.weight ?? head.weight;
  const bias = resume?.head === undefined ? head.bias : resume.head.bias;
  const [N = 0, C = 0] = weight.shape;
  const width = head.pooling === 'mean-last' ? 2 * c.hiddenSize : c.hiddenSize;
  if (weight.shape.length !== 2 || C !== width || weight.data.length !== N * C || N === 0) {
    throw new TrainError(
      `the head weight has shape [${weight.shape.join(', ')}] but must be (labels, ${width})`,
    );
  }
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== N || bias.data.length !== N)) {
    throw new TrainError(`the head bias has shape [${bias.shape.join(', ')}] but must be (${N})`);
  }
  if (resume !== undefined && resume.head === undefined) {
    throw new TrainError('the checkpoint has no head, but this run trains a classification head');
  }
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, promptKind, signal } = options;
  const totalSteps = positiveInt(options.steps, 'steps');
  const accumulation = positiveInt(options.accumulationSteps ?? 1, 'accumulationSteps');
  if (options.evaluate !== undefined) positiveInt(options.evaluate.every, 'evaluate.every');
  if (options.checkpointEvery !== undefined) positiveInt(options.checkpointEvery, 'checkpointEvery');
  if (options.earlyStopping !== undefined) {
    if (options.evaluate === undefined) throw new TrainError('early stopping needs an evaluate callback');
    positiveInt(options.earlyStopping.patience, 'earlyStopping.patience');
  }
  const headSpec: TrainHead = options.head ?? { kind: 'causal-lm' };
  const resume = options.resume;
  const start = resume?.prompt ?? options.prompt;
  if (start.shape.length !== 2)
    throw new TrainError(`the prompt must be (P, W), got [${start.shape.join(', ')}]`);
  if (resume !== undefined && (resume.step > totalSteps || resume.step < 0)) {
    throw new TrainError(`the checkpoint is at step ${resume.step}, outside this run's ${totalSteps} steps`);
  }
  const [P, W] = start.shape as [number, number];
  const encoder = options.promptEncoder;
  checkTrainables(model, promptKind, start, headSpec, resume, encoder !== undefined);
  const encoderStart = resume === undefined ? encoder?.params : resume.encoder;
  if (encoder !== undefined) {
    if (encoderStart === undefined)
      throw new TrainError('the checkpoint has no prompt encoder, but this run trains one');
    checkEncoderOutput(model, promptKind, start, encoder, encoderStart);
  } else if (resume?.encoder !== undefined) {
    throw new TrainError('the checkpoint has a prompt encoder, but this run has none (promptEncoder)');
  }
  const textOffset = promptKind === 'soft' ? P : 0;
  const multiplier =
    options.schedule === undefined ? () => 1 : lrMultiplier({ ...options.schedule, totalSteps });
  const rng = resume === undefined ? new TrainRng(options.seed) : TrainRng.fromState(resume.rng);
  const adamOptions = {
    lr: options.lr,
    ...(options.beta1 === undefined ? {} : { beta1: options.beta1 }),
    ...(options.beta2 === undefined ? {} : { beta2: options.beta2 }),
    ...(options.eps === undefined ? {} : { eps: options.eps }),
    weightDecay: options.weightDecay ?? 0,
  };
  AdamW.checkOptions(adamOptions); // before any tensor exists, so that a bad option leaks nothing

  // trainable state: variables; everything else stays a plain tensor
  const promptInit = tf.tensor2d(start.data, [P, W]);
  const promptVar = tf.variable<tf.Rank.R2>(promptInit, true); // shares promptInit's data, which it keeps alive
  promptInit.dispose();
  const params: Record<string, tf.Variable> = { prompt: promptVar };
  let head: TaskHead;
  const owned: tf.Tensor[] = [promptVar];
  // the encoder's parameters by their own names, the same variables as params[`encoder.<name>`]
  const encoderVars: Record<string, tf.Variable> = {};
  for (const [name, p] of Object.entries(encoder === undefined ? {} : (encoderStart ?? {}))) {
    const init = tf.tensor(p.data, [...p.shape]);
    const v = tf.variable(init, true); // shares init's data, which it keeps alive
    init.dispose();
    encoderVars[name] = v;
    params[`encoder.${name}`] = v;
    owned.push(v);
  }
  if (headSpec.kind === 'causal-lm') {
    head = headSpec;
  } else {
    const w0 = resume?.head?.weight ?? headSpec.weight;
    const b0 = resume?.head === undefined ? headSpec.bias : resume.head.bias;
    const wt = tf.tensor2d(w0.data, [w0.shape[0]!, w0.shape[1]!]);
    const bt = b0 === undefined ? undefined : tf.tensor1d(b0.data);
    let weight: tf.Tensor2D = wt;
    let bias: tf.Tensor1D | undefined = bt;
    if (headSpec.trainable) {
      const wv = tf.variable<tf.Rank.R2>(wt, true);
      wt.dispose();
      params['head.weight'] = wv;
      weight = wv;
      if (bt !== undefined) {
        const bv = tf.variable<tf.Rank.R1>(bt, true);
        bt.dispose();
        params['head.bias'] = bv;
        bias = bv;
      }
    }
    owned.push(weight);
    if (bias !== undefined) owned.push(bias);
    const pooling = headSpec.pooling === undefined ? {} : { pooling: headSpec.pooling };
    let normalize = {};
    if (headSpec.normalize !== undefined) {
      const mean = tf.tensor1d(headSpec.normalize.mean.data);
      const std = tf.tensor1d(headSpec.normalize.std.data);
      owned.push(mean, std);
      normalize = { normalize: { mean, std } };
    }
    head =
      headSpec.kind === 'sequence-classification'
        ? { kind: headSpec.kind, weight, ...(bias === undefined ? {} : { bias }), ...pooling, ...normalize }
        : { kind: headSpec.kind, weight, ...(bias === undefined ? {} : { bias }) };
  }
  const headScale = options.headLrScale ?? 1;
  const lrScale: Record<string, number> = {};
  for (const name of Object.keys(params)) if (name.startsWith('head.')) lrScale[name] = headScale; // the prompt and its encoder: the base rate
  const optimizer = new AdamW(params, { ...adamOptions, lrScale });
  const varList = Object.values(params);

  let step = resume?.step ?? 0;
  let microBatches = resume?.microBatches ?? 0;
  let early: EarlyStoppingState = resume?.earlyStopping ?? { best: null, bestStep: null, badEvaluations: 0 };
  const losses: number[] = [];
  const evaluations: { step: number; metrics: Metrics }[] = [];
  let lastCheckpoint: TrainCheckpoint | undefined;
  let stopReason: StopReason = 'completed';

  const snapshot = async (): Promise<TrainCheckpoint> => {
    const trainedHead =
      head.kind === 'causal-lm'
        ? undefined
        : head.bias === undefined
          ? { weight: await hostOf(head.weight) }
          : { weight: await hostOf(head.weight), bias: await hostOf(head.bias) };
    const base = {
      step,
      microBatches,
      prompt: await hostOf(promptVar),
      optimizer: await optimizer.getState(),
      rng: rng.getState(),
      earlyStopping: early,
      ...(encoder === undefined ? {} : { encoder: await hostsOf(encoderVars) }),
    };
    return trainedHead === undefined ? base : { ...base, head: trainedHead };
  };
  const emitCheckpoint = async (): Promise<void> => {
    if (lastCheckpoint?.step === step) return;
    lastCheckpoint = await snapshot();
    await options.onCheckpoint?.(lastCheckpoint);
  };

  /** what the model reads: the prompt variable, or the encoder's output from it (inside the caller's tidy) */
  const promptTensor = (): tf.Tensor2D =>
    encoder === undefined ? promptVar : encoder.apply(encoderVars, promptVar);
  const lossFor = (ids: tf.Tensor2D, mask: tf.Tensor2D, labels: tf.Tensor): tf.Scalar => {
    const prompt: PromptInput = { kind: promptKind, embeddings: promptTensor() };
    if (options.loss !== undefined) {
      return options.loss({ model, prompt, head, inputIds: ids, attentionMask: mask, labels, rng });
    }
    const f = promptedForward(model, { inputIds: ids, attentionMask: mask }, prompt);
    return taskLoss(head, headLogits(model, head, f, mask), labels, f.textOffset);
  };

  const startedAt = Date.now();
  let tokensSeen = 0;
  let lastReportMs = 0;
  let iterator: Iterator<TrainBatch> | AsyncIterator<TrainBatch> | undefined;
  try {
    iterator = iteratorOf(options.batches({ seed: options.seed, step, microBatch: microBatches }));
    if (resume !== undefined) {
      optimizer.setState(resume.optimizer);
      lastCheckpoint = resume;
    }
    while (step < totalSteps) {
      // yield to the event loop once per step: on tfjs-wasm/cpu every await resolves as a microtask, so without
      // this a Stop button (or Ctrl-C) would not be seen until training ends
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      if (aborted(signal)) {
        stopReason = 'aborted';
        break;
      }
      const group = await take(iterator, accumulation);
      if (group.length === 0) {
        stopReason = 'data-exhausted';
        break;
      }
      group.forEach((b, i) => {
        checkBatch(b, head.kind, microBatches + i, options.loss !== undefined);
      });
      const counts = group.map((b) =>
        options.lossWeight === undefined
          ? labelledCount(head.kind, b.labels, textOffset)
          : options.lossWeight(b, textOffset),
      );
      const total = counts.reduce((a, b) => a + b, 0);
      if (!(total > 0)) {
        throw new TrainError(
          `micro-batches ${microBatches}..${microBatches + group.length - 1} have no labelled positions (every label is -100): nothing to learn from`,
        );
      }

      // gradients of the group's mean loss: Σ_i (n_i / N) ∇ mean_i
      let acc: Record<string, tf.Tensor> | undefined;
      let loss = 0;
      let gradNorm: number | undefined;
      const lr = options.lr * multiplier(step);
      try {
        for (let i = 0; i < group.length; i++) {
          const b = group[i]!;
          const weight = counts[i]! / total;
          const previous: Record<string, tf.Tensor> | undefined = acc;
          const out = tf.tidy(() => {
            const [B, T] = b.inputIds.shape as [number, number];
            const ids = tf.tensor2d(b.inputIds.data, [B, T], 'int32');
            const mask = tf.tensor2d(b.attentionMask.data, [B, T], 'int32');
            const labels = tf.tensor(b.labels.data, [...b.labels.shape], 'int32');
            const { value, grads } = tf.variableGrads(() => lossFor(ids, mask, labels), varList);
            const sum: Record<string, tf.Tensor> = {};
            for (const [name, v] of Object.entries(params)) {
              const g = grads[v.name];
              if (g === undefined) throw new TrainError(`no gradient reached "${name}"`);
              const scaled = weight === 1 ? g : tf.mul(g, tf.scalar(weight));
              sum[name] = previous === undefined ? scaled : tf.add(previous[name]!, scaled);
            }
            return { value, sum };
          });
          if (previous !== undefined) for (const t of Object.values(previous)) t.dispose();
          acc = out.sum;
          loss += weight * (await out.value.data())[0]!;
          out.value.dispose();
          tokensSeen += b.attentionMask.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
        }
        const grads = acc!;
        if (options.maxGradNorm === undefined) {
          optimizer.step(grads, lr);
        } else {
          const clipped = clipByGlobalNorm(grads, options.maxGradNorm);
          try {
            gradNorm = (await clipped.totalNorm.data())[0];
            optimizer.step(clipped.grads, lr);
          } finally {
            clipped.totalNorm.dispose();
            for (const t of Object.values(clipped.grads)) t.dispose();
          }
        }
      } finally {
        if (acc !== undefined) for (const t of Object.values(acc)) t.dispose();
      }
      microBatches += group.length;
      step += 1;
      losses.push(loss);

      const elapsedMs = Date.now() - startedAt;
      const doneHere = step - (resume?.step ?? 0);
      const due =
        options.progressEveryMs === undefined ||
        doneHere === 1 ||
        step === totalSteps ||
        elapsedMs - lastReportMs >= options.progressEveryMs;
      if (due) lastReportMs = elapsedMs;
      if (due)
        options.onProgress?.({
          step,
          totalSteps,
          loss,
          lr,
          gradNorm,
          tokensPerSecond: elapsedMs > 0 ? (tokensSeen * 1000) / elapsedMs : 0,
          elapsedMs,
          etaMs: (elapsedMs / doneHere) * (totalSteps - step),
        });

      if (options.evaluate !== undefined && step % options.evaluate.every === 0) {
        const shown = encoder === undefined ? promptVar : tf.tidy(promptTensor);
        let metrics: Metrics;
        try {
          metrics = await options.evaluate.run({ step, prompt: shown, head, signal });
        } finally {
          if (shown !== promptVar) shown.dispose();
        }
        evaluations.push({ step, metrics });
        const rule = options.earlyStopping;
        if (rule !== undefined) {
          const value = metrics[rule.metric];
          if (value === undefined || !Number.isFinite(value)) {
            throw new TrainError(
              `early stopping watches "${rule.metric}" but the evaluation at step ${step} gave ${value === undefined ? 'no such metric' : value} (metrics: ${Object.keys(metrics).join(', ')})`,
            );
          }
          const delta = rule.minDelta ?? 0;
          const better =
            early.best === null ||
            (rule.mode === 'min' ? value < early.best - delta : value > early.best + delta);
          early = better
            ? { best: value, bestStep: step, badEvaluations: 0 }
            : { ...early, badEvaluations: early.badEvaluations + 1 };
          if (early.badEvaluations >= rule.patience) stopReason = 'early-stopped';
        }
      }
      if (options.checkpointEvery !== undefined && step % options.checkpointEvery === 0)
        await emitCheckpoint();
      if (stopReason === 'early-stopped') break;
      if (aborted(signal)) {
        stopReason = step < totalSteps ? 'aborted' : 'completed';
        break;
      }
    }
    await emitCheckpoint();
    const final = lastCheckpoint!;
    let encoded: { encoder?: Readonly<Record<string, HostTensor>>; encodedPrompt?: HostTensor } = {};
    if (encoder !== undefined) {
      const out = tf.tidy(promptTensor);
      try {
        encoded = {
          encoder: final.encoder ?? (await hostsOf(encoderVars)),
          encodedPrompt: await hostOf(out),
        };
      } finally {
        out.dispose();
      }
    }
    return {
      step,
      stopReason,
      prompt: final.prompt,
      head: final.head,
      ...encoded,
      losses,
      evaluations,
      earlyStopping: early,
      lastCheckpoint: final,
    };
  } finally {
    await (iterator as { return?: () => unknown } | undefined)?.return?.();
    optimizer.dispose();
    for (const t of owned) t.dispose();
  }
}
