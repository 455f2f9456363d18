/**
 * Wall-clock pacing mode (DESIGN.md §3: "the same scheduler can be paced against the wall clock for
 * interactive use, where sockets feed it events"). The ONLY file of impl/ allowed to touch the wall
 * clock (setTimeout, performance.now): the scheduler itself stays deterministic; pacing only decides
 * how far virtual time may run at each wall-clock tick. Events from outside arrive via
 * scheduler.inject() and run at the next tick.
 */
import type { PacingOptions, PacingResult, Scheduler } from '../../model/contract.ts';

const NS_PER_MS = 1_000_000;

export function runPaced(scheduler: Scheduler, opts: PacingOptions = {}): Promise<PacingResult> {
  const rate = opts.rate ?? 1;
  const tickMs = Math.max(1, opts.tickMs ?? 10);
  const maxStepsPerTick = opts.maxStepsPerTick ?? 100_000;
  const wall0 = performance.now();
  const virt0 = scheduler.now;
  let steps = 0;

  return new Promise<PacingResult>((resolve) => {
    const finish = (reason: PacingResult['reason'], detail?: string): void => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      resolve({ reason, steps, virtualNs: scheduler.now - virt0, wallMs: performance.now() - wall0, ...(detail ? { detail } : {}) });
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      finish('aborted');
    };
    if (opts.signal?.aborted) {
      done = true;
      finish('aborted');
      return;
    }
    opts.signal?.addEventListener('abort', onAbort);

    const tick = (): void => {
      timer = undefined;
      if (done) return;
      const elapsedMs = performance.now() - wall0;
      const target = virt0 + Math.floor(elapsedMs * NS_PER_MS * rate);
      // never move virtual time backwards: a tick may come early relative to a previous catch-up
      const r = scheduler.runFor(Math.max(0, target - scheduler.now), maxStepsPerTick);
      steps += r.steps;
      if (r.error !== undefined) {
        done = true;
        finish('error', r.error.detail);
        return;
      }
      if (opts.until?.()) {
        done = true;
        finish('until');
        return;
      }
      if (opts.durationMs !== undefined && performance.now() - wall0 >= opts.durationMs) {
        done = true;
        finish('duration');
        return;
      }
      timer = setTimeout(tick, tickMs);
    };
    timer = setTimeout(tick, 0);
  });
}
