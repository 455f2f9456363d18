/**
 * Choice sources fed by fast-check values, so that interleavings are generated and shrunk like any
 * other input (DESIGN.md §3). Shrinking drives values toward 0, i.e. toward "the first ready agent".
 */
import fc from 'fast-check';
import type { ChoiceSource } from '../model/contract.ts';

/** consumes `values` in order (each taken modulo n); 0 once exhausted */
export function choicesFrom(values: readonly number[]): ChoiceSource & { readonly used: number } {
  let i = 0;
  return {
    get used() {
      return i;
    },
    choose(n: number): number {
      const v = i < values.length ? values[i]! : 0;
      i++;
      return v % n;
    },
  };
}

/** an arbitrary interleaving: a list of choices (longer lists explore more interleavings) */
export const interleaving = (maxLength = 200): fc.Arbitrary<number[]> => fc.array(fc.nat({ max: 1 << 16 }), { maxLength, size: 'max' });
