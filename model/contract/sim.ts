/**
 * Contract of the deterministic simulation kernel (DESIGN.md §3).
 * Types only. Time is virtual nanoseconds held in a JS number: exact up to 2^53 ns (~104 days of
 * virtual time); a scheduler refuses (typed error) to schedule beyond that.
 */

/** Where every "either order" decision comes from: a seeded PRNG by default, fast-check in properties. */
export interface ChoiceSource {
  /** Returns an integer in [0, n). Called only with n >= 2. */
  choose(n: number): number;
}

export interface TraceEvent {
  /** virtual time in ns */
  readonly t: number;
  /** the agent (queue) the event belongs to, e.g. "card0.dma.ch4" */
  readonly who: string;
  /** what happened, short and stable (no object identities, no wall clock) */
  readonly what: string;
}

export interface Trace {
  readonly enabled: boolean;
  record(who: string, what: string): void;
  events(): readonly TraceEvent[];
  /** one line per event: `<t> <who> <what>\n`; byte-identical for the same seed and inputs */
  text(): string;
  /** stable hex digest of text() */
  digest(): string;
}

export type TimerId = number;

export interface SchedulerError {
  readonly kind: 'sched-error';
  readonly reason: 'time-overflow' | 'negative-delay' | 'step-limit';
  readonly detail: string;
}

/** Named points where a property can inject a failure (DESIGN.md §3, issue 2 item 2). */
export interface FaultHooks {
  /** declare a point (idempotent); implementations call this once per point they offer */
  declare(name: string, description: string): void;
  /** the declared points, sorted */
  points(): readonly { name: string; description: string }[];
  /** arm a point: it fires on the next `times` hits (default 1) after skipping `skip` hits (default 0) */
  arm(name: string, opts?: { times?: number; skip?: number }): void;
  disarm(name: string): void;
  /** called by the implementation at the point; true = inject the failure now */
  hit(name: string): boolean;
  /** how many times each point fired */
  fired(name: string): number;
}

export type StepOutcome = 'ran' | 'advanced' | 'idle';

export interface Scheduler {
  /** current virtual time, ns */
  readonly now: number;
  readonly trace: Trace;
  readonly faults: FaultHooks;
  /** deterministic random numbers for the simulated system itself (e.g. a card picking a MAC) */
  nextU32(): number;
  /**
   * Make `fn` ready now on agent `who`. Events of one agent run in FIFO order; between agents the
   * order is a choice.
   */
  post(who: string, what: string, fn: () => void): void;
  /** Make `fn` ready at now + delayNs (virtual). Timers due at the same instant become ready together. */
  after(delayNs: number, who: string, what: string, fn: () => void): TimerId | SchedulerError;
  cancel(id: TimerId): boolean;
  /** run one ready event (choosing among agents), else advance time to the next timer, else idle */
  step(): StepOutcome;
  /** step until nothing is ready and no timer is pending, or maxSteps */
  runUntilIdle(maxSteps?: number): { steps: number; idle: boolean };
  /** step until `pred()` holds (checked before each step), idle, or a limit is hit */
  runUntil(pred: () => boolean, limits?: { maxSteps?: number; maxTimeNs?: number }): boolean;
  /** run everything due within the next `ns` of virtual time, then set now = now + ns */
  runFor(ns: number, maxSteps?: number): { steps: number };
  /** number of ready events plus pending timers */
  pending(): number;
  /**
   * Queue an event from outside the simulated world (wall-clock pacing mode: a socket, stdin).
   * It becomes ready at the next step boundary, as a normal event of agent `who`.
   */
  inject(who: string, what: string, fn: () => void): void;
}

export interface SchedulerOptions {
  /** seed of the default PRNG choice source (and of nextU32) */
  seed?: number;
  /** overrides the PRNG for interleaving choices (fast-check's values in properties) */
  choices?: ChoiceSource;
  /** record a trace (default true) */
  trace?: boolean;
}

export interface SimComponents {
  createScheduler(opts?: SchedulerOptions): Scheduler;
}
