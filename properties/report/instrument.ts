/**
 * A thin wrapper around an Implementation that counts simulated commands and keeps the schedulers a
 * property creates (for the trace of a failing run). It wraps only the factories that hand out a
 * scheduler (sim.createScheduler, pcie.createPlatform, system.createSystem) or a ring, and patches
 * methods on each instance once: a scheduler step that ran an event is one simulated command, and
 * so is a ring operation that was not refused (driver add / reap, device pop / push, a status
 * write). The wrapped groups delegate to the originals through their prototype, so every other
 * member is the implementation's own.
 */
import fc from 'fast-check';
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

/**
 * Reads `obj[key]` without a `get`: own descriptors up the prototype chain, a getter called on obj.
 * A recording proxy (properties/meta/members.ts) counts only `get`s as "reached", so the wrapper
 * never makes a member look exercised that the property did not touch.
 */
function peek(obj: object, key: string): unknown {
  for (let o: object | null = obj; o !== null; o = Reflect.getPrototypeOf(o)) {
    const d = Reflect.getOwnPropertyDescriptor(o, key);
    if (d !== undefined) return d.get !== undefined ? d.get.call(obj) : d.value;
  }
  return undefined;
}

/** replaces obj[key] (a method) by one that calls `after` with each result; false when it cannot */
function countCalls(obj: object, key: string, after: (result: unknown) => void): boolean {
  const orig = peek(obj, key);
  if (typeof orig !== 'function') return false;
  try {
    Object.defineProperty(obj, key, {
      configurable: true,
      writable: true,
      value: function counted(this: unknown, ...args: unknown[]) {
        const r = (orig as (...a: unknown[]) => unknown).apply(this, args);
        after(r);
        return r;
      },
    });
    return true;
  } catch {
    return false;
  }
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;
/** error values (RingError, SchedulerError ...) are data, not objects to count on */
const isErrorValue = (v: object): boolean => typeof (v as { kind?: unknown }).kind === 'string';

function override<T extends object>(group: T, members: Partial<T>): T {
  return Object.assign(Object.create(group) as T, members);
}

/** the ring operations that count as one simulated command each */
const RING_OPS: Readonly<Record<string, readonly string[]>> = {
  createDriverRing: ['add', 'reap'],
  createDeviceRing: ['pop', 'push'],
  createDeviceStatus: ['write', 'writeFeatures'],
};

export function instrument(impl: Implementation, opts: InstrumentOptions = {}): Instrumented {
  let steps = 0;
  const explicitAtStart = explicit;
  const schedulers: Scheduler[] = [];
  const keep = (s: unknown): void => {
    if (!isObject(s) || patched.has(s)) return;
    patched.add(s);
    schedulers.push(s as Scheduler);
    countCalls(s, 'step', (r) => {
      if (r === 'ran') steps++;
    });
  };
  const keepRing = (r: unknown, ops: readonly string[]): void => {
    if (!isObject(r) || isErrorValue(r) || patched.has(r)) return;
    patched.add(r);
    for (const op of ops) {
      countCalls(r, op, (res) => {
        // a refused operation (an error value) did nothing
        if (!(isObject(res) && isErrorValue(res))) steps++;
      });
    }
  };
  const trace = opts.forceTrace === true ? { trace: true } : {};
  const { sim, pcie, ring, system } = impl;
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
          keep(peek(p, 'scheduler'));
          return p;
        },
      }),
    }),
    ...(ring && {
      ring: override(ring, {
        createDriverRing: (c) => {
          const r = ring.createDriverRing(c);
          keepRing(r, RING_OPS.createDriverRing!);
          return r;
        },
        createDeviceRing: (c) => {
          const r = ring.createDeviceRing(c);
          keepRing(r, RING_OPS.createDeviceRing!);
          return r;
        },
        createDeviceStatus: (o) => {
          const r = ring.createDeviceStatus(o);
          keepRing(r, RING_OPS.createDeviceStatus!);
          return r;
        },
      }),
    }),
    ...(system && {
      system: override(system, {
        createSystem: (c) => {
          const s = system.createSystem({ ...c, ...trace });
          keep(peek(s, 'scheduler'));
          return s;
        },
      }),
    }),
  };
  return { impl: wrapped, commands: () => steps + explicit - explicitAtStart, schedulers };
}

/**
 * A fast-check plugin that hands `onFailing` the schedulers each failing execution of the predicate
 * created. The last call is the final counterexample: shrinking keeps the last candidate that failed.
 */
export function failingRunPlugin(ins: Instrumented, onFailing: (schedulers: Scheduler[]) => void): fc.Plugin<unknown> {
  const failed = (out: unknown): boolean => out !== null && out !== undefined && !fc.PreconditionFailure.isFailure(out);
  return () => ({
    decorateRun: (run) => (v) => {
      const before = ins.schedulers.length;
      const out = run(v);
      if (out instanceof Promise) {
        return out.then((o: unknown) => {
          if (failed(o)) onFailing(ins.schedulers.slice(before));
          return o;
        }) as ReturnType<typeof run>;
      }
      if (failed(out)) onFailing(ins.schedulers.slice(before));
      return out;
    },
  });
}
