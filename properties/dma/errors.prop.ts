/**
 * Claim: a channel that meets a bad descriptor (an injected descriptor error, a host-to-host
 *   memcopy, or a head written twice) halts: DCHERR is non-zero, DSTAT shows it quiesced, its tail
 *   stops, new work is refused with EIO/'channel-halted', and its outstanding cookies stay
 *   in progress. After re-initialisation the outstanding cookies end as errors with an 'aborted'
 *   callback exactly once and the channel copies correctly again. The other channels are
 *   unaffected: all their cookies complete once and every completed destination is byte-exact.
 * Source: facts §7.1 (no host-to-host), §7.3 (setup/check sequence), §7.5 (same head twice is a
 *   hardware error); issue 3 item 1 (DCHERR, halt until re-initialised).
 * Level: component
 */
import fc from 'fast-check';
import { MIC_DMA_CHAN_QUIESCE, MIC_DMA_NUM_CHAN, SMPT_WINDOW_BASE, channelOwner } from '../../model/constants/dma.ts';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { adoptReal, applyToShadow, compareWithShadow, opArb, runTraffic, type TrafficOp } from './traffic.ts';
import { isDmaError } from './world.ts';

type Injection = { kind: 'inject'; ch: number; atOp: number; skip: number } | { kind: 'h2h'; ch: number; atOp: number } | { kind: 'headTwice'; ch: number; atOp: number };

const injectionArb: fc.Arbitrary<Injection> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('inject' as const), ch: fc.nat({ max: 7 }), atOp: fc.nat({ max: 20 }), skip: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('h2h' as const), ch: fc.nat({ max: 7 }), atOp: fc.nat({ max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('headTwice' as const), ch: fc.nat({ max: 7 }), atOp: fc.nat({ max: 20 }) }) },
);

