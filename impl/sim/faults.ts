/**
 * Fault hooks (DESIGN.md §3, issue 2 item 2): named points in the implementation where a property
 * can inject a failure. The implementation declares its points and asks hit(name) at each one (or
 * hit() on the point's handle, resolved once); a property arms a point to make the next `times` hits
 * (after `skip`) report "fail now".
 */
import type { FaultHooks, FaultPoint } from '../../model/contract.ts';

/**
 * One point's state, and its handle: a component resolves its points once (FaultHooks.point) and
 * its hot path asks handle.hit(), a counter bump and a field check while nothing is armed, instead
 * of a Map lookup by name per hit.
 */
class Point implements FaultPoint {
  description = '';
  declared = false;
  skip = 0;
  times = 0;
  hits = 0;
  fired = 0;

  constructor(
    readonly name: string,
    private readonly owner: SimFaults,
  ) {}

  hit(): boolean {
    // hits are counted even when nothing is armed, so a property can check a point was reached
    this.hits++;
    if (this.times === 0) return false;
    return this.owner.fire(this);
  }
}

export class SimFaults implements FaultHooks {
  private readonly table = new Map<string, Point>();
  private armedCount = 0;
  /** called when a point fires (the scheduler records it in the trace) */
  private readonly onFire: ((name: string) => void) | undefined;

  constructor(onFire?: (name: string) => void) {
    this.onFire = onFire;
  }

  /** the handle of a point (the same object for every call with that name), declared or not */
  point(name: string): Point {
    let p = this.table.get(name);
    if (p === undefined) {
      p = new Point(name, this);
      this.table.set(name, p);
    }
    return p;
  }

  declare(name: string, description: string): void {
    const p = this.point(name);
    if (!p.declared) {
      p.declared = true;
      p.description = description;
    }
  }

  points(): readonly { name: string; description: string }[] {
    const out: { name: string; description: string }[] = [];
    for (const [name, p] of this.table) if (p.declared) out.push({ name, description: p.description });
    return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  /**
   * Arming an undeclared name is allowed (a property may arm before the component that declares the
   * point exists); it re-arms from scratch, replacing any remaining skip/times.
   */
  arm(name: string, opts: { times?: number; skip?: number } = {}): void {
    const p = this.point(name);
    const wasArmed = p.times > 0;
    p.times = Math.max(0, Math.floor(opts.times ?? 1));
    p.skip = Math.max(0, Math.floor(opts.skip ?? 0));
    this.armedCount += (p.times > 0 ? 1 : 0) - (wasArmed ? 1 : 0);
  }

  disarm(name: string): void {
    const p = this.table.get(name);
    if (p === undefined) return;
    if (p.times > 0) this.armedCount--;
    p.times = 0;
    p.skip = 0;
  }

  hit(name: string): boolean {
    return this.point(name).hit();
  }

  /** an armed point was hit (its hit already counted): skip, or fire and use up one of its times */
  fire(p: Point): boolean {
    if (this.armedCount === 0 || p.times === 0) return false;
    if (p.skip > 0) {
      p.skip--;
      return false;
    }
    p.times--;
    if (p.times === 0) this.armedCount--;
    p.fired++;
    this.onFire?.(p.name);
    return true;
  }

  fired(name: string): number {
    return this.table.get(name)?.fired ?? 0;
  }

  /** how many times the point was reached, fired or not */
  hits(name: string): number {
    return this.table.get(name)?.hits ?? 0;
  }

  /** true while the point still has hits to fire */
  armed(name: string): boolean {
    return (this.table.get(name)?.times ?? 0) > 0;
  }
}
