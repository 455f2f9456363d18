/**
 * Claim: a pin (MemPort.pin) never lies. While its lease is live, its view holds exactly the bytes
 *   the port reads at the pinned range, and bytes stored through it are what the port then reads;
 *   taking a pin changes no content; a lease that died stays dead. This holds under random
 *   interleavings of pins (of sparse memory and through a windowed view onto it), stores through
 *   pins and through the port, whole-page zero fills (which release pages) and windows unmapped,
 *   mapped again, or mapped again onto other bytes.
 * Source: DESIGN.md §6 (the host touches only what it was granted) and §8 (hot paths measured);
 *   issue 4 (ring round trips through simulated memory with the windows in the path).
 * Level: unit
 */
import fc from 'fast-check';
import type { Lease, MemPort, Pin, SparseMemory, WindowedView } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { PAGE, check, firstDiff, isFault, sameBytes } from './byteModel.ts';

/** sparse memory of MEM bytes; the view maps two windows onto it, WIN bytes each */
const MEM = 6 * PAGE;
const WIN = 2 * PAGE;
/** view addresses of the two windows (a gap between them) */
const BASES = [0, 3 * PAGE] as const;

type PinOp =
  | { readonly kind: 'pin'; readonly viaView: boolean; readonly page: number; readonly off: number; readonly len: number; readonly write: boolean }
  | { readonly kind: 'store'; readonly pick: number; readonly at: number; readonly value: number }
  | { readonly kind: 'write'; readonly page: number; readonly off: number; readonly value: number }
  | { readonly kind: 'zeroPage'; readonly page: number }
  | { readonly kind: 'remap'; readonly w: number; readonly targetPage: number }
  | { readonly kind: 'unmap'; readonly w: number };

const pinOp: fc.Arbitrary<PinOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('pin' as const),
      viaView: fc.boolean(),
      page: fc.nat({ max: 5 }),
      // near the end of a page most of the time, so some pins would cross into the next one
      off: fc.oneof(fc.integer({ min: PAGE - 40, max: PAGE - 1 }), fc.nat({ max: PAGE - 1 })),
      len: fc.integer({ min: 1, max: 64 }),
      write: fc.boolean(),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('store' as const), pick: fc.nat(), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('write' as const), page: fc.nat({ max: 5 }), off: fc.nat({ max: PAGE - 1 }), value: fc.nat({ max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('zeroPage' as const), page: fc.nat({ max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remap' as const), w: fc.nat({ max: 1 }), targetPage: fc.nat({ max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmap' as const), w: fc.nat({ max: 1 }) }) },
);

interface Held {
  readonly port: MemPort;
  readonly addr: number;
  readonly len: number;
  readonly pin: Pin;
  readonly lease: Lease;
  /** the lease was seen dead */
  dead: boolean;
}

function viewBytes(p: Pin): Uint8Array {
  return new Uint8Array(p.view.buffer, p.view.byteOffset, p.view.byteLength);
}

function run(mem: SparseMemory, view: WindowedView, ops: readonly PinOp[]): void {
  const held: Held[] = [];
  const truthful = (step: number, what: string): void => {
    for (const h of held) {
      if (!h.lease.live) {
        h.dead = true;
        continue;
      }
      check(!h.dead, () => `after op ${step} (${what}): a lease of ${h.port.name}@0x${h.addr.toString(16)} came back to life`);
      const r = h.port.read(h.addr, h.len);
      check(!isFault(r), () => `after op ${step} (${what}): a live pin of ${h.port.name}@0x${h.addr.toString(16)}+${h.len} covers bytes the port refuses (${isFault(r) ? r.reason : ''})`);
      const v = viewBytes(h.pin);
      check(v.length === h.len, () => `pin view has ${v.length} bytes, pinned ${h.len}`);
      check(sameBytes(v, r as Uint8Array), () => `after op ${step} (${what}): a live pin of ${h.port.name}@0x${h.addr.toString(16)}+${h.len} shows other bytes than the port reads (first at +${firstDiff(v, r as Uint8Array)})`);
    }
  };
  ops.forEach((op, step) => {
    switch (op.kind) {
      case 'pin': {
        const port: MemPort = op.viaView ? view : mem;
        const addr = op.viaView ? BASES[op.page % 2]! + (op.page >> 1) * PAGE + op.off : op.page * PAGE + op.off;
        const all = mem.read(0, MEM) as Uint8Array;
        const p = port.pin?.(addr, op.len, op.write);
        check(sameBytes(mem.read(0, MEM) as Uint8Array, all), () => `op ${step}: taking a pin changed memory content`);
        if (p !== undefined) {
          check(p.lease.live, () => `op ${step}: a fresh pin's lease is already dead`);
          held.push({ port, addr, len: op.len, pin: p, lease: p.lease, dead: false });
        }
        break;
      }
      case 'store': {
        const live = held.filter((h) => h.lease.live);
        if (live.length === 0) break;
        const h = live[op.pick % live.length]!;
        const at = op.at % h.len;
        h.pin.view.setUint8(at, op.value);
        const r = h.port.read8(h.addr + at);
        check(r === op.value, () => `op ${step}: stored ${op.value} through a pin at ${h.port.name}@0x${(h.addr + at).toString(16)}, the port reads ${String(isFault(r) ? r.reason : r)}`);
        break;
      }
      case 'write':
        mem.write8(op.page * PAGE + op.off, op.value);
        break;
      case 'zeroPage':
        mem.fill(op.page * PAGE, PAGE, 0);
        break;
      case 'remap': {
        const base = BASES[op.w]!;
        view.unmap(base);
        view.map({ base, len: WIN, port: mem, target: op.targetPage * PAGE, label: `w${op.w}` });
        break;
      }
      case 'unmap':
        view.unmap(BASES[op.w]!);
        break;
    }
    truthful(step, op.kind);
  });
}

export const pinsTruthful = defineProperty({
  id: 'memory.pins',
  claim: 'a pin with a live lease shows and stores exactly the port\'s bytes; pins change no content; dead leases stay dead',
  source: 'DESIGN.md §6, §8; issue 4',
  level: 'unit',
  requires: ['memory'],
  runs: 300,
  build: (impl) =>
    fc.property(fc.array(pinOp, { minLength: 5, maxLength: 40 }), fc.nat({ max: 4 }), fc.nat({ max: 4 }), (ops, t0, t1) => {
      const mem = impl.memory!.createSparseMemory(MEM, 'ram');
      const view = impl.memory!.createWindowedView(BASES[1] + WIN, 'view');
      view.map({ base: BASES[0], len: WIN, port: mem, target: t0 * PAGE, label: 'w0' });
      view.map({ base: BASES[1], len: WIN, port: mem, target: t1 * PAGE, label: 'w1' });
      run(mem, view, ops);
      return true;
    }),
});
