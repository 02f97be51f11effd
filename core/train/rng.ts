// A seeded generator whose whole state fits in a checkpoint, so that a resumed run draws the same numbers as
// an uninterrupted one. xoshiro128** (Blackman & Vigna): four 32-bit words, only 32-bit integer arithmetic
// (`Math.imul`, `>>>`), hence the same sequence on every JS engine. Not for cryptography.
import { TrainError } from './errors.js';

/** The four state words, as unsigned 32-bit integers. */
export type RngState = readonly [number, number, number, number];

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class TrainRng {
  private s: [number, number, number, number];

  /** Seeds the four words from `seed` with SplitMix32-style mixing (a zero state would stay zero). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new TrainError(`rng seed must be a finite number, got ${seed}`);
    let x = Math.trunc(seed) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = [next(), next(), next(), next()];
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  static fromState(state: RngState): TrainRng {
    const rng = new TrainRng(0);
    rng.setState(state);
    return rng;
  }

  getState(): RngState {
    return [...this.s];
  }

  setState(state: RngState): void {
    if (!state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new TrainError(`rng state must be four unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    if (state.every((w) => w === 0)) throw new TrainError('rng state must not be all zeros');
    this.s = [state[0], state[1], state[2], state[3]];
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (Box–Muller; the second value of each pair is discarded to keep the state simple). */
  nextNormal(): number {
    let u = this.nextFloat();
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new TrainError(`nextInt needs a positive integer bound, got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const a = items[i]!;
      items[i] = items[j]!;
      items[j] = a;
    }
    return items;
  }
}
