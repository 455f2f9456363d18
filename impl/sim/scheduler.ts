/**
 * The deterministic scheduler (DESIGN.md §3). Agents (named queues, `who`) hold ready events run in
 * FIFO order; which agent runs next is a choice from the ChoiceSource, asked only when two or more
 * agents are ready. Timers live in virtual time (a binary heap ordered by deadline, then creation):
 * time advances only when nothing is ready, and then jumps straight to the next deadline, making all
 * timers due at that instant ready together.
 *
 * Time is a JS number of nanoseconds, exact up to Number.MAX_SAFE_INTEGER (2^53 - 1 ns, ~104 days);
 * a timer or runFor that would go beyond it is refused with a SchedulerError value.
 *
 * Hot path: post() and step() allocate nothing beyond the caller's closure (ring-buffer queues per
 * agent, ready set as an array with swap-remove, pooled timer records, trace in parallel arrays).
 */
import type {
  ChoiceSource,
  FaultHooks,
  Scheduler,
  SchedulerError,
  SchedulerOptions,
  StepOutcome,
  TimerId,
  Trace,
} from '../../model/contract.ts';
import { normalizeChoice, prngChoices } from './choice.ts';
import { Sfc32 } from './rng.ts';
import { SimTrace } from './trace.ts';
import { SimFaults } from './faults.ts';

/** default step budget of runUntilIdle/runUntil/runFor: a runaway loop stops instead of hanging a test */
export const DEFAULT_MAX_STEPS = 10_000_000;
/** the latest representable virtual instant, ns */
export const MAX_TIME_NS = Number.MAX_SAFE_INTEGER;
/** nextU32's stream is independent of the choice stream, so it does not shift when choices are overridden */
const VALUE_STREAM_SALT = 0x6a09e667;

type Fn = () => void;

/** where a timer record is: free (pooled), waiting in the heap, or due and queued on its agent */
const FREE = 0;
const IN_HEAP = 1;
const QUEUED = 2;

interface TimerRec {
  id: number;
  at: number;
  agent: Agent | null;
  what: string;
  fn: Fn | null;
  state: number;
}

/** a queue entry: a posted closure, or a due timer (kept as its record so it can still be cancelled) */
type Entry = Fn | TimerRec;

class Agent {
  readonly who: string;
  fns: (Entry | undefined)[] = new Array(8);
  whats: string[] = new Array(8);
  mask = 7;
  head = 0;
  len = 0;
  /** position in the ready array, -1 when the agent has nothing ready */
  readyIdx = -1;

  constructor(who: string) {
    this.who = who;
  }

  push(what: string, fn: Entry): void {
    if (this.len > this.mask) this.grow();
    const i = (this.head + this.len) & this.mask;
    this.fns[i] = fn;
    this.whats[i] = what;
    this.len++;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const fns: (Entry | undefined)[] = new Array(cap);
    const whats: string[] = new Array(cap);
    for (let k = 0; k < this.len; k++) {
      const i = (this.head + k) & this.mask;
      fns[k] = this.fns[i];
      whats[k] = this.whats[i]!;
    }
    this.fns = fns;
    this.whats = whats;
    this.head = 0;
    this.mask = cap - 1;
  }

  /** removes one queued entry (a cancelled due timer), keeping the others in order; O(len), cancels are rare */
  remove(e: Entry): boolean {
    for (let k = 0; k < this.len; k++) {
      if (this.fns[(this.head + k) & this.mask] !== e) continue;
      for (let m = k; m < this.len - 1; m++) {
        const to = (this.head + m) & this.mask;
        const from = (this.head + m + 1) & this.mask;
        this.fns[to] = this.fns[from];
        this.whats[to] = this.whats[from]!;
      }
      this.fns[(this.head + this.len - 1) & this.mask] = undefined;
      this.len--;
      return true;
    }
    return false;
  }
}

function timerBefore(x: TimerRec, y: TimerRec): boolean {
  return x.at < y.at || (x.at === y.at && x.id < y.id);
}

function schedError(reason: SchedulerError['reason'], detail: string): SchedulerError {
  return { kind: 'sched-error', reason, detail };
}

export function isSchedulerError(v: unknown): v is SchedulerError {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'sched-error';
}

export class SimScheduler implements Scheduler {
  private t = 0;
  readonly trace: Trace;
  readonly faults: FaultHooks;
  private readonly tr: SimTrace;
  private readonly traceOn: boolean;
  private readonly choices: ChoiceSource;
  private readonly values: Sfc32;

  private readonly agents = new Map<string, Agent>();
  /** the agent the last lookup returned (agents are never removed, so it cannot go stale) */
  private lastAgent: Agent | undefined = undefined;
  private readonly ready: Agent[] = [];
  private readyEvents = 0;

