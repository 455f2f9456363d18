/**
 * Claim: the host SMPT's map / unmap / translate agree with an independent model of facts §2 (reuse
 *   scan with its partial-match quirk, lowest free run, per-entry byte counts, no reprogramming on
 *   unmap); size 0 / > 512 GiB give bad-size, addresses outside the window give out-of-window, an
 *   exhausted table gives no-space; the SMPT registers hold (page << 2) of every entry, and the card's
 *   view of the window reaches the host memory the software translation names.
 * Source: facts §2 (mic_smpt.c); issue 2 item 5.
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { BAR4 } from '../../model/layout/sbox.ts';
import { SMPT_NUM_ENTRIES, SMPT_PAGE_SIZE as P, SMPT_WINDOW_BASE as BASE, SMPT_WINDOW_SIZE } from '../../model/constants/pcie.ts';
import { SmptModel, type ModelResult } from './smptModel.ts';


/** host pages: identity ones (0..35, some beyond the table) and far ones that need reprogramming */
const hostAddr = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 35 }), fc.integer({ min: 100, max: 106 })),
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8191 }), fc.integer({ min: P - 8192, max: P - 1 }), fc.integer({ min: 0, max: P - 1 })),
  )
  .map(([page, off]) => page * P + off);

const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 65536 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 * P }) },
  { weight: 1, arbitrary: fc.constantFrom(0, SMPT_WINDOW_SIZE, SMPT_WINDOW_SIZE + 1, 31 * P) },
);

const cardAddr = fc.oneof(
  fc.integer({ min: 0, max: SMPT_WINDOW_SIZE - 1 }).map((o) => BASE + o),
  fc.integer({ min: 0, max: SMPT_NUM_ENTRIES - 1 }).map((e) => BASE + e * P),
  fc.constantFrom(0, BASE - 1, BASE + SMPT_WINDOW_SIZE, BASE + SMPT_WINDOW_SIZE - 1, 0x1000),
);

type Op =
  | { op: 'map'; host: number; size: number }
  | { op: 'unmapLive'; pick: number }
  | { op: 'unmap'; card: number; size: number }
  | { op: 'translate'; card: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('map' as const), host: hostAddr, size }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('unmapLive' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unmap' as const), card: cardAddr, size }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('translate' as const), card: cardAddr }) },
);

function show(r: unknown): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'number' && v > 0xffff ? `0x${v.toString(16)}` : v));
}

export const smptModel = defineProperty({
  id: 'pcie.smpt.model',
  claim: 'SMPT map/unmap/translate agree with a simple model, incl. error cases and the register contents',
  source: 'facts §2',
  level: 'component',
  requires: ['sim', 'memory', 'pcie'],
  runs: 250,
  build: (impl) =>
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), fc.integer({ min: 0, max: 1023 }), (ops, probe) => {
      const platform = impl.pcie!.createPlatform({ cards: 1, cardMemoryBytes: 64 * 2 ** 20 });
      const smpt = platform.smpt[0]!;
      const card = platform.cards[0]!;
      const model = new SmptModel();
      const live: { card: number; size: number }[] = [];
      const agree = (what: string, got: unknown, want: ModelResult): void => {
        const gotNorm = typeof got === 'number' ? { ok: got } : got === undefined ? { ok: 0 } : { err: (got as { reason: string }).reason };
        if (JSON.stringify(gotNorm) !== JSON.stringify(want)) throw new Error(`${what}: got ${show(got)}, model says ${show(want)}`);
      };
      for (const [i, o] of ops.entries()) {
        const at = `op ${i} ${show(o)}`;
        switch (o.op) {
          case 'map': {
            const want = model.map(o.host, o.size);
            const got = smpt.map(o.host, o.size);
            agree(at, got, want);
            if ('ok' in want) live.push({ card: want.ok, size: o.size });
            break;
          }
          case 'unmapLive': {
            if (live.length === 0) break;
            const [m] = live.splice(o.pick % live.length, 1);
            agree(at, smpt.unmap(m!.card, m!.size), model.unmap(m!.card, m!.size));
            break;
          }
          case 'unmap':
            agree(at, smpt.unmap(o.card, o.size), model.unmap(o.card, o.size));
            break;
          case 'translate':
            agree(at, smpt.translate(o.card), model.translate(o.card));
            break;
        }
        const entries = smpt.entries();
        for (let e = 0; e < SMPT_NUM_ENTRIES; e++) {
          const want = { hostAddr: model.page[e]! * P, refBytes: model.refs[e]! };
          if (entries[e]!.hostAddr !== want.hostAddr || entries[e]!.refBytes !== want.refBytes) {
            throw new Error(`${at}: entry ${e} is ${show(entries[e])}, model ${show(want)}`);
          }
          const reg = card.regs.peek(BAR4.SMPT(e));
          if (reg !== ((model.page[e]! * 4) >>> 0)) throw new Error(`${at}: SMPT${e} register 0x${reg.toString(16)}, model page ${model.page[e]}`);
        }
      }
      // the hardware window goes where the software says: probe one address in every entry
      // whose host page lies inside host memory
      for (let e = 0; e < SMPT_NUM_ENTRIES; e++) {
        const cardA = BASE + e * P + probe * 4096;
        const t = model.translate(cardA);
        if (!('ok' in t) || t.ok + 4 > platform.hostMemory.size) continue;
        const v = (0x5a000000 + e * 1024 + probe) >>> 0;
        platform.hostMemory.write32(t.ok, v);
        const r = card.cardView.read32(cardA);
        if (r !== v) throw new Error(`card read of 0x${cardA.toString(16)} (entry ${e} → host 0x${t.ok.toString(16)}) gave ${show(r)}, host holds 0x${v.toString(16)}`);
      }
      return true;
    }),
});
