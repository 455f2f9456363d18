/**
 * The driver side of a split ring (runs on the card), after Linux virtio_ring.c: a shadow free
 * list (desc_extra.next) so the card never reads back what it wrote into host memory (facts §6.2:
 * each side writes remote and reads local), free-running u16 indices, slot = idx & (num-1).
 * The device is not trusted either: used entries are validated (RING-15) and a bad one breaks
 * the ring (sticky) instead of corrupting the free list.
 */
import type { DriverRing, DriverRingConfig, MemFault, MemPort, RingError, Seg, UsedOut } from '../../../model/contract.ts';
import { availUsedEventOffset, availSize, usedAvailEventOffset, usedSize, descTableSize } from '../../../model/layout/vring.ts';
import { checkPlacement, needEvent, RING_BITS, RING_OFFSETS } from './geometry.ts';
import { faultError, isFault, ringError } from './errors.ts';
import { faultLog, openArea, type FaultLog, type RingView } from './area.ts';

const { D_ADDR, D_LEN, D_FLAGS, D_NEXT, DESC, SLOT, ELEM, E_ID, E_LEN, A_FLAGS, A_IDX, A_RING, U_FLAGS, U_IDX, U_RING } = RING_OFFSETS;
const { F_NEXT, F_WRITE, F_INDIRECT, MAX_CHAIN_BYTES, USED_F_NO_NOTIFY, AVAIL_F_NO_INTERRUPT } = RING_BITS;

/** head states */
const FREE = 0;
const ADDED = 1;
const PUBLISHED = 2;

const U32_MAX = 0xffffffff;

/** a u64 address as two little-endian halves (addresses are < 2^53): no BigInt on the hot path */
function writeAddr(m: MemPort, at: number, addr: number): MemFault | undefined {
  const lo = addr >>> 0;
  return m.write32(at, lo) ?? m.write32(at + 4, (addr - lo) * TWO_TO_MINUS_32);
}

/** the same into a ring view (a fault through a PortView lands in the side's FaultLog) */
function storeAddr(v: RingView, at: number, addr: number): void {
  const lo = addr >>> 0;
  v.setUint32(at, lo, true);
  v.setUint32(at + 4, (addr - lo) * TWO_TO_MINUS_32, true);
}

/** 2^-32: scaling by a power of two is exact, and a multiply is cheaper than a divide */
const TWO_TO_MINUS_32 = 1 / 0x1_0000_0000;

class SplitDriverRing implements DriverRing {
  readonly num: number;
  private readonly mask: number;
  private readonly mem: MemPort;
  /** the three areas: desc and avail are written, used is only read (each side writes remote, reads local) */
  private descV: RingView;
  private availV: RingView;
  private usedV: RingView;
  /** faults of the views that go through the port (area.ts) */
  private readonly faults: FaultLog = faultLog();
  /** offsets of used_event in the avail area and avail_event in the used area */
  private readonly usedEventOff: number;
  private readonly availEventOff: number;
  private readonly eventIdx: boolean;
  private readonly indirectOk: boolean;
  private readonly poolBase: number;
  private readonly poolEntries: number;

  /** shadow of desc.next for free and in-flight descriptors (Linux desc_extra) */
  private readonly shadowNext: Uint16Array;
  /** ring descriptors each in-flight head uses (1 for indirect) */
  private readonly descCount: Uint16Array;
  private readonly state: Uint8Array;
  private readonly tokens: Float64Array;
  private readonly wBytes: Float64Array;
  /** heads by avail slot, so publish() can mark what it exposes without reading remote memory */
  private readonly slotHead: Uint16Array;
  private freeHead = 0;
  private nFree: number;
  private nInFlight = 0;
  /** in flight and visible to the device: the most the used idx can move ahead (RING-15) */
  private nPublished = 0;
  private availShadow: number;
  private published: number;
  private kicked: number;
  private lastUsed: number;
  private availFlagsShadow = 0;
  private err: RingError | undefined = undefined;

