/**
 * A thin wrapper around an Implementation that counts simulated commands and keeps the schedulers a
 * property creates (for the trace of a failing run). It wraps only the factories that hand out a
 * scheduler (sim.createScheduler, pcie.createPlatform, system.createSystem) and patches `step` on
 * each scheduler instance once: a scheduler step that ran an event is one simulated command. The
 * wrapped groups delegate to the originals through their prototype, so every other member is the
 * implementation's own.
 */
import type { Implementation, Scheduler } from '../../model/contract.ts';

/** commands a property counts itself (ring or DMA operations without a scheduler), per process */
let explicit = 0;
/** a property that drives work without a scheduler adds what it did here (ring ops, memory ops) */
export function countCommands(n: number): void {
  explicit += n;
}

export interface Instrumented {
  readonly impl: Implementation;
  /** simulated commands so far: scheduler steps that ran an event, plus countCommands() */
  commands(): number;
  /** the schedulers created through the wrapper, oldest first */
  readonly schedulers: Scheduler[];
}

export interface InstrumentOptions {
  /** create every scheduler and system with its trace on (the failure-file replay) */
  readonly forceTrace?: boolean;
}

const patched = new WeakSet<object>();

function override<T extends object>(group: T, members: Partial<T>): T {
  return Object.assign(Object.create(group) as T, members);
}

export function instrument(impl: Implementation, opts: InstrumentOptions = {}): Instrumented {
  let steps = 0;
  const explicitAtStart = explicit;
  const schedulers: Scheduler[] = [];
  const keep = (s: Scheduler | undefined): void => {
    if (s === undefined || typeof s !== 'object' || patched.has(s)) return;
    patched.add(s);
    schedulers.push(s);
    const step = s.step;
    if (typeof step !== 'function') return;
    try {
      Object.defineProperty(s, 'step', {
        configurable: true,
        writable: true,
        value: function countedStep(this: Scheduler) {
          const r = step.call(this);
          if (r === 'ran') steps++;
          return r;
        },
      });
    } catch {
      /* a frozen scheduler is not counted */
    }
  };
  const trace = opts.forceTrace === true ? { trace: true } : {};
  const { sim, pcie, system } = impl;
  const wrapped: Implementation = {
    ...impl,
    ...(sim && {
      sim: override(sim, {
        createScheduler: (o) => {
          const s = sim.createScheduler({ ...o, ...trace });
          keep(s);
          return s;
        },
      }),
    }),
    ...(pcie && {
      pcie: override(pcie, {
        createPlatform: (c) => {
          const p = pcie.createPlatform(c);
          keep(p.scheduler);
          return p;
        },
      }),
    }),
    ...(system && {
      system: override(system, {
        createSystem: (c) => {
          const s = system.createSystem({ ...c, ...trace });
          keep(s.scheduler);
          return s;
        },
      }),
    }),
  };
  return { impl: wrapped, commands: () => steps + explicit - explicitAtStart, schedulers };
}
