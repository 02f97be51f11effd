// The verbalizer head of sequence classification: no new parameters. Each label maps to a label word (by
// default the label itself, e.g. "spam"/"ham"), and the class logits are the frozen LM head's logits of those
// words' first tokens at the last real text position — "which word would the model write next". Training
// uses the loop's custom loss (cross-entropy over the label-word logits); evaluation predicts the same way.
// PEFT has no verbalizer: the adapter is saved as a CAUSAL_LM prompt adapter, and our metadata
// (prompt_adapter.json: head "verbalizer", labelWords) tells `eval` to score it with this head.
//
// Legend: B batch, T text tokens, S = P + T positions, C hidden, V vocab, N labels.
import * as tf from '@tensorflow/tfjs-core';
import type { ClassificationExample } from '../datasets/tasks.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { FrozenTransformer } from '../model/types.js';
import { crossEntropy, oneHotFloat, poolingSelector, promptedForward } from '../prompts/forward.js';
import type { PromptedForward } from '../prompts/forward.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LossContext, TrainBatch } from '../train/loop.js';
import type { EncodedExample } from './batching.js';
import { classificationTask, predictInBatches } from './classification.js';
import type { EvalContext } from './types.js';

export class VerbalizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerbalizerError';
  }
}

/** The label words of a classification task, in label order, and the token id that stands for each. */
export interface Verbalizer {
  /** label → word, for every label */
  readonly labelWords: Readonly<Record<string, string>>;
  /** (N) the first token of each label's word, in label order */
  readonly tokenIds: readonly number[];
}

/**
 * Parses `--label-words ham=ok,spam=spam` (label=word pairs, comma-separated; a word may contain spaces but
 * not commas). Labels not named keep their own text as word.
 */
export function parseLabelWords(text: string, source = '--label-words'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const label = eq < 0 ? '' : part.slice(0, eq).trim();
    const word = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (label === '' || word === '') {
      throw new VerbalizerError(
        `${source}: "${part.trim()}" is not label=word (write e.g. --label-words ham=ok,spam=spam)`,
      );
    }
    if (label in out) throw new VerbalizerError(`${source}: label "${label}" is given twice`);
    out[label] = word;
  }
  return out;
}

/** Token ids of " word" without special tokens, leading whitespace-only tokens dropped (e.g. a lone "▁"). */
function wordTokens(tokenizer: Tokenizer, word: string): number[] {
  const ids = tokenizer.encode(` ${word}`, { addSpecialTokens: false });
  let start = 0;
  while (start < ids.length - 1 && tokenizer.decode([ids[start]!]).trim() === '') start++;
  return ids.slice(start);
}

/**
 * The verbalizer of a label set: each label's word (from `labelWords`, else the label itself) and the first
 * token of " word". Two labels whose words start with the same token cannot be told apart: that is an error
 * that names them and suggests --label-words.
 */
export function buildVerbalizer(
  tokenizer: Tokenizer,
  labels: readonly string[],
  labelWords: Readonly<Record<string, string>> = {},
): Verbalizer {
  if (labels.length < 2)
    throw new VerbalizerError(`a verbalizer needs at least two labels, got ${labels.length}`);
  for (const label of Object.keys(labelWords)) {
    if (!labels.includes(label)) {
      throw new VerbalizerError(
        `--label-words names "${label}", which is not a label of the data (${labels.join(', ')})`,
      );
    }
  }
  const words: Record<string, string> = {};
  const tokenIds: number[] = [];
  const owner = new Map<number, string>();
  for (const label of labels) {
    const word = labelWords[label] ?? label;
    const ids = wordTokens(tokenizer, word);
    const id = ids[0];
    if (id === undefined || word.trim() === '')
      throw new VerbalizerError(`the word "${word}" of label "${label}" encodes to no token`);
    const other = owner.get(id);
    if (other !== undefined) {
      const piece = tokenizer.decode([id]);
      throw new VerbalizerError(
        `labels "${other}" and "${label}" both start with the token ${id} ("${piece.trim()}"), so a verbalizer cannot tell them apart: ` +
          `give words with different first tokens, e.g. --label-words ${other}=…,${label}=…`,
      );
    }
    owner.set(id, label);
    words[label] = word;
    tokenIds.push(id);
  }
  return { labelWords: words, tokenIds };
}