  constructor(cfg: DriverRingConfig) {
    const num = cfg.num;
    this.num = num;
    this.mask = num - 1;
    this.mem = cfg.mem;
    this.descV = openArea(cfg.mem, cfg.descAddr, descTableSize(num), 'write', this.faults, (v) => (this.descV = v));
    this.availV = openArea(cfg.mem, cfg.availAddr, availSize(num), 'write', this.faults, (v) => (this.availV = v));
    this.usedV = openArea(cfg.mem, cfg.usedAddr, usedSize(num), 'read', this.faults, (v) => (this.usedV = v));
    this.usedEventOff = availUsedEventOffset(num);
    this.availEventOff = usedAvailEventOffset(num);
    this.eventIdx = cfg.eventIdx;
    this.indirectOk = cfg.indirect && cfg.indirectPool !== undefined;
    this.poolBase = cfg.indirectPool?.base ?? 0;
    this.poolEntries = cfg.indirectPool?.maxEntries ?? 0;
    this.shadowNext = new Uint16Array(num);
    for (let i = 0; i < num; i++) this.shadowNext[i] = (i + 1) & 0xffff;
    this.descCount = new Uint16Array(num);
    this.state = new Uint8Array(num);
    this.tokens = new Float64Array(num);
    this.wBytes = new Float64Array(num);
    this.slotHead = new Uint16Array(num);
    this.nFree = num;
    const start = cfg.startIdx ?? 0;
    this.availShadow = start;
    this.published = start;
    this.kicked = start;
    this.lastUsed = start;
  }

  /** zero the areas (RING-20) and set both indices to the start value */
  init(cfg: DriverRingConfig): RingError | undefined {
    const m = this.mem;
    const num = this.num;
    if (cfg.zero !== false) {
      const f = m.fill(cfg.descAddr, descTableSize(num), 0) ?? m.fill(cfg.availAddr, availSize(num), 0) ?? m.fill(cfg.usedAddr, usedSize(num), 0);
      if (f) return faultError('zeroing ring areas', f);
    }
    // a ring started at startIdx looks like a zeroed ring that has run to there: both indices and
    // both event thresholds sit at the start (all 0 for the usual start)
    const start = cfg.startIdx ?? 0;
    const f =
      m.write16(cfg.availAddr + A_IDX, start) ??
      m.write16(cfg.usedAddr + U_IDX, start) ??
      m.write16(cfg.availAddr + this.usedEventOff, start) ??
      m.write16(cfg.usedAddr + this.availEventOff, start);
    if (f) return faultError('initialising ring indices', f);
    return undefined;
  }

  get numFree(): number {
    return this.nFree;
  }
  get inFlight(): number {
    return this.nInFlight;
  }
  get availIdx(): number {
    return this.availShadow;
  }
  get lastUsedIdx(): number {
    return this.lastUsed;
  }
  get error(): RingError | undefined {
    return this.err;
  }

  /** the write fault(s) of the stores just made, as this operation's error (the log is cleared) */
  private writeFailed(where: string, head?: number): RingError {
    this.faults.writes = 0;
    return faultError(where, this.faults.last!, head);
  }

  private broken(f: MemFault | RingError, where: string): RingError {
    const e = isFault(f) ? faultError(where, f) : f;
    if (this.err === undefined) this.err = e;
    return e;
  }

  /** the driver's own obligations on a request (RING-05 order is by construction; RING-08 limits) */
  private checkRequest(readable: readonly Seg[], writable: readonly Seg[]): RingError | number {
    const total = readable.length + writable.length;
    if (total === 0) return ringError('bad-request', 'a chain needs at least one buffer');
    if (total > this.num) return ringError('bad-request', `chain of ${total} buffers exceeds queue size ${this.num} (RING-08)`);
    let bytes = 0;
    let w = 0;
    for (let i = 0; i < total; i++) {
      const s = i < readable.length ? readable[i]! : writable[i - readable.length]!;
      if (!Number.isSafeInteger(s.addr) || s.addr < 0 || !Number.isInteger(s.len) || s.len < 0 || s.len > U32_MAX) {
        return ringError('bad-request', `buffer ${i} {addr ${s.addr}, len ${s.len}} is not a valid descriptor`);
      }
      bytes += s.len;
      if (i >= readable.length) w += s.len;
    }
    if (bytes > MAX_CHAIN_BYTES) return ringError('bad-request', `chain carries ${bytes} bytes > 2^32 (RING-08)`);
    return w;
  }

