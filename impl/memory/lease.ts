/**
 * Leases of pins (MemPort.pin): a sparse page has one lease for all pins of it, killed when the
 * page is released; a window derives its own lease from its target's, killed when it is unmapped
 * or when the target's dies. A dead lease never comes back to life.
 */
import type { Lease } from '../../model/contract/memory.ts';

export class LeaseImpl implements Lease {
  live = true;
  /** leases derived from this one, killed with it */
  private deps: LeaseImpl[] | undefined = undefined;

  /** a lease that dies when this one dies (or earlier, by its own kill) */
  derive(): LeaseImpl {
    const child = new LeaseImpl();
    if (this.live) (this.deps ??= []).push(child);
    else child.live = false;
    return child;
  }

  kill(): void {
    if (!this.live) return;
    this.live = false;
    const deps = this.deps;
    this.deps = undefined;
    if (deps !== undefined) for (const d of deps) d.kill();
  }
}
