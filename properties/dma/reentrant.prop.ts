/**
 * Claim: with clients that re-enter their channel from inside completion callbacks (submit a new
 *   transaction, poll a cookie with txStatus, issue pending work, tear the channel down with
 *   release() or beginRelease()), on all 8 channels under random interleavings: every submitted
 *   cookie completes or aborts exactly once (its callback runs exactly once, 'noerror' here since
 *   no fault is injected), a callback sees its own cookie complete, a cookie whose callback ran
 *   stays complete and a complete one has had its callback, callbacks of a channel run in cookie
 *   order, nothing completes on a channel after it was released, the client's counters agree
 *   (completed + aborted = submitted; completed = callbacks + drain fences), and every destination,
 *   nested submissions included, holds its source bytes with nothing else changed.
 * Source: facts §7.5 (cleanup completes the cookie, then runs the callback once; tx_status runs
 *   the cleanup; teardown drains with a fence); Linux dmaengine (dma_cookie_complete before the
 *   callback; clients submit and poll from callbacks); DESIGN.md §6 "exactly-once completion";
 *   issue 13 item 2.
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { journaled } from '../journal.ts';
import { applyToShadow, compareWithShadow, dmaJournal, reentrantOpArb, runTraffic, type Submission } from './traffic.ts';
import { clientOf } from './world.ts';
import { channelOwner } from '../../model/constants/dma.ts';

/**
 * Callbacks may start a cleanup inside the cleanup that runs them (poll a cookie not yet known
 * complete, or release() the channel, which runs the scheduler and its interrupts): the reference's
 * cleanup is re-entrant. `MICVOP_REENTRANT=safe` keeps to the calls that cannot nest, to tell a
 * re-entrancy bug of a plug-in from any other.
 */
const MODE = process.env.MICVOP_REENTRANT === 'safe' ? 'no-nested-cleanup' : 'full';

export const reentrant = defineProperty({
  id: 'dma.traffic.reentrant',
  claim: 'clients that submit, poll, issue and tear down from their callbacks: every cookie completes exactly once, callbacks see consistent state, nothing completes after release',
  source: 'facts §7.5; Linux dmaengine callbacks; DESIGN.md §6; issue 13 item 2',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 60,
  build: (impl) =>
    fc.property(fc.array(reentrantOpArb(), { minLength: 1, maxLength: 24 }), interleaving(300), journaled(dmaJournal, (journal, ops, choices) => {
      const run = runTraffic(impl, ops, choices, { reentrant: MODE, journal });
      if (run.problems.length > 0) throw new Error(run.problems.join('\n'));
      const name = (s: Submission) => `${s.nested ? 'nested submission of op' : 'op'} ${s.index} (ch ${s.ch} cookie ${s.cookie})`;
      const noerror = new Map<number, number>();
      for (const s of run.subs) {
        if (s.calls.length !== 1 || s.calls[0] !== 'noerror') throw new Error(`${name(s)}: callback ran ${JSON.stringify(s.calls)}`);
        noerror.set(s.ch, (noerror.get(s.ch) ?? 0) + 1);
        // the channel as it is now: only submissions of its current life can be asked
        if (s.life === run.lives[s.ch]) {
          const st = run.chans[s.ch]!.txStatus(s.cookie);
          if (st !== 'complete') throw new Error(`${name(s)} ends ${st}`);
        }
      }
      if (run.callOrder.length !== run.subs.length) throw new Error(`${run.callOrder.length} callbacks for ${run.subs.length} submissions`);
      const last = new Map<string, number>();
      for (const s of run.callOrder) {
        const key = `${s.ch}/${s.life}`;
        if (s.cookie <= (last.get(key) ?? 0)) throw new Error(`channel ${s.ch}: ${name(s)} completed after a later cookie`);
        last.set(key, s.cookie);
      }
      for (let ch = 0; ch < run.chans.length; ch++) {
        const st = clientOf(run.world, channelOwner(ch)).stats(ch);
        if (st.completed + st.aborted !== st.submitted) throw new Error(`channel ${ch}: counters say ${st.submitted} submitted, ${st.completed} completed, ${st.aborted} aborted`);
        // never requested again: one set of counters covers everything this run did on it
        if (run.lives[ch] === 0 && st.completed !== (noerror.get(ch) ?? 0) + run.terminations[ch]!) {
          throw new Error(`channel ${ch}: ${st.completed} completions counted, ${noerror.get(ch) ?? 0} callbacks ran and ${run.terminations[ch]} drain fences were submitted`);
        }
      }
      for (const s of run.subs) applyToShadow(run, s);
      const diff = compareWithShadow(run);
      if (diff !== undefined) throw new Error(diff);
      return true;
    })),
});
