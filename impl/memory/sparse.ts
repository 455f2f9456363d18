/**
 * Sparse physical RAM (issue 2 item 3): 4 KiB pages allocated on first write, so a 16 GiB card GDDR
 * and a 64 GiB host address space cost only what a test touches.
 *
 * Allocation policy (documented because properties observe `pagesAllocated`):
 *  - reads never allocate; an untouched byte reads as 0;
 *  - writing zeros into an untouched page does not allocate it (a zero page and an absent page are
 *    the same content), writing any non-zero byte allocates the page;
 *  - `fill(…, 0)` over a whole allocated page releases the page; a partial zero fill keeps it.
 * So `pagesAllocated` is an upper bound on the pages holding non-zero bytes, never a content measure:
 * equal content gives equal `digest` whatever the allocation.
 *
 * Every accessor checks its arguments first (fault.ts) and only then moves bytes, so a faulting
 * access changes nothing. Multi-byte values are little-endian (the X100 and the host are x86).
 */
import type { MemFault, SparseMemory } from '../../model/contract/memory.ts';
import { checkRange, memFault, u64Bits, validUint } from './fault.ts';
import { digestChunks, type DigestSource } from './digest.ts';

export const PAGE_SIZE = 4096;

/** page number of a byte address (exact: addresses are < 2^53 and 4096 is a power of two) */
export function pageOf(addr: number): number {
  return Math.floor(addr / PAGE_SIZE);
}

function isAllZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

export class SparseMemoryImpl implements SparseMemory, DigestSource {
  readonly pageSize = PAGE_SIZE;
  /** page number → 4 KiB of bytes; absent = all zeros */
  private readonly pages = new Map<number, Uint8Array>();

