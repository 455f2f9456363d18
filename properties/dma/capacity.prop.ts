/**
 * Claim: a channel's descriptor ring, at small sizes (attachDma ringSize 8..64), fills to exactly
 *   full and drains back to empty three times over (so head and tail wrap past the last slot): a
 *   prep is accepted exactly when its reservation (copies + 3 slots, 4 for a STATUS) fits in the
 *   ringSize − 1 usable slots, a refused prep says ENOMEM / no-slots and writes no register, the
 *   full ring shows DHPR exactly ringSize − 1 ahead of DTPR, and after the engine runs every cookie
 *   is complete, every callback ran once with 'noerror' and every destination holds its bytes.
 *   Without a ringSize the engine gets the hardware's 131068-descriptor ring (DRAR_HI says so).
 * Source: facts §7.3 (MIC_DMA_DESC_RX_SIZE = 128·1024 − 4, ring programmed through DRAR_HI),
 *   facts §7.5 (mic_dma_avail_desc_ring_space: one slot stays free, prep reserves ceil(len/max) + 3,
 *   prep_status 4); issue 13 item 3.
 * Level: component
 */
import fc from 'fast-check';
import type { DmaChan, DmaResult, Implementation } from '../../model/contract.ts';
import {
  DMA_PREP_FENCE as F,
  DMA_PREP_INTERRUPT as I,
  MIC_DMA_DESC_RX_SIZE,
  MIC_DMA_NUM_CHAN,
  MIC_DMA_PREP_EXTRA_SLOTS,
  MIC_DMA_STATUS_SLOTS,
  channelOwner,
} from '../../model/constants/dma.ts';
import { DRAR_HI_BITS } from '../../model/layout/dma.ts';
import { defineProperty } from '../harness.ts';
import { buildWorld, isDmaError, MiB, request, type DmaWorld } from './world.ts';

interface Intent {
  readonly kind: 'copy' | 'zero' | 'status';
  /** memcopy descriptors of a copy */
  readonly copies: 1 | 2;
  readonly flags: number;
}

const intentArb: fc.Arbitrary<Intent> = fc
  .record({
    kind: fc.constantFrom('copy', 'copy', 'zero', 'status'),
    copies: fc.oneof({ weight: 9, arbitrary: fc.constant(1 as const) }, { weight: 1, arbitrary: fc.constant(2 as const) }),
    flags: fc.constantFrom(0, F, I, F | I),
  })
  // a zero-length memcpy needs a flag (without one the prep refuses it: zero-length)
  .map((t) => (t.kind === 'zero' && t.flags === 0 ? { ...t, flags: F } : t));

const capacityInput = fc.record({
  ringSize: fc.constantFrom(8, 9, 10, 11, 12, 13, 16, 17, 31, 32, 64),
  ch: fc.integer({ min: 0, max: MIC_DMA_NUM_CHAN - 1 }),
  intents: fc.array(intentArb, { minLength: 1, maxLength: 24 }),
});

/** slots a prep reserves and slots it writes (restated from facts §7.5, not from the driver) */
function slotsOf(t: Intent, maxXfer: number): { need: number; used: number; len: number } {
  const extra = ((t.flags & F) !== 0 ? 1 : 0) + ((t.flags & I) !== 0 ? 2 : 0);
  if (t.kind === 'status') return { need: MIC_DMA_STATUS_SLOTS, used: 1 + extra, len: 0 };
  if (t.kind === 'zero') return { need: MIC_DMA_PREP_EXTRA_SLOTS, used: extra, len: 0 };
  const len = t.copies === 1 ? 64 * (1 + (t.flags & 3)) : maxXfer + 64;
  return { need: t.copies + MIC_DMA_PREP_EXTRA_SLOTS, used: t.copies + extra, len };
}

/** the hardware default: no ringSize → every channel's DRAR_HI carries 131068 descriptors */
export function checkHardwareDefault(impl: Implementation): void {
  const w = buildWorld(impl, []);
  for (const n of [0, MIC_DMA_NUM_CHAN - 1]) {
    const c = request(w, n);
    const size = Number((BigInt(w.dma.engine.regs(n).drarHi) >> BigInt(DRAR_HI_BITS.fields.size.lsb)) & DRAR_HI_BITS.fields.size.mask);
    if (c.ringSize !== MIC_DMA_DESC_RX_SIZE || size !== MIC_DMA_DESC_RX_SIZE) {
      throw new Error(`channel ${n} without a ringSize option: ringSize ${c.ringSize}, DRAR_HI size ${size}, expected the hardware's ${MIC_DMA_DESC_RX_SIZE}`);
    }
  }
}