  add(readable: readonly Seg[], writable: readonly Seg[], token: number, indirect = false): number | RingError {
    const nr = readable.length;
    const total = nr + writable.length;
    // the usual case here, everything else (errors, indirect) in addOther: keeps this one small
    if (indirect || this.err !== undefined || total === 0 || total > this.nFree) return this.addOther(readable, writable, token, indirect);
    // One pass: check each buffer (RING-08 limits; RING-05 order is by construction) and write its
    // descriptor. The descriptors are free ones the device cannot see until the avail slot is
    // written (expose), so a refused request leaves nothing visible behind.
    const head = this.freeHead;
    const D = this.descV;
    let i = head;
    let bytes = 0;
    let w = 0;
    for (let k = 0; k < total; k++) {
      const s = k < nr ? readable[k]! : writable[k - nr]!;
      const addr = s.addr;
      const len = s.len;
      // the u64 address as two u32 halves, which is the address check too: below 4 GiB addr is
      // its own low half; above, the halves add up to addr exactly when it is an integer below
      // 2^53 (a fraction, a negative, NaN or a huge value leaves a high half that is not a u32
      // in 1..2^21-1)
      const lo = addr >>> 0;
      const hi = lo === addr ? 0 : (addr - lo) * TWO_TO_MINUS_32;
      if (!((hi === 0 || (hi >>> 0 === hi && hi < 0x200000)) && len >>> 0 === len)) return this.addOther(readable, writable, token, false);
      bytes += len;
      if (k >= nr) w += len;
      const d = i * DESC;
      const next = this.shadowNext[i]!;
      const more = k < total - 1;
      // RING-09: `next` means nothing without NEXT, so the last one is not written (one store less)
      D.setUint32(d + D_ADDR, lo, true);
      D.setUint32(d + D_ADDR + 4, hi, true);
      D.setUint32(d + D_LEN, len, true);
      D.setUint16(d + D_FLAGS, (more ? F_NEXT : 0) | (k >= nr ? F_WRITE : 0), true);
      if (more) {
        D.setUint16(d + D_NEXT, next, true);
        i = next;
      }
    }
    if (this.faults.writes !== 0) return this.writeFailed('writing descriptor', head);
    if (bytes > MAX_CHAIN_BYTES) return this.addOther(readable, writable, token, false);
    return this.expose(head, i, total, token, w);
  }

  /** add() for everything but a valid direct chain that fits: the ring's error, the request's, no space, or an indirect chain */
  private addOther(readable: readonly Seg[], writable: readonly Seg[], token: number, indirect: boolean): number | RingError {
    if (this.err) return ringError('broken', `ring broken: ${this.err.detail}`);
    const w = this.checkRequest(readable, writable);
    if (typeof w !== 'number') return w;
    const nr = readable.length;
    const total = nr + writable.length;
    if (!indirect) return ringError('no-space', `${total} descriptors needed, ${this.nFree} free`);
    const m = this.mem;
    if (!this.indirectOk) return ringError('bad-request', 'indirect descriptors not negotiated or no pool (RING-10)');
    if (total > this.poolEntries) return ringError('bad-request', `indirect table of ${total} > pool entries ${this.poolEntries}`);
    if (this.nFree < 1) return ringError('no-space', 'no free descriptor');
    const head = this.freeHead;
    const table = this.poolBase + head * this.poolEntries * DESC;
    for (let i = 0; i < total; i++) {
      const s = i < nr ? readable[i]! : writable[i - nr]!;
      const d = table + i * DESC;
      const flags = (i < total - 1 ? F_NEXT : 0) | (i >= nr ? F_WRITE : 0);
      const f = writeAddr(m, d + D_ADDR, s.addr) ?? m.write32(d + D_LEN, s.len) ?? m.write16(d + D_FLAGS, flags) ?? m.write16(d + D_NEXT, i + 1 < total ? i + 1 : 0);
      if (f) return faultError('writing indirect table', f, head);
    }
    const D = this.descV;
    const d = head * DESC;
    storeAddr(D, d + D_ADDR, table);
    D.setUint32(d + D_LEN, total * DESC, true);
    D.setUint16(d + D_FLAGS, F_INDIRECT, true);
    D.setUint16(d + D_NEXT, this.shadowNext[head]!, true);
    if (this.faults.writes !== 0) return this.writeFailed('writing descriptor', head);
    return this.expose(head, head, 1, token, w);
  }

