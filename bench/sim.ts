/**
 * Scheduler throughput (issue 2 item 2: the scheduler is the hot path every DMA descriptor and ring
 * step goes through).
 *   sim.events         post+step of ready events over 8 agents, trace off; baseline: a raw JS array
 *                      of closures run in order (the least any event queue can cost)
 *   sim.events.traced  the same with the trace recording (fresh scheduler per batch)
 *   sim.timers         timer events (after + advance + run) with spread deadlines; baseline: the
 *                      same {deadline, closure} records sorted with Array.prototype.sort, then run
 */
import type { Scheduler } from '../model/contract.ts';
import { reference } from '../impl/index.ts';
import { rate, withBaseline, type BenchRecord, type BenchSuite } from './harness.ts';

const AGENTS = ['card0.dma.ch0', 'card0.dma.ch1', 'card0.dma.ch2', 'card0.dma.ch3', 'host.daemon', 'host.virtio', 'card0.virtio', 'card0.reset'];
const BATCH = 10_000;

function run(): BenchRecord[] {
  const sim = reference.sim;
  if (sim === undefined) return [];
  let sink = 0;
  const work = (): void => {
    sink++;
  };

  // events: keep a few events in flight per agent, as DMA channels and rings do
  const eventsThrough = (s: Scheduler): number => {
    for (let i = 0; i < BATCH; i++) {
      s.post(AGENTS[i & 7]!, 'ev', work);
      if ((i & 3) === 3) for (let k = 0; k < 4; k++) s.step();
    }
    s.runUntilIdle();
    return BATCH;
  };
  const untraced = sim.createScheduler({ seed: 1, trace: false });
  const events = rate(() => eventsThrough(untraced));
  const traced = rate(() => eventsThrough(sim.createScheduler({ seed: 1 })));
  const queue: (() => void)[] = [];
  const rawEvents = rate(() => {
    for (let i = 0; i < BATCH; i++) {
      queue.push(work);
      if ((i & 3) === 3) {
        for (let k = 0; k < queue.length; k++) queue[k]!();
        queue.length = 0;
      }
    }
    for (let k = 0; k < queue.length; k++) queue[k]!();
    queue.length = 0;
    return BATCH;
  });

  // timers: deadlines spread over 1 ms with ties, set from a deterministic stream
  const delays = Array.from({ length: BATCH }, (_, i) => ((i * 2654435761) >>> 0) % 1_000_000);
  const ts = sim.createScheduler({ seed: 1, trace: false });
  const timers = rate(() => {
    for (let i = 0; i < BATCH; i++) ts.after(delays[i]!, AGENTS[i & 7]!, 'tm', work);
    ts.runUntilIdle();
    return BATCH;
  });
  const rawTimers = rate(() => {
    const recs: { at: number; seq: number; fn: () => void }[] = [];
    for (let i = 0; i < BATCH; i++) recs.push({ at: delays[i]!, seq: i, fn: work });
    recs.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const r of recs) r.fn();
    return BATCH;
  });
  if (sink < 0) throw new Error('unreachable');

  return [
    withBaseline('sim.events', 'events/s', events, rawEvents, '8 agents, trace off; baseline: raw closure array'),
    withBaseline('sim.events.traced', 'events/s', traced, rawEvents, 'trace on; baseline: raw closure array'),
    withBaseline('sim.timers', 'timers/s', timers, rawTimers, 'after+advance+run; baseline: sort records, run'),
  ];
}

export const suite: BenchSuite = { area: 'sim', run };
