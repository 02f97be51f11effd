// Token classification (NER): words with BIO or BIOES tags → sub-word ids with one label per word, a linear
// tagging head over the frozen model's hidden states, and entity-level scores with conlleval's rules.
//
// Alignment: each word is tokenized on its own with a leading space, " word" — how it appears between words,
// and what SentencePiece's dummy prefix gives the first word too (stories260K's tokenizer strips leading
// spaces and prepends "▁", so "word" and " word" are both "▁w or d"); byte-level BPE tokenizers (GPT-2,
// Llama 3) need the space to produce their "Ġword" forms. The word's tag goes on its FIRST sub-word; the
// other sub-words and the special tokens the tokenizer frames the text with (BOS/EOS) get −100, as
// transformers' token-classification examples do. Predictions are read back at the first sub-words and
// scored as predicted: conlleval's rules already read an I- after O (or after another type) as the start of
// an entity, so nothing is "repaired" before scoring.
//
// The head works with prompt tuning and with prefix tuning alike: headLogits slices the text positions.
//
// Legend: B batch, T text tokens, N tags, C hidden.
import * as tf from '@tensorflow/tfjs-core';
import { loadNer } from '../datasets/tasks.js';
import type { NerExample } from '../datasets/tasks.js';
import { nerMetrics } from '../metrics/ner.js';
import { headLogits, promptedForward } from '../prompts/forward.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { TrainHead } from '../train/loop.js';
import { TrainRng } from '../train/rng.js';
import { collate } from './batching.js';
import type { EncodedExample } from './batching.js';
import type { EncodeContext, Encoded, EvalContext, HeadContext, TaskDefinition } from './types.js';

/** Standard deviation of the head's initial weights (transformers' initializer_range default). */
export const NER_HEAD_INIT_STD = 0.02;
/** Sentences per forward pass when evaluating. */
const EVAL_BATCH = 16;
const IGNORE = -100;
const OUTSIDE = 'O';

export class NerTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NerTaskError';
  }
}

/** One sentence tokenized for tagging. */
export interface NerEncoding {
  readonly ids: number[];
  /** per id: the tag id on each word's first sub-word, −100 elsewhere */
  readonly labels: number[];
  /** per word: the position of its first sub-word in `ids`, or −1 when it has none (cut off, or no tokens) */
  readonly firstSubword: number[];
  readonly truncated: boolean;
}

/**
 * Word → sub-word alignment of one sentence (see the file comment), cut to maxLength ids (special tokens
 * included). `labelIds` maps each tag to its id; a tag outside it is an error naming the sentence.
 */
export function alignNerExample(
  example: NerExample,
  tokenizer: Tokenizer,
  labelIds: ReadonlyMap<string, number>,
  maxLength: number,
): NerEncoding {
  const ids: number[] = [...tokenizer.framing.prefix];
  const labels: number[] = ids.map(() => IGNORE);
  const firstSubword: number[] = [];
  example.tokens.forEach((word, w) => {
    const tag = example.tags[w] ?? OUTSIDE;
    const label = labelIds.get(tag);
    if (label === undefined) {
      throw new NerTaskError(
        `${example.source}:${example.line}: word ${w + 1} ("${word}") has tag "${tag}", which the training data never uses (tags: ${[...labelIds.keys()].join(', ')}); train with it or fix the tag`,
      );
    }
    const pieces = tokenizer.encode(` ${word}`, { addSpecialTokens: false });
    firstSubword.push(pieces.length === 0 ? -1 : ids.length);
    pieces.forEach((id, k) => {
      ids.push(id);
      labels.push(k === 0 ? label : IGNORE);
    });
  });
  for (const id of tokenizer.framing.suffix) {
    ids.push(id);
    labels.push(IGNORE);
  }
  const truncated = ids.length > maxLength;
  if (!truncated) return { ids, labels, firstSubword, truncated };
  return {
    ids: ids.slice(0, maxLength),
    labels: labels.slice(0, maxLength),
    firstSubword: firstSubword.map((p) => (p < maxLength ? p : -1)),
    truncated,
  };
}

/** The tag set: "O" first, then the others in code-point order (ids follow this order). */
export function nerLabels(examples: readonly NerExample[]): string[] {
  const tags = new Set<string>();
  for (const e of examples) for (const t of e.tags) if (t !== OUTSIDE) tags.add(t);
  return [OUTSIDE, ...[...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))];
}

