// Causal-LM supervised fine-tuning (SFT) from chat data: each example's messages are rendered with the
// model's chat template (or DEFAULT_CHAT_TEMPLATE when it has none: "### User:/### Assistant:" turns, see
// core/tokenizer/chat.ts), tokenized once as a whole, and only the tokens of assistant replies carry labels
// (the reply's text and the end-of-turn token the template writes right after it, e.g. EOS), so the adapter
// learns to answer, not to echo questions. {prompt, completion} and {instruction, response} rows arrive here
// as a user and an assistant message (loadSft).
//
// Which tokens belong to a reply is found on the rendered text, then mapped to token positions: every
// message's content is located in the rendered text in order (templates copy contents verbatim), and a
// character boundary b becomes the number of leading ids shared by encode(text[0, b)) and encode(text). This
// works for any template and tokenizer without character offsets; where a token straddles a boundary, it
// counts as part of the reply.
//
// The text is encoded without adding special tokens, as transformers' apply_chat_template does: templates
// write BOS themselves (the default one exactly when the tokenizer's encode() would add it).
//
// Evaluation: loss (mean cross-entropy in nats over every reply token of every example, the tokens training
// scores) and perplexity = exp(loss); then greedy generation for the first SFT_GENERATION_SAMPLE (32)
// examples that have a reply, each given the ids before its last reply and allowed the reference reply's
// length + SFT_EXTRA_NEW_TOKENS (16) new tokens, stopping at EOS or the template's end-of-turn token; the
// output is scored against the reference reply with exact match (whitespace-normalised) and ROUGE-L (F).
//
// Legend: B batch, T text tokens, P virtual tokens, S = P + T, V vocab.
import * as tf from '@tensorflow/tfjs-core';
import { loadSft } from '../datasets/tasks.js';
import type { SftExample } from '../datasets/tasks.js';
import { generate, PromptCache } from '../generate/generate.js';
import { exactMatch, mean, perplexity, rougeL } from '../metrics/text.js';
import type { FrozenTransformer } from '../model/types.js';
import { crossEntropy, promptedForward } from '../prompts/forward.js';
import type { PromptInput } from '../prompts/forward.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { collate } from './batching.js';
import type { EncodedExample } from './batching.js';
import type { EncodeContext, Encoded, EvalContext, TaskDefinition } from './types.js';

/** Examples whose greedy generations are scored (the first ones that have an assistant reply). */
export const SFT_GENERATION_SAMPLE = 32;
/** Generated outputs returned beside the metrics, for people to read. */
export const SFT_SHOWN_SAMPLES = 3;
/** Generation may run this many tokens past the reference reply's length before it is cut. */
export const SFT_EXTRA_NEW_TOKENS = 16;
/** Sequences per forward pass when the loss is evaluated. */
const EVAL_BATCH = 8;

const IGNORE = -100;

export class SftTaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SftTaskError';
  }
}

/** One example tokenized for SFT, before truncation. */
export interface SftEncoding {
  /** the rendered conversation's ids (special tokens as the template wrote them) */
  readonly ids: number[];
  /** ids on assistant replies (and the end-of-turn token after each), −100 elsewhere */
  readonly labels: number[];
  /** [start, end) token ranges of the assistant replies, in order */
  readonly replies: readonly (readonly [number, number])[];
  /** the rendered text */
  readonly text: string;
}

function where(example: SftExample): string {
  return `${example.source}:${example.line}`;
}

