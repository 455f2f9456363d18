/**
 * Hostile rings: a valid ring with exactly one thing corrupted, each carrying the verdict the host
 * device must return (DESIGN.md §6 "Hostile input"). The card side here is not our driver: the
 * generator writes the ring bytes itself through the layout tables, as an untrusted card would.
 */
import fc from 'fast-check';
import type { RingErrorCode } from '../../model/contract.ts';
import { VRING_DESC_F_INDIRECT as IND, VRING_DESC_F_NEXT as NEXT, VRING_DESC_F_WRITE as WRITE } from '../../model/constants/virtio.ts';
import { CARD_RAM, HOLE_BASE, HOLE_LEN } from './world.ts';

export interface RawDesc {
  readonly addr: number;
  readonly len: number;
  readonly flags: number;
  readonly next: number;
}

/** what the corrupt publication looks like */
export interface HostileCase {
  readonly kind: string;
  /** descriptors at ring indices 0.. */
  readonly ring: readonly RawDesc[];
  /** one indirect table (card memory) if any */
  readonly table: readonly RawDesc[];
  /** head written into the avail slot */
  readonly head: number;
  /** how far avail idx moves (1 unless the jump corruption) */
  readonly advance: number;
  readonly expect: RingErrorCode;
  /** non-power-of-two queue sizes are refused at creation */
  readonly badNum?: number;
}

export interface HostileInput {
  readonly num: number;
  readonly indirect: boolean;
  readonly startIdx: number;
  /** the device may pin its ring areas (else it reads them through the port's methods) */
  readonly pins: boolean;
  /** valid 1-descriptor chains processed before the corrupt one */
  readonly before: number;
  readonly pick: HostileCase;
}

export const TABLE_ADDR = 0x100_0000;
const inLo = (off: number): number => 0x40_0000 + off * 64;
const rd = (i: number, len = 16): RawDesc => ({ addr: inLo(i), len, flags: 0, next: 0 });
const linked = (ds: RawDesc[]): RawDesc[] => ds.map((d, i) => (i < ds.length - 1 ? { ...d, flags: d.flags | NEXT, next: i + 1 } : d));

/** addresses the device was not granted: the BAR0 hole, past the end of GDDR, straddling, >= 2^53 */
const outsideAddr = fc.oneof(
  fc.record({ addr: fc.integer({ min: HOLE_BASE, max: HOLE_BASE + HOLE_LEN - 1 }), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ addr: fc.integer({ min: HOLE_BASE - 32, max: HOLE_BASE - 1 }), len: fc.integer({ min: 33, max: 64 }) }),
  fc.record({ addr: fc.integer({ min: CARD_RAM - 16, max: CARD_RAM + 0x1000 }), len: fc.integer({ min: 17, max: 64 }) }),
  fc.record({ addr: fc.constantFrom(2 ** 53, 2 ** 60, 0x80_0000_0000), len: fc.integer({ min: 1, max: 64 }) }),
);

