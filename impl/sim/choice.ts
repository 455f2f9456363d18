/**
 * Choice sources (model/contract/sim.ts ChoiceSource): every "either order" point of the simulation
 * asks one. The default is the seeded PRNG; properties pass fast-check values instead
 * (properties/choices.ts) so interleavings shrink.
 */
import type { ChoiceSource } from '../../model/contract.ts';
import { Sfc32 } from './rng.ts';

/** the default choice source: sfc32 seeded with `seed` */
export function prngChoices(seed: number): ChoiceSource {
  const rng = new Sfc32(seed);
  return { choose: (n: number) => rng.below(n) };
}

/**
 * Guards a foreign choice source: a value outside [0, n) (negative, fractional, NaN, too large) is
 * folded into range, so a sloppy source still yields a valid run rather than an out-of-bounds pick.
 */
export function normalizeChoice(v: number, n: number): number {
  if (!(v >= 0 && v < n) || (v | 0) !== v) {
    const i = Number.isFinite(v) ? Math.trunc(Math.abs(v)) : 0;
    return i % n;
  }
  return v;
}
