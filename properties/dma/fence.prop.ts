/**
 * Claim: on every channel, a STATUS write submitted after a FENCE becomes visible only after all
 *   earlier copies of its channel are complete: at every scheduler step, whenever a status value is
 *   visible in memory, every copy submitted before it on that channel already holds its source bytes.
 *   Runs with the real ring size (131068 descriptors) on all 8 channels at once.
 * Source: facts §7.5 (DMA_PREP_FENCE → a STATUS descriptor; prep_dma_imm_data), §7.3 (ring size).
 * Level: component
 */
import fc from 'fast-check';
import type { DmaChan, SparseMemory } from '../../model/contract.ts';
import { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, MIC_DMA_DESC_RX_SIZE, MIC_DMA_NUM_CHAN, channelOwner } from '../../model/constants/dma.ts';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { KiB, MiB, buildWorld, isDmaError, request } from './world.ts';

interface Copy {
  readonly dstMem: SparseMemory;
  readonly dst: number;
  readonly srcMem: SparseMemory;
  readonly src: number;
  readonly len: number;
}

interface Marker {
  readonly ch: number;
  readonly mem: SparseMemory;
  readonly addr: number;
  readonly value: bigint;
  /** copies submitted on the channel before the marker */
  readonly before: readonly Copy[];
  seen: boolean;
}

const groupArb = fc.record({
  ch: fc.integer({ min: 0, max: MIC_DMA_NUM_CHAN - 1 }),
  copies: fc.array(fc.integer({ min: 1, max: 3 * 1024 }).map((k) => k * 64), { minLength: 1, maxLength: 3 }),
  toHost: fc.boolean(),
  flags: fc.constantFrom(0, DMA_PREP_INTERRUPT),
  steps: fc.nat({ max: 8 }),
});

export const fenceOrder = defineProperty({
  id: 'dma.fence.statusAfterCopies',
  claim: 'a STATUS after a FENCE is visible only after all earlier copies of its channel',
  source: 'facts §7.5, §7.3',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 50,
  build: (impl) =>
    fc.property(fc.array(groupArb, { minLength: 1, maxLength: 16 }), interleaving(400), (groups, choices) => {
      const w = buildWorld(impl, choices, MIC_DMA_DESC_RX_SIZE);
      const hostMem = w.platform.hostMemory;
      const cardMem = w.platform.cards[0]!.cardMemory;
      const smpt = w.platform.smpt[0]!;
      const cardAddr = (host: boolean, a: number, len: number): number => {
        if (!host) return a;
        const r = smpt.map(a, len);
        if (typeof r !== 'number') throw new Error(r.detail);
        return r;
      };
      const chans: DmaChan[] = [];
      for (let n = 0; n < MIC_DMA_NUM_CHAN; n++) chans.push(request(w, n));
      const copiesOf: Copy[][] = chans.map(() => []);
      const markers: Marker[] = [];
      let hostNext = 4 * MiB;
      let cardNext = 4 * MiB;
      let value = 0x5a5a_0000_0000_0001n;

      const check = (): boolean => {
        for (const m of markers) {
          if (m.seen) continue;
          const v = m.mem.read64(m.addr);
          if (typeof v !== 'bigint') throw new Error('marker read failed');
          if (v !== m.value) continue;
          m.seen = true;
          for (const c of m.before) {
            const d = c.dstMem.firstDifference(c.dst, c.srcMem, c.src, c.len);
            if (d !== -1) throw new Error(`channel ${m.ch}: status 0x${m.value.toString(16)} visible while an earlier copy of ${c.len} bytes is incomplete (first difference at +${String(d)})`);
          }
        }
        return false;
      };

      groups.forEach((g, gi) => {
        const chan = chans[g.ch]!;
        // host channels copy host→card or card→host; card channels also card→card
        const srcHost = channelOwner(g.ch) === 'host' ? !g.toHost : false;
        const dstHost = g.toHost;
        g.copies.forEach((len, k) => {
          const src = srcHost ? hostNext : cardNext;
          if (srcHost) hostNext += len + 4 * KiB;
          else cardNext += len + 4 * KiB;
          const dst = dstHost ? hostNext : cardNext;
          if (dstHost) hostNext += len + 4 * KiB;
          else cardNext += len + 4 * KiB;
          const bytes = new Uint8Array(len).fill((gi * 7 + k + 1) & 0xff || 1);
          (srcHost ? hostMem : cardMem).write(src, bytes);
          const last = k === g.copies.length - 1;
          const tx = chan.prepMemcpy(cardAddr(dstHost, dst, len), cardAddr(srcHost, src, len), len, last ? DMA_PREP_FENCE : 0);
          if (isDmaError(tx)) throw new Error(`prep refused: ${tx.detail}`);
          if (isDmaError(tx.submit())) throw new Error('submit refused');
          copiesOf[g.ch]!.push({ dstMem: dstHost ? hostMem : cardMem, dst, srcMem: srcHost ? hostMem : cardMem, src, len });
        });
        const flagHost = g.toHost;
        const flag = flagHost ? hostNext : cardNext;
        if (flagHost) hostNext += 4 * KiB;
        else cardNext += 4 * KiB;
        value += 1n;
        const st = chan.prepStatus(cardAddr(flagHost, flag, 8), value, g.flags);
        if (isDmaError(st)) throw new Error(`prepStatus refused: ${st.detail}`);
        if (isDmaError(st.submit())) throw new Error('submit refused');
        markers.push({ ch: g.ch, mem: flagHost ? hostMem : cardMem, addr: flag, value, before: [...copiesOf[g.ch]!], seen: false });
        chan.issuePending();
        for (let s = 0; s < g.steps; s++) {
          check();
          if (w.sched.step() === 'idle') break;
        }
      });
      w.sched.runUntil(check, { maxSteps: 1_000_000 });
      check();
      const unseen = markers.filter((m) => !m.seen);
      if (unseen.length > 0) throw new Error(`${unseen.length} status writes never became visible`);
      return true;
    }),
});