export const errorsHaltAndRecover = defineProperty({
  id: 'dma.errors.haltAndRecover',
  claim: 'an erroring channel halts and reports; after re-init it works; other channels are unaffected',
  source: 'facts §7.1, §7.3, §7.5; issue 3 item 1',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 80,
  build: (impl) =>
    fc.property(
      fc.array(opArb(), { minLength: 1, maxLength: 20 }),
      fc.array(injectionArb, { minLength: 1, maxLength: 3 }),
      interleaving(300),
      (ops0, injections, choices) => {
        // a host-to-host op replaces the op at its index (it is a natural bad descriptor)
        const ops: TrafficOp[] = ops0.map((o, i) => {
          const h = injections.find((j) => j.kind === 'h2h' && j.atOp % ops0.length === i);
          return h ? { ...o, ch: h.ch, dir: 'h2h', size: 4096, skew: 0 } : o;
        });
        const bad = new Set<number>();
        const run = runTraffic(impl, ops, choices, {
          beforeOp: (r, i) => {
            for (const j of injections) {
              if (j.atOp % ops.length !== i) continue;
              if (j.kind === 'inject') r.world.sched.faults.arm(`dma.ch${j.ch}.descError`, { skip: j.skip });
              if (j.kind === 'headTwice') {
                // a driver bug: DHPR written again with the value it holds
                const port = r.world.dma.engine.port(channelOwner(j.ch));
                const head = port.readChan(j.ch, 'DHPR');
                if (typeof head === 'number') port.writeChan(j.ch, 'DHPR', head);
              }
            }
          },
        });
        const { engine } = run.world.dma;
        for (let n = 0; n < MIC_DMA_NUM_CHAN; n++) run.world.sched.faults.disarm(`dma.ch${n}.descError`);
        for (let n = 0; n < MIC_DMA_NUM_CHAN; n++) if (engine.regs(n).dcherr !== 0) bad.add(n);
        // what should have broken did
        for (const j of injections) {
          if (j.kind === 'h2h' && run.subs.some((s) => s.ch === j.ch && s.src.host && s.dst.host) && !bad.has(j.ch)) throw new Error(`channel ${j.ch}: host-to-host copy did not halt it`);
          if (j.kind === 'headTwice' && !bad.has(j.ch)) throw new Error(`channel ${j.ch}: head written twice did not halt it`);
          if (j.kind === 'inject' && run.world.sched.faults.fired(`dma.ch${j.ch}.descError`) > 0 && !bad.has(j.ch)) throw new Error(`channel ${j.ch}: injected error did not halt it`);
        }
        // unrelated refusals are failures; halted channels refusing new work is expected
        if (run.problems.length > 0) throw new Error(run.problems.join('\n'));
        for (const n of bad) {
          const r = engine.regs(n);
          if ((r.dstat & MIC_DMA_CHAN_QUIESCE) === 0) throw new Error(`channel ${n}: halted but DSTAT not quiesced`);
          const tail = r.dtpr;
          run.chans[n]!.issuePending();
          run.world.sched.runUntilIdle(100_000);
          if (engine.regs(n).dtpr !== tail) throw new Error(`channel ${n}: tail moved while halted`);
          const probe = run.chans[n]!.prepMemcpy(0x1000, 0x2000, 64, 0);
          if (!isDmaError(probe) || probe.reason !== 'channel-halted') throw new Error(`channel ${n}: halted channel accepted work`);
        }
        const outstanding = run.subs.filter((s) => bad.has(s.ch) && run.chans[s.ch]!.txStatus(s.cookie) !== 'complete');
        for (const s of outstanding) if (run.chans[s.ch]!.txStatus(s.cookie) !== 'in-progress' || s.calls.length !== 0) throw new Error(`op ${s.index}: outstanding on a halted channel but not in progress`);
        for (const n of bad) {
          const e = run.chans[n]!.reinit();
          if (e !== undefined) throw new Error(`channel ${n}: re-init failed: ${e.detail}`);
          if (engine.regs(n).dcherr !== 0 || !engine.regs(n).enabled) throw new Error(`channel ${n}: not running after re-init`);
        }
        for (const s of run.subs) {
          const st = run.chans[s.ch]!.txStatus(s.cookie);
          if (outstanding.includes(s)) {
            if (st !== 'error' || s.calls.length !== 1 || s.calls[0] !== 'aborted') throw new Error(`op ${s.index}: aborted transaction ends ${st} with callbacks ${JSON.stringify(s.calls)}`);
            adoptReal(run, s.dst.host, s.dst.addr, s.len);
          } else {
            if (st !== 'complete' || s.calls.length !== 1 || s.calls[0] !== 'noerror') throw new Error(`op ${s.index} (channel ${s.ch}${bad.has(s.ch) ? ', halted' : ''}) ends ${st} with callbacks ${JSON.stringify(s.calls)}`);
            applyToShadow(run, s);
          }
        }
        // every re-initialised channel copies correctly again
        for (const n of bad) {
          const len = 4096;
          const src = 0x3000_0000 + n * 0x10000;
          const dst = 0x3100_0000 + n * 0x10000;
          const bytes = new Uint8Array(len).fill(0xa0 + n);
          const card = run.world.platform.cards[0]!.cardMemory;
          card.write(src, bytes);
          run.cardShadow.write(src, bytes);
          run.cardShadow.write(dst, bytes);
          const toHost = channelOwner(n) === 'host';
          if (toHost) run.hostShadow.write(dst, bytes);
          const tx = run.chans[n]!.prepMemcpy(toHost ? SMPT_WINDOW_BASE + dst : dst, src, len, 0);
          if (isDmaError(tx)) throw new Error(`channel ${n}: refused after re-init: ${tx.detail}`);
          const c = tx.submit();
          if (isDmaError(c) || run.chans[n]!.syncWait(c) !== 'complete') throw new Error(`channel ${n}: copy after re-init did not complete`);
          if (!toHost) continue;
          // the card shadow got a copy of dst that the card memory does not have: undo it
          adoptReal(run, false, dst, len);
        }
        const diff = compareWithShadow(run);
        if (diff !== undefined) throw new Error(diff);
        return true;
      },
    ),
});