/** source bytes, made once: a 1 MiB Uint8Array.from costs more than a whole run */
const PATTERN = (() => {
  const out = new Uint8Array(MiB + 128);
  for (let i = 0; i < out.length; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
})();

interface Placed {
  readonly cookie: number;
  readonly calls: DmaResult[];
  readonly dst: number;
  readonly len: number;
}

export function run(impl: Implementation, input: { ringSize: number; ch: number; intents: readonly Intent[] }): string | undefined {
  const { ringSize, ch } = input;
  const world: DmaWorld = buildWorld(impl, [], ringSize);
  const chan: DmaChan = request(world, ch);
  const card = world.platform.cards[0]!;
  const host = channelOwner(ch) === 'host';
  // sources: one pattern region (host memory for host channels, through the SMPT); destinations in GDDR
  const srcLen = chan.maxXfer + 128;
  const srcBase = 2 * MiB;
  (host ? world.platform.hostMemory : card.cardMemory).write(srcBase, PATTERN.subarray(0, srcLen));
  const mapped = host ? world.platform.smpt[0]!.map(srcBase, srcLen) : srcBase;
  if (typeof mapped !== 'number') return `SMPT map failed`;
  let dstNext = 8 * MiB;
  const regs = () => world.dma.engine.regs(ch);
  const at = (round: number) => `ring ${ringSize}, channel ${ch}, round ${round}`;

  for (let round = 0; round < 3; round++) {
    const placed: Placed[] = [];
    let free = ringSize - 1;
    const submit = (t: Intent): string | undefined => {
      const { need, used, len } = slotsOf(t, chan.maxXfer);
      const dst = dstNext;
      const before = regs().dhpr;
      const tx = t.kind === 'status' ? chan.prepStatus(dst, 0x1122334455667788n, t.flags) : chan.prepMemcpy(len === 0 ? 0 : dst, len === 0 ? 0 : mapped, len, t.flags);
      if (need > free) {
        if (!isDmaError(tx) || tx.errno !== 'ENOMEM' || tx.reason !== 'no-slots') return `${at(round)}: ${t.kind} needing ${need} slots with ${free} free → ${isDmaError(tx) ? `${tx.errno} ${tx.reason}` : 'accepted'}, expected ENOMEM no-slots`;
        if (regs().dhpr !== before) return `${at(round)}: a refused prep wrote DHPR`;
        return undefined;
      }
      if (isDmaError(tx)) return `${at(round)}: ${t.kind} needing ${need} slots refused with ${free} free: ${tx.errno} ${tx.reason} ${tx.detail}`;
      const p: Placed = { cookie: 0, calls: [], dst, len };
      tx.callback = (r) => p.calls.push(r);
      const c = tx.submit();
      if (isDmaError(c)) return `${at(round)}: submit refused: ${c.detail}`;
      (p as { cookie: number }).cookie = c;
      placed.push(p);
      dstNext += Math.max(len, 64) + 64;
      free -= used;
      return undefined;
    };
    for (const t of input.intents) {
      const { need, used } = slotsOf(t, chan.maxXfer);
      // leave the ring exactly fillable: 1 or 2 free slots cannot be used by any prep
      if (need <= free && (free - used === 1 || free - used === 2)) continue;
      const e = submit(t);
      if (e) return e;
    }
    // fill the rest exactly, with preps whose reservation equals or exceeds what they write
    while (free > 0) {
      const pick: Intent =
        free >= 8 || free === 4 ? { kind: 'copy', copies: 1, flags: F | I }
        : free >= 5 ? { kind: 'copy', copies: 1, flags: [0, F, I][free - 5]! }
        : free === 3 ? { kind: 'zero', copies: 1, flags: F | I }
        : undefined!;
      if (pick === undefined) return `${at(round)}: ${free} slots left that no prep can fill (generator)`;
      const e = submit(pick);
      if (e) return e;
    }
    // exactly full: the hardware sees ringSize − 1 descriptors, and nothing more fits
    chan.issuePending();
    const r = regs();
    if ((r.dhpr - r.dtpr + ringSize) % ringSize !== ringSize - 1) return `${at(round)}: full ring shows DHPR ${r.dhpr}, DTPR ${r.dtpr}: ${(r.dhpr - r.dtpr + ringSize) % ringSize} descriptors, expected ${ringSize - 1}`;
    for (const t of [{ kind: 'zero', copies: 1, flags: F } as const, { kind: 'copy', copies: 1, flags: 0 } as const, { kind: 'status', copies: 1, flags: 0 } as const]) {
      const e = submit(t);
      if (e) return e;
    }
    // back to empty
    world.sched.runUntilIdle(1_000_000);
    for (const p of placed) {
      const st = chan.txStatus(p.cookie);
      if (st !== 'complete') return `${at(round)}: cookie ${p.cookie} ends ${st}`;
      if (p.calls.length !== 1 || p.calls[0] !== 'noerror') return `${at(round)}: cookie ${p.cookie} callback ran ${JSON.stringify(p.calls)}`;
      if (p.len > 0 && card.cardMemory.firstDifference(p.dst, host ? world.platform.hostMemory : card.cardMemory, srcBase, p.len) !== -1) {
        return `${at(round)}: cookie ${p.cookie}: destination 0x${p.dst.toString(16)} does not hold the ${p.len} source bytes`;
      }
    }
    const e = regs();
    if (e.dhpr !== e.dtpr || e.dcherr !== 0) return `${at(round)}: drained ring shows DHPR ${e.dhpr}, DTPR ${e.dtpr}, DCHERR 0x${e.dcherr.toString(16)}`;
  }
  return undefined;
}

export const ringCapacity = defineProperty({
  id: 'dma.ring.capacity',
  claim: 'a small descriptor ring fills to exactly ringSize − 1 descriptors (preps that do not fit refused with ENOMEM) and drains, three times; the default ring is the hardware size',
  source: 'facts §7.3, §7.5; issue 13 item 3',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 30,
  build: (impl) => {
    checkHardwareDefault(impl);
    return fc.property(capacityInput, (input) => {
      const e = run(impl, input);
      if (e) throw new Error(e);
      return true;
    });
  },
});