/** Length of the common prefix of two id lists. */
function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Strings of the tokenizer's special tokens, longest first (so "</s>" is tried before a shorter one). */
function specialStrings(tokenizer: Tokenizer): string[] {
  const out: string[] = [];
  for (const id of tokenizer.specialTokenIds()) {
    const token = tokenizer.idToToken(id);
    if (token !== undefined && token !== '') out.push(token);
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Character spans [start, end) of the assistant replies in `text`: each message's content is found after the
 * previous one's; a reply's span continues over whitespace and one special token that follows it (the
 * template's end of turn, e.g. "</s>" or "<|im_end|>"), so that the model learns to stop.
 */
function replySpans(example: SftExample, text: string, specials: readonly string[]): [number, number][] {
  const spans: [number, number][] = [];
  let cursor = 0;
  example.messages.forEach((message, k) => {
    let content = message.content;
    let at = text.indexOf(content, cursor);
    if (at < 0) {
      // some templates trim contents (Qwen's, Llama 3's)
      content = content.trim();
      at = text.indexOf(content, cursor);
    }
    if (at < 0) {
      throw new SftTaskError(
        `${where(example)}: messages[${k}].content does not appear in the text the chat template rendered, so its tokens cannot be found; the template must copy message contents unchanged (or use a model without a template: the default one does)`,
      );
    }
    let end = at + content.length;
    cursor = end;
    if (message.role !== 'assistant') return;
    let after = end;
    while (after < text.length && /\s/.test(text.charAt(after))) after++;
    const special = specials.find((s) => text.startsWith(s, after));
    if (special !== undefined) end = after + special.length;
    spans.push([at, end]);
    cursor = end;
  });
  return spans;
}

/** Renders and tokenizes one example; labels on the assistant replies only. */
export function encodeSftExample(example: SftExample, tokenizer: Tokenizer): SftEncoding {
  const text = tokenizer.applyChatTemplate(example.messages);
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  const spans = replySpans(example, text, specialStrings(tokenizer));
  const labels = new Array<number>(ids.length).fill(IGNORE);
  const replies: [number, number][] = [];
  // a boundary's token index: exact when text[0, b) tokenizes to a prefix of the ids; else the straddling
  // token (index `shared`) is counted in the reply, on either side
  const boundary = (b: number, side: 'start' | 'end'): number => {
    const head = tokenizer.encode(text.slice(0, b), { addSpecialTokens: false });
    const shared = sharedPrefix(head, ids);
    return shared === head.length || side === 'start' ? shared : Math.min(ids.length, shared + 1);
  };
  for (const [s, e] of spans) {
    const start = boundary(s, 'start');
    const end = boundary(e, 'end');
    for (let t = start; t < end; t++) labels[t] = ids[t]!;
    if (end > start) replies.push([start, end]);
  }
  return { ids, labels, replies, text };
}

function countLabels(labels: readonly number[]): number {
  let n = 0;
  for (const l of labels) if (l !== IGNORE) n++;
  return n;
}

/**
 * Encodes for training: cut to maxLength (counted as truncated). Examples left without any labelled token —
 * no assistant reply (loadSft warned about those), or every reply beyond maxLength (counted as truncated) —
 * are left out: they carry no loss.
 */
function encodeSft(examples: readonly SftExample[], context: EncodeContext): Encoded {
  const out: EncodedExample[] = [];
  let truncated = 0;
  for (const example of examples) {
    const e = encodeSftExample(example, context.tokenizer);
    const cut = e.ids.length > context.maxLength;
    if (cut) truncated++;
    const ids = cut ? e.ids.slice(0, context.maxLength) : e.ids;
    const labels = cut ? e.labels.slice(0, context.maxLength) : e.labels;
    if (countLabels(labels) === 0) continue;
    out.push({ ids, labels });
  }
  return { examples: out, truncated };
}

/** Mean cross-entropy (nats) over the labelled reply tokens of all examples, and how many there were. */
export async function sftLoss(
  model: FrozenTransformer,
  prompt: PromptInput | undefined,
  encoded: readonly EncodedExample[],
  options: { signal?: AbortSignal; onBatch?: () => void } = {},
): Promise<{ loss: number; tokens: number }> {
  const textOffset = prompt?.kind === 'soft' ? prompt.embeddings.shape[0] : 0;
  // length-sorted batches pad little
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.ids.length - encoded[b]!.ids.length);
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < order.length; i += EVAL_BATCH) {
    options.signal?.throwIfAborted();
    const batch = collate(
      order.slice(i, i + EVAL_BATCH).map((k) => encoded[k]!),
      0,
    );
    const [B, T] = batch.inputIds.shape as [number, number];
    const S = textOffset + T;
    // the positions whose next token is a label: row b, sequence position s predicts text token s + 1 − offset
    const rows: number[] = [];
    const targets: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let s = Math.max(0, textOffset - 1); s < S - 1; s++) {
        const label = batch.labels.data[b * T + s + 1 - textOffset]!;
        if (label === IGNORE) continue;
        rows.push(b * S + s);
        targets.push(label);
      }
    }
    const count = rows.length;
    if (count > 0) {
      const value = tf.tidy(() => {
        const ids = tf.tensor2d(batch.inputIds.data, [B, T], 'int32');
        const mask = tf.tensor2d(batch.attentionMask.data, [B, T], 'int32');
        const f = promptedForward(model, { inputIds: ids, attentionMask: mask }, prompt);
        const C = f.hidden.shape[2];
        // LM logits only where a label is predicted, not over the whole (B, S, V)
        const picked = tf.gather(tf.reshape(f.hidden, [B * S, C]), tf.tensor1d(rows, 'int32')); // (N, C)
        const logits = model.lmLogits(tf.reshape(picked, [1, count, C]) as tf.Tensor3D); // (1, N, V)
        const V = logits.shape[2];
        return crossEntropy(tf.reshape(logits, [count, V]) as tf.Tensor2D, tf.tensor1d(targets, 'int32')); // mean over N
      });
      const [mean] = await value.data();
      value.dispose();
      total += (mean ?? Number.NaN) * count;
      tokens += count;
    }
    options.onBatch?.();
  }
  return { loss: tokens === 0 ? Number.NaN : total / tokens, tokens };
}

