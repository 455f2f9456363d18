import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { linearizeSector, type SectorOp } from './linearize.ts';

const w = (value: string, invoke: number, complete: number | undefined, label = `w${value}`): SectorOp => ({ kind: 'write', value, invoke, complete, label });
const r = (value: string, invoke: number, complete: number | undefined, label = `r${value}`): SectorOp => ({ kind: 'read', value, invoke, complete, label });

describe('Wing–Gong checker over one sector', () => {
  test('sequential history: reads see the last write', () => {
    expect(linearizeSector('0', [w('a', 0, 1), r('a', 2, 3), w('b', 4, 5), r('b', 6, 7)]).ok).toBe(true);
    expect(linearizeSector('0', [w('a', 0, 1), r('0', 2, 3)]).ok).toBe(false);
  });

  test('a read overlapping a write may see either value, but not a value from nowhere', () => {
    expect(linearizeSector('0', [w('a', 0, 3), r('0', 1, 2)]).ok).toBe(true);
    expect(linearizeSector('0', [w('a', 0, 3), r('a', 1, 2)]).ok).toBe(true);
    expect(linearizeSector('0', [w('a', 0, 3), r('b', 1, 2)]).ok).toBe(false);
  });

  test('no read goes back in time: new, then old, is not linearizable', () => {
    // write a overlaps both reads; the first read sees a, the later one sees the old value
    const h = [w('a', 0, 10), r('a', 1, 2), r('0', 3, 4)];
    const res = linearizeSector('0', h);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.undecided).toBe(false);
  });

  test('a write that never completed may or may not have happened', () => {
    expect(linearizeSector('0', [w('a', 0, undefined), r('0', 1, 2)]).ok).toBe(true);
    expect(linearizeSector('0', [w('a', 0, undefined), r('a', 1, 2)]).ok).toBe(true);
    // but not before it was invoked
    expect(linearizeSector('0', [r('a', 0, 1), w('a', 2, undefined)]).ok).toBe(false);
  });

  test('agrees with a brute-force search over all orders on small random histories', () => {
    const opArb = fc.record({ kind: fc.constantFrom('read' as const, 'write' as const), value: fc.constantFrom('0', 'a', 'b'), start: fc.nat(8), len: fc.nat(4), pending: fc.boolean() });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 6 }), (raw) => {
        const ops: SectorOp[] = raw.map((o, i) => ({ kind: o.kind, value: o.value, invoke: o.start * 2, complete: o.pending && o.kind === 'write' ? undefined : o.start * 2 + 1 + o.len * 2, label: `op${i}` }));
        const got = linearizeSector('0', ops).ok;
        expect(got).toBe(bruteForce('0', ops));
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

/** every subset of pending writes, every permutation: respects real time and register semantics */
function bruteForce(initial: string, ops: readonly SectorOp[]): boolean {
  const hist = ops.filter((o) => !(o.kind === 'read' && o.complete === undefined));
  const pending = hist.filter((o) => o.complete === undefined);
  for (let mask = 0; mask < 1 << pending.length; mask++) {
    const chosen = hist.filter((o) => o.complete !== undefined || (mask & (1 << pending.indexOf(o))) !== 0);
    if (permutations(chosen).some((p) => valid(initial, p))) return true;
  }
  return false;
}

function valid(initial: string, order: readonly SectorOp[]): boolean {
  let v = initial;
  for (let i = 0; i < order.length; i++) {
    for (let j = i + 1; j < order.length; j++) if (order[j]!.complete !== undefined && order[j]!.complete! < order[i]!.invoke) return false;
    const o = order[i]!;
    if (o.kind === 'write') v = o.value;
    else if (o.value !== v) return false;
  }
  return true;
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}
