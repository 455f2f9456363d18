/**
 * Direct access to the 16-byte slots of a descriptor ring through pins of its pages (MemPort.pin),
 * for the two hot accesses of a copy: the driver storing a descriptor into its own ring and the
 * engine fetching it. A checked 16-byte write or read through the ports costs more than the
 * descriptor work itself (a page lookup, a view resolution, a byte loop).
 *
 * One pin per page of the ring, kept until its lease dies (a page released by a whole-page zero
 * fill, an SMPT window unmapped), polled on every access rather than watched: a watcher per pin
 * would stay registered on a page that lives for good, and the ring cycles through its pages. A
 * slot the pins cannot hold (a ring address that is not 16-byte aligned, a port that cannot pin, a
 * page crossing windows) takes the checked path, as before.
 *
 * A read pin may allocate the page it covers (pin contract), and reads never allocate: so the
 * engine pins a page only after a checked fetch of it returned a non-zero descriptor, which proves
 * the page is allocated already. Descriptors the drivers write are never all zero (the type field
 * of MEMCOPY, STATUS and GENERAL is non-zero), so a write pin allocates only a page the write
 * itself would have allocated.
 */
import { PAGE_SIZE } from '../../model/layout/table.ts';
import type { Lease, MemPort } from '../../model/contract.ts';
import type { DescWords } from './descriptor.ts';

const SLOT = 16;
const SLOTS_PER_PAGE = PAGE_SIZE / SLOT;

export class RingSlots {
  /** per ring page (counted from the page holding slot 0): its pin, or undefined */
  private readonly views: (DataView | undefined)[];
  private readonly leases: (Lease | undefined)[];
  /** the page the last access used: slots [curLo, curHi), slot curLo at byte 0 of curView */
  private curLo = 0;
  private curHi = 0;
  private curView: DataView | undefined = undefined;
  private curLease: Lease | undefined = undefined;
  /** slot 0 is this many slots into its page (0 when the ring is page aligned) */
  private readonly skew: number;

  constructor(
    private readonly port: MemPort,
    /** ring address in `port` */
    private readonly addr: number,
    private readonly size: number,
    private readonly write: boolean,
  ) {
    const pinnable = Number.isSafeInteger(addr) && addr >= 0 && addr % SLOT === 0 && port.pin !== undefined;
    this.skew = pinnable ? (addr % PAGE_SIZE) / SLOT : 0;
    const pages = pinnable ? Math.ceil((this.skew + size) / SLOTS_PER_PAGE) : 0;
    this.views = new Array<DataView | undefined>(pages).fill(undefined);
    this.leases = new Array<Lease | undefined>(pages).fill(undefined);
  }

  /** first slot of ring page p */
  private firstOf(p: number): number {
    return Math.max(0, p * SLOTS_PER_PAGE - this.skew);
  }

  /** the pinned view holding slot (0 ≤ slot < size), slot curLo at its byte 0; undefined when there is no live pin */
  private view(slot: number): DataView | undefined {
    if (slot >= this.curLo && slot < this.curHi && this.curLease!.live) return this.curView;
    const p = Math.floor((slot + this.skew) / SLOTS_PER_PAGE);
    const view = this.views[p];
    const lease = this.leases[p];
    if (view === undefined || lease === undefined || !lease.live) return undefined;
    this.curLo = this.firstOf(p);
    this.curHi = Math.min(this.size, (p + 1) * SLOTS_PER_PAGE - this.skew);
    this.curView = view;
    this.curLease = lease;
    return view;
  }

  /** the descriptor in slot into w when its page is pinned; false: use the port */
  read(slot: number, w: DescWords): boolean {
    const v = this.view(slot);
    if (v === undefined) return false;
    const o = (slot - this.curLo) * SLOT;
    w.w0 = v.getUint32(o, true);
    w.w1 = v.getUint32(o + 4, true);
    w.w2 = v.getUint32(o + 8, true);
    w.w3 = v.getUint32(o + 12, true);
    return true;
  }

  /** stores w into slot when its page is pinned; false: use the port */
  store(slot: number, w: DescWords): boolean {
    const v = this.view(slot);
    if (v === undefined) return false;
    const o = (slot - this.curLo) * SLOT;
    v.setUint32(o, w.w0, true);
    v.setUint32(o + 4, w.w1, true);
    v.setUint32(o + 8, w.w2, true);
    v.setUint32(o + 12, w.w3, true);
    return true;
  }

  /** pins the ring's part of the page of slot, if the port can pin it; true when it is pinned now */
  pin(slot: number): boolean {
    const p = Math.floor((slot + this.skew) / SLOTS_PER_PAGE);
    if (p >= this.views.length) return false;
    const first = this.firstOf(p);
    const len = (Math.min(this.size, (p + 1) * SLOTS_PER_PAGE - this.skew) - first) * SLOT;
    const pin = this.port.pin!(this.addr + first * SLOT, len, this.write);
    if (pin === undefined || !pin.lease.live || pin.view.byteLength !== len) return false;
    this.views[p] = pin.view;
    this.leases[p] = pin.lease;
    return true;
  }
}
