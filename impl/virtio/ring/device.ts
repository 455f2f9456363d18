/**
 * The device side of a split ring (runs on the host), after Linux vringh.c, hardened: the card is
 * untrusted (DESIGN.md §6 "Hostile input"), so every descriptor is validated before use, the walk
 * is bounded by the queue size, and nothing outside the granted windows is touched. The first
 * error is sticky: the device then needs a reset (STATUS-07).
 */
import type { Chain, DeviceRing, DeviceRingConfig, MemFault, MemPort, RingError } from '../../../model/contract.ts';
import {
  VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT,
  VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY, VRING_MAX_CHAIN_BYTES,
} from '../../../model/constants/virtio.ts';
import {
  vringAvail, vringUsed, availSlotOffset, availUsedEventOffset, usedElemOffset, usedAvailEventOffset,
} from '../../../model/layout/vring.ts';
import { checkPlacement, needEvent, RING_OFFSETS } from './geometry.ts';
import { faultError, ringError } from './errors.ts';
import { grantsOf, type Grants } from './grants.ts';

const { D_ADDR, D_LEN, D_FLAGS, D_NEXT, DESC, SLOT, ELEM, E_ID, E_LEN } = RING_OFFSETS;

class SplitDeviceRing implements DeviceRing {
  readonly num: number;
  private readonly mask: number;
  private readonly ringMem: MemPort;
  private readonly usedMem: MemPort;
  private readonly bufMem: MemPort;
  private readonly grants: Grants;
  private readonly descAddr: number;
  private readonly availFlagsAddr: number;
  private readonly availIdxAddr: number;
  private readonly availRingAddr: number;
  private readonly usedEventAddr: number;
  private readonly usedFlagsAddr: number;
  private readonly usedIdxAddr: number;
  private readonly usedRingAddr: number;
  private readonly availEventAddr: number;
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
    this.ringMem = cfg.ringMem;
    this.usedMem = cfg.usedMem;
    this.bufMem = cfg.bufMem;
    this.grants = grantsOf(cfg.bufMem, cfg.grants);
    this.descAddr = cfg.descAddr;
    this.availFlagsAddr = cfg.availAddr + vringAvail.fields.flags.offset;
    this.availIdxAddr = cfg.availAddr + vringAvail.fields.idx.offset;
    this.availRingAddr = cfg.availAddr + availSlotOffset(0);
    this.usedEventAddr = cfg.availAddr + availUsedEventOffset(num);
    this.usedFlagsAddr = cfg.usedAddr + vringUsed.fields.flags.offset;
    this.usedIdxAddr = cfg.usedAddr + vringUsed.fields.idx.offset;
    this.usedRingAddr = cfg.usedAddr + usedElemOffset(0);
    this.availEventAddr = cfg.usedAddr + usedAvailEventOffset(num);
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

  private faulted(where: string, f: MemFault, head?: number): RingError {
    return this.fail(faultError(where, f, head));
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
    if (this.err) return this.err;
    const idx = this.ringMem.read16(this.availIdxAddr);
    if (typeof idx !== 'number') return this.faulted('reading avail idx', idx);
    const n = (idx - this.lastAvail) & 0xffff;
    // RING-14: at most num chains can be outstanding; a bigger jump is a driver error
    if (n > this.num) return this.fail(ringError('avail-idx-jump', `avail idx ${idx} is ${n} ahead of ${this.lastAvail}, queue size ${this.num}`));
    return n;
  }

  pop(chain: Chain): boolean | RingError {
    const n = this.available();
    if (typeof n !== 'number') return n;
    if (n === 0) return false;
    // ORD-04: the slot is read only after idx covered it
    const head = this.ringMem.read16(this.availRingAddr + (this.lastAvail & this.mask) * SLOT);
    if (typeof head !== 'number') return this.faulted('reading avail slot', head);
    if (head >= this.num) return this.fail(ringError('head-out-of-range', `avail slot names head ${head} >= ${this.num}`, head));
    if (this.heldW[head] !== 0) return this.fail(ringError('head-in-flight', `head ${head} published again before it was returned`, head));
    const e = this.walk(head, chain);
    if (e) return this.fail(e);
    this.heldW[head] = chain.writableBytes + 1;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return true;
  }

