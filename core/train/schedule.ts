// Learning-rate multipliers as transformers' get_{constant,linear,cosine}_schedule_with_warmup (LambdaLR): the
// update with 0-based index `step` uses lr × multiplier(step), so with warm-up the first update has lr 0.
import { TrainError } from './errors.js';

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface ScheduleOptions {
  readonly kind: ScheduleKind;
  /** linear ramp from 0 over this many updates (default 0) */
  readonly warmupSteps?: number;
  /** total number of updates (needed by linear and cosine decay) */
  readonly totalSteps: number;
  /** cosine only: number of waves (default 0.5, a single decay from 1 to 0) */
  readonly numCycles?: number;
}

/** The multiplier function of a schedule: update index (0-based) → factor on the base learning rate. */
export function lrMultiplier(options: ScheduleOptions): (step: number) => number {
  const warmup = options.warmupSteps ?? 0;
  const total = options.totalSteps;
  if (!Number.isSafeInteger(warmup) || warmup < 0) {
    throw new TrainError(`schedule warmupSteps must be a non-negative integer, got ${warmup}`);
  }
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new TrainError(`schedule totalSteps must be a non-negative integer, got ${total}`);
  }
  const cycles = options.numCycles ?? 0.5;
  const ramp = (step: number): number => step / Math.max(1, warmup);
  switch (options.kind) {
    case 'constant':
      return (step) => (step < warmup ? ramp(step) : 1);
    case 'linear':
      return (step) =>
        step < warmup ? ramp(step) : Math.max(0, (total - step) / Math.max(1, total - warmup));
    case 'cosine':
      return (step) => {
        if (step < warmup) return ramp(step);
        const progress = (step - warmup) / Math.max(1, total - warmup);
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
      };
  }
}
