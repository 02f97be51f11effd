// The entries of the bench's JSON. Times are wall-clock milliseconds; tokensPerSecond = tokens / (ms / 1000).
//
// prefill: one forward pass over a prompt of `promptTokens` tokens for each of `batch` sequences, with the
//   KV cache built, plus the LM head on the last position (tfjs) — `tokens` = batch · promptTokens.
// decode:  greedy generation of `newTokens` tokens after a short prompt; the first step (which processes the
//   prompt) is excluded, so `tokens` = newTokens − 1 single-token steps, each reusing the KV cache.

export type BackendName = 'tfjs-cpu' | 'tfjs-wasm' | 'ort-wasm';

export interface AdapterDescription {
  /** soft: prompt-tuning embeddings (P, C) before the text; prefix: per-layer keys/values (deep prompts) */
  readonly kind: 'soft' | 'prefix';
  readonly virtualTokens: number;
}

interface Common {
  readonly model: string;
  readonly backend: BackendName;
  readonly note?: string;
}

interface Measured extends Common {
  /** threads the backend computes on: ORT's ort.env.wasm.numThreads as asked; tfjs cpu and wasm use 1 in Node */
  readonly threads: number;
  /** ORT only: ort.env.wasm.numThreads after the session started (ORT falls back to 1 without thread support) */
  readonly threadsEffective?: number;
}

export interface PrefillResult extends Measured {
  readonly phase: 'prefill';
  readonly batch: number;
  readonly promptTokens: number;
  readonly tokens: number;
  readonly warmups: number;
  readonly repeats: number;
  readonly msMedian: number;
  readonly msAll: readonly number[];
  readonly tokensPerSecond: number;
}

export interface DecodeResult extends Measured {
  readonly phase: 'decode';
  readonly batch: 1;
  readonly adapter: AdapterDescription | 'none';
  /** time to build the adapter's cache once (PromptCache.build); not part of any request */
  readonly cacheBuildMs?: number;
  readonly promptTokens: number;
  readonly newTokens: number;
  readonly tokens: number;
  readonly warmups: number;
  readonly repeats: number;
  /** median time of the first step (prompt processed, first token chosen), excluded from tokens/s */
  readonly firstStepMsMedian: number;
  readonly msMedian: number;
  readonly msAll: readonly number[];
  readonly msPerToken: number;
  /** median of the single-token step times of all repeats */
  readonly msPerStepMedian: number;
  readonly tokensPerSecond: number;
}

export interface SkippedResult extends Common {
  readonly threads?: number;
  readonly phase: 'prefill' | 'decode' | 'all';
  readonly skipped: string;
}

export type BenchResult = PrefillResult | DecodeResult | SkippedResult;
