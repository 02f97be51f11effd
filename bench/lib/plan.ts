// What each model/backend pair measures, and the deterministic inputs all runtimes share.
import { Mulberry32 } from '../../core/generate/rng.js';

export interface PrefillPlan {
  readonly batch: number; // B
  readonly promptTokens: number; // T
  readonly warmups: number;
  readonly repeats: number;
}

export interface DecodePlan {
  readonly promptTokens: number;
  readonly newTokens: number;
  /** untimed full-length generations per variant before the timed ones (short ones left the JIT cold) */
  readonly warmups: number;
  readonly repeats: number;
  /** P of the adapter runs (tfjs: a soft prompt; ORT: a prefix and a soft prompt); 0 skips them */
  readonly softPromptTokens: number;
}

export interface RuntimePlan {
  readonly prefill: readonly PrefillPlan[];
  readonly decode: DecodePlan;
}

export class BenchError extends Error {
  override name = 'BenchError';
}

/** Deterministic token ids: BOS (1) then ids in [3, V), skipping BOS/EOS so nothing stops early. */
export function promptIds(count: number, vocab: number, seed: number): number[] {
  const rng = new Mulberry32(seed);
  const ids = [1];
  while (ids.length < count) ids.push(3 + (rng.nextUint32() % (vocab - 3)));
  return ids;
}
