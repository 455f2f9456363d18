import { describe, expect, test } from 'vitest';
import { Sfc32 } from './rng.ts';
import { normalizeChoice, prngChoices } from './choice.ts';

describe('sfc32', () => {
  test('same seed, same stream; nearby seeds differ', () => {
    const a = new Sfc32(1);
    const b = new Sfc32(1);
    const c = new Sfc32(2);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
    for (const x of xs) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
  });

  test('pinned output: the stream is part of the replay contract', () => {
    // a change here changes every recorded seed's run; update only deliberately
    const r = new Sfc32(0);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toMatchInlineSnapshot(`
      [
        1867980689,
        934798985,
        2349279181,
      ]
    `);
  });

  test('below(n) stays in range and covers it', () => {
    const r = new Sfc32(123);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.below(7);
      expect(v >= 0 && v < 7 && Number.isInteger(v)).toBe(true);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
  });

  test('prngChoices and normalizeChoice', () => {
    const c = prngChoices(5);
    for (let i = 0; i < 100; i++) expect(c.choose(3)).toBeLessThan(3);
    expect(normalizeChoice(2, 3)).toBe(2);
    expect(normalizeChoice(5, 3)).toBe(2);
    expect(normalizeChoice(-4, 3)).toBe(1);
    expect(normalizeChoice(Number.NaN, 3)).toBe(0);
    expect(normalizeChoice(2.7, 3)).toBe(2);
  });
});