  /**
   * One chain, bounded: at most num ring descriptors (RING-08), at most len/16 entries of one
   * indirect table, and at most num data descriptors in total (errata 5.9: indirect entries
   * count), so a walk reads at most num + 2 descriptors (num buffers, the INDIRECT pointer, and
   * the one that breaks a limit).
   */
  private walk(head: number, chain: Chain): RingError | undefined {
    const limit = this.num;
    let port = this.ringMem;
    let table = this.descAddr;
    let tableLen = this.num;
    let inIndirect = false;
    let i = head;
    let ringVisits = 0;
    let tableVisits = 0;
    let data = 0;
    let nr = 0;
    let nw = 0;
    let rBytes = 0;
    let wBytes = 0;
    let steps = 0;
    const rAddr = chain.rAddr;
    const rLen = chain.rLen;
    const wAddr = chain.wAddr;
    const wLen = chain.wLen;
    for (;;) {
      if (inIndirect) {
        if (++tableVisits > tableLen) return ringError('chain-too-long', `indirect table loops (more than ${tableLen} entries visited)`, head);
      } else if (++ringVisits > limit) {
        return ringError('chain-too-long', `chain longer than queue size ${limit} (loop)`, head);
      }
      const d = table + i * DESC;
      steps++;
      this.steps++;
      // the u64 address as two little-endian halves: no BigInt on the hot path
      const lo = port.read32(d + D_ADDR);
      if (typeof lo !== 'number') return faultError('reading descriptor', lo, head);
      const hi = port.read32(d + D_ADDR + 4);
      if (typeof hi !== 'number') return faultError('reading descriptor', hi, head);
      if (hi >= 0x200000) return ringError('outside-window', `descriptor ${i} address >= 2^53`, head);
      const addr = hi * 0x1_0000_0000 + lo;
      const len = port.read32(d + D_LEN);
      if (typeof len !== 'number') return faultError('reading descriptor', len, head);
      const flags = port.read16(d + D_FLAGS);
      if (typeof flags !== 'number') return faultError('reading descriptor', flags, head);
      if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
        if (!this.indirectOk) return ringError('indirect-not-negotiated', `descriptor ${i} is INDIRECT without the feature`, head);
        if (inIndirect) return ringError('indirect-nested', `INDIRECT inside an indirect table (entry ${i})`, head);
        if ((flags & VRING_DESC_F_NEXT) !== 0) return ringError('indirect-with-next', `descriptor ${i} has INDIRECT and NEXT`, head);
        if (len === 0 || len % DESC !== 0) return ringError('indirect-len', `indirect table length ${len} is not a non-zero multiple of ${DESC}`, head);
        if (!this.grants.covers(addr, len)) return ringError('outside-window', `indirect table [0x${addr.toString(16)}, +${len}) outside the granted windows`, head);
        // RING-12: WRITE on the pointer descriptor is ignored
        port = this.bufMem;
        table = addr;
        tableLen = len / DESC;
        inIndirect = true;
        i = 0;
        continue;
      }
      if (++data > limit) return ringError('chain-too-long', `chain has more than ${limit} buffers`, head);
      if (!this.grants.covers(addr, len)) return ringError('outside-window', `buffer [0x${addr.toString(16)}, +${len}) outside the granted windows`, head);
      if ((flags & VRING_DESC_F_WRITE) !== 0) {
        wAddr[nw] = addr;
        wLen[nw] = len;
        nw++;
        wBytes += len;
      } else {
        if (nw > 0) return ringError('readable-after-writable', `readable descriptor ${i} after a writable one`, head);
        rAddr[nr] = addr;
        rLen[nr] = len;
        nr++;
        rBytes += len;
      }
      if (rBytes + wBytes > VRING_MAX_CHAIN_BYTES) return ringError('chain-bytes-overflow', `chain carries more than 2^32 bytes`, head);
      if ((flags & VRING_DESC_F_NEXT) === 0) break;
      const next = port.read16(d + D_NEXT);
      if (typeof next !== 'number') return faultError('reading descriptor', next, head);
      if (next >= tableLen) return ringError('next-out-of-range', `next ${next} outside a table of ${tableLen}`, head);
      i = next;
    }
    chain.head = head;
    chain.nReadable = nr;
    chain.nWritable = nw;
    chain.readableBytes = rBytes;
    chain.writableBytes = wBytes;
    chain.steps = steps;
    return undefined;
  }

  push(head: number, len: number): RingError | undefined {
    if (this.err) return this.err;
    if (!Number.isInteger(head) || head < 0 || head >= this.num || this.heldW[head] === 0) {
      return ringError('push-not-held', `head ${head} is not a chain the device holds`);
    }
    // RING-16: never overstate what was written
    if (!Number.isInteger(len) || len < 0 || len > this.heldW[head]! - 1) {
      return ringError('bad-request', `used len ${len} outside 0..${this.heldW[head]! - 1} writable bytes`, head);
    }
    const m = this.usedMem;
    const e = this.usedRingAddr + (this.used & this.mask) * ELEM;
    const f = m.write32(e + E_ID, head) ?? m.write32(e + E_LEN, len);
    if (f) return this.faulted('writing used element', f, head);
    // ORD-03: element (and data) before idx
    const next = (this.used + 1) & 0xffff;
    const g = m.write16(this.usedIdxAddr, next);
    if (g) return this.faulted('writing used idx', g, head);
    this.used = next;
    this.completed++;
    this.heldW[head] = 0;
    return undefined;
  }

  needNotify(): boolean {
    if (this.completed === 0) return false;
    const completed = this.completed;
    const old = this.notifiedUsed;
    this.completed = 0;
    this.notifiedUsed = this.used;
    // the used idx store is ordered before these reads (pairs with the driver's enableCallbacks)
    if (!this.eventIdx) {
      const flags = this.ringMem.read16(this.availFlagsAddr);
      if (typeof flags !== 'number') return true;
      return (flags & VRING_AVAIL_F_NO_INTERRUPT) === 0;
    }
    const ev = this.ringMem.read16(this.usedEventAddr);
    if (typeof ev !== 'number') return true;
    if (completed > 0xffff) return true;
    return needEvent(ev, this.used, old);
  }

  disableNotify(): void {
    if (this.eventIdx || this.err) return;
    const f = this.usedMem.write16(this.usedFlagsAddr, VRING_USED_F_NO_NOTIFY);
    if (f) this.faulted('writing used flags', f);
  }

  enableNotify(): boolean {
    if (this.err) return true;
    const f = this.eventIdx
      ? this.usedMem.write16(this.availEventAddr, this.lastAvail)
      : this.usedMem.write16(this.usedFlagsAddr, 0);
    if (f) {
      this.faulted('enabling notifications', f);
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