  /** the chain head..last (n ring descriptors) is written: put it in the avail ring and take it off the free list */
  private expose(head: number, last: number, n: number, token: number, w: number): number | RingError {
    const slot = this.availShadow & this.mask;
    this.availV.setUint16(A_RING + slot * SLOT, head, true);
    if (this.faults.writes !== 0) return this.writeFailed('writing avail slot', head);
    this.freeHead = this.shadowNext[last]!;
    this.nFree -= n;
    this.descCount[head] = n;
    this.state[head] = ADDED;
    this.tokens[head] = token;
    this.wBytes[head] = w;
    this.slotHead[slot] = head;
    this.availShadow = (this.availShadow + 1) & 0xffff;
    this.nInFlight++;
    return head;
  }

  publish(): void {
    const avail = this.availShadow;
    let i = this.published;
    if (i === avail) return;
    // ORD-01: descriptors and slots above are stored before idx (sequentially consistent simulation)
    this.availV.setUint16(A_IDX, avail, true);
    if (this.faults.writes !== 0) {
      this.broken(this.writeFailed('publishing avail idx'), '');
      return;
    }
    for (; i !== avail; i = (i + 1) & 0xffff) {
      const h = this.slotHead[i & this.mask]!;
      if (this.state[h] === ADDED) {
        this.state[h] = PUBLISHED;
        this.nPublished++;
      }
    }
    this.published = avail;
  }

  kickPrepare(): boolean {
    this.publish();
    // ORD-02: full barrier between the idx store above and the reads below
    const oldIdx = this.kicked;
    const newIdx = this.availShadow;
    this.kicked = newIdx;
    if (oldIdx === newIdx) return false;
    if (this.eventIdx) return this.kickByEvent(newIdx, oldIdx);
    // a flag we cannot read: kick (a spurious kick is harmless, NOTIF-04)
    const flags = this.usedV.getUint16(U_FLAGS, true);
    return flags < 0 || (flags & USED_F_NO_NOTIFY) === 0;
  }

  /** NOTIF-02: with event index, kick when the new avail idx passes the device's avail_event */
  private kickByEvent(newIdx: number, oldIdx: number): boolean {
    const ev = this.usedV.getUint16(this.availEventOff, true);
    return ev < 0 || needEvent(ev, newIdx, oldIdx);
  }

  reap(out: UsedOut): boolean | RingError {
    if (this.err !== undefined) return this.err;
    const U = this.usedV;
    const usedIdx = U.getUint16(U_IDX, true);
    if (usedIdx < 0) return this.broken(this.faults.last!, 'reading used idx');
    const lastUsed = this.lastUsed;
    if (usedIdx === lastUsed) return false;
    if (((usedIdx - lastUsed) & 0xffff) > this.nPublished) return this.badUsed(usedIdx, -1, 0);
    // ORD-05: the element is read after idx
    const e = U_RING + (lastUsed & this.mask) * ELEM;
    const id = U.getUint32(e + E_ID, true);
    const len = id < 0 ? -1 : U.getUint32(e + E_LEN, true);
    if (len < 0) return this.broken(this.faults.last!, 'reading used element');
    if (id >= this.num || this.state[id] !== PUBLISHED || len > this.wBytes[id]!) return this.badUsed(usedIdx, id, len);
    out.head = id;
    out.len = len;
    out.token = this.tokens[id]!;
    // detach (inline here: this is the hot path; detachUnused uses detach())
    const n = this.descCount[id]!;
    let last = id;
    for (let k = 1; k < n; k++) last = this.shadowNext[last]!;
    this.shadowNext[last] = this.freeHead;
    this.freeHead = id;
    this.nFree += n;
    this.nPublished--;
    this.state[id] = FREE;
    this.nInFlight--;
    this.lastUsed = (lastUsed + 1) & 0xffff;
    return this.eventIdx ? this.moveUsedEvent() : true;
  }

