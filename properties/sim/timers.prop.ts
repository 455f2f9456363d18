/**
 * Claim: virtual timers fire in deadline order, ties on one agent in creation order, each exactly at
 *   its deadline; and a poll loop (e.g. the 45 s reset poll of 1 s timers) completes in virtual time
 *   with 2 steps per poll (one to advance, one to run), however long the period.
 * Source: DESIGN.md §3 ("a 45 s reset poll costs nothing in a test"); issue 2 item 2; facts on the
 *   reset poll (mic-x100-facts.md, the driver polls reset status for up to 45 s).
 * Level: unit
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';

interface TimerSpec {
  readonly agent: number;
  readonly delay: number;
  /** -1: set at start; else set when timer `parent` fires */
  readonly parent: number;
}

const timerProgram = fc
  .array(
    fc.record({
      agent: fc.nat({ max: 3 }),
      delay: fc.oneof(fc.constantFrom(0, 5, 5, 10, 1_000_000_000), fc.nat({ max: 40 })),
      parentRaw: fc.nat(),
    }),
    { maxLength: 50, size: 'max' },
  )
  .map((raw) => raw.map((r, i): TimerSpec => ({ agent: r.agent, delay: r.delay, parent: (r.parentRaw % (i + 1)) - 1 })));

export const timersInOrder = defineProperty({
  id: 'sim.timersInOrder',
  claim: 'timers fire at their deadline, in deadline order, ties on one agent by creation order',
  source: 'DESIGN.md §3; issue 2 item 2',
  level: 'unit',
  requires: ['sim'],
  runs: 500,
  build: (impl) =>
    fc.property(timerProgram, interleaving(60), (specs, values) => {
      const s = impl.sim!.createScheduler({ choices: choicesFrom(values), trace: false });
      const deadline: number[] = specs.map(() => -1);
      const created: number[] = specs.map(() => -1);
      const fired: { j: number; at: number }[] = [];
      let seq = 0;
      const set = (j: number): void => {
        const t = specs[j]!;
        deadline[j] = s.now + t.delay;
        created[j] = seq++;
        const id = s.after(t.delay, `agent${t.agent}`, `t${j}`, () => {
          fired.push({ j, at: s.now });
          specs.forEach((c, k) => c.parent === j && set(k));
        });
        if (typeof id !== 'number') throw new Error(`after refused: ${JSON.stringify(id)}`);
      };
      specs.forEach((c, k) => c.parent === -1 && set(k));
      const r = s.runUntilIdle(10_000);
      if (!r.idle) throw new Error('not idle');
      const setCount = created.filter((c) => c >= 0).length;
      if (fired.length !== setCount) throw new Error(`${fired.length} timers fired, ${setCount} were set`);
      for (let k = 0; k < fired.length; k++) {
        const { j, at } = fired[k]!;
        if (at !== deadline[j]) throw new Error(`t${j} fired at ${at}, deadline ${deadline[j]}`);
        if (k > 0 && deadline[fired[k - 1]!.j]! > deadline[j]!) throw new Error(`t${fired[k - 1]!.j} (due ${deadline[fired[k - 1]!.j]}) fired before t${j} (due ${deadline[j]})`);
        for (let m = 0; m < k; m++) {
          const p = fired[m]!.j;
          if (specs[p]!.agent === specs[j]!.agent && deadline[p] === deadline[j] && created[p]! > created[j]!) {
            throw new Error(`agent${specs[j]!.agent}: t${p} and t${j} both due ${deadline[j]}, created in the other order`);
          }
        }
      }
      return true;
    }),
});

export const pollLoopIsCheap = defineProperty({
  id: 'sim.pollLoopCheap',
  claim: 'a poll loop of n timers of period p ends at n*p virtual ns in exactly 2n steps (time jumps, it does not tick)',
  source: 'DESIGN.md §3 ("a 45 s reset poll costs nothing"); issue 2 item 2',
  level: 'unit',
  requires: ['sim'],
  runs: 100,
  build: (impl) =>
    fc.property(
      fc.integer({ min: 1, max: 60 }),
      fc.oneof(fc.constant(1_000_000_000), fc.integer({ min: 1, max: 10_000_000_000 })),
      (n, period) => {
        const s = impl.sim!.createScheduler({ trace: false });
        let polls = 0;
        const poll = (): void => {
          polls++;
          if (polls < n) s.after(period, 'host.reset', 'poll', poll);
        };
        s.after(period, 'host.reset', 'poll', poll);
        const r = s.runUntilIdle(10 * n);
        return r.idle && polls === n && s.now === n * period && r.steps === 2 * n;
      },
    ),
});
