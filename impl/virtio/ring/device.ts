/**
 * The device side of a split ring (runs on the host), after Linux vringh.c, hardened: the card is
 * untrusted (DESIGN.md §6 "Hostile input"), so every descriptor is validated before use, the walk
 * is bounded by the queue size, and nothing outside the granted windows is touched. The first
 * error is sticky: the device then needs a reset (STATUS-07).
 */
import type { Chain, DeviceRing, DeviceRingConfig, MemFault, MemPort, RingError } from '../../../model/contract.ts';
import { availUsedEventOffset, usedAvailEventOffset, availSize, usedSize, descTableSize } from '../../../model/layout/vring.ts';
import { checkPlacement, needEvent, RING_BITS, RING_OFFSETS } from './geometry.ts';
import { faultError, ringError } from './errors.ts';
import { grantsOf, type Grants } from './grants.ts';
import { faultLog, openArea, PortView, type FaultLog, type RingView } from './area.ts';

const { D_ADDR, D_LEN, D_FLAGS, D_NEXT, DESC, SLOT, ELEM, E_ID, E_LEN, A_FLAGS, A_IDX, A_RING, U_FLAGS, U_IDX, U_RING } = RING_OFFSETS;
const { F_NEXT, F_WRITE, F_INDIRECT, MAX_CHAIN_BYTES, USED_F_NO_NOTIFY, AVAIL_F_NO_INTERRUPT } = RING_BITS;

class SplitDeviceRing implements DeviceRing {
  readonly num: number;
  private readonly mask: number;
  private readonly bufMem: MemPort;
  private readonly grants: Grants;
  /** desc and avail are only read (RING-07), used is written; each side writes remote, reads local */
  private descV: RingView;
  private availV: RingView;
  private usedV: RingView;
  /** an indirect table: where the card points, so never pinned, always the checked port */
  private readonly tableV: PortView;
  /** faults of the views that go through the port (area.ts) */
  private readonly faults: FaultLog = faultLog();
  /** offsets of used_event in the avail area and avail_event in the used area */
  private readonly usedEventOff: number;
  private readonly availEventOff: number;
  private readonly eventIdx: boolean;
  private readonly indirectOk: boolean;
  private readonly start: number;
  private readonly onError: ((e: RingError) => void) | undefined;
  /** heads fetched and not yet completed, with their writable bytes (+1; 0 = not held) */
  private readonly heldW: Float64Array;
  private lastAvail: number;
  private used: number;
  /** used idx when the driver was last considered for an interrupt (vringh last_used_idx) */
  private notifiedUsed: number;
  private completed = 0;
  private steps = 0;
  private err: RingError | undefined = undefined;

  constructor(cfg: DeviceRingConfig) {
    const num = cfg.num;
    this.num = num;
    this.mask = num - 1;
    this.bufMem = cfg.bufMem;
    this.grants = grantsOf(cfg.bufMem, cfg.grants);
    this.descV = openArea(cfg.ringMem, cfg.descAddr, descTableSize(num), 'read', this.faults, (v) => (this.descV = v));
    this.availV = openArea(cfg.ringMem, cfg.availAddr, availSize(num), 'read', this.faults, (v) => (this.availV = v));
    this.usedV = openArea(cfg.usedMem, cfg.usedAddr, usedSize(num), 'write', this.faults, (v) => (this.usedV = v));
    this.tableV = new PortView(cfg.bufMem, 0, this.faults);
    this.usedEventOff = availUsedEventOffset(num);
    this.availEventOff = usedAvailEventOffset(num);
    this.eventIdx = cfg.eventIdx;
    this.indirectOk = cfg.indirect;
    this.start = cfg.startIdx ?? 0;
    this.onError = cfg.onError;
    this.heldW = new Float64Array(num);
    this.lastAvail = this.start;
    this.used = this.start;
    this.notifiedUsed = this.start;
  }

  get lastAvailIdx(): number {
    return this.lastAvail;
  }
  get usedIdx(): number {
    return this.used;
  }
  get error(): RingError | undefined {
    return this.err;
  }
  get walkSteps(): number {
    return this.steps;
  }

