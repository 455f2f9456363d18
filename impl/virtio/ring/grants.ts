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
 * Sorted, merged ranges. `covers` is on every descriptor the device reads; on MIC there is
 * usually one range (one BAR0 aperture), so the loop mostly runs once.
 */
class GrantList implements Grants {
  /** start and end of each range, in order (a typed array: range ends above 2^30 are not small integers) */
  private readonly bounds: Float64Array;

  constructor(readonly ranges: readonly Seg[]) {
    this.bounds = Float64Array.from(ranges.flatMap((r) => [r.addr, r.addr + r.len]));
  }

  covers(addr: number, len: number): boolean {
    const end = addr + len;
    const b = this.bounds;
    for (let k = 0; k < b.length; k += 2) {
      if (addr >= b[k]! && end <= b[k + 1]!) return true;
    }
    return false;
  }
}
