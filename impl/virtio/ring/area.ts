/**
 * One ring area (a descriptor table, an avail ring, a used ring, an indirect table) as one side
 * sees it: a RingView, i.e. the four little-endian accessors of a DataView that ring code uses.
 *  - Pinned (MemPort.pin): the pin's DataView itself, so an access is one DataView access.
 *  - Not pinnable (a register file, a recorder with pins off, another implementation's memory, an
 *    area that crosses a page or window): a PortView, the same four methods over the port's
 *    checked accessors.
 *  - A pin whose lease died (a page released, a window unmapped): a ReopeningView, which opens the
 *    area again on its next access (a new pin, or a PortView) and hands it to the ring side.
 * The lease tells the area when it dies (Lease.watch), so no access carries a check.
 *
 * Faults (only a PortView has them): a read returns -1 (a DataView never returns a negative
 * number) and a write stores nothing; both keep the fault in the side's FaultLog, and a write
 * fault also counts in `writes`, which the ring side checks after the stores of an operation.
 *
 * Offsets are relative to the area and kept inside it by the ring code (slots and heads are masked
 * or range-checked before use); a stray offset on a pinned area throws a RangeError rather than
 * touching bytes outside the pinned range.
 *
 * An area is pinned only where the ring was placed (addresses the host or the card driver chose
 * when it set the ring up), never where the other side points: an indirect table is read through a
 * PortView, so every access a hostile card steers is checked and observable. A side pins for
 * writing only the areas it writes; a read pin is declared as such to the port (a recorder logs
 * it), and properties check that the bytes of areas a side only reads do not change.
 */
import type { MemFault, MemPort } from '../../../model/contract.ts';

/** what ring code uses of a DataView; `le` is always true (the X100 and the host are x86) */
export interface RingView {
  getUint16(o: number, le: true): number;
  getUint32(o: number, le: true): number;
  setUint16(o: number, v: number, le: true): void;
  setUint32(o: number, v: number, le: true): void;
}

/** the faults of one ring side's PortViews */
export interface FaultLog {
  /** the last fault, read or write */
  last: MemFault | undefined;
  /** write faults not yet taken by the ring side */
  writes: number;
}

/** what the side does with the area: only reads it, or also writes it */
export type PinMode = 'read' | 'write';

/** stores the view a ring side should use from now on */
export type Rebind = (view: RingView) => void;

/** an area through the port's checked accessors */
export class PortView implements RingView {
  constructor(
    readonly port: MemPort,
    /** where the area starts in the port (an indirect table's view is moved with `retarget`) */
    public base: number,
    private readonly log: FaultLog,
  ) {}

  retarget(base: number): void {
    this.base = base;
  }

  getUint16(o: number): number {
    return this.got(this.port.read16(this.base + o));
  }

  getUint32(o: number): number {
    return this.got(this.port.read32(this.base + o));
  }

  setUint16(o: number, v: number): void {
    this.put(this.port.write16(this.base + o, v));
  }

  setUint32(o: number, v: number): void {
    this.put(this.port.write32(this.base + o, v));
  }

  private got(r: number | MemFault): number {
    if (typeof r === 'number') return r;
    this.log.last = r;
    return -1;
  }

  private put(f: MemFault | undefined): void {
    if (f === undefined) return;
    this.log.last = f;
    this.log.writes++;
  }
}

class ReopeningView implements RingView {
  private next: RingView | undefined = undefined;

  constructor(
    private readonly port: MemPort,
    private readonly base: number,
    private readonly len: number,
    private readonly mode: PinMode,
    private readonly log: FaultLog,
    private readonly rebind: Rebind,
  ) {}

  /** the area opened again, once (a caller may still hold this view for the rest of an operation) */
  private fresh(): RingView {
    let v = this.next;
    if (v === undefined) {
      v = this.next = openArea(this.port, this.base, this.len, this.mode, this.log, this.rebind);
      this.rebind(v);
    }
    return v;
  }

  getUint16(o: number): number {
    return this.fresh().getUint16(o, true);
  }

  getUint32(o: number): number {
    return this.fresh().getUint32(o, true);
  }

  setUint16(o: number, v: number): void {
    this.fresh().setUint16(o, v, true);
  }

  setUint32(o: number, v: number): void {
    this.fresh().setUint32(o, v, true);
  }
}

/**
 * The area [base, base+len) of port: the pin's DataView when the port can pin it for `mode`, else
 * a PortView. When the pin's lease dies, `rebind` receives a view that opens the area again on its
 * next access.
 */
export function openArea(port: MemPort, base: number, len: number, mode: PinMode, log: FaultLog, rebind: Rebind): RingView {
  const p = port.pin === undefined ? undefined : port.pin(base, len, mode === 'write');
  if (p === undefined || !p.lease.live || p.view.byteLength !== len) return new PortView(port, base, log);
  p.lease.watch(() => rebind(new ReopeningView(port, base, len, mode, log, rebind)));
  return p.view;
}

/** a FaultLog with nothing in it */
export function faultLog(): FaultLog {
  return { last: undefined, writes: 0 };
}