  private fail(e: RingError): RingError {
    if (this.err === undefined) {
      this.err = e;
      this.onError?.(e);
    }
    return this.err;
  }

  /** the last fault of this side's port views, as the device's (sticky) error */
  private faulted(where: string, head?: number): RingError {
    this.faults.writes = 0;
    return this.fail(faultError(where, this.faults.last!, head));
  }

  newChain(): Chain {
    const n = this.num;
    return {
      head: 0,
      rAddr: new Float64Array(n),
      rLen: new Float64Array(n),
      wAddr: new Float64Array(n),
      wLen: new Float64Array(n),
      nReadable: 0,
      nWritable: 0,
      readableBytes: 0,
      writableBytes: 0,
      steps: 0,
    };
  }

  available(): number | RingError {
    if (this.err !== undefined) return this.err;
    const idx = this.availV.getUint16(A_IDX, true);
    if (idx < 0) return this.faulted('reading avail idx');
    const n = (idx - this.lastAvail) & 0xffff;
    // RING-14: at most num chains can be outstanding; a bigger jump is a driver error
    if (n > this.num) return this.fail(ringError('avail-idx-jump', `avail idx ${idx} is ${n} ahead of ${this.lastAvail}, queue size ${this.num}`));
    return n;
  }

  /**
   * Fetch the next available chain into `chain`, bounded: at most num ring descriptors (RING-08),
   * at most len/16 entries of one indirect table, and at most num data descriptors in total
   * (errata 5.9: indirect entries count), so one chain costs at most num + 2 descriptor reads (num
   * buffers, the INDIRECT pointer, and the one that breaks a limit). One loop walks the ring and,
   * after an INDIRECT descriptor, its table (read through the checked port: the card chose where
   * it is); the state lives in locals and reaches `chain` once at the end.
   */
  pop(chain: Chain): boolean | RingError {
    const n = this.available();
    if (typeof n !== 'number') return n;
    if (n === 0) return false;
    // ORD-04: the slot is read only after idx covered it
    const limit = this.num;
    const head = this.availV.getUint16(A_RING + (this.lastAvail & this.mask) * SLOT, true);
    if (head < 0 || head >= limit || this.heldW[head] !== 0) return this.fail(this.badHead(head));
    const rAddr = chain.rAddr;
    const rLen = chain.rLen;
    const wAddr = chain.wAddr;
    const wLen = chain.wLen;
    let V: RingView = this.descV;
    /** entries of the table being walked (the ring, then maybe one indirect table) */
    let tableLen = limit;
    let inTable = false;
    let i = head;
    let visits = 0;
    let reads = 0;
    let nr = 0;
    let nw = 0;
    let rBytes = 0;
    let wBytes = 0;
    let e: RingError | undefined = undefined;
    for (;;) {
      if (visits === tableLen) {
        e = ringError('chain-too-long', inTable ? `indirect table loops (more than ${tableLen} entries visited)` : `chain longer than queue size ${tableLen} (loop)`, head);
        break;
      }
      visits++;
      reads++;
      const d = i * DESC;
      // the u64 address as two little-endian halves: no BigInt on the hot path
      const lo = V.getUint32(d + D_ADDR, true);
      const hi = lo < 0 ? -1 : V.getUint32(d + D_ADDR + 4, true);
      const len = hi < 0 ? -1 : V.getUint32(d + D_LEN, true);
      const flags = len < 0 ? -1 : V.getUint16(d + D_FLAGS, true);
      if (flags < 0 || hi >= 0x200000) {
        e = flags < 0 ? faultError('reading descriptor', this.faults.last!, head) : ringError('outside-window', `descriptor ${i} address >= 2^53`, head);
        break;
      }
      const addr = hi * 0x1_0000_0000 + lo;
      if ((flags & F_INDIRECT) !== 0) {
        e = this.badIndirect(head, i, addr, len, flags, inTable);
        if (e !== undefined) break;
        // RING-12: WRITE on the pointer descriptor is ignored
        this.tableV.retarget(addr);
        V = this.tableV;
        tableLen = len / DESC;
        inTable = true;
        visits = 0;
        i = 0;
        continue;
      }
      // a data descriptor: limits (RING-08), window (FEAT-06), order (RING-05)
      const write = (flags & F_WRITE) !== 0;
      if (nr + nw >= limit || !this.grants.covers(addr, len) || (nw > 0 && !write)) {
        e = this.badData(head, i, nr + nw, addr, len);
        break;
      }
      if (write) {
        wAddr[nw] = addr;
        wLen[nw] = len;
        nw++;
        wBytes += len;
      } else {
        rAddr[nr] = addr;
        rLen[nr] = len;
        nr++;
        rBytes += len;
      }
      if (rBytes + wBytes > MAX_CHAIN_BYTES) {
        e = ringError('chain-bytes-overflow', `chain carries more than 2^32 bytes`, head);
        break;
      }
      if ((flags & F_NEXT) === 0) break;
      const next = V.getUint16(d + D_NEXT, true);
      if (next < 0 || next >= tableLen) {
        e = next < 0 ? faultError('reading descriptor', this.faults.last!, head) : ringError('next-out-of-range', `next ${next} outside a table of ${tableLen}`, head);
        break;
      }
      i = next;
    }
    chain.head = head;
    chain.nReadable = nr;
    chain.nWritable = nw;
    chain.readableBytes = rBytes;
    chain.writableBytes = wBytes;
    chain.steps = reads;
    this.steps += reads;
    if (e !== undefined) return this.fail(e);
    this.heldW[head] = wBytes + 1;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return true;
  }

