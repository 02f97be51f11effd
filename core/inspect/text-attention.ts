// The attention view's forward pass: one text through the frozen model with its adapter (the same runForward
// the parity tests check, attention probabilities captured), then core/inspect/attention.ts on the result:
// per layer and head the share the text gives to the virtual tokens, and for one layer and head the text
// tokens × virtual tokens matrix. Prompt tuning / P-tuning (virtual positions first) and prefix tuning
// (virtual keys only) both work. Platform-free: the webview runs it, the tests run it in Node.
//
// Legend: L layers, H heads, P virtual tokens, T text tokens.
import type { FrozenTransformer } from '../model/types.js';
import { isPrefixMethod } from '../prompts/peft.js';
import type { PromptAdapter } from '../prompts/peft.js';
import { runForward } from '../prompts/run.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { textToVirtualMatrix, virtualAttentionShares } from './attention.js';
import type { AttentionArray } from './attention.js';

/** Longest text (tokens) the view runs: the matrix gets one row per token. */
export const MAX_ATTENTION_TOKENS = 128;

export interface TextAttention {
  readonly kind: 'soft' | 'prefix';
  /** P */
  readonly virtualTokens: number;
  /** the text's token ids (T), special tokens as the tokenizer adds them */
  readonly ids: readonly number[];
  /** each token decoded on its own (its vocabulary piece when that decodes to nothing) */
  readonly tokens: readonly string[];
  /** (L, H) shares of attention on the virtual tokens, averaged over the text positions */
  readonly shares: readonly (readonly number[])[];
  /** the attention probabilities of each layer, (1, H, Q, K) */
  readonly layers: readonly AttentionArray[];
}

export class TextAttentionError extends Error {
  override readonly name = 'TextAttentionError';
}

/** Tokenizes `text` and runs the adapter's forward with attention capture. */
export async function attentionForText(
  model: FrozenTransformer,
  tokenizer: Tokenizer,
  adapter: PromptAdapter,
  text: string,
): Promise<TextAttention> {
  const ids = tokenizer.encode(text);
  if (ids.length === 0) throw new TextAttentionError('the text has no token: type some text');
  if (ids.length > MAX_ATTENTION_TOKENS) {
    throw new TextAttentionError(
      `the text has ${ids.length} tokens; the attention view takes at most ${MAX_ATTENTION_TOKENS}`,
    );
  }
  const T = ids.length;
  const report = await runForward(model, adapter, {
    inputIds: { data: Int32Array.from(ids), shape: [1, T] },
    outputAttentions: true,
  });
  const layers = report.attentions ?? [];
  if (layers.length === 0) throw new TextAttentionError('the forward pass returned no attention');
  const kind = isPrefixMethod(adapter.config.peftType) ? 'prefix' : 'soft';
  const virtualTokens = adapter.config.numVirtualTokens;
  const mask = ids.map(() => 1);
  const { shares } = virtualAttentionShares(layers, 0, mask, virtualTokens, kind);
  const tokens = ids.map((id) => {
    const decoded = tokenizer.decode([id]);
    return decoded.trim() === '' ? (tokenizer.idToToken(id) ?? String(id)) : decoded;
  });
  return { kind, virtualTokens, ids, tokens, shares, layers };
}

/** Text tokens × virtual tokens for one layer and head: (T, P). */
export function textAttentionMatrix(a: TextAttention, layer: number, head: number): number[][] {
  const probabilities = a.layers[layer];
  if (probabilities === undefined) throw new TextAttentionError(`layer ${layer} does not exist`);
  return textToVirtualMatrix(
    probabilities,
    0,
    head,
    a.ids.map(() => 1),
    a.virtualTokens,
    a.kind,
  );
}