  private readonly heap: TimerRec[] = [];
  /** uncancelled timers not yet run, whether still in the heap or already due and queued */
  private readonly liveTimers = new Map<TimerId, TimerRec>();
  /** uncancelled timers still in the heap */
  private heapLive = 0;
  private readonly pool: TimerRec[] = [];
  private nextTimerId = 1;

  private injected: { who: string; what: string; fn: Fn }[] = [];
  private running = false;

  constructor(opts: SchedulerOptions = {}) {
    const seed = opts.seed ?? 1;
    this.choices = opts.choices ?? prngChoices(seed);
    this.values = new Sfc32((seed ^ VALUE_STREAM_SALT) >>> 0);
    this.traceOn = opts.trace ?? true;
    this.tr = new SimTrace(this.traceOn, () => this.t);
    this.trace = this.tr;
    this.faults = new SimFaults((name) => {
      if (this.traceOn) this.tr.push(this.t, 'faults', `fire ${name}`);
    });
  }

  get now(): number {
    return this.t;
  }

  nextU32(): number {
    return this.values.nextU32();
  }

  private agent(who: string): Agent {
    // a run of posts usually names one agent (a DMA channel re-posting its step): skip the Map then
    const last = this.lastAgent;
    if (last !== undefined && last.who === who) return last;
    let a = this.agents.get(who);
    if (a === undefined) {
      a = new Agent(who);
      this.agents.set(who, a);
    }
    this.lastAgent = a;
    return a;
  }

  private enqueue(a: Agent, what: string, fn: Entry): void {
    a.push(what, fn);
    this.readyEvents++;
    if (a.readyIdx < 0) {
      a.readyIdx = this.ready.length;
      this.ready.push(a);
    }
  }

  post(who: string, what: string, fn: Fn): void {
    this.enqueue(this.agent(who), what, fn);
  }

  inject(who: string, what: string, fn: Fn): void {
    this.injected.push({ who, what, fn });
  }

  after(delayNs: number, who: string, what: string, fn: Fn): TimerId | SchedulerError {
    if (Number.isNaN(delayNs)) return schedError('invalid-delay', `timer "${who} ${what}": delay is NaN`);
    if (delayNs < 0) return schedError('negative-delay', `timer "${who} ${what}": delay ${delayNs} ns < 0`);
    // round fractions up: a timer may fire late by < 1 ns, never early
    const d = Math.ceil(delayNs);
    const at = this.t + d;
    if (!(at <= MAX_TIME_NS)) {
      return schedError('time-overflow', `timer "${who} ${what}": now ${this.t} + ${delayNs} ns exceeds ${MAX_TIME_NS} ns`);
    }
    const rec = this.pool.pop() ?? { id: 0, at: 0, agent: null, what: '', fn: null, state: FREE };
    rec.id = this.nextTimerId++;
    rec.at = at;
    rec.agent = this.agent(who);
    rec.what = what;
    rec.fn = fn;
    rec.state = IN_HEAP;
    this.liveTimers.set(rec.id, rec);
    this.heapLive++;
    this.heapPush(rec);
    return rec.id;
  }

  /**
   * True when the timer had not started running; it then never runs. A timer already due (queued on
   * its agent) can still be cancelled: a completion that cancels its timeout at the same instant
   * must win whatever the interleaving.
   */
  cancel(id: TimerId): boolean {
    const rec = this.liveTimers.get(id);
    if (rec === undefined) return false;
    this.liveTimers.delete(id);
    if (rec.state === IN_HEAP) {
      // lazy deletion: the record stays in the heap, dead (fn null), until it reaches the top
      rec.fn = null;
      this.heapLive--;
      return true;
    }
    const a = rec.agent!;
    a.remove(rec);
    this.readyEvents--;
    if (a.len === 0) this.unready(a);
    this.free(rec);
    return true;
  }

  pending(): number {
    return this.readyEvents + this.heapLive + this.injected.length;
  }

  private free(rec: TimerRec): void {
    rec.state = FREE;
    rec.fn = null;
    rec.agent = null;
    this.pool.push(rec);
  }

  /** swap-remove an agent whose queue just emptied from the ready set */
  private unready(a: Agent): void {
    const i = a.readyIdx;
    const last = this.ready.pop()!;
    if (last !== a) {
      this.ready[i] = last;
      last.readyIdx = i;
    }
    a.readyIdx = -1;
  }

