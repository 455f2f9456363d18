/**
 * Claim: a windowed view behaves like the model of its windows: an access lands, byte by byte, at
 *   target + (addr − base) of the window covering it (also when it spans adjacent windows), writes
 *   land in the target port and nowhere else, any uncovered byte makes the whole access an
 *   'unmapped' fault that changes nothing, and map() refuses exactly the windows that overlap, leave
 *   the view or leave the target.
 * Source: issue 2 item 3 (windows, bounds checks); DESIGN.md §1 (BAR0 aperture, SMPT window) and §6
 *   ("no host access outside the windows the card was given").
 * Level: unit
 */
import fc from 'fast-check';
import type { MemPort, Window } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { PAGE, addrSpec, check, firstDiff, lenSpec, resolveAddr, resolveLen, sameBytes, show, smallSize, type AddrSpec, type LenSpec } from './byteModel.ts';
import { memOp, runOp, type ByteSpaceModel, type MemOp } from './ops.ts';

interface ModelWindow {
  readonly base: number;
  readonly len: number;
  readonly port: number;
  readonly target: number;
}

const initialWindow = fc.record({
  gap: fc.oneof(fc.constant(0), fc.nat({ max: 5000 })),
  len: fc.integer({ min: 1, max: 6000 }),
  port: fc.nat({ max: 1 }),
  tfrac: fc.double({ min: 0, max: 1, noNaN: true }),
});

type ViewOp =
  | { readonly kind: 'access'; readonly op: MemOp; readonly edge: { readonly w: number; readonly end: boolean; readonly delta: number } | null }
  | { readonly kind: 'map'; readonly base: AddrSpec; readonly len: LenSpec; readonly port: number; readonly tfrac: number }
  | { readonly kind: 'unmap'; readonly pick: number; readonly existing: boolean };

const viewOp: fc.Arbitrary<ViewOp> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('access' as const),
      op: memOp,
      edge: fc.option(fc.record({ w: fc.nat(), end: fc.boolean(), delta: fc.integer({ min: -4, max: 4 }) }), { freq: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('map' as const), base: addrSpec, len: lenSpec, port: fc.nat({ max: 1 }), tfrac: fc.double({ min: 0, max: 1.2, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmap' as const), pick: fc.nat(), existing: fc.boolean() }) },
);

/** the window rule, restated: integers, non-empty, inside the view and the target, disjoint from the others */
function mapAllowed(w: ModelWindow, viewSize: number, targetSize: number, others: readonly ModelWindow[]): boolean {
  const nat = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!nat(w.base) || !nat(w.len) || !nat(w.target) || w.len === 0) return false;
  if (w.base + w.len > viewSize || w.target + w.len > targetSize) return false;
  return others.every((o) => o.base + o.len <= w.base || w.base + w.len <= o.base);
}

export const windowModel = defineProperty({
  id: 'memory.windowModel',
  claim: 'a windowed view translates accesses through its windows, faults unmapped bytes without side effects, and writes only into its targets',
  source: 'issue 2 item 3; DESIGN.md §1, §6',
  level: 'unit',
  requires: ['memory'],
  runs: 200,
  build: (impl) =>
    fc.property(
      fc.integer({ min: 1, max: 6 * PAGE + 5 }),
      fc.tuple(smallSize, smallSize),
      fc.array(initialWindow, { maxLength: 5 }),
      fc.array(viewOp, { minLength: 5, maxLength: 40 }),
      (viewSize, [sizeA, sizeB], initial, ops) => {
        const mem = impl.memory!;
        const ports: MemPort[] = [mem.createSparseMemory(sizeA, 'a'), mem.createSparseMemory(sizeB, 'b')];
        const models = [new Uint8Array(sizeA), new Uint8Array(sizeB)];
        const view = mem.createWindowedView(viewSize, 'view');
        let windows: ModelWindow[] = [];
        const model: ByteSpaceModel = {
          size: viewSize,
          locate: (addr) => {
            const w = windows.find((x) => x.base <= addr && addr < x.base + x.len);
            return w === undefined ? undefined : { bytes: models[w.port]!, i: w.target + (addr - w.base) };
          },
        };
        const tryMap = (w: ModelWindow): void => {
          const allowed = mapAllowed(w, viewSize, ports[w.port]!.size, windows);
          const win: Window = { base: w.base, len: w.len, port: ports[w.port]!, target: w.target, label: `w${w.base}` };
          let threw = false;
          try {
            view.map(win);
          } catch {
            threw = true;
          }
          check(threw === !allowed, () => `map ${show(w)} over ${show(windows)}: ${threw ? 'refused' : 'accepted'}, rule says ${allowed ? 'accept' : 'refuse'}`);
          if (allowed) windows = [...windows, w].sort((x, y) => x.base - y.base);
        };

        let cursor = 0;
        for (const s of initial) {
          const base = cursor + s.gap;
          const len = Math.min(s.len, viewSize - base, ports[s.port]!.size);
          if (len <= 0) break;
          tryMap({ base, len, port: s.port, target: Math.floor(s.tfrac * (ports[s.port]!.size - len + 1)) });
          cursor = base + len;
        }

        ops.forEach((vop, step) => {
          if (vop.kind === 'access') {
            const w = vop.edge && windows.length > 0 ? windows[vop.edge.w % windows.length]! : undefined;
            const at = w && vop.edge ? (vop.edge.end ? w.base + w.len : w.base) + vop.edge.delta : undefined;
            runOp(view, model, vop.op, at);
          } else if (vop.kind === 'map') {
            const base = resolveAddr(vop.base, viewSize);
            const len = resolveLen(vop.len, viewSize, base);
            const tsize = ports[vop.port]!.size;
            const target = Math.floor(vop.tfrac * Math.max(1, tsize - (Number.isFinite(len) ? len : 0) + 1));
            tryMap({ base, len, port: vop.port, target });
          } else {
            const base = vop.existing && windows.length > 0 ? windows[vop.pick % windows.length]!.base : vop.pick % (viewSize + 1);
            const expected = windows.some((w) => w.base === base);
            const got = view.unmap(base);
            check(got === expected, () => `unmap(${base}) returned ${got}, expected ${expected}`);
            windows = windows.filter((w) => w.base !== base);
          }
          ports.forEach((p, i) => {
            const got = p.read(0, p.size);
            check(got instanceof Uint8Array && sameBytes(got, models[i]!), () => `after op ${step} (${show(vop)}): port ${p.name} differs from the model at ${got instanceof Uint8Array ? firstDiff(got, models[i]!) : '?'}`);
          });
          const listed = view.windows().map((w) => ({ base: w.base, len: w.len, port: ports.indexOf(w.port), target: w.target })).sort((x, y) => x.base - y.base);
          check(show(listed) === show(windows), () => `windows() ${show(listed)} differs from the model ${show(windows)}`);
        });
        return true;
      },
    ),
});
