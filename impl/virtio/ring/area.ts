/**
 * One ring area (a descriptor table, an avail ring, a used ring, an indirect table) as one side
 * sees it. Three kinds, one interface:
 *  - PortArea: every scalar through the port's checked methods;
 *  - ReadPin: reads from a pinned DataView (MemPort.pin), writes through the port;
 *  - WritePin: reads and writes through the pinned view.
 * A pin is valid while its lease is live; a ring side fetches each area once per operation through
 * `current()`, which re-opens the area when its lease died (a page released, a window unmapped), so
 * the accessors themselves carry no check. Both sides of the ring run the same code on every kind.
 *
 * Offsets are relative to the area and kept inside it by the ring code (slots and heads are masked
 * or range-checked before use). Reads return the value, or -1 when the port faulted; writes return
 * false when the port faulted; the fault is kept in `fault`.
 *
 * An area is pinned only where the ring was placed (addresses the host or the card driver chose
 * when it set the ring up), never where the other side points: an indirect table is read through
 * the port, so every access a hostile card steers is checked and observable. A side that only
 * reads an area pins it for reading, so its writes there (there should be none) stay observable.
 */
import type { Lease, MemFault, MemPort } from '../../../model/contract.ts';

export type PinMode = 'read' | 'write' | 'none';

/** the lease of an area on the port: it has nothing to lose */
const PORT_LEASE: Lease = Object.freeze({ live: true });

export class PortArea {
  /** the last fault the port returned */
  fault: MemFault | undefined = undefined;

  constructor(
    readonly port: MemPort,
    /** where the area starts in the port */
    public base: number,
    readonly len: number,
    readonly mode: PinMode,
    readonly lease: Lease = PORT_LEASE,
  ) {}

  /** point the area somewhere else (an indirect table); only for an area opened with mode 'none' */
  retarget(base: number): void {
    this.base = base;
  }

  r16(o: number): number {
    return this.got(this.port.read16(this.base + o));
  }

  r32(o: number): number {
    return this.got(this.port.read32(this.base + o));
  }

  w16(o: number, v: number): boolean {
    return this.put(this.port.write16(this.base + o, v));
  }

  w32(o: number, v: number): boolean {
    return this.put(this.port.write32(this.base + o, v));
  }

  protected got(r: number | MemFault): number {
    if (typeof r === 'number') return r;
    this.fault = r;
    return -1;
  }

  protected put(f: MemFault | undefined): boolean {
    if (f === undefined) return true;
    this.fault = f;
    return false;
  }
}

class ReadPin extends PortArea {
  constructor(port: MemPort, base: number, len: number, mode: PinMode, lease: Lease, protected readonly view: DataView) {
    super(port, base, len, mode, lease);
  }

  override r16(o: number): number {
    return this.view.getUint16(o, true);
  }

  override r32(o: number): number {
    return this.view.getUint32(o, true);
  }
}

class WritePin extends ReadPin {
  override w16(o: number, v: number): boolean {
    this.view.setUint16(o, v, true);
    return true;
  }

  override w32(o: number, v: number): boolean {
    this.view.setUint32(o, v, true);
    return true;
  }
}

/** the area [base, base+len) of port: pinned for `mode` when the port can pin it, else on the port */
export function openArea(port: MemPort, base: number, len: number, mode: PinMode): PortArea {
  const p = mode === 'none' || port.pin === undefined ? undefined : port.pin(base, len, mode === 'write');
  if (p === undefined || !p.lease.live || p.view.byteLength !== len) return new PortArea(port, base, len, mode);
  return mode === 'write' ? new WritePin(port, base, len, mode, p.lease, p.view) : new ReadPin(port, base, len, mode, p.lease, p.view);
}

/** the area itself while its lease is live, else the area opened again (a new pin, or the port) */
export function reopen(a: PortArea): PortArea {
  return openArea(a.port, a.base, a.len, a.mode);
}
