/**
 * An address space made of windows onto other spaces: the host's view of BAR0 (card GDDR), the
 * card's view of host memory through the SMPT, a DMA channel's view of either side.
 *
 * Rules (documented for the layers above):
 *  - An access must first pass the view's own bounds check ([0, size), fault.ts); then every byte
 *    of it must be covered by some window, else the whole access is refused with an 'unmapped'
 *    fault naming the view and nothing is read or written.
 *  - An access that spans two or more windows that together cover it without a gap works
 *    piecewise, each piece landing at its window's target (SMPT entries are independent 16 GiB
 *    pages: a buffer crossing an entry boundary is legal and simply continues in the next entry).
 *  - Scalar accesses (read16/32/64, write16/32/64) inside one window are delegated as the same
 *    scalar access to the target port, so a register-file port sees one 32-bit access, not four
 *    byte accesses. A scalar spanning windows is split into bytes, little-endian.
 *  - Windows may not overlap one another, must lie inside the view and must map into the target
 *    port's [0, size). Breaking these is a bug in the caller (the layer that owns the mapping has
 *    validated any card-supplied value already), so `map` throws a RangeError instead of faulting.
 *  - Because windows are checked to lie inside their targets, and nested views are resolved down to
 *    their leaf ports before anything moves, an access that faults changes nothing — provided the
 *    leaf ports themselves never fault inside their own range (true of every port in impl/memory).
 */
import type { Lease, MemFault, MemPort, Pin, Window, WindowedView } from '../../model/contract/memory.ts';
import { LeaseImpl, leaseOver } from './lease.ts';
import { checkRange, MAX_FRESH_READ, memFault, u64Bits, validU8, validU16, validU32 } from './fault.ts';
import { SparseMemoryImpl } from './sparse.ts';
import { leavesOf, type Leaf, type Resolvable, type SparseSpot } from './leaves.ts';
import { copyBetween } from './copy.ts';

/**
 * A mapped window: the caller's fields, copied, plus its target as sparse memory when it is one
 * (resolved once here: an `instanceof` per scalar access costs more than the access itself).
 */
interface MappedWindow extends Window {
  /** base + len */
  readonly end: number;
  readonly sparse: SparseMemoryImpl | undefined;
  /** the target as a plain windowed view (the SMPT window inside the card's physical space) */
  readonly nested: WindowedViewImpl | undefined;
  /** the leases of pins taken through this window, by the target's lease; killed by unmap */
  readonly leases: Map<Lease, LeaseImpl>;
}

/** the window's lease over a target lease: one per target lease, so repeated pins share it */
function leaseThrough(w: MappedWindow, inner: Lease): LeaseImpl {
  const had = w.leases.get(inner);
  if (had !== undefined && had.live) return had;
  for (const [k, v] of w.leases) if (!v.live) w.leases.delete(k);
  const lease = inner instanceof LeaseImpl ? inner.derive() : leaseOver(inner);
  w.leases.set(inner, lease);
  return lease;
}

/** where view address `addr` (inside window w) lands in w's target port */
function toTarget(w: Window, addr: number): number {
  return w.target + (addr - w.base);
}

const SCALARS = ['read16', 'read32', 'write16', 'write32'] as const;

/**
 * The port as sparse memory if scalar accesses may bypass its methods: exactly a SparseMemoryImpl
 * (not a subclass or an object derived from one) with none of its scalar methods overridden, so
 * a wrapper that observes accesses still sees every one.
 */
function plainSparse(port: MemPort): SparseMemoryImpl | undefined {
  if (Object.getPrototypeOf(port) !== SparseMemoryImpl.prototype) return undefined;
  return SCALARS.some((k) => Object.hasOwn(port, k)) ? undefined : (port as SparseMemoryImpl);
}

function plainView(port: MemPort): WindowedViewImpl | undefined {
  return Object.getPrototypeOf(port) === WindowedViewImpl.prototype ? (port as WindowedViewImpl) : undefined;
}

/** scratch for the bulk fast paths (filled and used within one call; nothing re-enters in between) */
const spot: SparseSpot = { mem: undefined, addr: 0 };

export class WindowedViewImpl implements WindowedView, Resolvable {
  /** sorted by base, non-overlapping */
  private list: MappedWindow[] = [];
  /**
   * The windows the last two lookups found: a ring's accesses stay in one window, a DMA copy
   * alternates between two (source, destination), so most lookups are a range compare or two
   * instead of a binary search. Any map/unmap drops them (windows never change in place: `list`
   * holds private copies).
   */
  private last: MappedWindow | undefined = undefined;
  private prev: MappedWindow | undefined = undefined;

