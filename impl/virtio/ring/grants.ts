/**
 * The ranges of buffer memory the host granted to the device side (facts §6.6: the host reaches
 * card memory only through BAR0). Kept sorted and merged so a check is a short scan.
 */
import type { MemPort, Seg, Window } from '../../../model/contract.ts';

export interface Grants {
  /** [addr, addr+len) lies inside one granted range (len 0: addr inside or at its end) */
  covers(addr: number, len: number): boolean;
  readonly ranges: readonly Seg[];
}

function hasWindows(p: MemPort): p is MemPort & { windows(): readonly Window[] } {
  return typeof (p as { windows?: unknown }).windows === 'function';
}

export function grantsOf(port: MemPort, explicit?: readonly Seg[]): Grants {
  const raw: Seg[] = explicit
    ? explicit.map((s) => ({ addr: s.addr, len: s.len }))
    : hasWindows(port)
      ? port.windows().map((w) => ({ addr: w.base, len: w.len }))
      : [{ addr: 0, len: port.size }];
  raw.sort((a, b) => a.addr - b.addr);
  const merged: Seg[] = [];
  for (const r of raw) {
    if (r.len <= 0) continue;
    const last = merged[merged.length - 1];
    if (last && r.addr <= last.addr + last.len) {
      merged[merged.length - 1] = { addr: last.addr, len: Math.max(last.len, r.addr + r.len - last.addr) };
    } else merged.push(r);
  }
  return new GrantList(merged);
}

/**
 * Sorted, merged ranges. `covers` is on every descriptor the device reads, so the first range (on
 * MIC usually the only one: one BAR0 aperture) is held in two fields and checked before the rest.
 */
class GrantList implements Grants {
  private readonly start0: number;
  private readonly end0: number;
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;

  constructor(readonly ranges: readonly Seg[]) {
    this.starts = Float64Array.from(ranges, (r) => r.addr);
    this.ends = Float64Array.from(ranges, (r) => r.addr + r.len);
    this.start0 = ranges.length > 0 ? this.starts[0]! : 0;
    this.end0 = ranges.length > 0 ? this.ends[0]! : -1;
  }

  covers(addr: number, len: number): boolean {
    const end = addr + len;
    if (addr >= this.start0 && end <= this.end0) return true;
    const starts = this.starts;
    const ends = this.ends;
    for (let k = 1; k < starts.length; k++) {
      if (addr >= starts[k]! && end <= ends[k]!) return true;
    }
    return false;
  }
}
