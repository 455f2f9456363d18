/**
 * A random workload program for the scheduler properties: agents posting events, setting timers,
 * cancelling timers, and doing so from inside running events (nested). The program is plain data
 * (so fast-check shrinks it); `runWorkload` interprets it on a scheduler and keeps its own log of
 * what was created, cancelled and run, which the properties then judge.
 */
import fc from 'fast-check';
import type { Scheduler } from '../../model/contract.ts';


export type Action =
  | { readonly kind: 'post'; readonly agent: number; readonly parent: number }
  | { readonly kind: 'timer'; readonly agent: number; readonly delay: number; readonly parent: number }
  | { readonly kind: 'cancel'; readonly target: number; readonly parent: number };

export const AGENTS = ['card0.dma.ch0', 'card0.dma.ch1', 'host.daemon', 'host.reset', 'card0.virtio', 'x'] as const;

/** delays cluster on a few values so that deadlines tie often */
const delayArb = fc.oneof(fc.constantFrom(0, 1, 1000, 1000, 45_000_000_000), fc.nat({ max: 5000 }));

/**
 * `parent` = -1: performed at setup; otherwise the index of an earlier action, performed when that
 * action's event runs (or right after that cancel is performed), so programs are acyclic.
 */
export const programArb = (maxLength = 60): fc.Arbitrary<Action[]> =>
  fc
    .array(
      fc.record({
        kind: fc.constantFrom('post', 'post', 'timer', 'timer', 'cancel'),
        agent: fc.nat({ max: AGENTS.length - 1 }),
        delay: delayArb,
        // half the actions at setup, so several agents are ready at once and choices matter
        root: fc.boolean(),
        parentRaw: fc.nat(),
        targetRaw: fc.nat(),
      }),
      { maxLength, size: 'max' },
    )
    .map((raw) =>
      raw.map((r, i): Action => {
        const parent = r.root || i === 0 ? -1 : r.parentRaw % i;
        if (r.kind === 'post') return { kind: 'post', agent: r.agent, parent };
        if (r.kind === 'timer') return { kind: 'timer', agent: r.agent, delay: r.delay, parent };
        return { kind: 'cancel', target: r.targetRaw % raw.length, parent };
      }),
    );

export interface EventInfo {
  /** performed: the post/after call was made */
  performed: boolean;
  /** virtual time of the post/after call */
  createdAt: number;
  /** creation order among all events of the run */
  createSeq: number;
  /** when it must run: the post time, or the timer deadline */
  readyTime: number;
  timerId: number | undefined;
  cancelled: boolean;
  runs: number;
  runAt: number;
}

export interface WorkloadRun {
  readonly program: readonly Action[];
  readonly info: readonly EventInfo[];
  /** action indices in the order their events ran */
  readonly log: readonly number[];
  /** violations noticed while running (wrong cancel result, errors returned, double perform) */
  readonly problems: readonly string[];
  readonly steps: number;
  readonly idle: boolean;
}

export function whoOf(a: Action): string {
  return a.kind === 'cancel' ? '' : AGENTS[a.agent]!;
}

export function runWorkload(s: Scheduler, program: readonly Action[], maxSteps = 100_000): WorkloadRun {
  const children: number[][] = [[]];
  for (let i = 0; i < program.length; i++) children.push([]);
  program.forEach((a, i) => children[a.parent + 1]!.push(i));
  const info: EventInfo[] = program.map(() => ({
    performed: false,
    createdAt: -1,
    createSeq: -1,
    readyTime: -1,
    timerId: undefined,
    cancelled: false,
    runs: 0,
    runAt: -1,
  }));
  const log: number[] = [];
  const problems: string[] = [];
  let seq = 0;

  const runChildren = (j: number): void => {
    for (const c of children[j + 1]!) perform(c);
  };
  const run = (j: number): void => {
    const e = info[j]!;
    e.runs++;
    e.runAt = s.now;
    log.push(j);
    if (e.runs === 1) runChildren(j);
  };
  const perform = (j: number): void => {
    const a = program[j]!;
    const e = info[j]!;
    if (e.performed) {
      problems.push(`action ${j} performed twice (its parent ran twice)`);
      return;
    }
    e.performed = true;
    e.createdAt = s.now;
    if (a.kind === 'post') {
      e.createSeq = seq++;
      e.readyTime = s.now;
      s.post(AGENTS[a.agent]!, `a${j}`, () => run(j));
    } else if (a.kind === 'timer') {
      e.createSeq = seq++;
      e.readyTime = s.now + a.delay;
      const id = s.after(a.delay, AGENTS[a.agent]!, `a${j}`, () => run(j));
      if (typeof id !== 'number') problems.push(`after(${a.delay}) at ${s.now} refused: ${JSON.stringify(id)}`);
      else e.timerId = id;
    } else {
      const t = program[a.target]!;
      const te = info[a.target]!;
      if (t.kind === 'timer' && te.timerId !== undefined) {
        // restated rule: a cancel succeeds exactly when the timer is pending (created, not run, not cancelled)
        const expected = te.runs === 0 && !te.cancelled;
        const got = s.cancel(te.timerId);
        if (got !== expected) problems.push(`cancel(a${a.target}) returned ${got}, expected ${expected}`);
        if (got) te.cancelled = true;
      }
      runChildren(j);
    }
  };

  runChildren(-1);
  const r = s.runUntilIdle(maxSteps);
  return { program, info, log, problems, steps: r.steps, idle: r.idle };
}

/** the trace a faithful recorder must produce for this run: one line per event, in run order */
export function expectedTraceText(w: WorkloadRun): string {
  let out = '';
  for (const j of w.log) out += `${w.info[j]!.runAt} ${whoOf(w.program[j]!)} a${j}\n`;
  return out;
}