export interface SftSample {
  readonly prompt: string;
  readonly reference: string;
  readonly output: string;
}

/** What one example's greedy generation is scored on: the ids before its last reply, and that reply. */
interface GenerationCase {
  readonly promptIds: number[];
  readonly reference: string;
  /** tokens of the reference reply (with its end-of-turn token) */
  readonly referenceTokens: number;
  /** the token that ended the reply in training (EOS or the template's end of turn), if any */
  readonly stopId: number | undefined;
}

function generationCase(example: SftExample, tokenizer: Tokenizer): GenerationCase | undefined {
  const last = example.messages.map((m) => m.role).lastIndexOf('assistant');
  if (last < 0) return undefined;
  const e = encodeSftExample(example, tokenizer);
  const reply = e.replies[e.replies.length - 1];
  if (reply === undefined) return undefined;
  const [start, end] = reply;
  const lastId = e.ids[end - 1];
  const stopId =
    lastId !== undefined && tokenizer.specialTokenIds().has(lastId) && end - start > 1 ? lastId : undefined;
  return {
    promptIds: e.ids.slice(0, start),
    reference: example.messages[last]!.content,
    referenceTokens: end - start,
    stopId,
  };
}

/**
 * The SFT metrics. `generations` (default SFT_GENERATION_SAMPLE) bounds how many examples are generated for;
 * 0 skips generation and returns only {loss, perplexity}: cheap enough for evaluations during training,
 * where only the loss (the selection metric) is watched.
 */
export async function evaluateSft(
  context: EvalContext<SftExample>,
  options: { generations?: number } = {},
): Promise<Record<string, unknown>> {
  const { model, prompt, tokenizer, signal } = context;
  const sample = options.generations ?? SFT_GENERATION_SAMPLE;
  const encoded = encodeSft(context.examples, {
    tokenizer,
    maxLength: context.maxLength,
    labels: [],
  }).examples;
  const cases: GenerationCase[] = [];
  for (const example of context.examples) {
    if (cases.length >= sample) break;
    const c = generationCase(example, tokenizer);
    if (c !== undefined && c.promptIds.length > 0 && c.promptIds.length < context.maxLength) cases.push(c);
  }
  const total = Math.ceil(encoded.length / EVAL_BATCH) + cases.length;
  let done = 0;
  const tick = (): void => {
    done++;
    context.onProgress?.(done, total);
  };
  const { loss } = await sftLoss(model, prompt, encoded, {
    ...(signal === undefined ? {} : { signal }),
    onBatch: tick,
  });
  if (!Number.isFinite(loss)) {
    throw new SftTaskError(
      `the evaluation set has no assistant tokens to score (loss ${loss}); give examples with assistant replies that fit in ${context.maxLength} tokens`,
    );
  }
  if (sample <= 0) return { loss, perplexity: perplexity(loss) };

  const cache = prompt === undefined ? undefined : PromptCache.build(model, prompt);
  const matches: number[] = [];
  const rouges: number[] = [];
  const samples: SftSample[] = [];
  try {
    for (const c of cases) {
      const stops = [tokenizer.eosTokenId, c.stopId].filter((id): id is number => id !== undefined);
      const all = await generate(model, c.promptIds, cache, {
        maxNewTokens: c.referenceTokens + SFT_EXTRA_NEW_TOKENS,
        eosTokenIds: stops,
        ...(signal === undefined ? {} : { signal }),
      });
      const output = tokenizer.decode(all.slice(c.promptIds.length), { skipSpecialTokens: true }).trim();
      matches.push(exactMatch(output, c.reference) ? 1 : 0);
      rouges.push(rougeL(c.reference, output));
      if (samples.length < SFT_SHOWN_SAMPLES) {
        samples.push({ prompt: tokenizer.decode(c.promptIds), reference: c.reference, output });
      }
      tick();
    }
  } finally {
    cache?.dispose();
  }
  return {
    loss,
    perplexity: perplexity(loss),
    exact_match: mean(matches),
    rouge_l: mean(rouges),
    samples,
  };
}

export const sftTask: TaskDefinition<SftExample> = {
  kind: 'sft',
  load: (text, source) => loadSft(text, source),
  labelsOf: () => [],
  exampleLabels: () => [],
  encode: encodeSft,
  initialHead: () => ({ kind: 'causal-lm' }),
  evaluate: (context) => evaluateSft(context),
  selectionMetric: { name: 'loss', mode: 'min' },
};
