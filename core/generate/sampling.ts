// Token selection from one row of logits: greedy (argmax) or seeded sampling with temperature, top-k and
// top-p, in the order Hugging Face transformers applies its logits warpers (temperature → top-k → top-p).
// Pure and platform-free: works on a Float32Array, computes in float64.
//
// Dimension legend: V vocabulary size (length of one logits row).

import { Mulberry32 } from './rng.js';

export interface SamplingOptions {
  /** Softmax temperature; 0 or undefined means greedy decoding (argmax), as `do_sample=False`. */
  temperature?: number;
  /** Keep only the k most likely tokens (ties at the k-th value are kept, as transformers does). */
  topK?: number;
  /** Nucleus sampling: keep the smallest set of most likely tokens whose probability sum reaches topP. */
  topP?: number;
  /** Seed of the PRNG; the same seed and logits give the same tokens. Random when undefined. */
  seed?: number;
}

export class SamplingError extends Error {
  override name = 'SamplingError';
}

function validateOptions(options: SamplingOptions): void {
  const { temperature, topK, topP, seed } = options;
  if (temperature !== undefined && !(Number.isFinite(temperature) && temperature >= 0)) {
    throw new SamplingError(
      `sampling option temperature must be a finite number >= 0 (0 = greedy), got ${temperature}`,
    );
  }
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) {
    throw new SamplingError(`sampling option topK must be an integer >= 1, got ${topK}`);
  }
  if (topP !== undefined && !(Number.isFinite(topP) && topP > 0 && topP <= 1)) {
    throw new SamplingError(`sampling option topP must be a number with 0 < topP <= 1, got ${topP}`);
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new SamplingError(`sampling option seed must be a finite number, got ${seed}`);
  }
}

function checkRow(row: Float32Array): void {
  if (row.length === 0) throw new SamplingError('logits row is empty (V = 0): pass one row of length V');
}

/** Index of the largest logit; the lowest index wins exact ties (like torch.argmax). Throws on NaN. */
export function argmax(row: Float32Array): number {
  checkRow(row);
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (Number.isNaN(v))
      throw new SamplingError(`logits row holds NaN at index ${i}: the model output is invalid`);
    // Strictly greater keeps the first of equal values; `i === 0` admits a row of all -Infinity.
    if (v > bestValue || i === 0) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Logit gap between the best and the second-best entry (0 on an exact tie). A small gap marks a step where
 * another correct float32 engine may pick the other token. Infinity for a row of one entry.
 */
export function top2Gap(row: Float32Array): number {
  checkRow(row);
  let first = -Infinity;
  let second = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (Number.isNaN(v))
      throw new SamplingError(`logits row holds NaN at index ${i}: the model output is invalid`);
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) {
      second = v;
    }
  }
  if (row.length === 1) return Infinity;
  return first - second;
}

export class Sampler {
  private readonly temperature: number;
  private readonly topK: number | undefined;
  private readonly topP: number | undefined;
  private readonly rng: Mulberry32;

  constructor(options: SamplingOptions) {
    validateOptions(options);
    this.temperature = options.temperature ?? 0;
    this.topK = options.topK;
    this.topP = options.topP;
    // Math.random is platform-free; it only seeds when the caller does not ask for reproducibility.
    this.rng = new Mulberry32(options.seed ?? Math.floor(Math.random() * 4294967296));
  }

  /** True when this sampler decodes greedily (temperature 0 or unset). */
  get greedy(): boolean {
    return this.temperature === 0;
  }

  /** Picks the next token id from one row of logits (length V). */
  next(logits: Float32Array): number {
    const best = argmax(logits); // also rejects an empty row and NaN
    if (this.greedy) return best;
    const bestLogit = logits[best]!;
    // An infinite best logit makes the softmax degenerate (inf - inf = NaN): +Infinity is a certain token,
    // a row of -Infinity has no token left to draw.
    if (bestLogit === Infinity) return best;
    if (bestLogit === -Infinity) {
      throw new SamplingError('every logit is -Infinity: no token can be sampled (check the logits mask)');
    }
    const V = logits.length;
    const scaled = new Float64Array(V); // (V) logits / temperature
    for (let i = 0; i < V; i++) {
      scaled[i] = logits[i]! / this.temperature;
    }

    if (this.topK === undefined && this.topP === undefined) {
      // No filtering: draw from the full softmax without sorting.
      const max = scaled[best]!;
      let total = 0;
      for (let i = 0; i < V; i++) {
        const p = Math.exp(scaled[i]! - max);
        scaled[i] = p;
        total += p;
      }
      const order = Array.from({ length: V }, (_, i) => i);
      return this.draw(order, scaled, V, total);
    }

    // Candidates in descending logit order; equal logits keep index order so results are deterministic.
    const order = Array.from({ length: V }, (_, i) => i);
    order.sort((a, b) => scaled[b]! - scaled[a]! || a - b);

    let kept = V;
    if (this.topK !== undefined && this.topK < V) {
      // transformers removes scores < the k-th largest, so ties with the k-th value survive.
      const threshold = scaled[order[this.topK - 1]!]!;
      kept = this.topK;
      while (kept < V && scaled[order[kept]!]! >= threshold) kept++;
    }

    // Softmax over the survivors (the removed ones have probability 0, as with -inf logits).
    const max = scaled[order[0]!]!;
    const probs = new Float64Array(V); // (V) unnormalised probabilities, indexed by token id
    let total = 0;
    for (let r = 0; r < kept; r++) {
      const id = order[r]!;
      const p = Math.exp(scaled[id]! - max);
      probs[id] = p;
      total += p;
    }

    if (this.topP !== undefined && this.topP < 1) {
      // Keep rank r while the mass of the tokens ranked above it is below topP: the smallest prefix whose
      // cumulative probability reaches topP, and always the best token.
      let cumulative = 0;
      let nucleus = 0;
      while (nucleus < kept && (nucleus === 0 || cumulative < this.topP)) {
        cumulative += probs[order[nucleus]!]! / total;
        nucleus++;
      }
      let nucleusTotal = 0;
      for (let r = 0; r < nucleus; r++) nucleusTotal += probs[order[r]!]!;
      kept = nucleus;
      total = nucleusTotal;
    }
    return this.draw(order, probs, kept, total);
  }

  /** Inverse-CDF draw over the first `count` ids of `order`, with weights `weights[id]` summing to `total`. */
  private draw(order: number[], weights: Float64Array, count: number, total: number): number {
    const target = this.rng.nextFloat() * total;
    let cumulative = 0;
    for (let r = 0; r < count; r++) {
      const id = order[r]!;
      cumulative += weights[id]!;
      if (target < cumulative) return id;
    }
    // Rounding can leave target a hair above the sum: fall back to the last candidate with weight.
    for (let r = count - 1; r >= 0; r--) {
      const id = order[r]!;
      if (weights[id]! > 0) return id;
    }
    return order[0]!;
  }
}
