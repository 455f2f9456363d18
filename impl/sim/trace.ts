/**
 * The event trace (DESIGN.md §3: a failing run replays to the identical trace, byte for byte).
 * Recording is on the scheduler's hot path, so entries are kept in three parallel arrays (no object
 * per event); TraceEvent objects and the text are built only when asked for.
 */
import { createHash } from 'node:crypto';
import type { Trace, TraceEvent } from '../../model/contract.ts';

export class SimTrace implements Trace {
  readonly enabled: boolean;
  private readonly ts: number[] = [];
  private readonly whos: string[] = [];
  private readonly whats: string[] = [];
  private readonly clock: () => number;

  /** `clock` gives the virtual time stamped on entries recorded through record() */
  constructor(enabled: boolean, clock: () => number) {
    this.enabled = enabled;
    this.clock = clock;
  }

  /** the scheduler's path: time already at hand, no clock call */
  push(t: number, who: string, what: string): void {
    this.ts.push(t);
    this.whos.push(who);
    this.whats.push(what);
  }

  record(who: string, what: string): void {
    if (this.enabled) this.push(this.clock(), who, what);
  }

  get length(): number {
    return this.ts.length;
  }

  events(): readonly TraceEvent[] {
    const out: TraceEvent[] = new Array(this.ts.length);
    for (let i = 0; i < this.ts.length; i++) out[i] = { t: this.ts[i]!, who: this.whos[i]!, what: this.whats[i]! };
    return out;
  }

  text(): string {
    // times are safe integers (the scheduler refuses anything else), so String(t) is exact and stable
    let s = '';
    for (let i = 0; i < this.ts.length; i++) s += `${this.ts[i]!} ${this.whos[i]!} ${this.whats[i]!}\n`;
    return s;
  }

  digest(): string {
    return createHash('sha256').update(this.text(), 'utf8').digest('hex');
  }
}
