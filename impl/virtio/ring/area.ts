/**
 * One ring area (a descriptor table, an avail ring, a used ring, an indirect table) as one side
 * sees it. Four kinds, one interface:
 *  - PortArea: every scalar through the port's checked methods;
 *  - ReadPin: reads from a pinned DataView (MemPort.pin), writes through the port;
 *  - WritePin: reads and writes through the pinned view;
 *  - Reopening: what a pinned area becomes when its lease dies (a page released, a window
 *    unmapped): its next access opens the area again (a new pin, or the port) and hands the new
 *    area to the ring side, which uses that from then on.
 * The ring side gives each area a `rebind` that stores the area it should use. The lease tells the
 * area when it dies (Lease.watch), so the accessors carry no check at all.
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
import type { MemFault, MemPort } from '../../../model/contract.ts';

export type PinMode = 'read' | 'write' | 'none';

/** stores the area a ring side should use from now on */
export type Rebind = (area: PortArea) => void;

export class PortArea {
  /** the last fault the port returned */
  fault: MemFault | undefined = undefined;

  constructor(
    readonly port: MemPort,
    /** where the area starts in the port */
    public base: number,
    readonly len: number,
    readonly mode: PinMode,
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
  constructor(port: MemPort, base: number, len: number, mode: PinMode, protected readonly view: DataView) {
    super(port, base, len, mode);
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

class Reopening extends PortArea {
  private next: PortArea | undefined = undefined;

  constructor(port: MemPort, base: number, len: number, mode: PinMode, private readonly rebind: Rebind) {
    super(port, base, len, mode);
  }

  /** the area opened again, once (a caller may still hold this one for the rest of an operation) */
  private fresh(): PortArea {
    let a = this.next;
    if (a === undefined) {
      a = this.next = openArea(this.port, this.base, this.len, this.mode, this.rebind);
      this.rebind(a);
    }
    return a;
  }

  override r16(o: number): number {
    const a = this.fresh();
    const v = a.r16(o);
    this.fault = a.fault;
    return v;
  }

  override r32(o: number): number {
    const a = this.fresh();
    const v = a.r32(o);
    this.fault = a.fault;
    return v;
  }

  override w16(o: number, v: number): boolean {
    const a = this.fresh();
    const ok = a.w16(o, v);
    this.fault = a.fault;
    return ok;
  }

  override w32(o: number, v: number): boolean {
    const a = this.fresh();
    const ok = a.w32(o, v);
    this.fault = a.fault;
    return ok;
  }
}

/**
 * The area [base, base+len) of port: pinned for `mode` when the port can pin it, else on the port.
 * When the pin's lease dies, `rebind` receives an area that opens it again on its next access.
 */
export function openArea(port: MemPort, base: number, len: number, mode: PinMode, rebind: Rebind): PortArea {
  const p = mode === 'none' || port.pin === undefined ? undefined : port.pin(base, len, mode === 'write');
  if (p === undefined || !p.lease.live || p.view.byteLength !== len) return new PortArea(port, base, len, mode);
  const a = mode === 'write' ? new WritePin(port, base, len, mode, p.view) : new ReadPin(port, base, len, mode, p.view);
  p.lease.watch(() => rebind(new Reopening(port, base, len, mode, rebind)));
  return a;
}
