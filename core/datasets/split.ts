// Seeded shuffling and stratified train/validation splits, reproducible on every JS engine.
//
// The algorithm is fixed, because published numbers depend on which rows land in which split
// (scripts/split-spam.mjs re-implements it in plain JS and a test checks both give the same split):
//   1. rng = mulberry32(seed >>> 0), each call a float in [0, 1) (see createRng).
//   2. Rows are grouped by label, groups in the order their label first occurs in the file.
//   3. For each group in that order, its row indices (ascending) are shuffled with Fisher–Yates:
//      for i = n-1 down to 1: j = floor(rng() * (i + 1)); swap(i, j). One rng stream serves all groups.
//   4. The group's first k shuffled indices go to validation, k = min(round(n · fraction), n - 1)
//      (Math.round: halves round up); so every label keeps at least one training row.
//   5. Each part lists its rows in file order.

export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/**
 * mulberry32: a 32-bit state advanced by the constant 0x6D2B79F5, then mixed with xor-shifts and
 * multiplications; only 32-bit integer operations (Math.imul, >>>), so the stream is identical on every
 * engine. Good enough for shuffling, not for cryptography. Returns floats in [0, 1).
 */
export function createRng(seed: number): () => number {
  if (!Number.isFinite(seed))
    throw new SplitError(`createRng: the seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place, from the last element down, with the given rng. */
export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

/** A shuffled copy of `items`; the same seed always gives the same order. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  return shuffleInPlace([...items], createRng(seed));
}

export interface StratifiedSplitOptions<T> {
  /** fraction of each label's rows that goes to validation, in (0, 1) */
  validationFraction: number;
  seed: number;
  labelOf: (row: T) => string;
}

export interface Split<T> {
  train: T[];
  validation: T[];
}

/** Stratified train/validation split; see the algorithm at the top of this file. */
export function stratifiedSplit<T>(rows: readonly T[], options: StratifiedSplitOptions<T>): Split<T> {
  const fraction = options.validationFraction;
  if (!(fraction > 0 && fraction < 1)) {
    throw new SplitError(
      `stratifiedSplit: validationFraction must be between 0 and 1 (exclusive), got ${fraction}`,
    );
  }
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const label = options.labelOf(row);
    const group = groups.get(label);
    if (group === undefined) groups.set(label, [i]);
    else group.push(i);
  });
  const rng = createRng(options.seed);
  const inValidation = new Uint8Array(rows.length);
  for (const indices of groups.values()) {
    shuffleInPlace(indices, rng);
    const k = Math.min(Math.round(indices.length * fraction), indices.length - 1);
    for (let m = 0; m < k; m++) inValidation[indices[m] ?? 0] = 1;
  }
  const split: Split<T> = { train: [], validation: [] };
  rows.forEach((row, i) => {
    (inValidation[i] === 1 ? split.validation : split.train).push(row);
  });
  return split;
}
