/**
 * Seeded PRNG for the simulation (DESIGN.md §3: no Math.random inside impl/). sfc32 (Chris Doty-Humphrey's
 * Small Fast Counting generator): 128 bits of state, period >= 2^32, passes PractRand, and runs on
 * 32-bit integer ops only, so every JS engine produces the identical stream for a seed.
 */
export interface Rng {
  /** next uniformly distributed unsigned 32-bit integer */
  nextU32(): number;
  /** integer in [0, n) for 1 <= n <= 2^32 */
  below(n: number): number;
}

/** splitmix32 step: spreads a small seed (0, 1, 2 ...) over the 128-bit state so nearby seeds diverge */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // only the low 32 bits of the seed matter; document-level promise: same seed, same stream
    let s = seed >>> 0;
    s = splitmix32(s);
    this.a = s;
    s = splitmix32(s);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    this.d = 1;
    // the first outputs of sfc32 are weakly mixed; discard them as its author recommends
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  below(n: number): number {
    // multiply-shift: bias <= n / 2^32, irrelevant for the handful of ready agents we pick among
    return Math.floor((this.nextU32() * n) / 0x1_0000_0000);
  }
}
