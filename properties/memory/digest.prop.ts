/**
 * Claim: digest(addr, len) of a sparse memory depends only on the bytes of the range: two ranges
 *   (in a 16 GiB and a 64 GiB memory, at different and unaligned addresses) have equal digests
 *   exactly when their contents are equal, whatever is allocated (pages written with zeros, pages
 *   written and zeroed again, untouched pages) and whatever lies outside the ranges; and
 *   firstDifference names the first differing byte (−1 when equal).
 * Source: issue 2 item 3 (digest used by the DMA properties to check "no byte outside the
 *   destination changed"); DESIGN.md §6 (no write outside the target).
 * Level: unit
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { PAGE, check, isFault, show } from './byteModel.ts';

const GiB = 2 ** 30;
const CARD = 16 * GiB;
const HOST = 64 * GiB;

/** an offset inside a range of length len: near its start, page steps, its end, or anywhere */
const offsetSpec = fc.oneof(
  fc.record({ from: fc.constant('start' as const), d: fc.nat({ max: 3 * PAGE + 5 }) }),
  fc.record({ from: fc.constant('end' as const), d: fc.integer({ min: 1, max: 2 * PAGE + 3 }) }),
  fc.record({ from: fc.constant('frac' as const), d: fc.double({ min: 0, max: 1, noNaN: true }) }),
);
type OffsetSpec = typeof offsetSpec extends fc.Arbitrary<infer T> ? T : never;

function resolveOffset(s: OffsetSpec, len: number): number {
  const raw = s.from === 'start' ? s.d : s.from === 'end' ? len - s.d : Math.floor(s.d * len);
  return Math.min(Math.max(raw, 0), len - 1);
}

const rangeSpec = fc.record({
  start: fc.oneof(fc.constantFrom(0, 1, PAGE - 1, PAGE, 5 * GiB + 3), fc.nat({ max: CARD - 1 })),
  len: fc.oneof(fc.constantFrom(1, 2, PAGE, PAGE + 1, 3 * PAGE - 7, 1 << 20), fc.integer({ min: 1, max: 5 * PAGE }), fc.constant(-1)),
  shift: fc.oneof(fc.constantFrom(0, 1, PAGE - 1, PAGE, 3 * PAGE + 2048), fc.nat({ max: 40 * GiB })),
});

const content = fc.array(fc.record({ at: offsetSpec, bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { maxLength: 6 });

/** zero-valued noise on the second memory: allocates pages whose content stays zero */
const zeroNoise = fc.array(fc.record({ at: offsetSpec, len: fc.integer({ min: 1, max: 2 * PAGE }), how: fc.constantFrom('write-zeros', 'fill-then-zero', 'byte-then-zero') }), { maxLength: 4 });

/** bytes outside the compared ranges, written to one memory only */
const outside = fc.array(fc.record({ before: fc.boolean(), d: fc.integer({ min: 1, max: 3 * PAGE }), v: fc.integer({ min: 1, max: 255 }), which: fc.nat({ max: 1 }) }), { maxLength: 3 });

const mutation = fc.option(fc.record({ at: offsetSpec, xor: fc.integer({ min: 1, max: 255 }) }), { freq: 2 });

export const digestContent = defineProperty({
  id: 'memory.digestContent',
  claim: 'equal digests ⇔ equal range contents, independent of allocation, address and bytes outside the range',
  source: 'issue 2 item 3; DESIGN.md §6',
  level: 'unit',
  requires: ['memory'],
  runs: 150,
  build: (impl) =>
    fc.property(rangeSpec, content, zeroNoise, outside, mutation, (r, writes, noise, out, mut) => {
      const mem = impl.memory!;
      const a = mem.createSparseMemory(CARD, 'card');
      const b = mem.createSparseMemory(HOST, 'host');
      const start = Math.min(r.start, CARD - 1);
      const len = r.len === -1 ? CARD - start : Math.min(r.len, CARD - start);
      const bStart = start + Math.min(r.shift, HOST - start - len);
      // the same bytes at the same offsets of both ranges (clipped to the range)
      for (const w of writes) {
        const off = resolveOffset(w.at, len);
        const bytes = w.bytes.subarray(0, len - off);
        check(a.write(start + off, bytes) === undefined && b.write(bStart + off, bytes) === undefined, () => 'content write failed');
      }
      // allocation noise that leaves b's bytes unchanged
      for (const z of noise) {
        const off = resolveOffset(z.at, len);
        const n = Math.min(z.len, len - off);
        const old = b.read(bStart + off, n) as Uint8Array;
        if (z.how === 'write-zeros') {
          if (old.every((x) => x === 0)) b.write(bStart + off, new Uint8Array(n));
        } else if (z.how === 'fill-then-zero') {
          b.fill(bStart + off, n, 0x5a);
          b.write(bStart + off, old);
        } else {
          b.write8(bStart + off, 0xff);
          b.write8(bStart + off, old[0]!);
        }
      }
      for (const o of out) {
        const m = o.which === 0 ? a : b;
        const s = o.which === 0 ? start : bStart;
        const at = o.before ? s - o.d : s + len - 1 + o.d;
        if (at >= 0 && at < m.size) m.write8(at, o.v);
      }
      let flipAt = -1;
      if (mut !== null) {
        flipAt = resolveOffset(mut.at, len);
        const old = b.read8(bStart + flipAt) as number;
        b.write8(bStart + flipAt, old ^ mut.xor);
      }
      const da = a.digest(start, len);
      const db = b.digest(bStart, len);
      check(typeof da === 'string' && typeof db === 'string', () => `digest faulted: ${show(da)} ${show(db)}`);
      const what = `ranges card@${start} / host@${bStart}, len ${len}, flip at ${flipAt}`;
      check((da === db) === (flipAt < 0), () => `${what}: digests ${da} vs ${db} but contents are ${flipAt < 0 ? 'equal' : 'different'}`);
      const diff = a.firstDifference(start, b, bStart, len);
      check(diff === flipAt, () => `${what}: firstDifference ${show(diff)}, expected ${flipAt}`);
      // a range one byte longer than memory faults
      check(isFault(a.digest(start, CARD - start + 1)), () => 'digest past the end did not fault');
      return true;
    }),
});
