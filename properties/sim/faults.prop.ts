/**
 * Claim: an armed fault point fires on exactly the hits numbered skip+1 .. skip+times after it was
 *   armed (re-arming restarts the count), a disarmed or never-armed point never fires, fired()
 *   counts the firings, and points() lists each declared point once, sorted, with its first
 *   description.
 * Source: issue 2 item 2 ("fault hooks: named points where a property can inject a failure");
 *   model/contract/sim.ts FaultHooks.
 * Level: unit
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';

const NAMES = ['dma.desc.fetch', 'pcie.doorbell.lost', 'card.reset.hang'] as const;

type Op =
  | { op: 'declare'; p: number; desc: string }
  | { op: 'arm'; p: number; times: number | undefined; skip: number | undefined }
  | { op: 'disarm'; p: number }
  | { op: 'hit'; p: number };

const p = fc.nat({ max: NAMES.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant('declare' as const), p, desc: fc.constantFrom('a', 'b', 'c') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('arm' as const),
      p,
      times: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      skip: fc.option(fc.nat({ max: 4 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disarm' as const), p }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('hit' as const), p }) },
);

export const faultHooks = defineProperty({
  id: 'sim.faultHooks',
  claim: 'an armed point fires exactly `times` times after `skip` hits; disarmed points never fire',
  source: 'issue 2 item 2; model/contract/sim.ts FaultHooks',
  level: 'unit',
  requires: ['sim'],
  runs: 500,
  build: (impl) =>
    fc.property(fc.array(opArb, { maxLength: 80, size: 'max' }), (ops) => {
      const f = impl.sim!.createScheduler().faults;
      // the model counts hits since the last arm; a point fires on hit numbers in (skip, skip + times]
      const window = NAMES.map(() => ({ active: false, from: 0, to: 0, hitsSinceArm: 0, fired: 0 }));
      const declared = new Map<string, string>();
      for (const name of NAMES) {
        f.declare(name, `first ${name}`);
        declared.set(name, `first ${name}`);
      }
      ops.forEach((o, k) => {
        const m = window[o.p]!;
        const name = NAMES[o.p]!;
        if (o.op === 'declare') f.declare(name, o.desc);
        else if (o.op === 'arm') {
          const opts: { times?: number; skip?: number } = {};
          if (o.times !== undefined) opts.times = o.times;
          if (o.skip !== undefined) opts.skip = o.skip;
          f.arm(name, opts);
          const skip = o.skip ?? 0;
          Object.assign(m, { active: true, from: skip + 1, to: skip + (o.times ?? 1), hitsSinceArm: 0 });
        } else if (o.op === 'disarm') {
          f.disarm(name);
          m.active = false;
        } else {
          m.hitsSinceArm++;
          const want = m.active && m.hitsSinceArm >= m.from && m.hitsSinceArm <= m.to;
          const got = f.hit(name);
          if (got !== want) throw new Error(`op ${k}: hit(${name}) = ${got}, expected ${want} (hit #${m.hitsSinceArm} since arm, window ${m.from}..${m.to}, active ${m.active})`);
          if (want) m.fired++;
        }
      });
      NAMES.forEach((name, i) => {
        if (f.fired(name) !== window[i]!.fired) throw new Error(`fired(${name}) = ${f.fired(name)}, expected ${window[i]!.fired}`);
      });
      const pts = f.points();
      const want = [...declared.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, description]) => ({ name, description }));
      if (JSON.stringify(pts) !== JSON.stringify(want)) throw new Error(`points() = ${JSON.stringify(pts)}, expected ${JSON.stringify(want)}`);
      return true;
    }),
});
