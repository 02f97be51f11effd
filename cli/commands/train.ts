// `prompt-adapter train`: trains a soft or deep prompt (and a task head) on a frozen model and saves a PEFT
// adapter folder. Progress on stderr; the final metrics as one JSON line on stdout. Ctrl-C stops after the
// current step and keeps the last checkpoint (resume with --resume DIR).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatIssue, stratifiedSplit, throwIfErrors, validateLabels } from '../../core/datasets/index.js';
import type { DatasetIssue } from '../../core/datasets/index.js';
import type { LabeledRow } from '../../core/datasets/labels.js';
import type { PromptKind, TaskHead } from '../../core/prompts/forward.js';
import type { PeftType } from '../../core/prompts/peft.js';
import { batchSource, batchTokens } from '../../core/tasks/batching.js';
import {
  classificationTask,
  featureStatistics,
  fitLinearHead,
  foldNormalization,
  pooledFeatures,
} from '../../core/tasks/classification.js';
import type { HostTensor } from '../../core/prompts/peft.js';
import { initialPrompt } from '../../core/tasks/init.js';
import type { PromptInit } from '../../core/tasks/init.js';
import { fingerprintModel, sha256OfText } from '../../core/tasks/metadata.js';
import type { AdapterMetadata } from '../../core/tasks/metadata.js';
import { nerTask } from '../../core/tasks/ner.js';
import { evaluateSft, sftTask } from '../../core/tasks/sft.js';
import type { SftExample } from '../../core/datasets/tasks.js';
import type { TaskDefinition, TaskKind } from '../../core/tasks/types.js';
import { train } from '../../core/train/loop.js';
import type { TrainHead, TrainOptions } from '../../core/train/loop.js';
import { encodePrompt, initEncoderParams, trainPromptEncoder } from '../../core/train/prompt-encoder.js';
import type { PromptEncoderConfig } from '../../core/train/prompt-encoder.js';
import {
  buildVerbalizer,
  evaluateVerbalizer,
  parseLabelWords,
  verbalizerLoss,
  verbalizerLossWeight,
} from '../../core/tasks/verbalizer.js';
import type { Verbalizer } from '../../core/tasks/verbalizer.js';
import type { ClassificationExample } from '../../core/datasets/tasks.js';
import { UsageError, backendOf, numberFlag, parse, required, withModel } from '../args.js';
import type { Command } from '../args.js';
import {
  TrainingLog,
  readCheckpoint,
  readMetadata,
  saveAdapter,
  saveCheckpoint,
  saveMetadata,
  writeFileAtomic,
} from '../adapter-io.js';
import { UserFileError } from '../files.js';
import { requireTokenizer } from '../load.js';

/** The head's feature standardisation (mean, std), kept beside a checkpoint for --resume. */
const NORMALIZATION_FILE = 'head_normalization.json';

export const TASKS: Record<TaskKind, TaskDefinition<unknown>> = {
  sft: sftTask,
  classification: classificationTask,
  ner: nerTask,
};

type Method = 'prompt' | 'prefix' | 'ptuning';

/** Defaults per task, chosen on the bundled model (README: "Training defaults"). */
const DEFAULTS: Record<
  TaskKind,
  { method: Method; virtualTokens: number; lr: number; epochs: number; maxLength: number }
> = {
  // deep prompts are the stronger method on small models (P-Tuning v2)
  classification: { method: 'prefix', virtualTokens: 10, lr: 3e-3, epochs: 2, maxLength: 128 },
  ner: { method: 'prefix', virtualTokens: 10, lr: 3e-3, epochs: 3, maxLength: 128 },
  sft: { method: 'prompt', virtualTokens: 20, lr: 3e-2, epochs: 3, maxLength: 256 },
};

function taskOf(value: string | undefined): TaskKind {
  const t = required(value, '--task');
  if (t !== 'sft' && t !== 'classification' && t !== 'ner') {
    throw new UsageError(`--task must be sft, classification or ner, got "${t}"`);
  }
  return t;
}

function readDataFile(file: string): string {
  if (!fs.existsSync(file)) throw new UserFileError(`${file}: no such data file`);
  return fs.readFileSync(file, 'utf8');
}