  constructor(
    readonly size: number,
    readonly name: string = 'ram',
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`sparse memory "${name}": size must be a non-negative safe integer, got ${size}`);
  }

  get pagesAllocated(): number {
    return this.pages.size;
  }

  // --- page access for the other memory files (copy.ts, digest.ts); not part of the contract ---

  /** the page's bytes, or undefined when it was never written (reads as zeros) */
  pageIfPresent(pageNo: number): Uint8Array | undefined {
    return this.pages.get(pageNo);
  }

  /** the page's bytes, allocating a zero page on first use */
  pageForWrite(pageNo: number): Uint8Array {
    let p = this.pages.get(pageNo);
    if (p === undefined) {
      p = new Uint8Array(PAGE_SIZE);
      this.pages.set(pageNo, p);
    }
    return p;
  }

  releasePage(pageNo: number): void {
    this.pages.delete(pageNo);
  }

  /**
   * Allocated page numbers in [firstPage, lastPage], ascending. Walks whichever is smaller, the page
   * range or the allocation map, so a query over 16 GiB of mostly untouched memory stays cheap.
   */
  allocatedPagesIn(firstPage: number, lastPage: number): number[] {
    const out: number[] = [];
    if (lastPage < firstPage) return out;
    if (lastPage - firstPage + 1 <= this.pages.size) {
      for (let p = firstPage; p <= lastPage; p++) if (this.pages.has(p)) out.push(p);
      return out;
    }
    for (const p of this.pages.keys()) if (p >= firstPage && p <= lastPage) out.push(p);
    return out.sort((a, b) => a - b);
  }

  touchedChunks(addr: number, len: number): number[] {
    return touchedChunks(this, addr, len);
  }

  /** copies [addr, addr+dst.length) into dst without checks (callers checked the range) */
  readUnchecked(addr: number, dst: Uint8Array, dstOff = 0, len = dst.length - dstOff): void {
    let a = addr;
    let o = dstOff;
    const end = dstOff + len;
    while (o < end) {
      const off = a % PAGE_SIZE;
      const n = Math.min(end - o, PAGE_SIZE - off);
      const page = this.pages.get(pageOf(a));
      if (page === undefined) dst.fill(0, o, o + n);
      else if (n === PAGE_SIZE) dst.set(page, o);
      else dst.set(page.subarray(off, off + n), o);
      a += n;
      o += n;
    }
  }

  /** writes src[srcOff, srcOff+len) at addr without checks */
  writeUnchecked(addr: number, src: Uint8Array, srcOff = 0, len = src.length - srcOff): void {
    let a = addr;
    let o = srcOff;
    const end = srcOff + len;
    while (o < end) {
      const off = a % PAGE_SIZE;
      const n = Math.min(end - o, PAGE_SIZE - off);
      const pn = pageOf(a);
      let page = this.pages.get(pn);
      if (page === undefined) {
        if (isAllZero(src, o, o + n)) {
          a += n;
          o += n;
          continue;
        }
        page = this.pageForWrite(pn);
      }
      if (n === src.length && o === 0) page.set(src, off);
      else page.set(src.subarray(o, o + n), off);
      a += n;
      o += n;
    }
  }

  private readByte(addr: number): number {
    const page = this.pages.get(pageOf(addr));
    return page === undefined ? 0 : page[addr % PAGE_SIZE]!;
  }

  private writeByte(addr: number, v: number): void {
    const pn = pageOf(addr);
    let page = this.pages.get(pn);
    if (page === undefined) {
      if (v === 0) return;
      page = this.pageForWrite(pn);
    }
    page[addr % PAGE_SIZE] = v;
  }

  /** little-endian unsigned value of `width` bytes (≤ 4 or ≤ 6 for exact numbers) at a checked addr */
  private readLE(addr: number, width: number): number {
    const off = addr % PAGE_SIZE;
    if (off + width <= PAGE_SIZE) {
      const page = this.pages.get(pageOf(addr));
      if (page === undefined) return 0;
      let v = 0;
      for (let i = width - 1; i >= 0; i--) v = v * 256 + page[off + i]!;
      return v;
    }
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.readByte(addr + i);
    return v;
  }

  /** stores the low `width` bytes of the non-negative integer v, little-endian, at a checked addr */
  private writeLE(addr: number, width: number, v: number): void {
    const off = addr % PAGE_SIZE;
    if (off + width <= PAGE_SIZE) {
      const pn = pageOf(addr);
      let page = this.pages.get(pn);
      if (page === undefined) {
        if (v === 0) return;
        page = this.pageForWrite(pn);
      }
      for (let i = 0; i < width; i++) {
        page[off + i] = v % 256;
        v = Math.floor(v / 256);
      }
      return;
    }
    for (let i = 0; i < width; i++) {
      this.writeByte(addr + i, v % 256);
      v = Math.floor(v / 256);
    }
  }

  // --- the MemPort contract ---

  read8(addr: number): number | MemFault {
    return checkRange(this.name, this.size, addr, 1) ?? this.readByte(addr);
  }

  read16(addr: number): number | MemFault {
    return checkRange(this.name, this.size, addr, 2) ?? this.readLE(addr, 2);
  }

  read32(addr: number): number | MemFault {
    return checkRange(this.name, this.size, addr, 4) ?? this.readLE(addr, 4);
  }

  read64(addr: number): bigint | MemFault {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    return (BigInt(this.readLE(addr + 4, 4)) << 32n) | BigInt(this.readLE(addr, 4));
  }

  read64n(addr: number): number | MemFault {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    const hi = this.readLE(addr + 4, 4);
    // 2^53 - 1 is the largest exact number: the high word may use at most 21 bits
    if (hi >= 0x200000) return memFault('not-safe-integer', this.name, addr, 8);
    return hi * 0x1_0000_0000 + this.readLE(addr, 4);
  }

  write8(addr: number, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 1);
    if (f) return f;
    if (!validUint(value, 8)) return memFault('bad-argument', this.name, addr, 1);
    this.writeByte(addr, value & 0xff);
    return undefined;
  }

  write16(addr: number, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 2);
    if (f) return f;
    if (!validUint(value, 16)) return memFault('bad-argument', this.name, addr, 2);
    this.writeLE(addr, 2, value & 0xffff);
    return undefined;
  }

  write32(addr: number, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 4);
    if (f) return f;
    if (!validUint(value, 32)) return memFault('bad-argument', this.name, addr, 4);
    this.writeLE(addr, 4, value >>> 0);
    return undefined;
  }

  write64(addr: number, value: bigint | number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    const bits = u64Bits(value);
    if (bits === undefined) return memFault('bad-argument', this.name, addr, 8);
    this.writeLE(addr, 4, Number(bits & 0xffff_ffffn));
    this.writeLE(addr + 4, 4, Number(bits >> 32n));
    return undefined;
  }

  readInto(addr: number, dst: Uint8Array): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, dst.length);
    if (f) return f;
    this.readUnchecked(addr, dst);
    return undefined;
  }

  read(addr: number, len: number): Uint8Array | MemFault {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    const out = new Uint8Array(len);
    this.readUnchecked(addr, out);
    return out;
  }

  write(addr: number, src: Uint8Array): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, src.length);
    if (f) return f;
    this.writeUnchecked(addr, src);
    return undefined;
  }

  fill(addr: number, len: number, byte: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    if (!validUint(byte, 8)) return memFault('bad-argument', this.name, addr, len);
    this.fillUnchecked(addr, len, byte & 0xff);
    return undefined;
  }

  /** fill without checks; a zero fill visits only allocated pages, so zeroing 16 GiB is cheap */
  fillUnchecked(addr: number, len: number, byte: number): void {
    if (len === 0) return;
    if (byte === 0) {
      const end = addr + len;
      for (const pn of this.allocatedPagesIn(pageOf(addr), pageOf(end - 1))) {
        const start = Math.max(addr, pn * PAGE_SIZE);
        const stop = Math.min(end, (pn + 1) * PAGE_SIZE);
        if (stop - start === PAGE_SIZE) this.pages.delete(pn);
        else this.pages.get(pn)!.fill(0, start - pn * PAGE_SIZE, stop - pn * PAGE_SIZE);
      }
      return;
    }
    let a = addr;
    let left = len;
    while (left > 0) {
      const off = a % PAGE_SIZE;
      const n = Math.min(left, PAGE_SIZE - off);
      this.pageForWrite(pageOf(a)).fill(byte, off, off + n);
      a += n;
      left -= n;
    }
  }

  copy(dst: number, src: number, len: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, src, len) ?? checkRange(this.name, this.size, dst, len);
    if (f) return f;
    copyPages(this, src, this, dst, len);
    return undefined;
  }

  digest(addr: number, len: number): string | MemFault {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    return digestChunks(this, addr, len);
  }

  /**
   * Offset of the first byte where [addr, addr+len) of this memory differs from
   * [otherAddr, otherAddr+len) of `other`, or -1 when they are equal. Only allocated pages are
   * compared byte by byte (absent pages are zeros), so a 16 GiB comparison costs what was touched.
   */
  firstDifference(addr: number, other: SparseMemory, otherAddr: number, len: number): number | MemFault {
    const f = checkRange(this.name, this.size, addr, len) ?? checkRange(other.name, other.size, otherAddr, len);
    if (f) return f;
    if (!(other instanceof SparseMemoryImpl)) return firstDifferenceGeneric(this, addr, other, otherAddr, len);
    const chunks = mergeSorted(touchedChunks(this, addr, len), touchedChunks(other, otherAddr, len));
    const a = new Uint8Array(PAGE_SIZE);
    const b = new Uint8Array(PAGE_SIZE);
    for (const c of chunks) {
      const off = c * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE, len - off);
      this.readUnchecked(addr + off, a, 0, n);
      other.readUnchecked(otherAddr + off, b, 0, n);
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return off + i;
    }
    return -1;
  }
}

