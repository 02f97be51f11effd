// `prompt-adapter eval`: scores an adapter (ours or PEFT's) on a labelled file with the task's metrics.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { throwIfErrors, validateLabels } from '../../core/datasets/index.js';
import type { LabeledRow } from '../../core/datasets/labels.js';
import type { TaskHead } from '../../core/prompts/forward.js';
import { isPrefixMethod } from '../../core/prompts/peft.js';
import type { PromptAdapter } from '../../core/prompts/peft.js';
import { taskKindOfPeft } from '../../core/prompts/run.js';
import { sequenceHead } from '../../core/tasks/classification.js';
import { fingerprintDifferences, fingerprintModel } from '../../core/tasks/metadata.js';
import type { EvalContext, TaskKind } from '../../core/tasks/types.js';
import { buildVerbalizer, evaluateVerbalizer } from '../../core/tasks/verbalizer.js';
import { evaluateWithBare } from '../../core/tasks/compare.js';
import type { ClassificationExample } from '../../core/datasets/tasks.js';
import { UsageError, backendOf, numberFlag, parse, required, withModel } from '../args.js';
import type { Command } from '../args.js';
import { readMetadata } from '../adapter-io.js';
import { UserFileError } from '../files.js';
import { loadAdapterFor, requireTokenizer } from '../load.js';
import type { LoadedModel } from '../load.js';
import { TASKS, loadData } from './train.js';
import fs from 'node:fs';

function headFor(task: TaskKind, adapter: PromptAdapter, loaded: LoadedModel): TaskHead {
  if (task === 'sft') return { kind: 'causal-lm' };
  const saved = adapter.head;
  if (saved !== undefined) {
    if (task === 'classification') return sequenceHead(saved.weight, saved.bias, loaded.config.hiddenSize);
    return {
      kind: 'token-classification',
      weight: tf.tensor2d(saved.weight.data, [saved.weight.shape[0] ?? 0, saved.weight.shape[1] ?? 0]),
      ...(saved.bias === undefined ? {} : { bias: tf.tensor1d(saved.bias.data) }),
    };
  }
  const own = loaded.model.classifierHead;
  if (own === undefined) {
    throw new UserFileError(
      `${adapter.source ?? 'adapter'}: a ${task} adapter needs a classification head, and it has none`,
    );
  }
  return task === 'classification'
    ? { kind: 'sequence-classification', ...own }
    : { kind: 'token-classification', ...own };
}

