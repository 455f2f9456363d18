/**
 * Claim: under random traffic from both sides on all 8 channels at once (random sizes, flags,
 *   issue points and interleavings), every submitted cookie completes exactly once, cookies of a
 *   channel complete in submission order, each callback runs exactly once with 'noerror', and no
 *   callback runs for anything that was not submitted.
 * Source: facts §7.5 (tx_submit cookies, cleanup runs each callback once, auto-issue level);
 *   DESIGN.md §6 "exactly-once completion".
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { journaled } from '../journal.ts';
import { dmaJournal, opArb, runTraffic } from './traffic.ts';

export const exactlyOnce = defineProperty({
  id: 'dma.traffic.exactlyOnce',
  claim: 'every submitted cookie completes exactly once, in submission order per channel; callbacks run once',
  source: 'facts §7.5; DESIGN.md §6',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 80,
  build: (impl) =>
    fc.property(fc.array(opArb(), { minLength: 1, maxLength: 30 }), interleaving(300), journaled(dmaJournal, (journal, ops, choices) => {
      const run = runTraffic(impl, ops, choices, { journal });
      if (run.problems.length > 0) throw new Error(run.problems.join('\n'));
      const seen = new Set<string>();
      const lastIndex = new Map<number, number>();
      const lastCookie = new Map<number, number>();
      for (const s of run.subs) {
        const key = `${s.ch}:${s.cookie}`;
        if (!(s.cookie > 0) || seen.has(key)) throw new Error(`cookie ${key} is not positive or not unique`);
        seen.add(key);
        if (s.cookie <= (lastCookie.get(s.ch) ?? 0)) throw new Error(`cookies of channel ${s.ch} do not increase`);
        lastCookie.set(s.ch, s.cookie);
        const st = run.chans[s.ch]!.txStatus(s.cookie);
        if (st !== 'complete') throw new Error(`op ${s.index} (ch ${s.ch} cookie ${s.cookie}) ends ${st}`);
        if (s.calls.length !== 1 || s.calls[0] !== 'noerror') throw new Error(`op ${s.index}: callback ran ${JSON.stringify(s.calls)}`);
      }
      if (run.callOrder.length !== run.subs.length) throw new Error(`${run.callOrder.length} callbacks for ${run.subs.length} submissions`);
      for (const s of run.callOrder) {
        if (!run.subs.includes(s)) throw new Error(`callback for an unknown submission`);
        if (s.index < (lastIndex.get(s.ch) ?? -1)) throw new Error(`channel ${s.ch}: op ${s.index} completed after a later submission`);
        lastIndex.set(s.ch, s.index);
      }
      // a cookie that was never handed out is not complete
      for (const c of run.chans) {
        const next = run.subs.filter((s) => s.ch === c.channel).length + 1;
        if (c.txStatus(next) !== 'error' || c.txStatus(0) !== 'error') throw new Error(`channel ${c.channel}: an unissued cookie reports a status other than error`);
      }
      return true;
    })),
});