/**
 * Indices of the 4 KiB chunks of [addr, addr+len), counted from addr, that overlap an allocated
 * page; every other chunk is all zeros. Ascending, no duplicates.
 */
export function touchedChunks(mem: SparseMemoryImpl, addr: number, len: number): number[] {
  if (len === 0) return [];
  const end = addr + len;
  const out: number[] = [];
  for (const pn of mem.allocatedPagesIn(pageOf(addr), pageOf(end - 1))) {
    const start = Math.max(addr, pn * PAGE_SIZE);
    const stop = Math.min(end, (pn + 1) * PAGE_SIZE);
    const first = Math.floor((start - addr) / PAGE_SIZE);
    const last = Math.floor((stop - 1 - addr) / PAGE_SIZE);
    for (let c = first; c <= last; c++) if (out.length === 0 || out[out.length - 1]! < c) out.push(c);
  }
  return out;
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.length === 0 || out[out.length - 1]! < x) out.push(x);
  }
  return out;
}

function firstDifferenceGeneric(a: SparseMemoryImpl, addr: number, other: SparseMemory, otherAddr: number, len: number): number | MemFault {
  const step = 1 << 16;
  const mine = new Uint8Array(step);
  for (let off = 0; off < len; off += step) {
    const n = Math.min(step, len - off);
    a.readUnchecked(addr + off, mine, 0, n);
    const theirs = other.read(otherAddr + off, n);
    if (!(theirs instanceof Uint8Array)) return theirs;
    for (let i = 0; i < n; i++) if (mine[i] !== theirs[i]) return off + i;
  }
  return -1;
}

