// A frozen model + an optional PEFT adapter, run on host arrays: logits, transformers' loss, attention
// probabilities and d loss / d prompt_embeddings. Used by the CLI's `forward`, the parity tests and evaluation.
// Everything created here is disposed before returning (no tensor leaks).
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenTransformer } from '../model/types.js';
import { ModelError } from '../model/types.js';
import { headLogits, promptedForward, taskLoss } from './forward.js';
import type { PromptInput, TaskHead } from './forward.js';
import { checkAdapterFitsModel, isPrefixMethod } from './peft.js';
import type { PeftTaskType, PromptAdapter } from './peft.js';

export interface HostArray<T extends Float32Array | Int32Array = Float32Array> {
  readonly data: T;
  readonly shape: readonly number[];
}

export interface ForwardRequest {
  readonly inputIds: HostArray<Int32Array>; // (B, T)
  readonly attentionMask?: HostArray<Int32Array>; // (B, T), default all ones
  /** (B, T) for language modelling and token classification, (B) for sequence classification */
  readonly labels?: HostArray<Int32Array>;
  readonly outputAttentions?: boolean;
  /** compute d loss / d prompt_embeddings (needs an adapter and labels) */
  readonly gradient?: boolean;
}

export interface ForwardReport {
  readonly logits: HostArray;
  readonly loss: number | undefined;
  readonly attentions: HostArray[] | undefined;
  readonly promptGradient: HostArray | undefined;
  readonly head: TaskHead['kind'];
}

export type TaskKind = TaskHead['kind'];

export function taskKindOfPeft(task: PeftTaskType): TaskKind {
  switch (task) {
    case 'CAUSAL_LM':
      return 'causal-lm';
    case 'SEQ_CLS':
      return 'sequence-classification';
    case 'TOKEN_CLS':
      return 'token-classification';
    case 'SEQ_2_SEQ_LM':
    case 'FEATURE_EXTRACTION':
    case 'QUESTION_ANS':
      throw new ModelError(
        `PEFT task_type ${task} is not supported (causal LM, sequence or token classification)`,
      );
  }
}

/** The task head to use: the adapter's task (with its saved head) or the base checkpoint's own head. */
export function taskHeadFor(model: FrozenTransformer, adapter: PromptAdapter | undefined): TaskHead {
  const kind: TaskKind =
    adapter !== undefined
      ? taskKindOfPeft(adapter.config.taskType)
      : model.config.head === 'none'
        ? 'causal-lm'
        : model.config.head;
  if (kind === 'causal-lm') {
    if (model.config.arch === 'bert')
      throw new ModelError('BERT has no language-model head: use a classification task');
    return { kind };
  }
  const saved = adapter?.head;
  if (saved !== undefined) {
    const weight = tf.tensor2d(saved.weight.data, [saved.weight.shape[0] ?? 0, saved.weight.shape[1] ?? 0]);
    return saved.bias === undefined ? { kind, weight } : { kind, weight, bias: tf.tensor1d(saved.bias.data) };
  }
  const own = model.classifierHead;
  if (own === undefined) {
    throw new ModelError(
      `the ${kind} task needs a classification head, but neither the adapter nor the model checkpoint has one`,
    );
  }
  return { kind, ...own };
}

export function disposeHead(head: TaskHead, model: FrozenTransformer): void {
  if (head.kind === 'causal-lm') return;
  // heads borrowed from the model are disposed with it
  if (head.weight !== model.classifierHead?.weight) {
    head.weight.dispose();
    head.bias?.dispose();
  }
}

