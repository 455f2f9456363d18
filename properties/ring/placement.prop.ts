/**
 * Claim: both ring sides accept a placement exactly when the split-ring rules allow it and refuse
 *   every other one with the rule's code before touching memory: a queue size that is not a power
 *   of two in 1..32768 is 'queue-size' (RING-01); a desc table not 16-aligned, an avail ring not
 *   2-aligned or a used ring not 4-aligned — or an address that is negative, fractional or beyond
 *   2^53 — is 'area-misaligned' (RING-02); a start index that is not a u16 is 'bad-request'; the
 *   checks come in that order; a ring that is accepted reports the size it was given and starts
 *   both indices at the start index; the driver side zeroes its descriptor table and avail ring
 *   at setup (RING-20) and the device side writes neither (RING-07).
 * Source: RING-01, RING-02, RING-03 (areas placed apart, one writer each), RING-07, RING-13, RING-20
 * Level: unit
 */
import fc from 'fast-check';
import type { MemPort, RingPlacement } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';

const num = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 2, 4, 8, 128, 256, 32768) },
  { weight: 3, arbitrary: fc.constantFrom(0, -1, -128, 3, 6, 100, 129, 32767, 32769, 65536, 0.5, 2.5, Number.NaN) },
);
const addr = (align: number): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 0x1000 }).map((k) => k * align * 16) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: align - 1 }).chain((off) => fc.nat({ max: 0x1000 }).map((k) => k * 16 * align + off)) },
    { weight: 1, arbitrary: fc.constantFrom(-align, -1, 0.5, 2 ** 53, 2 ** 53 + 16, Number.POSITIVE_INFINITY) },
  );
const startIdx = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 0xfffe, 0xffff) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0x10000, 1.5) },
);

const pow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 32768 && (n & (n - 1)) === 0;
const aligned = (a: number, al: number): boolean => Number.isSafeInteger(a) && a >= 0 && a % al === 0;

/** the rules, restated: what a placement must be refused with, if anything */
function expected(p: RingPlacement): 'queue-size' | 'area-misaligned' | 'bad-request' | undefined {
  if (!pow2(p.num)) return 'queue-size';
  if (!aligned(p.descAddr, 16) || !aligned(p.availAddr, 2) || !aligned(p.usedAddr, 4)) return 'area-misaligned';
  if (p.startIdx !== undefined && !(Number.isInteger(p.startIdx) && p.startIdx >= 0 && p.startIdx <= 0xffff)) return 'bad-request';
  return undefined;
}

export const ringPlacement = defineProperty({
  id: 'ring.placement',
  claim: 'a ring placement is accepted exactly when its size is a power of two in 1..32768, its areas are aligned and its start index is a u16; otherwise the first broken rule\'s code, and nothing written',
  source: 'RING-01, RING-02, RING-03, RING-13',
  level: 'unit',
  requires: ['ring', 'memory'],
  runs: 300,
  build: (impl) => {
    const ring = impl.ring!;
    const mem = impl.memory!;
    return fc.property(
      fc.record({ num, descAddr: addr(16), availAddr: addr(2), usedAddr: addr(4), eventIdx: fc.boolean(), startIdx }),
      fc.boolean(),
      (raw, driverSide) => {
        const p: RingPlacement = { ...raw, indirect: false, ...(raw.startIdx === undefined ? {} : { startIdx: raw.startIdx }) };
        const space: MemPort = mem.createSparseMemory(2 ** 40, 'ring-placement');
        // garbage where a valid placement's areas are: the driver must zero its rings (RING-20),
        // the device must not write desc or avail at all (RING-07)
        const areas = expected(p) === undefined ? [
          { at: p.descAddr, len: 16 * p.num },
          { at: p.availAddr, len: 6 + 2 * p.num },
          { at: p.usedAddr, len: 6 + 8 * p.num },
        ] : [];
        const apart = areas.every((a, i) => areas.every((b, j) => i === j || a.at + a.len <= b.at || b.at + b.len <= a.at));
        if (apart) for (const a of areas) space.fill(a.at, a.len, 0xa5);
        const r = driverSide ? ring.createDriverRing({ ...p, mem: space }) : ring.createDeviceRing({ ...p, ringMem: space, usedMem: space, bufMem: space });
        const want = expected(p);
        const what = `${driverSide ? 'driver' : 'device'} ring ${JSON.stringify(raw)}`;
        if ('kind' in r) {
          if (want === undefined) throw new Error(`${what} refused with ${r.code}: ${r.detail}; the rules accept it`);
          if (r.code !== want) throw new Error(`${what} refused with ${r.code}, the first broken rule says ${want}`);
          const pages = (space as unknown as { pagesAllocated?: number }).pagesAllocated;
          if (pages !== undefined && pages !== 0) throw new Error(`${what}: refused, but ${pages} page(s) were written`);
          return;
        }
        if (want !== undefined) throw new Error(`${what} accepted; the rules refuse it with ${want}`);
        if (r.num !== p.num) throw new Error(`${what}: the ring reports size ${r.num}`);
        if (apart && areas.length > 0) {
          const desc = space.read(p.descAddr, 16 * p.num) as Uint8Array;
          if (driverSide && desc.some((b) => b !== 0)) throw new Error(`${what}: the driver left bytes in its descriptor table (RING-20: zeroed at setup)`);
          if (!driverSide && desc.some((b) => b !== 0xa5)) throw new Error(`${what}: the device wrote into the descriptor table (RING-07)`);
          const slots = space.read(p.availAddr + 4, 2 * p.num) as Uint8Array;
          if (driverSide && slots.some((b) => b !== 0)) throw new Error(`${what}: the driver left bytes in its avail ring (RING-20)`);
          if (!driverSide && slots.some((b) => b !== 0xa5)) throw new Error(`${what}: the device wrote into the avail ring (RING-07)`);
        }
        const start = p.startIdx ?? 0;
        const idx = 'availIdx' in r ? [r.availIdx, r.lastUsedIdx] : [r.lastAvailIdx, r.usedIdx];
        if (idx.some((v) => v !== start)) throw new Error(`${what}: indices start at ${idx.join('/')}, not ${start}`);
      },
    );
  },
});
