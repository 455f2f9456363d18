/**
 * Claim: copyBetween(src, srcAddr, dst, dstAddr, len) between two sparse memories, one memory and
 *   itself, or a windowed view over both, equals the byte model: the destination bytes become the
 *   source bytes as they were before the copy (memmove on overlap), nothing else changes, and an
 *   out-of-range or unmapped copy is a fault that changes nothing. Long copies over mostly untouched
 *   memory and copies from untouched pages onto written ones are included.
 * Source: issue 2 item 3 (bulk copy across page boundaries, bounds-checked); DESIGN.md §1 (DMA
 *   MEMCOPY and BAR0 copies go through it).
 * Level: unit
 */
import fc from 'fast-check';
import type { MemPort } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { PAGE, addrSpec, check, dataOf, firstDiff, isFault, lenSpec, rangeFault, resolveAddr, resolveLen, sameBytes, show } from './byteModel.ts';
import type { ByteSpaceModel } from './ops.ts';

const memSize = fc.oneof(fc.integer({ min: 1, max: 12 * PAGE + 99 }), fc.constantFrom(9 * PAGE + 123, 6 * PAGE + 4000, 16 * PAGE));

/** initial contents, written in random order so pages sit in their slabs out of address order */
const seedWrite = fc.record({ frac: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: PAGE / 2, max: 2 * PAGE })), seed: fc.integer({ min: 1, max: 255 }), port: fc.nat({ max: 1 }) });

/** `near`: copy within the source space to the source address moved by this many bytes (overlap) */
const copyOp = fc.record({
  src: fc.nat({ max: 2 }),
  dst: fc.nat({ max: 2 }),
  a: addrSpec,
  b: addrSpec,
  len: lenSpec,
  near: fc.option(fc.integer({ min: -2 * PAGE - 3, max: 2 * PAGE + 3 }), { freq: 2 }),
  /** stretch the length so the destination ends exactly on a page boundary */
  endOnPage: fc.boolean(),
});

export const copyBetweenModel = defineProperty({
  id: 'memory.copyBetween',
  claim: 'copyBetween equals a memmove on the byte model of both spaces, and a faulting copy changes nothing',
  source: 'issue 2 item 3; DESIGN.md §1',
  level: 'unit',
  requires: ['memory'],
  runs: 300,
  build: (impl) =>
    fc.property(
      memSize,
      memSize,
      fc.array(seedWrite, { maxLength: 12 }),
      fc.boolean(),
      fc.record({ split: fc.double({ min: 0, max: 1, noNaN: true }), gap: fc.constantFrom(0, 0, 1, 100), ta: fc.double({ min: 0, max: 1, noNaN: true }), tb: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.array(copyOp, { minLength: 3, maxLength: 25 }),
      (sizeA, sizeB, writesGiven, descending, layout, ops) => {
        const mem = impl.memory!;
        const a = mem.createSparseMemory(sizeA, 'a');
        const b = mem.createSparseMemory(sizeB, 'b');
        const flat = [new Uint8Array(sizeA), new Uint8Array(sizeB)];
        // descending: pages get allocated in reverse address order, so neighbours sit in a slab backwards
        const writes = descending ? [...writesGiven].sort((x, y) => y.frac - x.frac) : writesGiven;
        for (const w of writes) {
          const port = w.port === 0 ? a : b;
          const at = Math.floor(w.frac * port.size);
          const data = dataOf(Math.min(w.len, port.size - at), w.seed);
          check(port.write(at, data) === undefined, () => `seed write at ${at} failed`);
          flat[w.port]!.set(data, at);
        }
        // a view: [0, la) → a[ta…], then after `gap` unmapped bytes, [la+gap, …) → b[tb…]
        const la = Math.max(1, Math.floor(layout.split * sizeA));
        const lb = Math.max(1, Math.floor((1 - layout.split) * sizeB));
        const ta = Math.floor(layout.ta * (sizeA - la));
        const tb = Math.floor(layout.tb * (sizeB - lb));
        const view = mem.createWindowedView(la + layout.gap + lb, 'v');
        view.map({ base: 0, len: la, port: a, target: ta, label: 'va' });
        view.map({ base: la + layout.gap, len: lb, port: b, target: tb, label: 'vb' });

        const ports: MemPort[] = [a, b, view];
        const models: ByteSpaceModel[] = [
          { size: sizeA, locate: (x) => ({ bytes: flat[0]!, i: x }) },
          { size: sizeB, locate: (x) => ({ bytes: flat[1]!, i: x }) },
          {
            size: view.size,
            locate: (x) => (x < la ? { bytes: flat[0]!, i: ta + x } : x >= la + layout.gap ? { bytes: flat[1]!, i: tb + (x - la - layout.gap) } : undefined),
          },
        ];

        ops.forEach((op, step) => {
          const dstPort = op.near === null ? op.dst : op.src;
          const sm = models[op.src]!;
          const dm = models[dstPort]!;
          const srcAddr = resolveAddr(op.a, sm.size);
          const dstAddr = op.near === null ? resolveAddr(op.b, dm.size) : srcAddr + op.near;
          const rawLen = resolveLen(op.len, Math.min(sm.size, dm.size), Math.max(srcAddr, dstAddr));
          const len = op.endOnPage && Number.isSafeInteger(rawLen) && Number.isSafeInteger(dstAddr) && rawLen > 0 ? Math.ceil((dstAddr + rawLen) / PAGE) * PAGE - dstAddr : rawLen;
          const what = `op ${step}: copyBetween(${ports[op.src]!.name}@${srcAddr} → ${ports[dstPort]!.name}@${dstAddr}, len ${len})`;
          const reasons = new Set<string>();
          const rs = rangeFault(sm.size, srcAddr, len);
          const rd = rangeFault(dm.size, dstAddr, len);
          if (rs) reasons.add(rs);
          if (rd) reasons.add(rd);
          const hole = (m: ByteSpaceModel, x: number): boolean => {
            for (let i = 0; i < len; i++) if (m.locate(x + i) === undefined) return true;
            return false;
          };
          if (!rs && !rd && (hole(sm, srcAddr) || hole(dm, dstAddr))) reasons.add('unmapped');

          const got = mem.copyBetween(ports[op.src]!, srcAddr, ports[dstPort]!, dstAddr, len);
          if (reasons.size > 0) {
            check(isFault(got) && reasons.has(got.reason), () => `${what}: expected a fault (${[...reasons].join(' or ')}), got ${show(got)}`);
          } else {
            check(got === undefined, () => `${what}: unexpected ${show(got)}`);
            const snapshot = new Uint8Array(len);
            for (let i = 0; i < len; i++) {
              const at = sm.locate(srcAddr + i)!;
              snapshot[i] = at.bytes[at.i]!;
            }
            for (let i = 0; i < len; i++) {
              const at = dm.locate(dstAddr + i)!;
              at.bytes[at.i] = snapshot[i]!;
            }
          }
          [a, b].forEach((p, i) => {
            const all = p.read(0, p.size);
            check(all instanceof Uint8Array && sameBytes(all, flat[i]!), () => `${what}: memory ${p.name} differs from the model at ${all instanceof Uint8Array ? firstDiff(all, flat[i]!) : '?'}`);
          });
        });
        return true;
      },
    ),
});