function checkShapes(req: ForwardRequest, head: TaskKind): void {
  const ids = req.inputIds.shape;
  if (ids.length !== 2)
    throw new ModelError(`input_ids must be 2-D (batch, tokens), got [${ids.join(', ')}]`);
  const m = req.attentionMask?.shape;
  if (m !== undefined && (m.length !== 2 || m[0] !== ids[0] || m[1] !== ids[1])) {
    throw new ModelError(
      `attention_mask has shape [${m.join(', ')}], input_ids [${ids.join(', ')}]: they must match`,
    );
  }
  const l = req.labels?.shape;
  if (l === undefined) return;
  const want = head === 'sequence-classification' ? [ids[0]] : [ids[0], ids[1]];
  if (l.length !== want.length || l.some((d, i) => d !== want[i])) {
    throw new ModelError(
      `labels have shape [${l.join(', ')}] but the ${head} task needs [${want.join(', ')}]` +
        (head === 'sequence-classification'
          ? ' (one class id per row)'
          : ' (one label per token, -100 to ignore)'),
    );
  }
}

export function promptInputOf(adapter: PromptAdapter, embeddings: tf.Tensor2D): PromptInput {
  return { kind: isPrefixMethod(adapter.config.peftType) ? 'prefix' : 'soft', embeddings };
}

async function host(t: tf.Tensor): Promise<HostArray> {
  return { data: (await t.data()) as Float32Array, shape: t.shape };
}

export async function runForward(
  model: FrozenTransformer,
  adapter: PromptAdapter | undefined,
  req: ForwardRequest,
): Promise<ForwardReport> {
  if (adapter !== undefined) checkAdapterFitsModel(adapter, model.config);
  const head = taskHeadFor(model, adapter);
  try {
    checkShapes(req, head.kind);
    const [B, T] = req.inputIds.shape as [number, number];
    const ids = tf.tensor2d(req.inputIds.data, [B, T], 'int32');
    const mask =
      req.attentionMask === undefined
        ? tf.ones([B, T], 'int32')
        : tf.tensor2d(req.attentionMask.data, [B, T], 'int32');
    const labels =
      req.labels === undefined ? undefined : tf.tensor(req.labels.data, [...req.labels.shape], 'int32');
    const prompt =
      adapter === undefined
        ? undefined
        : tf.tensor2d(adapter.promptEmbeddings.data, [
            adapter.promptEmbeddings.shape[0] ?? 0,
            adapter.promptEmbeddings.shape[1] ?? 0,
          ]);
    const batch = { inputIds: ids as tf.Tensor2D, attentionMask: mask as tf.Tensor2D };
    try {
      const outputs = tf.tidy(() => {
        const f = promptedForward(
          model,
          batch,
          prompt === undefined ? undefined : promptInputOf(adapter!, prompt),
          {
            outputAttentions: req.outputAttentions === true,
          },
        );
        const logits = headLogits(model, head, f, batch.attentionMask);
        const loss = labels === undefined ? undefined : taskLoss(head, logits, labels, f.textOffset);
        return { logits, loss, attentions: f.attentions ?? [] };
      });
      let gradient: tf.Tensor | undefined;
      if (req.gradient === true && prompt !== undefined && labels !== undefined) {
        const lossOf = (p: tf.Tensor): tf.Scalar => {
          const f = promptedForward(model, batch, promptInputOf(adapter!, p as tf.Tensor2D));
          return taskLoss(head, headLogits(model, head, f, batch.attentionMask), labels, f.textOffset);
        };
        gradient = tf.tidy(() => tf.grad(lossOf)(prompt));
      }
      try {
        return {
          head: head.kind,
          logits: await host(outputs.logits),
          loss: outputs.loss === undefined ? undefined : (await outputs.loss.data())[0],
          attentions:
            req.outputAttentions === true
              ? await Promise.all(outputs.attentions.map((a) => host(a)))
              : undefined,
          promptGradient: gradient === undefined ? undefined : await host(gradient),
        };
      } finally {
        outputs.logits.dispose();
        outputs.loss?.dispose();
        for (const a of outputs.attentions) a.dispose();
        gradient?.dispose();
      }
    } finally {
      ids.dispose();
      mask.dispose();
      labels?.dispose();
      prompt?.dispose();
    }
  } finally {
    disposeHead(head, model);
  }
}