  step(): StepOutcome {
    if (this.running) throw new Error('SimScheduler.step() called from inside a running event');
    if (this.injected.length > 0) this.drainInjected();
    const n = this.ready.length;
    if (n > 0) {
      const i = n >= 2 ? normalizeChoice(this.choices.choose(n), n) : 0;
      const a = this.ready[i]!;
      const h = a.head;
      const entry = a.fns[h]!;
      const what = a.whats[h]!;
      a.fns[h] = undefined;
      a.head = (h + 1) & a.mask;
      a.len--;
      this.readyEvents--;
      if (a.len === 0) this.unready(a);
      let fn: Fn;
      if (typeof entry === 'function') fn = entry;
      else {
        fn = entry.fn!;
        this.liveTimers.delete(entry.id);
        this.free(entry);
      }
      if (this.traceOn) this.tr.push(this.t, a.who, what);
      this.running = true;
      try {
        fn();
      } finally {
        this.running = false;
      }
      return 'ran';
    }
    return this.advance() ? 'advanced' : 'idle';
  }

  /** jump to the earliest live deadline and make every timer due then ready, in creation order */
  private advance(): boolean {
    const top = this.peekLive();
    if (top === undefined) return false;
    const at = top.at;
    this.t = at;
    while (this.heap.length > 0 && this.heap[0]!.at === at) {
      const rec = this.heapPop();
      if (rec.fn !== null) {
        rec.state = QUEUED;
        this.heapLive--;
        this.enqueue(rec.agent!, rec.what, rec);
      } else this.free(rec);
    }
    return true;
  }

  /** the earliest live timer, discarding cancelled ones on top */
  private peekLive(): TimerRec | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.fn !== null) return top;
      this.heapPop();
      this.free(top);
    }
    return undefined;
  }

  private drainInjected(): void {
    const batch = this.injected;
    this.injected = [];
    for (const e of batch) this.post(e.who, e.what, e.fn);
  }

  /** true when a step would run an event without advancing time */
  private hasReady(): boolean {
    return this.ready.length > 0 || this.injected.length > 0;
  }

  runUntilIdle(maxSteps: number = DEFAULT_MAX_STEPS): { steps: number; idle: boolean } {
    let steps = 0;
    while (steps < maxSteps) {
      if (this.step() === 'idle') break;
      steps++;
    }
    return { steps, idle: this.pending() === 0 };
  }

  /**
   * `limits.maxTimeNs` is relative to the virtual time at the call: the run stops before advancing
   * past now + maxTimeNs (events already ready at that instant still run).
   */
  runUntil(pred: () => boolean, limits: { maxSteps?: number; maxTimeNs?: number } = {}): boolean {
    const maxSteps = limits.maxSteps ?? DEFAULT_MAX_STEPS;
    const limit = limits.maxTimeNs === undefined ? MAX_TIME_NS : Math.min(MAX_TIME_NS, this.t + limits.maxTimeNs);
    let steps = 0;
    while (steps < maxSteps) {
      if (pred()) return true;
      if (!this.hasReady()) {
        const top = this.peekLive();
        if (top === undefined || top.at > limit) break;
      }
      this.step();
      steps++;
    }
    return pred();
  }

  /**
   * Runs everything due at or before now + ns, then sets now = now + ns. `complete` is false when
   * the step budget ran out first (time then stays where the last step left it) or the target time
   * is not representable (`error`).
   */
  runFor(ns: number, maxSteps: number = DEFAULT_MAX_STEPS): { steps: number; complete: boolean; error?: SchedulerError } {
    if (Number.isNaN(ns)) return { steps: 0, complete: false, error: schedError('invalid-delay', 'runFor: NaN ns') };
    if (ns < 0) return { steps: 0, complete: false, error: schedError('negative-delay', `runFor: ${ns} ns < 0`) };
    const target = this.t + Math.ceil(ns);
    if (!(target <= MAX_TIME_NS)) {
      return { steps: 0, complete: false, error: schedError('time-overflow', `runFor: now ${this.t} + ${ns} ns exceeds ${MAX_TIME_NS} ns`) };
    }
    let steps = 0;
    for (;;) {
      if (!this.hasReady()) {
        const top = this.peekLive();
        if (top === undefined || top.at > target) break;
      }
      if (steps >= maxSteps) return { steps, complete: false };
      this.step();
      steps++;
    }
    this.t = target;
    return { steps, complete: true };
  }

  private heapPush(rec: TimerRec): void {
    const h = this.heap;
    let i = h.length;
    h.push(rec);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!timerBefore(rec, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = rec;
  }

  private heapPop(): TimerRec {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && timerBefore(h[r]!, h[l]!) ? r : l;
        if (!timerBefore(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

export function createScheduler(opts?: SchedulerOptions): Scheduler {
  return new SimScheduler(opts);
}
