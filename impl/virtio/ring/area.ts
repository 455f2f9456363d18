/**
 * One ring area (a descriptor table, an avail ring, a used ring, an indirect table) as one side
 * sees it. While the area is pinned (MemPort.pin) and the pin's lease is live, a scalar is one
 * DataView access; otherwise it goes through the port's checked methods. Both sides of the ring
 * run the same code either way.
 *
 * Offsets are relative to the area and kept inside it by the ring code (slots and heads are masked
 * or range-checked before use). Reads return the value or -1 when the port faulted; writes return
 * false when the port faulted; the fault is kept in `fault`.
 *
 * An area is pinned only where the ring itself was placed (addresses the host or the card driver
 * chose when it set the ring up), never where the other side points: an indirect table is read
 * through the port, so every access a hostile card steers is checked and observable.
 */
import type { Lease, MemFault, MemPort } from '../../../model/contract.ts';

const NO_VIEW = new DataView(new ArrayBuffer(0));
/** the lease of an area that is not pinned */
const UNPINNED: Lease = Object.freeze({ live: false });

export class Area {
  private view: DataView = NO_VIEW;
  /** reads use the view while this is live */
  private rl: Lease = UNPINNED;
  /** writes use the view while this is live (UNPINNED for an area pinned for reading only) */
  private wl: Lease = UNPINNED;
  /** the last fault the port returned */
  fault: MemFault | undefined = undefined;

  /**
   * @param pinMode 'read' / 'write': pin the area for that use when the port can; 'none': always the port
   */
  constructor(
    private readonly port: MemPort,
    private base: number,
    private len: number,
    private readonly pinMode: 'read' | 'write' | 'none',
  ) {
    this.repin();
  }

  /** point the area somewhere else (an indirect table); only for areas that are not pinned */
  retarget(base: number, len: number): void {
    this.base = base;
    this.len = len;
  }

  /** whether accesses go to a live pin now */
  get pinned(): boolean {
    return this.rl.live;
  }

  /** take a pin; false if the port cannot give one (the area then stays on the port for good) */
  private repin(): boolean {
    const mode = this.pinMode;
    const p = mode === 'none' || this.port.pin === undefined ? undefined : this.port.pin(this.base, this.len, mode === 'write');
    if (p === undefined || p.view.byteLength !== this.len) {
      this.view = NO_VIEW;
      this.rl = UNPINNED;
      this.wl = UNPINNED;
      return false;
    }
    this.view = p.view;
    this.rl = p.lease;
    this.wl = mode === 'write' ? p.lease : UNPINNED;
    return true;
  }

  /** the slow path's first step: a pin that died is taken again (once per death) */
  private revive(write: boolean): boolean {
    const l = write ? this.wl : this.rl;
    if (l === UNPINNED || l.live) return false;
    return this.repin() && (write ? this.wl : this.rl).live;
  }

  r16(o: number): number {
    return this.rl.live ? this.view.getUint16(o, true) : this.slowR16(o);
  }

  r32(o: number): number {
    return this.rl.live ? this.view.getUint32(o, true) : this.slowR32(o);
  }

  w16(o: number, v: number): boolean {
    if (!this.wl.live) return this.slowW16(o, v);
    this.view.setUint16(o, v, true);
    return true;
  }

  w32(o: number, v: number): boolean {
    if (!this.wl.live) return this.slowW32(o, v);
    this.view.setUint32(o, v, true);
    return true;
  }

  private slowR16(o: number): number {
    if (this.revive(false)) return this.view.getUint16(o, true);
    return this.got(this.port.read16(this.base + o));
  }

  private slowR32(o: number): number {
    if (this.revive(false)) return this.view.getUint32(o, true);
    return this.got(this.port.read32(this.base + o));
  }

  private slowW16(o: number, v: number): boolean {
    if (this.revive(true)) {
      this.view.setUint16(o, v, true);
      return true;
    }
    return this.put(this.port.write16(this.base + o, v));
  }

  private slowW32(o: number, v: number): boolean {
    if (this.revive(true)) {
      this.view.setUint32(o, v, true);
      return true;
    }
    return this.put(this.port.write32(this.base + o, v));
  }

  private got(r: number | MemFault): number {
    if (typeof r === 'number') return r;
    this.fault = r;
    return -1;
  }

  private put(f: MemFault | undefined): boolean {
    if (f === undefined) return true;
    this.fault = f;
    return false;
  }
}
