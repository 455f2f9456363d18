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
  /** invalid-delay: NaN (added by the sim layer; the other reasons keep their meaning) */
  readonly reason: 'time-overflow' | 'negative-delay' | 'step-limit' | 'invalid-delay';
  readonly detail: string;
}

/** One fault point resolved once by name, for hot paths: `hit()` behaves exactly as `hit(name)`. */
export interface FaultPoint {
  readonly name: string;
  /** true = inject the failure now (counted as a hit of the point like FaultHooks.hit(name)) */
  hit(): boolean;
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
  /** the point `name` as a handle (declared or not; arming by name affects it), same handle per name */
  point(name: string): FaultPoint;
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
  /**
   * Make `fn` ready at now + delayNs (virtual). Timers due at the same instant become ready together,
   * in creation order. A fractional delay is rounded up (a timer never fires early). Refused with a
   * value: NaN (invalid-delay), < 0 (negative-delay), now + delay > Number.MAX_SAFE_INTEGER
   * (time-overflow).
   */
  after(delayNs: number, who: string, what: string, fn: () => void): TimerId | SchedulerError;
  /**
   * true when the timer had not started running (even if already due and waiting for its turn); it
   * then never runs. false for unknown, fired or already cancelled timers.
   */
  cancel(id: TimerId): boolean;
  /** run one ready event (choosing among agents), else advance time to the next timer, else idle */
  step(): StepOutcome;
  /** step until nothing is ready and no timer is pending, or maxSteps */
  runUntilIdle(maxSteps?: number): { steps: number; idle: boolean };
  /**
   * step until `pred()` holds (checked before each step), idle, or a limit is hit; returns pred().
   * `maxTimeNs` is relative to now at the call: time is not advanced beyond now + maxTimeNs.
   */
  runUntil(pred: () => boolean, limits?: { maxSteps?: number; maxTimeNs?: number }): boolean;
  /**
   * run everything due within the next `ns` of virtual time, then set now = now + ns.
   * `complete` is false (and time is not moved to the target) when maxSteps ran out first or the
   * target is not representable (`error`: negative-delay, invalid-delay, time-overflow).
   */
  runFor(ns: number, maxSteps?: number): { steps: number; complete: boolean; error?: SchedulerError };
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

/** wall-clock pacing (interactive use, `micvop boot`): virtual time follows the wall clock */
export interface PacingOptions {
  /** virtual ns per wall-clock ns (default 1 = real time; 10 = ten times faster) */
  rate?: number;
  /** stop after this much wall-clock time */
  durationMs?: number;
  /** stop once this holds (checked after each tick) */
  until?: () => boolean;
  /** stop when aborted */
  signal?: AbortSignal;
  /** wall-clock interval between catch-ups (default 10 ms) */
  tickMs?: number;
  /** step budget per tick (default 100000); virtual time lags and catches up when exceeded */
  maxStepsPerTick?: number;
}

export interface PacingResult {
  readonly reason: 'duration' | 'until' | 'aborted' | 'error';
  readonly steps: number;
  /** virtual time that passed, ns */
  readonly virtualNs: number;
  /** wall-clock time that passed, ms */
  readonly wallMs: number;
  readonly detail?: string;
}

export interface SimComponents {
  createScheduler(opts?: SchedulerOptions): Scheduler;
  /** run `scheduler` paced against the wall clock; injected events run at the next tick */
  runPaced?(scheduler: Scheduler, opts?: PacingOptions): Promise<PacingResult>;
}