async function run(args: string[]): Promise<void> {
  const { values } = parse(args, {
    model: { type: 'string' },
    adapter: { type: 'string' },
    task: { type: 'string' },
    data: { type: 'string' },
    json: { type: 'boolean' },
    'max-length': { type: 'string' },
    labels: { type: 'string' },
    backend: { type: 'string' },
    'compare-bare': { type: 'boolean' },
  });
  if (values.help === true) return void process.stdout.write(evalCommand.usage + '\n');
  const modelDir = required(values.model, '--model');
  const adapterDir = required(values.adapter, '--adapter');
  const dataFile = required(values.data, '--data');
  await withModel(modelDir, backendOf(values.backend), async (loaded) => {
    const tokenizer = requireTokenizer(loaded);
    const adapter = loadAdapterFor(adapterDir, loaded.config);
    const metadata = readMetadata(adapterDir);
    const adapterTask: TaskKind =
      metadata?.task ??
      ((): TaskKind => {
        const k = taskKindOfPeft(adapter.config.taskType);
        return k === 'causal-lm' ? 'sft' : k === 'sequence-classification' ? 'classification' : 'ner';
      })();
    const taskKind = (values.task ?? adapterTask) as TaskKind;
    if (!(taskKind in TASKS))
      throw new UsageError(`--task must be sft, classification or ner, got "${taskKind}"`);
    if (taskKind !== adapterTask) {
      throw new UserFileError(`${adapterDir}: this adapter was trained for ${adapterTask}, not ${taskKind}`);
    }
    if (metadata !== undefined) {
      const tokenizerPath = path.join(modelDir, 'tokenizer.json');
      const current = await fingerprintModel(
        loaded.model,
        fs.existsSync(tokenizerPath) ? fs.readFileSync(tokenizerPath, 'utf8') : undefined,
      );
      const diffs = fingerprintDifferences(metadata.baseModel.fingerprint, current);
      if (diffs.length > 0) {
        process.stderr.write(
          `warning: ${adapterDir} was trained on another base model (${metadata.baseModel.name}): ${diffs.join('; ')}\n`,
        );
      }
    }
    const task = TASKS[taskKind];
    const rows = loadData(task, dataFile).rows;
    // labels: our metadata, else the model's id2label when it has as many as the head, else LABEL_i (PEFT's
    // adapters do not record label names)
    const headRows = adapter.head?.weight.shape[0] ?? loaded.model.classifierHead?.weight.shape[0];
    const labels =
      values.labels !== undefined
        ? values.labels.split(',').map((l) => l.trim())
        : metadata?.labels.length
          ? [...metadata.labels]
          : headRows === undefined || headRows === loaded.config.id2label.length
            ? [...loaded.config.id2label]
            : Array.from({ length: headRows }, (_, i) => `LABEL_${i}`);
    if (taskKind !== 'sft') throwIfErrors(validateLabels(labels, rows as LabeledRow[]));
    const maxLength =
      numberFlag(values['max-length'], '--max-length', true) ??
      (typeof metadata?.training.maxLength === 'number' ? metadata.training.maxLength : 256);
    const promptTensor = tf.tensor2d(adapter.promptEmbeddings.data, [
      adapter.promptEmbeddings.shape[0] ?? 0,
      adapter.promptEmbeddings.shape[1] ?? 0,
    ]);
    // a verbalizer classifier (our metadata says so) has no head: label words over the LM head
    const verbalizer =
      taskKind === 'classification' && metadata?.head === 'verbalizer'
        ? buildVerbalizer(tokenizer, labels, metadata.labelWords ?? {})
        : undefined;
    const head: TaskHead =
      verbalizer === undefined ? headFor(taskKind, adapter, loaded) : { kind: 'causal-lm' };
    try {
      const context: EvalContext<unknown> = {
        model: loaded.model,
        prompt: {
          kind: isPrefixMethod(adapter.config.peftType) ? 'prefix' : 'soft',
          embeddings: promptTensor,
        },
        head,
        examples: rows,
        tokenizer,
        labels,
        maxLength,
      };
      const score = (c: EvalContext<unknown>): Promise<Record<string, unknown>> =>
        verbalizer === undefined
          ? task.evaluate(c)
          : evaluateVerbalizer({ ...c, examples: c.examples as ClassificationExample[] }, verbalizer);
      const scored =
        values['compare-bare'] === true ? await evaluateWithBare(score, context) : await score(context);
      // every task says how many examples were scored (SFT's own metrics do not)
      const metrics = 'examples' in scored ? scored : { ...scored, examples: rows.length };
      if (values.json === true) {
        process.stdout.write(JSON.stringify(metrics) + '\n');
      } else {
        process.stdout.write(JSON.stringify(metrics, null, 2) + '\n');
      }
    } finally {
      promptTensor.dispose();
      if (head.kind !== 'causal-lm' && head.weight !== loaded.model.classifierHead?.weight) {
        head.weight.dispose();
        head.bias?.dispose();
      }
    }
  });
}

export const evalCommand: Command = {
  name: 'eval',
  usage: `  eval      --model DIR --adapter DIR --task sft|classification|ner --data TEST [--json] [--labels A,B,…]
            [--compare-bare]
            Metrics JSON: classification {accuracy, macro_f1, per_class, confusion}; NER {precision, recall,
            f1, per_type}; SFT {loss, perplexity, exact_match, rouge_l, samples}; every task adds examples.
            --labels names the head's classes in id order for adapters that do not record them (PEFT's), e.g.
            --labels O,B-person,I-person. --compare-bare also scores the bare model on the same data and adds
            "bare" with the same keys. Bare = the frozen model without the adapter's virtual tokens or prefix,
            everything else unchanged: SFT, the plain language model (same prompts for the samples); a
            classification/NER head, the SAME trained head on the model without the prompt; a verbalizer, the
            language model's label-word logits without the prompt.`,
  run,
};