/**
 * memmove of checked ranges between two sparse memories (possibly the same one), page piece by page
 * piece: each piece lies inside one source page and one destination page, so it is one
 * `Uint8Array.set` (which is itself overlap-safe). When the ranges overlap in one memory and the
 * destination is above the source, pieces go from the end so no source byte is overwritten before
 * it is read. An absent source page copies as zeros without allocating the destination.
 */
export function copyPages(from: SparseMemoryImpl, src: number, to: SparseMemoryImpl, dst: number, len: number): void {
  if (len === 0 || (from === to && src === dst)) return;
  const backward = from === to && dst > src && dst < src + len;
  if (pageOf(len) > 2 * (from.pagesAllocated + to.pagesAllocated)) {
    // A large copy over mostly untouched memory: only 4 KiB chunks (counted from the start of the
    // copy) where the source or the destination has an allocated page can change anything; the
    // rest copy zeros onto zeros. So a 16 GiB copy costs what was touched. With an overlapping
    // backward move, chunks go in descending order: a chunk is written only after every chunk
    // above it, so neither its source nor its destination was changed before it is visited.
    const chunks = mergeSorted(touchedChunks(from, src, len), touchedChunks(to, dst, len));
    if (backward) chunks.reverse();
    for (const c of chunks) {
      const off = c * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE, len - off);
      if (backward) copyBackward(from, src + off, to, dst + off, n);
      else copyForward(from, src + off, to, dst + off, n);
    }
    return;
  }
  if (backward) copyBackward(from, src, to, dst, len);
  else copyForward(from, src, to, dst, len);
}

function copyPiece(from: SparseMemoryImpl, s: number, to: SparseMemoryImpl, d: number, n: number): void {
  const sOff = s % PAGE_SIZE;
  const dOff = d % PAGE_SIZE;
  const srcPage = from.pageIfPresent(pageOf(s));
  if (srcPage === undefined) {
    const dstPage = to.pageIfPresent(pageOf(d));
    if (dstPage !== undefined) dstPage.fill(0, dOff, dOff + n);
    return;
  }
  const dstPage = to.pageForWrite(pageOf(d));
  if (srcPage === dstPage) dstPage.copyWithin(dOff, sOff, sOff + n);
  else if (n === PAGE_SIZE) dstPage.set(srcPage);
  else dstPage.set(srcPage.subarray(sOff, sOff + n), dOff);
}

function copyForward(from: SparseMemoryImpl, src: number, to: SparseMemoryImpl, dst: number, len: number): void {
  let off = 0;
  while (off < len) {
    const n = Math.min(len - off, PAGE_SIZE - ((src + off) % PAGE_SIZE), PAGE_SIZE - ((dst + off) % PAGE_SIZE));
    copyPiece(from, src + off, to, dst + off, n);
    off += n;
  }
}

function copyBackward(from: SparseMemoryImpl, src: number, to: SparseMemoryImpl, dst: number, len: number): void {
  let end = len;
  while (end > 0) {
    const n = Math.min(end, ((src + end - 1) % PAGE_SIZE) + 1, ((dst + end - 1) % PAGE_SIZE) + 1);
    copyPiece(from, src + end - n, to, dst + end - n, n);
    end -= n;
  }
}
