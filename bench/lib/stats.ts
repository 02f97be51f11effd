// Timing helpers: warm-up runs first (JIT, kernel set-up, first-use allocations), then the median of the
// timed repeats, which a single slow run (another process taking the CPU) does not move.
import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds for the JSON: 3 significant decimals are more than the noise allows. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Timing {
  readonly msMedian: number;
  readonly msAll: readonly number[];
}

/** Runs `once` `warmups` times untimed, then `repeats` times timed; `once` must finish its work (await data). */
export async function timeRepeats(
  once: () => Promise<void>,
  warmups: number,
  repeats: number,
): Promise<Timing> {
  return collectRepeats(
    async () => {
      const start = performance.now();
      await once();
      return performance.now() - start;
    },
    warmups,
    repeats,
  );
}

/** Per-repeat elapsed milliseconds from `measure` (which times its own window), warm-ups discarded. */
export async function collectRepeats(
  measure: () => Promise<number>,
  warmups: number,
  repeats: number,
): Promise<Timing> {
  for (let i = 0; i < warmups; i++) await measure();
  const msAll: number[] = [];
  for (let i = 0; i < repeats; i++) msAll.push(await measure());
  return { msMedian: median(msAll), msAll };
}

/** Times of one generation: the first step (prompt processed), the remaining steps, each of those steps. */
export interface GenerationTiming {
  readonly firstMs: number;
  readonly restMs: number;
  readonly stepMs: readonly number[];
}

/** `stamps` are the times each new token was chosen, `start` the time generation was called. */
export function generationTiming(start: number, stamps: readonly number[]): GenerationTiming {
  const first = stamps[0];
  const last = stamps[stamps.length - 1];
  if (first === undefined || last === undefined)
    throw new RangeError('a generation with no tokens has no timing');
  return {
    firstMs: first - start,
    restMs: last - first,
    stepMs: stamps.slice(1).map((t, i) => t - stamps[i]!),
  };
}

/**
 * Runs every variant `repeats` times in turn (A B C A B C ...), so that variants being compared (e.g. with and
 * without an adapter) see the same background load; returns each variant's timings.
 */
export async function roundRobin<T>(
  variants: readonly (() => Promise<T>)[],
  repeats: number,
): Promise<T[][]> {
  const out = variants.map((): T[] => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, run] of variants.entries()) out[i]!.push(await run());
  }
  return out;
}

export interface DecodeFigures {
  readonly firstStepMsMedian: number;
  readonly msMedian: number;
  readonly msAll: readonly number[];
  readonly msPerToken: number;
  /** median over every single-token step of every repeat: less moved by short bursts of other load */
  readonly msPerStepMedian: number;
  readonly tokensPerSecond: number;
}

/** Summary of the timed repeats of one decode variant; `tokens` = new tokens − 1 (the first step is excluded). */
export function decodeFigures(timings: readonly GenerationTiming[], tokens: number): DecodeFigures {
  const ms = median(timings.map((t) => t.restMs));
  return {
    firstStepMsMedian: round(median(timings.map((t) => t.firstMs)), 1),
    msMedian: round(ms, 1),
    msAll: timings.map((t) => round(t.restMs, 1)),
    msPerToken: round(ms / tokens, 2),
    msPerStepMedian: round(median(timings.flatMap((t) => t.stepMs)), 2),
    tokensPerSecond: round((tokens * 1000) / ms, 1),
  };
}