  /** like virtqueue_get_buf: with event index, move the interrupt threshold along with what was consumed */
  private moveUsedEvent(): true | RingError {
    if ((this.availFlagsShadow & AVAIL_F_NO_INTERRUPT) !== 0) return true;
    this.availV.setUint16(this.usedEventOff, this.lastUsed, true);
    return this.faults.writes === 0 || this.broken(this.writeFailed('writing used_event'), '');
  }

  /** RING-15: what the device put in the used ring breaks the ring (out of line: keeps reap small) */
  private badUsed(usedIdx: number, id: number, len: number): RingError {
    const pending = (usedIdx - this.lastUsed) & 0xffff;
    const e =
      id < 0
        ? ringError('used-idx-jump', `used idx ${usedIdx} is ${pending} ahead of ${this.lastUsed} with ${this.nPublished} published in flight`)
        : id >= this.num || this.state[id] !== PUBLISHED
          ? ringError('used-id-invalid', `used id ${id} is not a published head in flight`, id < this.num ? id : undefined)
          : ringError('used-len-too-big', `used len ${len} > ${this.wBytes[id]} writable bytes`, id);
    return this.broken(e, '');
  }

  private detach(head: number): void {
    let last = head;
    const n = this.descCount[head]!;
    for (let k = 1; k < n; k++) last = this.shadowNext[last]!;
    this.shadowNext[last] = this.freeHead;
    this.freeHead = head;
    this.nFree += n;
    if (this.state[head] === PUBLISHED) this.nPublished--;
    this.state[head] = FREE;
    this.nInFlight--;
  }

  disableCallbacks(): void {
    if ((this.availFlagsShadow & AVAIL_F_NO_INTERRUPT) !== 0) return;
    this.availFlagsShadow |= AVAIL_F_NO_INTERRUPT;
    // NOTIF-02: with event idx avail.flags stays 0; the device then steers by used_event only
    if (this.eventIdx) return;
    this.availV.setUint16(A_FLAGS, this.availFlagsShadow, true);
    if (this.faults.writes !== 0) this.broken(this.writeFailed('writing avail flags'), '');
  }

  enableCallbacks(): boolean {
    const A = this.availV;
    if ((this.availFlagsShadow & AVAIL_F_NO_INTERRUPT) !== 0) {
      this.availFlagsShadow &= ~AVAIL_F_NO_INTERRUPT;
      if (!this.eventIdx) A.setUint16(A_FLAGS, this.availFlagsShadow, true);
    }
    if (this.eventIdx) A.setUint16(this.usedEventOff, this.lastUsed, true);
    if (this.faults.writes !== 0) this.broken(this.writeFailed(this.eventIdx ? 'writing used_event' : 'writing avail flags'), '');
    // NOTIF-05: full barrier, then re-check, or a completion that raced the enable is lost
    const usedIdx = this.usedV.getUint16(U_IDX, true);
    if (usedIdx < 0) return false;
    return usedIdx === this.lastUsed;
  }

  detachUnused(): number {
    for (let h = 0; h < this.num; h++) {
      if (this.state[h] !== FREE) {
        const token = this.tokens[h]!;
        this.detach(h);
        return token;
      }
    }
    return -1;
  }

  writableBytes(head: number): number {
    return head >= 0 && head < this.num && this.state[head] !== FREE ? this.wBytes[head]! : -1;
  }
}

export function createDriverRing(cfg: DriverRingConfig): DriverRing | RingError {
  const bad = checkPlacement(cfg);
  if (bad) return bad;
  if (cfg.indirectPool !== undefined) {
    const p = cfg.indirectPool;
    if (!Number.isSafeInteger(p.base) || p.base < 0 || p.base % 16 !== 0 || !Number.isInteger(p.maxEntries) || p.maxEntries < 1 || p.maxEntries > cfg.num) {
      return ringError('bad-request', `indirect pool {base ${p.base}, maxEntries ${p.maxEntries}} invalid (16-aligned, 1..num entries)`);
    }
  }
  const ring = new SplitDriverRing(cfg);
  const e = ring.init(cfg);
  return e ?? ring;
}
