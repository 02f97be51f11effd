// Small seeded pseudo-random generators for reproducible sampling. Not for cryptography.

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): one 32-bit state word, period 2^32, passes the usual
 * statistical batteries well enough for picking tokens, and gives the same sequence on every JS engine
 * because it uses only 32-bit integer arithmetic (`Math.imul`, `>>>`).
 */
export class Mulberry32 {
  private state: number;

  /** `seed` is reduced to an unsigned 32-bit integer; any finite number is accepted. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Mulberry32: seed must be a finite number, got ${seed}`);
    this.state = Math.trunc(seed) >>> 0;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }
}
