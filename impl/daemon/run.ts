/**
 * `run`: the daemon's process alternating with the simulation (model/contract/devices.ts). The
 * daemon is cheap to ask and dear to run, so between scheduler steps it only reads its fds' poll
 * state and whether a backend has something for a card buffer that is already posted; it runs the
 * loops that have work when one does, all of them every PUMP_EVERY steps (a card that posts
 * buffers without ringing is still served, as mpssd's spinning would), and when the system is idle.
 */
import type { DaemonCardConfig, DeviceDaemon, MicSystem } from '../../model/contract.ts';
import { VopDaemon } from './device-daemon.ts';

/** scheduler steps between two full pumps */
export const PUMP_EVERY = 256;
/** default step limit of `run` */
export const RUN_MAX_STEPS = 1_000_000;

export function createDaemon(sys: MicSystem, cards: readonly DaemonCardConfig[]): VopDaemon {
  return new VopDaemon(sys, cards);
}

export function run(
  sys: MicSystem,
  daemon: DeviceDaemon,
  until: () => boolean,
  limits: { readonly maxSteps?: number; readonly maxTimeNs?: number } = {},
): boolean {
  const sched = sys.scheduler;
  const maxSteps = limits.maxSteps ?? RUN_MAX_STEPS;
  const end = limits.maxTimeNs === undefined ? undefined : sched.now + limits.maxTimeNs;
  // a daemon of someone else's is pumped after every step
  const quick = daemon instanceof VopDaemon ? daemon : undefined;
  const every = quick === undefined ? 1 : PUMP_EVERY;
  let steps = 0;
  let full = true;
  for (;;) {
    for (let i = 0; i < 1024; i++) {
      const moved = full || quick === undefined ? daemon.pump() : quick.pumpDue();
      full = false;
      if (until()) return true;
      if (!moved) break;
    }
    const left = end === undefined ? undefined : end - sched.now;
    if (steps >= maxSteps || (left !== undefined && left <= 0)) return until();
    const budget = Math.min(every, maxSteps - steps);
    let n = 0;
    let due = false;
    const hit = sched.runUntil(
      () => {
        if (until()) return true;
        // at least one step after each pump, so a loop that cannot move never spins in place
        if (n++ === 0) return false;
        if (n > budget) return (full = true);
        return (due = quick !== undefined && quick.wants());
      },
      left === undefined ? { maxSteps: budget } : { maxSteps: budget, maxTimeNs: left },
    );
    steps += Math.max(0, n - 1);
    if (sched.pending() === 0) {
      // idle: one last full look; nothing moved means nothing ever will (a loop that keeps asking,
      // e.g. for a ring the kernel refuses, cannot spin here)
      if (until()) return true;
      if (!daemon.pump()) return until();
      continue;
    }
    if (!hit && !due) full = true;
  }
}