/**
 * Class logits (B, N): the LM logits of the label words at each row's last real text position. Only that
 * position goes through the LM head (B rows, not B·S).
 */
export function verbalizerLogits(
  model: FrozenTransformer,
  forward: PromptedForward,
  textMask: tf.Tensor2D,
  tokenIds: readonly number[],
): tf.Tensor2D {
  const { hidden, textOffset } = forward;
  const [B, S, C] = hidden.shape;
  const V = model.config.vocabSize;
  const selector = poolingSelector(model, tf.cast(textMask, 'float32') as tf.Tensor2D, textOffset, S); // (B, S)
  const last = tf.reshape(tf.matMul(tf.reshape(selector, [B, 1, S]), hidden), [B, 1, C]) as tf.Tensor3D; // (B, 1, C)
  const vocabLogits = tf.reshape(model.lmLogits(last), [B, V]) as tf.Tensor2D; // (B, V)
  // pick the label words' columns with a one-hot matmul (its gradient needs no scatter kernel)
  const words = oneHotFloat(tf.tensor1d([...tokenIds], 'int32'), V) as tf.Tensor2D; // (N, V)
  return tf.matMul(vocabLogits, words, false, true); // (B, N)
}

/** The training loop's custom loss for a verbalizer: mean cross-entropy over the label-word logits. */
export function verbalizerLoss(tokenIds: readonly number[]): (context: LossContext) => tf.Scalar {
  return (ctx) => {
    const f = promptedForward(
      ctx.model,
      { inputIds: ctx.inputIds, attentionMask: ctx.attentionMask },
      ctx.prompt,
    );
    const logits = verbalizerLogits(ctx.model, f, ctx.attentionMask, tokenIds); // (B, N)
    return crossEntropy(logits, tf.cast(ctx.labels, 'int32') as tf.Tensor1D);
  };
}

/** The loop's micro-batch weight for class labels (B): the number of labelled rows. */
export function verbalizerLossWeight(batch: TrainBatch): number {
  let n = 0;
  for (const v of batch.labels.data) if (v !== -100) n++;
  return n;
}

/** Predicted label ids of encoded examples, in length-sorted batches. */
export async function predictWithVerbalizer(
  context: Pick<EvalContext<unknown>, 'model' | 'prompt' | 'signal' | 'onProgress'>,
  examples: readonly EncodedExample[],
  padId: number,
  tokenIds: readonly number[],
  batchSize = 32,
): Promise<number[]> {
  return predictInBatches(
    context,
    examples,
    padId,
    (f, mask) => verbalizerLogits(context.model, f, mask, tokenIds),
    batchSize,
  );
}

/** Classification metrics of a verbalizer (the same JSON as the linear head's: accuracy, macro_f1, …). */
export async function evaluateVerbalizer(
  context: EvalContext<ClassificationExample>,
  verbalizer: Verbalizer,
): Promise<Record<string, unknown>> {
  if (verbalizer.tokenIds.length !== context.labels.length) {
    throw new VerbalizerError(
      `the verbalizer has ${verbalizer.tokenIds.length} label words for ${context.labels.length} labels`,
    );
  }
  const encoded = classificationTask.encode(context.examples, {
    tokenizer: context.tokenizer,
    maxLength: context.maxLength,
    labels: context.labels,
  });
  const predictions = await predictWithVerbalizer(
    context,
    encoded.examples,
    context.tokenizer.padTokenId ?? 0,
    verbalizer.tokenIds,
  );
  const metrics = classificationMetrics(
    context.examples.map((e) => e.label),
    predictions.map((p) => context.labels[p]!),
    [...context.labels],
  );
  return { ...metrics, examples: context.examples.length, truncated: encoded.truncated };
}
