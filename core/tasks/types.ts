// What a task (causal-LM SFT, sequence classification, token classification / NER) provides to training and
// evaluation: how to read its data, encode it for the model, which head it trains, and how it is scored.
// The CLI's `train`/`eval`, the extension and the webview all drive tasks through this one interface.
import type { ParseResult } from '../datasets/errors.js';
import type { FrozenTransformer } from '../model/types.js';
import type { PromptInput, TaskHead } from '../prompts/forward.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { TrainHead } from '../train/loop.js';
import type { EncodedExample } from './batching.js';

export type TaskKind = 'sft' | 'classification' | 'ner';

export interface EncodeContext {
  readonly tokenizer: Tokenizer;
  /** longest sequence fed to the model (text tokens; virtual tokens come on top) */
  readonly maxLength: number;
  /** class labels (classification) or tags (NER), in id order */
  readonly labels: readonly string[];
}

export interface Encoded {
  readonly examples: EncodedExample[];
  /** how many examples were cut to maxLength */
  readonly truncated: number;
}

export interface HeadContext {
  readonly model: FrozenTransformer;
  readonly labels: readonly string[];
  /** 'linear' (a trained head, saved as PEFT's modules_to_save) or 'verbalizer' (label words over the LM head) */
  readonly head: 'linear' | 'verbalizer';
  readonly seed: number;
}

export interface EvalContext<Example> {
  readonly model: FrozenTransformer;
  /** the adapter's prompt, or undefined for the bare model */
  readonly prompt: PromptInput | undefined;
  readonly head: TaskHead;
  readonly examples: readonly Example[];
  readonly tokenizer: Tokenizer;
  readonly labels: readonly string[];
  readonly maxLength: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface TaskDefinition<Example> {
  readonly kind: TaskKind;
  /** parses a data file (text + its name for messages): rows and per-line issues */
  load(text: string, source: string): ParseResult<Example>;
  /** the label set a training file defines (empty for SFT) */
  labelsOf(examples: readonly Example[]): string[];
  /** labels of one example, for the unseen-label check of an eval file (empty for SFT) */
  exampleLabels(example: Example): readonly string[];
  encode(examples: readonly Example[], context: EncodeContext): Encoded;
  /** the head to train (causal LM for SFT) */
  initialHead(context: HeadContext): Promise<TrainHead> | TrainHead;
  /** metrics as the CLI's `eval --json` prints them */
  evaluate(context: EvalContext<Example>): Promise<Record<string, unknown>>;
  /** the metric early stopping and checkpoint selection watch, and whether higher is better */
  readonly selectionMetric: { readonly name: string; readonly mode: 'min' | 'max' };
}