  constructor(
    readonly size: number,
    readonly name: string = 'view',
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`windowed view "${name}": size must be a non-negative safe integer, got ${size}`);
  }

  map(window: Window): void {
    const { base, len, target, port, label } = window;
    const what = `view "${this.name}": window "${label}"`;
    if (![base, len, target].every((n) => Number.isSafeInteger(n) && n >= 0) || len === 0) {
      throw new RangeError(`${what} needs non-negative safe integers and len > 0 (base ${base}, len ${len}, target ${target})`);
    }
    if (base + len > this.size) throw new RangeError(`${what} [${base}, ${base + len}) exceeds the view size ${this.size}`);
    if (target + len > port.size) throw new RangeError(`${what} target [${target}, ${target + len}) exceeds "${port.name}" size ${port.size}`);
    if ((port as unknown) === this) throw new RangeError(`${what} maps the view onto itself`);
    const i = this.indexAfter(base);
    const prev = this.list[i - 1];
    const next = this.list[i];
    if (prev !== undefined && prev.base + prev.len > base) throw new RangeError(`${what} overlaps window "${prev.label}"`);
    if (next !== undefined && base + len > next.base) throw new RangeError(`${what} overlaps window "${next.label}"`);
    const copy: MappedWindow = { base, len, target, port, label, end: base + len, sparse: plainSparse(port), nested: plainView(port), leases: new Map() };
    this.list = [...this.list.slice(0, i), copy, ...this.list.slice(i)];
    this.last = undefined;
    this.prev = undefined;
  }

  unmap(base: number): boolean {
    const i = this.list.findIndex((w) => w.base === base);
    if (i < 0) return false;
    for (const l of this.list[i]!.leases.values()) l.kill();
    this.list = [...this.list.slice(0, i), ...this.list.slice(i + 1)];
    this.last = undefined;
    this.prev = undefined;
    return true;
  }

  windows(): readonly Window[] {
    return this.list;
  }

  /** index of the first window whose base is > addr */
  private indexAfter(addr: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid]!.base <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** the window containing addr, if any */
  windowAt(addr: number): MappedWindow | undefined {
    const c = this.last;
    if (c !== undefined && addr >= c.base && addr < c.end) return c;
    const p = this.prev;
    if (p !== undefined && addr >= p.base && addr < p.end) {
      this.prev = c;
      this.last = p;
      return p;
    }
    const w = this.list[this.indexAfter(addr) - 1];
    if (w === undefined || addr >= w.base + w.len) return undefined;
    this.prev = c;
    this.last = w;
    return w;
  }

  /**
   * The leaf pieces of [addr, addr+len) (nested views resolved), or an 'unmapped' fault if any byte
   * is uncovered here or in a nested view. The range must already be checked against `size`.
   */
  leaves(addr: number, len: number, out: Leaf[] = []): Leaf[] | MemFault {
    let a = addr;
    const end = addr + len;
    while (a < end) {
      const w = this.windowAt(a);
      if (w === undefined) return memFault('unmapped', this.name, addr, len);
      const n = Math.min(end, w.base + w.len) - a;
      const t = toTarget(w, a);
      const r = leavesOf(w.port, t, n, out);
      if (!Array.isArray(r)) return memFault('unmapped', this.name, addr, len);
      a += n;
    }
    return out;
  }

  /** the single window holding all of [addr, addr+len), or undefined when it spans or misses */
  private within(addr: number, len: number): MappedWindow | undefined {
    const w = this.windowAt(addr);
    return w !== undefined && addr + len <= w.base + w.len ? w : undefined;
  }

  // Scalars. The fast path: the last-hit window holds the whole access, addr names a byte, and the
  // target is sparse memory. Then the view's own checks cannot fail (windows lie inside the view),
  // neither can the target's (windows lie inside their targets, map), so the access goes straight
  // to the target's unchecked load/store. Everything else takes the checked path, which also sends
  // an access to any other target as the same scalar (a register file must see one 32-bit access,
  // not four bytes). Fast paths stay small so they inline into the ring code that calls them.

  /** the last-hit window if it holds all of [addr, addr+len) and maps sparse memory */
  private hit(addr: number, len: number): MappedWindow | undefined {
    const c = this.last;
    return c !== undefined && c.sparse !== undefined && addr >= c.base && addr + len <= c.end && Number.isSafeInteger(addr) ? c : this.hitPrev(addr, len);
  }

  /** the same for the window hit before it (the card's driver alternates SMPT and GDDR) */
  private hitPrev(addr: number, len: number): MappedWindow | undefined {
    const p = this.prev;
    if (p === undefined || p.sparse === undefined || addr < p.base || addr + len > p.end || !Number.isSafeInteger(addr)) return undefined;
    this.prev = this.last;
    this.last = p;
    return p;
  }

  read16(addr: number): number | MemFault {
    const w = this.hit(addr, 2);
    return w !== undefined ? w.sparse!.load16(toTarget(w, addr)) : this.readChecked(addr, 2);
  }

  read32(addr: number): number | MemFault {
    const w = this.hit(addr, 4);
    return w !== undefined ? w.sparse!.load32(toTarget(w, addr)) : this.readChecked(addr, 4);
  }

  write16(addr: number, value: number): MemFault | undefined {
    const w = this.hit(addr, 2);
    if (w === undefined || !validU16(value)) return this.writeChecked(addr, 2, value);
    w.sparse!.store16(toTarget(w, addr), value & 0xffff);
    return undefined;
  }

  write32(addr: number, value: number): MemFault | undefined {
    const w = this.hit(addr, 4);
    if (w === undefined || !validU32(value)) return this.writeChecked(addr, 4, value);
    w.sparse!.store32(toTarget(w, addr), value >>> 0);
    return undefined;
  }

  read8(addr: number): number | MemFault {
    const f = checkRange(this.name, this.size, addr, 1);
    if (f) return f;
    const w = this.windowAt(addr);
    if (w === undefined) return memFault('unmapped', this.name, addr, 1);
    const r = w.port.read8(toTarget(w, addr));
    return typeof r === 'number' ? r : memFault(r.reason, this.name, addr, 1);
  }

  write8(addr: number, value: number): MemFault | undefined {
    return this.writeChecked(addr, 1, value);
  }

  private readChecked(addr: number, width: 2 | 4): number | MemFault {
    const f = checkRange(this.name, this.size, addr, width);
    if (f) return f;
    const w = this.within(addr, width);
    if (w !== undefined) {
      const t = toTarget(w, addr);
      const r = width === 2 ? w.port.read16(t) : w.port.read32(t);
      return typeof r === 'number' ? r : memFault(r.reason, this.name, addr, width);
    }
    // spanning windows: the bytes, little-endian, through the bulk path
    const bytes = this.read(addr, width);
    if (!(bytes instanceof Uint8Array)) return bytes;
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
    return v;
  }

  private writeChecked(addr: number, width: 1 | 2 | 4, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, width);
    if (f) return f;
    if (!(width === 4 ? validU32(value) : width === 2 ? validU16(value) : validU8(value))) return memFault('bad-argument', this.name, addr, width);
    const w = this.within(addr, width);
    if (w !== undefined) {
      const t = toTarget(w, addr);
      const r = width === 1 ? w.port.write8(t, value) : width === 2 ? w.port.write16(t, value) : w.port.write32(t, value);
      return r === undefined ? undefined : memFault(r.reason, this.name, addr, width);
    }
    // spanning windows: the bytes, little-endian, through the bulk path
    const bytes = new Uint8Array(width);
    let v = width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff);
    for (let i = 0; i < width; i++) {
      bytes[i] = v & 0xff;
      v >>>= 8;
    }
    return this.write(addr, bytes);
  }

  read64(addr: number): bigint | MemFault {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    const w = this.within(addr, 8);
    if (w !== undefined) {
      const r = w.port.read64(toTarget(w, addr));
      return typeof r === 'bigint' ? r : memFault(r.reason, this.name, addr, 8);
    }
    const bytes = this.read(addr, 8);
    if (!(bytes instanceof Uint8Array)) return bytes;
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    return v;
  }

  read64n(addr: number): number | MemFault {
    // inside the last-hit window onto plain sparse memory: its read64n, which builds no BigInt (the
    // same value, and the same fault for a value beyond 2^53 − 1, named for this view)
    const w = this.hit(addr, 8);
    if (w !== undefined) {
      const r = w.sparse!.read64n(toTarget(w, addr));
      return typeof r === 'number' ? r : memFault(r.reason, this.name, addr, 8);
    }
    const v = this.read64(addr);
    if (typeof v !== 'bigint') return v;
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? memFault('not-safe-integer', this.name, addr, 8) : Number(v);
  }

  write64(addr: number, value: bigint | number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    const bits = u64Bits(value);
    if (bits === undefined) return memFault('bad-argument', this.name, addr, 8);
    const w = this.within(addr, 8);
    if (w !== undefined) {
      const r = w.port.write64(toTarget(w, addr), bits);
      return r === undefined ? undefined : memFault(r.reason, this.name, addr, 8);
    }
    const bytes = new Uint8Array(8);
    let v = bits;
    for (let i = 0; i < 8; i++) {
      bytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.write(addr, bytes);
  }

  /**
   * When the checked range [addr, addr+len) lies in one window onto sparse memory, directly or
   * through plain nested views (each again inside one window), that memory and the address there,
   * written into `out`; else false. The bulk paths and copyBetween then move the bytes directly,
   * without building leaf lists; anything else goes through leaves().
   */
  sparseSpot(addr: number, len: number, out: SparseSpot): boolean {
    const w = this.windowAt(addr);
    if (w === undefined || addr + len > w.end) return false;
    if (w.sparse !== undefined) {
      out.mem = w.sparse;
      out.addr = toTarget(w, addr);
      return true;
    }
    return w.nested !== undefined && w.nested.sparseSpot(toTarget(w, addr), len, out);
  }

  readInto(addr: number, dst: Uint8Array): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, dst.length);
    if (f) return f;
    if (this.sparseSpot(addr, dst.length, spot)) {
      spot.mem!.readUnchecked(spot.addr, dst, 0, dst.length);
      return undefined;
    }
    const leaves = this.leaves(addr, dst.length);
    if (!Array.isArray(leaves)) return leaves;
    let o = 0;
    for (const l of leaves) {
      if (l.port instanceof SparseMemoryImpl) l.port.readUnchecked(l.addr, dst, o, l.len);
      else {
        const r = l.port.readInto(l.addr, dst.subarray(o, o + l.len));
        if (r) return memFault(r.reason, this.name, addr, dst.length);
      }
      o += l.len;
    }
    return undefined;
  }

  read(addr: number, len: number): Uint8Array | MemFault {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    if (len > MAX_FRESH_READ) return memFault('bad-argument', this.name, addr, len);
    const out = new Uint8Array(len);
    return this.readInto(addr, out) ?? out;
  }

  write(addr: number, src: Uint8Array): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, src.length);
    if (f) return f;
    if (this.sparseSpot(addr, src.length, spot)) {
      spot.mem!.writeUnchecked(spot.addr, src, 0, src.length);
      return undefined;
    }
    const leaves = this.leaves(addr, src.length);
    if (!Array.isArray(leaves)) return leaves;
    let o = 0;
    for (const l of leaves) {
      if (l.port instanceof SparseMemoryImpl) l.port.writeUnchecked(l.addr, src, o, l.len);
      else {
        const r = l.port.write(l.addr, src.subarray(o, o + l.len));
        if (r) return memFault(r.reason, this.name, addr, src.length);
      }
      o += l.len;
    }
    return undefined;
  }

  fill(addr: number, len: number, byte: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    if (!validU8(byte)) return memFault('bad-argument', this.name, addr, len);
    const leaves = this.leaves(addr, len);
    if (!Array.isArray(leaves)) return leaves;
    for (const l of leaves) {
      if (l.port instanceof SparseMemoryImpl) l.port.fillUnchecked(l.addr, l.len, byte & 0xff);
      else {
        const r = l.port.fill(l.addr, l.len, byte);
        if (r) return memFault(r.reason, this.name, addr, len);
      }
    }
    return undefined;
  }

  copy(dst: number, src: number, len: number): MemFault | undefined {
    return copyBetween(this, src, this, dst, len);
  }

  /**
   * A pin of [addr, addr+len) when it lies in one window whose target can pin the matching range;
   * its lease dies with the target's or when this window is unmapped.
   */
  pin(addr: number, len: number, write: boolean): Pin | undefined {
    if (len <= 0 || checkRange(this.name, this.size, addr, len) !== undefined) return undefined;
    const w = this.within(addr, len);
    if (w === undefined || w.port.pin === undefined) return undefined;
    const inner = w.port.pin(toTarget(w, addr), len, write);
    if (inner === undefined || !inner.lease.live) return undefined;
    return { view: inner.view, lease: leaseThrough(w, inner.lease) };
  }
}