function labelIndex(labels: readonly string[]): Map<string, number> {
  return new Map(labels.map((l, i) => [l, i]));
}

function encodeNer(examples: readonly NerExample[], context: EncodeContext): Encoded {
  const ids = labelIndex(context.labels);
  let truncated = 0;
  const out: EncodedExample[] = [];
  for (const example of examples) {
    const e = alignNerExample(example, context.tokenizer, ids, context.maxLength);
    if (e.truncated) truncated++;
    out.push({ ids: e.ids, labels: e.labels });
  }
  return { examples: out, truncated };
}

/** A trainable linear tagging head (N, C) with small seeded normal weights and zero bias. */
function nerHead(context: HeadContext): TrainHead {
  if (context.head !== 'linear') {
    throw new NerTaskError(
      `NER tags with a linear head; the ${context.head} head is for sequence classification (use --head linear)`,
    );
  }
  const N = context.labels.length;
  const C = context.model.config.hiddenSize;
  if (N < 2) {
    throw new NerTaskError(
      `NER needs at least one entity tag besides "O"; the training data has ${N === 0 ? 'none' : `only "${context.labels[0]}"`}`,
    );
  }
  const rng = new TrainRng(context.seed);
  const weight = Float32Array.from({ length: N * C }, () => rng.nextNormal() * NER_HEAD_INIT_STD);
  return {
    kind: 'token-classification',
    weight: { shape: [N, C], data: weight },
    bias: { shape: [N], data: new Float32Array(N) },
    trainable: true,
  };
}

/** Predicted tag per word of every sentence (words without a sub-word in the model's view get "O"). */
export async function predictNerTags(context: EvalContext<NerExample>): Promise<string[][]> {
  const { model, prompt, head, tokenizer, labels, signal } = context;
  if (head.kind !== 'token-classification') {
    throw new NerTaskError(`NER evaluation needs a token-classification head, got ${head.kind}`);
  }
  // eval files may hold tags the head lacks (the CLI warns): they are scored as gold but never predicted
  const known = labelIndex(labels);
  const encoded = context.examples.map((e) =>
    alignNerExample(
      { ...e, tags: e.tags.map((t) => (known.has(t) ? t : OUTSIDE)) },
      tokenizer,
      known,
      context.maxLength,
    ),
  );
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.ids.length - encoded[b]!.ids.length);
  const predictions: string[][] = context.examples.map((e) => e.tokens.map(() => OUTSIDE));
  const batches = Math.ceil(order.length / EVAL_BATCH);
  for (let start = 0, done = 0; start < order.length; start += EVAL_BATCH) {
    signal?.throwIfAborted();
    const rows = order.slice(start, start + EVAL_BATCH);
    const batch = collate(
      rows.map((k) => ({ ids: encoded[k]!.ids, labels: encoded[k]!.labels })),
      0,
    );
    const [B, T] = batch.inputIds.shape as [number, number];
    const best = tf.tidy(() => {
      const inputIds = tf.tensor2d(batch.inputIds.data, [B, T], 'int32');
      const mask = tf.tensor2d(batch.attentionMask.data, [B, T], 'int32');
      const f = promptedForward(model, { inputIds, attentionMask: mask }, prompt);
      return tf.argMax(headLogits(model, head, f, mask), 2); // (B, T) tag ids
    });
    const tagIds = await best.data();
    best.dispose();
    rows.forEach((k, b) => {
      const words = predictions[k]!;
      encoded[k]!.firstSubword.forEach((p, w) => {
        if (p >= 0) words[w] = labels[tagIds[b * T + p]!] ?? OUTSIDE;
      });
    });
    context.onProgress?.(++done, batches);
  }
  return predictions;
}

async function evaluateNer(context: EvalContext<NerExample>): Promise<Record<string, unknown>> {
  const predicted = await predictNerTags(context);
  const m = nerMetrics(
    context.examples.map((e) => e.tags),
    predicted,
  );
  return {
    precision: m.precision,
    recall: m.recall,
    f1: m.f1,
    accuracy: m.accuracy,
    per_type: m.per_type,
  };
}

export const nerTask: TaskDefinition<NerExample> = {
  kind: 'ner',
  load: (text, source) => loadNer(text, source),
  labelsOf: nerLabels,
  exampleLabels: (example) => [...new Set(example.tags)],
  encode: encodeNer,
  initialHead: nerHead,
  evaluate: evaluateNer,
  selectionMetric: { name: 'f1', mode: 'max' },
};