  /** why an avail slot's head is refused (a read fault, RING-13 range, RING-19 in flight) */
  private badHead(head: number): RingError {
    if (head < 0) return faultError('reading avail slot', this.faults.last!);
    return head >= this.num ? ringError('head-out-of-range', `avail slot names head ${head} >= ${this.num}`, head) : ringError('head-in-flight', `head ${head} published again before it was returned`, head);
  }

  /** what is wrong with INDIRECT descriptor i, if anything (RING-10/11, FEAT-06) */
  private badIndirect(head: number, i: number, table: number, bytes: number, flags: number, inTable: boolean): RingError | undefined {
    if (!this.indirectOk) return ringError('indirect-not-negotiated', `descriptor ${i} is INDIRECT without the feature`, head);
    if (inTable) return ringError('indirect-nested', `INDIRECT inside an indirect table (entry ${i})`, head);
    if ((flags & F_NEXT) !== 0) return ringError('indirect-with-next', `descriptor ${i} has INDIRECT and NEXT`, head);
    if (bytes === 0 || bytes % DESC !== 0) return ringError('indirect-len', `indirect table length ${bytes} is not a non-zero multiple of ${DESC}`, head);
    if (!this.grants.covers(table, bytes)) return ringError('outside-window', `indirect table [0x${table.toString(16)}, +${bytes}) outside the granted windows`, head);
    return undefined;
  }

  /** which rule the data descriptor pop() refused breaks, in the order pop() checks them */
  private badData(head: number, i: number, buffers: number, addr: number, len: number): RingError {
    if (buffers >= this.num) return ringError('chain-too-long', `chain has more than ${this.num} buffers`, head);
    if (!this.grants.covers(addr, len)) return ringError('outside-window', `buffer [0x${addr.toString(16)}, +${len}) outside the granted windows`, head);
    return ringError('readable-after-writable', `readable descriptor ${i} after a writable one`, head);
  }

