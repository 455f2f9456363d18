/**
 * Claim: any choice sequence gives a valid run: every posted event and every uncancelled timer runs
 *   exactly once, a cancelled timer never runs (cancel succeeds exactly when the timer is pending),
 *   events run at the instant they became ready (a post: when posted; a timer: at its deadline,
 *   never before), time never goes backwards, events of one agent run in the order they became
 *   ready, choices are asked only between >= 2 ready agents, and the run ends idle.
 * Source: DESIGN.md §3 (every interleaving is a scheduler choice); issue 2 item 2 ("every choice
 *   source sequence is a valid run"); model/contract/sim.ts Scheduler.
 * Level: unit
 */
import fc from 'fast-check';
import type { ChoiceSource } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { programArb, runWorkload, whoOf, type WorkloadRun } from './workload.ts';

/** every violation of the run rules, judged from the workload's own log */
export function judgeRun(w: WorkloadRun): string[] {
  const bad: string[] = [...w.problems];
  if (!w.idle) bad.push(`run did not end idle after ${w.steps} steps`);
  w.program.forEach((a, j) => {
    const e = w.info[j]!;
    if (a.kind === 'cancel' || !e.performed) return;
    const want = e.cancelled ? 0 : 1;
    if (e.runs !== want) bad.push(`a${j} (${a.kind}${e.cancelled ? ', cancelled' : ''}) ran ${e.runs} times, expected ${want}`);
    if (e.runs > 0 && e.runAt !== e.readyTime) bad.push(`a${j} (${a.kind}) ran at ${e.runAt}, became ready at ${e.readyTime}`);
  });
  for (let k = 1; k < w.log.length; k++) {
    const prev = w.info[w.log[k - 1]!]!.runAt;
    const cur = w.info[w.log[k]!]!.runAt;
    if (cur < prev) bad.push(`time went backwards: a${w.log[k - 1]} at ${prev}, then a${w.log[k]} at ${cur}`);
  }
  // per-agent order, pairwise over events of the same agent (E ran before F)
  for (let x = 0; x < w.log.length; x++) {
    for (let y = x + 1; y < w.log.length; y++) {
      const ej = w.log[x]!;
      const fj = w.log[y]!;
      const ea = w.program[ej]!;
      const fa = w.program[fj]!;
      if (ej === fj || whoOf(ea) !== whoOf(fa)) continue;
      const E = w.info[ej]!;
      const F = w.info[fj]!;
      const order = `a${ej} ran before a${fj} on ${whoOf(ea)}`;
      if (ea.kind === 'post' && fa.kind === 'post' && F.createSeq < E.createSeq) bad.push(`${order} but was posted after it`);
      if (ea.kind === 'timer' && fa.kind === 'timer') {
        if (F.readyTime < E.readyTime || (F.readyTime === E.readyTime && F.createSeq < E.createSeq)) {
          bad.push(`${order} but a${fj} is due earlier (${F.readyTime}, #${F.createSeq} vs ${E.readyTime}, #${E.createSeq})`);
        }
      }
      // a timer set before its deadline is ready when time reaches it, before any post made at that instant
      if (ea.kind === 'post' && fa.kind === 'timer' && F.readyTime === E.readyTime && F.createdAt < F.readyTime) {
        bad.push(`${order} but the timer was ready at ${F.readyTime} before the post was made`);
      }
    }
  }
  return bad;
}

/** a choice source that also checks it is asked only with n >= 2 */
function checked(inner: ChoiceSource, misuse: string[]): ChoiceSource {
  return {
    choose(n: number): number {
      if (!(Number.isInteger(n) && n >= 2)) misuse.push(`choose(${n}) asked`);
      return inner.choose(n);
    },
  };
}

export const anyChoicesValidRun = defineProperty({
  id: 'sim.anyChoicesValidRun',
  claim: 'every choice sequence gives a valid run: each event runs once, cancelled timers never, timers not early, time monotone, per-agent FIFO',
  source: 'DESIGN.md §3; issue 2 item 2; model/contract/sim.ts Scheduler',
  level: 'unit',
  requires: ['sim'],
  runs: 1000,
  build: (impl) =>
    fc.property(programArb(), interleaving(80), (program, values) => {
      const misuse: string[] = [];
      const s = impl.sim!.createScheduler({ choices: checked(choicesFrom(values), misuse), trace: false });
      const w = runWorkload(s, program);
      const bad = [...misuse, ...judgeRun(w)];
      if (s.pending() !== 0) bad.push(`pending() = ${s.pending()} after an idle run`);
      if (bad.length > 0) throw new Error(bad.slice(0, 10).join('\n'));
      return true;
    }),
});
