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
