/**
 * Leases of pins (MemPort.pin): a sparse page has one lease for all pins of it, killed when the
 * page is released; a window derives its own lease from its target's, killed when it is unmapped
 * or when the target's dies. A dead lease never comes back to life.
 *
 * Watchers are kept until the lease dies: a holder that is dropped while its lease lives stays
 * reachable from the page or window until then (rings are few and long-lived; see README).
 */
import type { Lease } from '../../model/contract/memory.ts';

export class LeaseImpl implements Lease {
  live = true;
  /** leases derived from this one, killed with it */
  private deps: LeaseImpl[] | undefined = undefined;
  private watchers: (() => void)[] | undefined = undefined;

  /** a lease that dies when this one dies (or earlier, by its own kill) */
  derive(): LeaseImpl {
    const child = new LeaseImpl();
    if (this.live) (this.deps ??= []).push(child);
    else child.live = false;
    return child;
  }

  watch(onDeath: () => void): void {
    if (!this.live) onDeath();
    else (this.watchers ??= []).push(onDeath);
  }

  kill(): void {
    if (!this.live) return;
    this.live = false;
    const deps = this.deps;
    const watchers = this.watchers;
    this.deps = undefined;
    this.watchers = undefined;
    if (deps !== undefined) for (const d of deps) d.kill();
    if (watchers !== undefined) for (const w of watchers) w();
  }
}

/** a lease over another implementation's lease: dies with it (watched) or by its own kill */
export function leaseOver(inner: Lease): LeaseImpl {
  const l = new LeaseImpl();
  if (!inner.live) l.live = false;
  else inner.watch(() => l.kill());
  return l;
}
