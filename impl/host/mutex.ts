/**
 * The driver's mic_mutex on the scheduler: holders run to their unlock across virtual time (a reset
 * sleeps 46 s while holding it); waiters resume in FIFO order as scheduler events of the owner agent.
 */
import type { Scheduler } from '../../model/contract.ts';

export class SimMutex {
  private held = false;
  private readonly waiters: { what: string; fn: () => void }[] = [];

  constructor(
    private readonly sched: Scheduler,
    private readonly who: string,
  ) {}

  get locked(): boolean {
    return this.held;
  }

  /** runs `fn` now if free, else when released; `fn` must call the unlock it receives exactly once */
  lock(what: string, fn: (unlock: () => void) => void): void {
    if (!this.held) {
      this.held = true;
      fn(this.unlocker());
    } else this.waiters.push({ what, fn: () => fn(this.unlocker()) });
  }

  private unlocker(): () => void {
    let done = false;
    return () => {
      if (done) throw new Error('mic_mutex unlocked twice');
      done = true;
      const next = this.waiters.shift();
      if (next === undefined) {
        this.held = false;
        return;
      }
      // ownership passes straight to the waiter; it runs as its own event
      this.sched.post(this.who, `mutex→${next.what}`, next.fn);
    };
  }
}