/** Loads a data file, printing warnings and throwing on errors (each names file and line). */
export function loadData<E>(task: TaskDefinition<E>, file: string): { rows: E[]; text: string } {
  const text = readDataFile(file);
  const result = task.load(text, file);
  const warnings = result.issues.filter((i: DatasetIssue) => i.severity === 'warning');
  for (const w of warnings.slice(0, 10)) process.stderr.write(`warning: ${formatIssue(w)}\n`);
  if (warnings.length > 10)
    process.stderr.write(`warning: … and ${warnings.length - 10} more warnings in ${file}\n`);
  throwIfErrors(result.issues);
  if (result.rows.length === 0) throw new UserFileError(`${file}: no usable rows`);
  return { rows: result.rows, text };
}

function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

async function run(args: string[]): Promise<void> {
  const { values } = parse(args, {
    model: { type: 'string' },
    task: { type: 'string' },
    data: { type: 'string' },
    eval: { type: 'string' },
    method: { type: 'string' },
    'virtual-tokens': { type: 'string' },
    init: { type: 'string' },
    'init-text': { type: 'string' },
    head: { type: 'string' },
    'label-words': { type: 'string' },
    encoder: { type: 'string' },
    'encoder-hidden-size': { type: 'string' },
    epochs: { type: 'string' },
    steps: { type: 'string' },
    lr: { type: 'string' },
    'head-lr-scale': { type: 'string' },
    'batch-size': { type: 'string' },
    'max-length': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    backend: { type: 'string' },
    'eval-every': { type: 'string' },
  });
  if (values.help === true) return void process.stdout.write(trainCommand.usage + '\n');
  const taskKind = taskOf(values.task);
  const task = TASKS[taskKind];
  const defaults = DEFAULTS[taskKind];
  const modelDir = required(values.model, '--model');
  const dataFile = required(values.data, '--data');
  const resumeDir = values.resume;
  const previous = resumeDir === undefined ? undefined : readMetadata(resumeDir);
  const prevTraining = (previous?.training ?? {}) as Record<string, unknown>;
  const methodFlag = values.method ?? (prevTraining.method as string | undefined) ?? defaults.method;
  if (methodFlag !== 'prompt' && methodFlag !== 'prefix' && methodFlag !== 'ptuning') {
    throw new UsageError(`--method must be prompt, prefix or ptuning, got "${methodFlag}"`);
  }
  const method: Method = methodFlag;
  const prevEncoder = (prevTraining.encoder ?? {}) as { type?: string; hiddenSize?: number };
  const encoderFlag = (values.encoder ?? prevEncoder.type ?? 'mlp').toLowerCase();
  if (encoderFlag !== 'mlp' && encoderFlag !== 'lstm')
    throw new UsageError(`--encoder must be mlp or lstm, got "${encoderFlag}"`);
  if (method !== 'ptuning' && (values.encoder !== undefined || values['encoder-hidden-size'] !== undefined))
    throw new UsageError('--encoder and --encoder-hidden-size need --method ptuning');
  const int = (v: string | undefined, flag: string): number | undefined => numberFlag(v, flag, true);
  const num = (v: string | undefined, flag: string): number | undefined => numberFlag(v, flag, false);
  const virtualTokens = int(values['virtual-tokens'], '--virtual-tokens') ?? defaults.virtualTokens;
  // prefixes and P-tuning start random (for P-tuning the embedding is the encoder's input, not what the model reads)
  const init = (values.init ??
    (method === 'prompt' ? (taskKind === 'sft' ? 'vocab' : 'labels') : 'random')) as PromptInit;
  if (!['random', 'vocab', 'text', 'labels'].includes(init)) {
    throw new UsageError(`--init must be random, vocab, text or labels, got "${init}"`);
  }
  const headKind = values.head ?? previous?.head ?? 'linear';
  if (headKind !== 'linear' && headKind !== 'verbalizer')
    throw new UsageError(`--head must be linear or verbalizer`);
  if (headKind === 'verbalizer' && taskKind !== 'classification')
    throw new UsageError('--head verbalizer is for --task classification');
  if (values['label-words'] !== undefined && headKind !== 'verbalizer')
    throw new UsageError('--label-words needs --head verbalizer');
  const labelWords =
    values['label-words'] === undefined ? previous?.labelWords : parseLabelWords(values['label-words']);
  const epochs = num(values.epochs, '--epochs') ?? defaults.epochs;
  const lr = num(values.lr, '--lr') ?? defaults.lr;
  const headLrScale = num(values['head-lr-scale'], '--head-lr-scale') ?? 1;
  const batchSize = int(values['batch-size'], '--batch-size') ?? 16;
  const maxLength = int(values['max-length'], '--max-length') ?? defaults.maxLength;
  const seed = int(values.seed, '--seed') ?? 42;
  const outDir = values.out ?? resumeDir ?? `adapter-${taskKind}-${method}`;
  for (const [v, flag] of [
    [virtualTokens, '--virtual-tokens'],
    [batchSize, '--batch-size'],
    [maxLength, '--max-length'],
  ] as const) {
    if (v <= 0) throw new UsageError(`${flag} must be positive`);
  }
  if (!(lr > 0) || !(epochs > 0)) throw new UsageError('--lr and --epochs must be positive');

  await withModel(modelDir, backendOf(values.backend), async (loaded) => {
    const tokenizer = requireTokenizer(loaded);
    const model = loaded.model;
    const c = loaded.config;
    if (c.arch === 'bert' && taskKind === 'sft')
      throw new UserFileError(`${modelDir}: BERT cannot be trained for SFT (it has no LM head)`);
    if (c.arch === 'bert' && headKind === 'verbalizer')
      throw new UserFileError(`${modelDir}: BERT has no LM head for a verbalizer; use --head linear`);
    // --- data ---
    const train0 = loadData(task, dataFile);
    let trainRows = train0.rows;
    let evalRows: unknown[];
    let evalName: string;
    if (values.eval !== undefined) {
      evalRows = loadData(task, values.eval).rows;
      evalName = values.eval;
    } else {
      // a seeded 10% of TRAIN is held out (stratified by label for classification)
      const split = stratifiedSplit(trainRows, {
        validationFraction: 0.1,
        seed,
        labelOf: (r) => (taskKind === 'classification' ? (task.exampleLabels(r)[0] ?? '') : ''),
      });
      trainRows = split.train;
      evalRows = split.validation;
      evalName = `${dataFile} (seeded 10% held out)`;
    }
    const labels = previous?.labels.length ? [...previous.labels] : task.labelsOf(trainRows);
    if (taskKind !== 'sft') {
      const unseen = validateLabels(labels, evalRows as LabeledRow[]);
      throwIfErrors(unseen);
    }
    const encoded = task.encode(trainRows, { tokenizer, maxLength, labels });
    if (encoded.truncated > 0) {
      process.stderr.write(
        `warning: ${encoded.truncated} of ${trainRows.length} training examples are longer than --max-length ${maxLength} tokens and were truncated\n`,
      );
    }
    // --- trainables ---
    const promptKind: PromptKind = method === 'prefix' ? 'prefix' : 'soft';
    const peftType: PeftType =
      method === 'prefix' ? 'PREFIX_TUNING' : method === 'ptuning' ? 'P_TUNING' : 'PROMPT_TUNING';
    const verbalizer: Verbalizer | undefined =
      headKind === 'verbalizer' ? buildVerbalizer(tokenizer, labels, labelWords ?? {}) : undefined;
    // P-tuning: PEFT's PromptEncoder between the trained embedding and the model; adapters store its output
    const encoderConfig: PromptEncoderConfig | undefined =
      method === 'ptuning'
        ? {
            type: encoderFlag === 'lstm' ? 'LSTM' : 'MLP',
            virtualTokens,
            tokenDim: c.hiddenSize,
            hiddenSize:
              int(values['encoder-hidden-size'], '--encoder-hidden-size') ??
              prevEncoder.hiddenSize ??
              c.hiddenSize,
            numLayers: 2,
          }
        : undefined;
    if (encoderConfig !== undefined && !(encoderConfig.hiddenSize > 0))
      throw new UsageError('--encoder-hidden-size must be positive');
    const encoderParams = encoderConfig === undefined ? undefined : initEncoderParams(encoderConfig, seed);
    const prompt = await initialPrompt({
      model,
      tokenizer,
      kind: promptKind,
      virtualTokens,
      init,
      ...(values['init-text'] === undefined ? {} : { initText: values['init-text'] }),
      labels,
      seed,
    });
    /** what the model reads from a trained embedding: itself, or the encoder's output (P-tuning) */
    const shownPrompt = async (
      embedding: HostTensor,
      encoder: Readonly<Record<string, HostTensor>> | undefined,
    ): Promise<HostTensor> =>
      encoderConfig === undefined || encoder === undefined
        ? embedding
        : encodePrompt(encoderConfig, embedding, encoder);
    const prompt0 = await shownPrompt(prompt, encoderParams);
    let head: TrainHead =
      verbalizer === undefined
        ? await task.initialHead({ model, labels, head: 'linear', seed })
        : { kind: 'causal-lm' };
    if (head.kind === 'sequence-classification' && resumeDir === undefined) {
      // Warm start: the pooled features of the frozen model with the initial prompt are standardised and a
      // linear head is fitted on them (a probe), so training starts from what the frozen model already offers
      // and the prompt adds to it. The saved head has the standardisation folded in.
      const p0 = tf.tensor2d(prompt0.data, [prompt0.shape[0]!, prompt0.shape[1]!]);
      try {
        const pooling = head.pooling ?? 'last';
        const started = Date.now();
        const features = await pooledFeatures(
          model,
          { kind: method === 'prefix' ? 'prefix' : 'soft', embeddings: p0 },
          pooling,
          encoded.examples,
          tokenizer.padTokenId ?? 0,
        );
        const normalize = featureStatistics(features, features.length / encoded.examples.length);
        const fitted = await fitLinearHead(
          features,
          encoded.examples.map((e) => e.labels as number),
          labels.length,
          normalize,
        );
        head = { ...head, weight: fitted.weight, bias: fitted.bias, normalize };
        fs.mkdirSync(outDir, { recursive: true });
        writeFileAtomic(
          path.join(outDir, NORMALIZATION_FILE),
          JSON.stringify({ mean: [...normalize.mean.data], std: [...normalize.std.data] }),
        );
        process.stderr.write(
          `head warm start (probe on the frozen features) in ${formatMs(Date.now() - started)}\n`,
        );
      } finally {
        p0.dispose();
      }
    }
    if (head.kind === 'sequence-classification' && resumeDir !== undefined) {
      const file = path.join(resumeDir, NORMALIZATION_FILE);
      if (fs.existsSync(file)) {
        const n = JSON.parse(fs.readFileSync(file, 'utf8')) as { mean: number[]; std: number[] };
        const F = n.mean.length;
        head = {
          ...head,
          normalize: {
            mean: { shape: [F], data: Float32Array.from(n.mean) },
            std: { shape: [F], data: Float32Array.from(n.std) },
          },
        };
      }
    }
    const savedHead = (h: { weight: HostTensor; bias?: HostTensor } | undefined) =>
      h === undefined || head.kind !== 'sequence-classification' || head.normalize === undefined
        ? h
        : foldNormalization(h, head.normalize);
    const resume = resumeDir === undefined ? undefined : readCheckpoint(resumeDir);
    const perEpoch = Math.ceil(encoded.examples.length / batchSize);
    const steps = int(values.steps, '--steps') ?? Math.max(1, Math.round(perEpoch * epochs));
    const evalEvery = int(values['eval-every'], '--eval-every') ?? Math.max(1, perEpoch);
    const fingerprint = await fingerprintModel(
      model,
      fs.existsSync(path.join(modelDir, 'tokenizer.json'))
        ? fs.readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')
        : undefined,
    );
    const trainingConfig = {
      method,
      peftType,
      virtualTokens,
      init,
      initText: values['init-text'] ?? null,
      head: taskKind === 'classification' ? headKind : head.kind === 'causal-lm' ? 'causal-lm' : headKind,
      encoder:
        encoderConfig === undefined
          ? null
          : {
              type: encoderConfig.type,
              hiddenSize: encoderConfig.hiddenSize,
              numLayers: encoderConfig.numLayers,
            },
      pooling: head.kind === 'sequence-classification' ? (head.pooling ?? 'last') : null,
      epochs,
      steps,
      lr,
      headLrScale,
      batchSize,
      maxLength,
      seed,
      schedule: 'linear',
      warmupRatio: 0.06,
      maxGradNorm: 1,
      backend: values.backend ?? 'wasm',
    };
    const evalHeadOf = (h: TaskHead): TaskHead => h;
    const log = new TrainingLog(outDir);
    if (resume !== undefined) log.truncateAfter(resume.step);
    const evaluate = async (promptTensor: tf.Tensor2D, h: TaskHead, signal?: AbortSignal) => {
      const context = {
        model,
        prompt: { kind: promptKind, embeddings: promptTensor },
        head: evalHeadOf(h),
        examples: evalRows,
        tokenizer,
        labels,
        maxLength,
        ...(signal === undefined ? {} : { signal }),
      };
      return verbalizer === undefined
        ? task.evaluate(context)
        : evaluateVerbalizer({ ...context, examples: evalRows as ClassificationExample[] }, verbalizer);
    };
    const evaluateQuick = async (p: tf.Tensor2D, h: TaskHead, signal?: AbortSignal) =>
      taskKind === 'sft'
        ? evaluateSft(
            {
              model,
              prompt: { kind: promptKind, embeddings: p },
              head: h,
              examples: evalRows as SftExample[],
              tokenizer,
              labels,
              maxLength,
              ...(signal === undefined ? {} : { signal }),
            },
            { generations: 0 },
          )
        : evaluate(p, h, signal);
    /** A TaskHead (tensors) from the trained head's host values; undefined values: the initial head. */
    const taskHeadOf = (spec: TrainHead, values?: { weight: HostTensor; bias?: HostTensor }): TaskHead => {
      if (spec.kind === 'causal-lm') return spec;
      const w = values?.weight ?? spec.weight;
      const b = values === undefined ? spec.bias : values.bias;
      const weight = tf.tensor2d(w.data, [w.shape[0]!, w.shape[1]!]);
      const bias = b === undefined ? {} : { bias: tf.tensor1d(b.data) };
      if (spec.kind === 'token-classification') return { kind: spec.kind, weight, ...bias };
      const normalize =
        spec.normalize === undefined
          ? {}
          : {
              normalize: {
                mean: tf.tensor1d(spec.normalize.mean.data),
                std: tf.tensor1d(spec.normalize.std.data),
              },
            };
      return {
        kind: spec.kind,
        weight,
        ...bias,
        ...(spec.pooling === undefined ? {} : { pooling: spec.pooling }),
        ...normalize,
      };
    };
    const disposeTaskHead = (h: TaskHead): void => {
      if (h.kind === 'causal-lm') return;
      h.weight.dispose();
      h.bias?.dispose();
      if (h.kind === 'sequence-classification') {
        h.normalize?.mean.dispose();
        h.normalize?.std.dispose();
      }
    };
    const metricOf = (m: Record<string, unknown>): number => {
      const v = m[task.selectionMetric.name];
      return typeof v === 'number' ? v : Number.NaN;
    };

    process.stderr.write(
      `training ${taskKind} (${method}, ${virtualTokens} virtual tokens, init ${init}) on ${trainRows.length} examples, ` +
        `evaluating on ${evalRows.length}; ${steps} steps of ${batchSize} (${formatMs(0)} so far) → ${outDir}\n`,
    );
    const trainSha256 = await sha256OfText(train0.text);
    const metadataOf = (
      training: Record<string, unknown>,
      metrics: Record<string, unknown>,
    ): AdapterMetadata => ({
      format: 'prompt-adapter-studio/1',
      task: taskKind,
      labels,
      ...(head.kind === 'sequence-classification' ? { pooling: head.pooling ?? 'last' } : {}),
      ...(verbalizer === undefined ? {} : { head: 'verbalizer' as const, labelWords: verbalizer.labelWords }),
      baseModel: { name: path.basename(path.resolve(modelDir)), fingerprint },
      training: { ...trainingConfig, ...training },
      dataset: { train: path.basename(dataFile), trainSha256, rows: trainRows.length, eval: evalName },
      metrics,
      created: new Date().toISOString(),
    });
    const writeAdapter = (p: HostTensor, h: { weight: HostTensor; bias?: HostTensor } | undefined): void => {
      fs.mkdirSync(outDir, { recursive: true });
      saveAdapter({
        dir: outDir,
        config: c,
        baseModelName: path.basename(path.resolve(modelDir)),
        task: taskKind,
        peftType,
        prompt: p,
        head: savedHead(h),
        initText: init === 'text' ? values['init-text'] : undefined,
        // PEFT knows no verbalizer: a prompt for the LM head, with the label words in our metadata
        peftTaskType: verbalizer === undefined ? undefined : 'CAUSAL_LM',
        encoder: encoderConfig,
      });
    };
    const hostOf = async (t: tf.Tensor): Promise<HostTensor> => ({
      shape: [...t.shape],
      data: Float32Array.from(await t.data()),
    });
    interface Snapshot {
      step: number;
      value: number;
      prompt: HostTensor;
      head: { weight: HostTensor; bias?: HostTensor } | undefined;
    }
    let best: Snapshot | undefined;
    const evaluations: { step: number; value: number }[] = [];
    const consider = async (step: number, p: tf.Tensor2D, h: TaskHead, value: number): Promise<void> => {
      evaluations.push({ step, value });
      log.add({ step, eval: { [task.selectionMetric.name]: value } });
      const improved =
        best === undefined ||
        (task.selectionMetric.mode === 'max' ? value > best.value : value < best.value) ||
        Number.isNaN(best.value);
      process.stderr.write(
        `eval at step ${step}: ${task.selectionMetric.name} ${value.toFixed(4)}${improved ? ' (best so far: saved)' : ''}\n`,
      );
      if (!improved) return;
      const snapshot: Snapshot = {
        step,
        value,
        prompt: await hostOf(p),
        head:
          h.kind === 'causal-lm'
            ? undefined
            : {
                weight: await hostOf(h.weight),
                ...(h.bias === undefined ? {} : { bias: await hostOf(h.bias) }),
              },
      };
      best = snapshot;
      writeAdapter(snapshot.prompt, snapshot.head);
      log.flush();
    };
    const controller = new AbortController();
    const onSigint = (): void => {
      if (controller.signal.aborted) process.exit(130);
      process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)…\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    const started = Date.now();
    let tokens = 0;
    const source = batchSource(encoded.examples, { batchSize, padId: tokenizer.padTokenId ?? 0 });
    const options: TrainOptions = {
      model,
      promptKind,
      prompt,
      head,
      ...(encoderConfig === undefined || encoderParams === undefined
        ? {}
        : { promptEncoder: trainPromptEncoder(encoderConfig, encoderParams) }),
      ...(verbalizer === undefined
        ? {}
        : { loss: verbalizerLoss(verbalizer.tokenIds), lossWeight: verbalizerLossWeight }),
      batches: (start) => {
        const it = source(start);
        return (function* () {
          for (const b of it) {
            tokens += batchTokens(b);
            yield b;
          }
        })();
      },
      steps,
      lr,
      headLrScale,
      schedule: { kind: 'linear', warmupSteps: Math.round(steps * 0.06) },
      maxGradNorm: 1,
      seed,
      signal: controller.signal,
      progressEveryMs: 2000,
      ...(resume === undefined ? {} : { resume }),
      onProgress: (p) => {
        log.add({
          step: p.step,
          loss: p.loss,
          lr: p.lr,
          tokensPerSecond: p.tokensPerSecond,
          elapsedMs: p.elapsedMs,
        });
        process.stderr.write(
          `step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ` +
            `${Math.round(p.tokensPerSecond)} tok/s  elapsed ${formatMs(p.elapsedMs)}  eta ${formatMs(p.etaMs)}\n`,
        );
      },
      evaluate: {
        every: evalEvery,
        run: async (ctx) => {
          const value = metricOf(await evaluateQuick(ctx.prompt, ctx.head, ctx.signal));
          await consider(ctx.step, ctx.prompt, ctx.head, value);
          return { [task.selectionMetric.name]: value };
        },
      },
      checkpointEvery: evalEvery,
      onCheckpoint: async (cp) => {
        fs.mkdirSync(outDir, { recursive: true });
        if (best === undefined) writeAdapter(await shownPrompt(cp.prompt, cp.encoder), cp.head);
        saveCheckpoint(outDir, cp);
        saveMetadata(outDir, metadataOf({ stopReason: 'in-progress', stepsDone: cp.step }, {}));
        log.flush();
      },
    };
    // the starting point (initial prompt, warm-started head) is evaluated too: the saved adapter is the best
    // evaluation of the run, so training can only add to what the frozen model already offers. A randomly
    // initialised head (NER) is no starting point worth keeping, so it is not a candidate.
    if (resume === undefined && taskKind !== 'ner') {
      const p0 = tf.tensor2d(prompt0.data, [prompt0.shape[0]!, prompt0.shape[1]!]);
      const h0 = taskHeadOf(head);
      try {
        await consider(0, p0, h0, metricOf(await evaluateQuick(p0, h0)));
      } finally {
        p0.dispose();
        disposeTaskHead(h0);
      }
    }
    const result = await train(options);
    process.off('SIGINT', onSigint);
    const trainMs = Date.now() - started;
    const lastPrompt = result.encodedPrompt ?? result.prompt; // what the model reads
    if (result.evaluations.length === 0 || result.evaluations.at(-1)?.step !== result.step) {
      // the last step was not evaluated (e.g. stopped early): evaluate it before choosing
      const pl = tf.tensor2d(lastPrompt.data, [lastPrompt.shape[0]!, lastPrompt.shape[1]!]);
      const hl = taskHeadOf(head, result.head);
      try {
        await consider(result.step, pl, hl, metricOf(await evaluateQuick(pl, hl)));
      } finally {
        pl.dispose();
        disposeTaskHead(hl);
      }
    }
    const chosen = best ?? { step: result.step, value: Number.NaN, prompt: lastPrompt, head: result.head };
    // final evaluation on the held-out set with the chosen prompt and head
    const promptTensor = tf.tensor2d(chosen.prompt.data, [chosen.prompt.shape[0]!, chosen.prompt.shape[1]!]);
    let finalHead: TaskHead = { kind: 'causal-lm' };
    if (head.kind !== 'causal-lm' && chosen.head !== undefined) {
      const final = savedHead(chosen.head)!;
      const w = final.weight;
      const b = final.bias;
      const weight = tf.tensor2d(w.data, [w.shape[0]!, w.shape[1]!]);
      const bias = b === undefined ? undefined : tf.tensor1d(b.data);
      finalHead =
        head.kind === 'sequence-classification'
          ? {
              kind: head.kind,
              weight,
              ...(bias === undefined ? {} : { bias }),
              ...(head.pooling === undefined ? {} : { pooling: head.pooling }),
            }
          : { kind: head.kind, weight, ...(bias === undefined ? {} : { bias }) };
    }
    let metrics: Record<string, unknown>;
    try {
      metrics = await evaluate(promptTensor, finalHead);
    } finally {
      promptTensor.dispose();
      if (finalHead.kind !== 'causal-lm') {
        finalHead.weight.dispose();
        finalHead.bias?.dispose();
      }
    }
    writeAdapter(chosen.prompt, chosen.head);
    const metadata = metadataOf(
      {
        stopReason: result.stopReason,
        stepsDone: result.step,
        trainMs,
        tokens,
        selection: {
          metric: task.selectionMetric.name,
          savedStep: chosen.step,
          evaluations: evaluations.map((e) => ({ step: e.step, [task.selectionMetric.name]: e.value })),
        },
      },
      metrics,
    );
    saveMetadata(outDir, metadata);
    log.add({ step: result.step, final: true, metrics: { [task.selectionMetric.name]: metricOf(metrics) } });
    log.flush();
    process.stderr.write(
      `${result.stopReason} after ${result.step} steps in ${formatMs(trainMs)}; saved the adapter of step ${chosen.step} ` +
        `(best ${task.selectionMetric.name} on the validation set) to ${outDir}\n`,
    );
    process.stdout.write(
      JSON.stringify({
        adapter: outDir,
        stopReason: result.stopReason,
        steps: result.step,
        trainMs,
        ...metrics,
      }) + '\n',
    );
  });
}

export const trainCommand: Command = {
  name: 'train',
  usage: `  train     --model DIR --task sft|classification|ner --data TRAIN [--eval DEV]
            [--method prompt|prefix|ptuning] [--encoder mlp|lstm] [--encoder-hidden-size H]
            [--virtual-tokens N] [--init random|vocab|text|labels] [--init-text T]
            [--head linear|verbalizer] [--label-words LABEL=WORD,...]
            [--epochs E] [--steps S] [--lr LR] [--batch-size B] [--max-length L] [--seed S]
            [--out ADAPTER_DIR] [--resume ADAPTER_DIR] [--backend cpu|wasm]
            Trains an adapter on the frozen model; without --eval a seeded 10% of TRAIN is held out.
            Progress on stderr, final metrics as one JSON line on stdout; Ctrl-C keeps the last checkpoint.`,
  run,
};