function cases(num: number, indirect: boolean): fc.Arbitrary<HostileCase>[] {
  const out: fc.Arbitrary<HostileCase>[] = [];
  const maxL = Math.min(num, 4);
  // a loop in the ring: L descriptors, the last points back (RING-08)
  out.push(
    fc.record({ L: fc.integer({ min: 1, max: maxL }), back: fc.nat() }).map(({ L, back }) => {
      const ds = linked(Array.from({ length: L }, (_, i) => rd(i)));
      ds[L - 1] = { ...ds[L - 1]!, flags: NEXT, next: back % L };
      return { kind: 'ring-loop', ring: ds, table: [], head: 0, advance: 1, expect: 'chain-too-long' as const };
    }),
  );
  // a buffer outside the granted windows, after 0..L-1 good ones (FEAT-06)
  out.push(
    fc.record({ L: fc.integer({ min: 1, max: maxL }), o: outsideAddr }).map(({ L, o }) => {
      const ds = linked(Array.from({ length: L }, (_, i) => (i === L - 1 ? { addr: o.addr, len: o.len, flags: 0, next: 0 } : rd(i))));
      return { kind: 'outside-window', ring: ds, table: [], head: 0, advance: 1, expect: 'outside-window' as const };
    }),
  );
  // the avail idx moves by more than the queue size (RING-14)
  out.push(fc.integer({ min: num + 1, max: Math.min(65535, num + 300) }).map((advance) => ({ kind: 'avail-jump', ring: [rd(0)], table: [], head: 0, advance, expect: 'avail-idx-jump' as const })));
  // next outside the table (RING-09)
  out.push(
    fc.integer({ min: num, max: 65535 }).map((next) => ({ kind: 'next-oob', ring: [{ ...rd(0), flags: NEXT, next }], table: [], head: 0, advance: 1, expect: 'next-out-of-range' as const })),
  );
  // the avail slot names a head past the table (RING-13)
  out.push(fc.integer({ min: num, max: 65535 }).map((head) => ({ kind: 'head-oob', ring: [rd(0)], table: [], head, advance: 1, expect: 'head-out-of-range' as const })));
  // a queue size that is not a power of two (RING-01): refused when the device ring is created
  out.push(
    fc.oneof(fc.constantFrom(0, 3, 5, 6, 7, 12, 100, 127, 129), fc.integer({ min: 2, max: 32768 }).filter((n) => (n & (n - 1)) !== 0)).map((badNum) => ({
      kind: 'queue-size', ring: [rd(0)], table: [], head: 0, advance: 1, expect: 'queue-size' as const, badNum,
    })),
  );
  if (num >= 2) {
    // a readable descriptor after a writable one (RING-05)
    out.push(
      fc.record({ L: fc.integer({ min: 2, max: maxL }), w: fc.nat() }).map(({ L, w }) => {
        const firstW = w % (L - 1);
        const ds = linked(Array.from({ length: L }, (_, i) => ({ ...rd(i), flags: i >= firstW && i < L - 1 ? WRITE : 0 })));
        return { kind: 'write-before-read', ring: ds, table: [], head: 0, advance: 1, expect: 'readable-after-writable' as const };
      }),
    );
    // more than 2^32 bytes in one chain (RING-08)
    out.push(
      fc.integer({ min: 2, max: 0xffff_ffff }).map((len2) => ({
        kind: 'bytes-overflow',
        ring: linked([{ addr: 0, len: 0xffff_ffff, flags: 0, next: 0 }, { addr: 8 * 2 ** 30, len: len2, flags: 0, next: 0 }]),
        table: [],
        head: 0,
        advance: 1,
        expect: 'chain-bytes-overflow' as const,
      })),
    );
  }
  if (!indirect) {
    out.push(fc.constant({ kind: 'indirect-off', ring: [{ addr: TABLE_ADDR, len: 16, flags: IND, next: 0 }], table: [rd(0)], head: 0, advance: 1, expect: 'indirect-not-negotiated' as const }));
    return out;
  }
  const T = Math.min(num, 4);
  // an indirect table inside an indirect table (RING-10)
  out.push(
    fc.record({ n: fc.integer({ min: 1, max: T }), k: fc.nat() }).map(({ n, k }) => {
      const at = k % n;
      const table = linked(Array.from({ length: n }, (_, i) => (i === at ? { addr: TABLE_ADDR + 0x1000, len: 16, flags: IND, next: 0 } : rd(i))));
      return { kind: 'nested-indirect', ring: [{ addr: TABLE_ADDR, len: n * 16, flags: IND, next: 0 }], table, head: 0, advance: 1, expect: 'indirect-nested' as const };
    }),
  );
  // INDIRECT together with NEXT (RING-10)
  out.push(fc.constant({ kind: 'indirect-next', ring: [{ addr: TABLE_ADDR, len: 16, flags: IND | NEXT, next: 0 }], table: [rd(0)], head: 0, advance: 1, expect: 'indirect-with-next' as const }));
  // table length 0 or not a multiple of 16 (RING-11)
  out.push(
    fc.integer({ min: 0, max: 200 }).filter((l) => l % 16 !== 0 || l === 0).map((len) => ({
      kind: 'indirect-len', ring: [{ addr: TABLE_ADDR, len, flags: IND, next: 0 }], table: [rd(0)], head: 0, advance: 1, expect: 'indirect-len' as const,
    })),
  );
  // a loop inside the indirect table (RING-08)
  out.push(
    fc.record({ n: fc.integer({ min: 1, max: T }), back: fc.nat() }).map(({ n, back }) => {
      const table = linked(Array.from({ length: n }, (_, i) => rd(i)));
      table[n - 1] = { ...table[n - 1]!, flags: NEXT, next: back % n };
      return { kind: 'indirect-loop', ring: [{ addr: TABLE_ADDR, len: n * 16, flags: IND, next: 0 }], table, head: 0, advance: 1, expect: 'chain-too-long' as const };
    }),
  );
  // an acyclic indirect chain longer than the queue size (RING-08, errata 5.9: entries count)
  out.push(
    fc.constant(num + 1).map((n) => ({
      kind: 'indirect-too-long',
      ring: [{ addr: TABLE_ADDR, len: n * 16, flags: IND, next: 0 }],
      table: linked(Array.from({ length: n }, (_, i) => rd(i))),
      head: 0,
      advance: 1,
      expect: 'chain-too-long' as const,
    })),
  );
  // next outside the indirect table (RING-09)
  out.push(
    fc.record({ n: fc.integer({ min: 1, max: T }), extra: fc.nat({ max: 1000 }) }).map(({ n, extra }) => {
      const table = linked(Array.from({ length: n }, (_, i) => rd(i)));
      table[n - 1] = { ...table[n - 1]!, flags: NEXT, next: n + extra };
      return { kind: 'indirect-next-oob', ring: [{ addr: TABLE_ADDR, len: n * 16, flags: IND, next: 0 }], table, head: 0, advance: 1, expect: 'next-out-of-range' as const };
    }),
  );
  // the table itself outside the windows (FEAT-06)
  out.push(
    outsideAddr.map((o) => ({
      kind: 'indirect-outside', ring: [{ addr: o.addr, len: 16 * Math.max(1, Math.ceil(o.len / 16)), flags: IND, next: 0 }], table: [], head: 0, advance: 1, expect: 'outside-window' as const,
    })),
  );
  return out;
}

export const hostileInput: fc.Arbitrary<HostileInput> = fc
  .record({
    num: fc.constantFrom(1, 2, 4, 8, 16, 32, 64, 128),
    indirect: fc.boolean(),
    startIdx: fc.oneof(fc.integer({ min: 65530, max: 65535 }), fc.nat({ max: 65535 })),
    before: fc.nat({ max: 3 }),
    pins: fc.boolean(),
  })
  .chain((base) => fc.oneof(...cases(base.num, base.indirect)).map((pick) => ({ ...base, pick })));