  push(head: number, len: number): RingError | undefined {
    // a u32 compare covers "integer" and "not negative" at once; held is writable bytes + 1, 0 if not held
    const held = head >>> 0 === head && head < this.num ? this.heldW[head]! : 0;
    // RING-16: never overstate what was written
    if (this.err !== undefined || held === 0 || !(len >>> 0 === len && len < held)) return this.pushRefused(head, len, held);
    const U = this.usedV;
    const used = this.used;
    const e = U_RING + (used & this.mask) * ELEM;
    U.setUint32(e + E_ID, head, true);
    U.setUint32(e + E_LEN, len, true);
    if (this.faults.writes !== 0) return this.faulted('writing used element', head);
    // ORD-03: element (and data) before idx
    const next = (used + 1) & 0xffff;
    U.setUint16(U_IDX, next, true);
    if (this.faults.writes !== 0) return this.faulted('writing used idx', head);
    this.used = next;
    this.completed++;
    this.heldW[head] = 0;
    return undefined;
  }

  private pushRefused(head: number, len: number, held: number): RingError {
    if (this.err) return this.err;
    return held === 0 ? ringError('push-not-held', `head ${head} is not a chain the device holds`) : ringError('bad-request', `used len ${len} outside 0..${held - 1} writable bytes`, head);
  }

  needNotify(): boolean {
    const completed = this.completed;
    if (completed === 0) return false;
    const old = this.notifiedUsed;
    this.completed = 0;
    this.notifiedUsed = this.used;
    // the used idx store is ordered before these reads (pairs with the driver's enableCallbacks);
    // a flag we cannot read: notify (a spurious interrupt is harmless)
    if (this.eventIdx) return this.notifyByEvent(completed, old);
    const flags = this.availV.getUint16(A_FLAGS, true);
    return flags < 0 || (flags & AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** NOTIF-02: with event index, notify when the used idx passes the driver's used_event */
  private notifyByEvent(completed: number, old: number): boolean {
    const ev = this.availV.getUint16(this.usedEventOff, true);
    return ev < 0 || completed > 0xffff || needEvent(ev, this.used, old);
  }

  disableNotify(): void {
    if (this.eventIdx || this.err) return;
    this.usedV.setUint16(U_FLAGS, USED_F_NO_NOTIFY, true);
    if (this.faults.writes !== 0) this.faulted('writing used flags');
  }

  enableNotify(): boolean {
    if (this.err) return true;
    if (this.eventIdx) this.usedV.setUint16(this.availEventOff, this.lastAvail, true);
    else this.usedV.setUint16(U_FLAGS, 0, true);
    if (this.faults.writes !== 0) {
      this.faulted('enabling notifications');
      return true;
    }
    // NOTIF-05: full barrier, then re-check so a chain published meanwhile is not left asleep
    const n = this.available();
    return typeof n !== 'number' || n > 0;
  }

  readChain(chain: Chain, offset: number, dst: Uint8Array): number | MemFault {
    return copyChain(this.bufMem, chain.rAddr, chain.rLen, chain.nReadable, offset, dst, false);
  }

  writeChain(chain: Chain, offset: number, src: Uint8Array): number | MemFault {
    return copyChain(this.bufMem, chain.wAddr, chain.wLen, chain.nWritable, offset, src, true);
  }

  reset(): void {
    this.lastAvail = this.start;
    this.used = this.start;
    this.notifiedUsed = this.start;
    this.completed = 0;
    this.heldW.fill(0);
    this.err = undefined;
  }
}

/** scatter/gather copy between a byte array and a chain's segments, starting `offset` bytes in */
function copyChain(
  mem: MemPort,
  addrs: Float64Array,
  lens: Float64Array,
  n: number,
  offset: number,
  bytes: Uint8Array,
  toChain: boolean,
): number | MemFault {
  let skip = offset;
  let done = 0;
  for (let k = 0; k < n && done < bytes.length; k++) {
    const len = lens[k]!;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const take = Math.min(len - skip, bytes.length - done);
    const addr = addrs[k]! + skip;
    const part = done === 0 && take === bytes.length ? bytes : bytes.subarray(done, done + take);
    const f = toChain ? mem.write(addr, part) : mem.readInto(addr, part);
    if (f) return f;
    done += take;
    skip = 0;
  }
  return done;
}

export function createDeviceRing(cfg: DeviceRingConfig): DeviceRing | RingError {
  const bad = checkPlacement(cfg);
  if (bad) return bad;
  return new SplitDeviceRing(cfg);
}
