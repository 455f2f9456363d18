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
import type { MemFault, Pin, SparseMemory } from '../../model/contract/memory.ts';
import { LeaseImpl } from './lease.ts';
import { checkRange, MAX_FRESH_READ, memFault, u64Bits, validU8, validU16, validU32 } from './fault.ts';
import { digestChunks } from './digest.ts';
import { PAGE_SIZE, PageTable, pageOf, type Page } from './pages.ts';
import { mergeSorted, touchedChunks } from './chunks.ts';
import { copyPages } from './pagecopy.ts';

export { PAGE_SIZE, pageOf } from './pages.ts';

// Little-endian scalars inside one page (the X100 and the host are x86).
function le16(v: DataView, off: number): number {
  return v.getUint16(off, true);
}

function le32(v: DataView, off: number): number {
  return v.getUint32(off, true);
}

function st16(v: DataView, off: number, x: number): void {
  v.setUint16(off, x, true);
}

function st32(v: DataView, off: number, x: number): void {
  v.setUint32(off, x, true);
}

/** pieces up to this many bytes are copied in a loop rather than with subarray + set */
const SMALL_PIECE = 64;

function isAllZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

export class SparseMemoryImpl implements SparseMemory {
  readonly pageSize = PAGE_SIZE;
  /** the pages; other files of impl/memory use it directly (copies, digests), nothing else should */
  readonly pages = new PageTable();

  constructor(
    readonly size: number,
    readonly name: string = 'ram',
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`sparse memory "${name}": size must be a non-negative safe integer, got ${size}`);
  }

  get pagesAllocated(): number {
    return this.pages.size;
  }

  // --- unchecked bulk access for the other files of impl/memory (callers checked the range) ---

  // Small pieces (a 16-byte DMA descriptor, a ring element) are moved byte by byte: building the
  // subarray view that Uint8Array.set needs costs more than the copy itself.

  /** bytes [addr, addr+len) into dst[dstOff…]; absent pages read as zeros */
  readUnchecked(addr: number, dst: Uint8Array, dstOff = 0, len = dst.length - dstOff): void {
    let a = addr;
    let o = dstOff;
    const end = dstOff + len;
    while (o < end) {
      const pn = pageOf(a);
      const off = a - pn * PAGE_SIZE;
      let n = Math.min(end - o, PAGE_SIZE - off);
      const page = this.pages.get(pn);
      if (page === undefined) dst.fill(0, o, o + n);
      else if (n <= SMALL_PIECE) {
        const b = page.bytes;
        for (let i = 0; i < n; i++) dst[o + i] = b[off + i]!;
      } else {
        // with the pages after it that follow it in its slab: one move for the whole run
        n += this.runAfter(page, end - o - n);
        dst.set(off === 0 && n === PAGE_SIZE ? page.bytes : page.slab.subarray(page.base + off, page.base + off + n), o);
      }
      a += n;
      o += n;
    }
  }

  /**
   * How many of the `want` bytes after the end of `page` lie in the allocated pages that follow it
   * contiguously in its slab (pages.ts `following`): a bulk access moves a run with one copy instead
   * of one per page. Only pages already allocated count, so nothing is allocated here.
   */
  private runAfter(page: Page, want: number): number {
    let ext = 0;
    let last = page;
    while (ext < want) {
      const next = this.pages.following(last);
      if (next === undefined) break;
      ext += PAGE_SIZE;
      last = next;
    }
    return Math.min(ext, want);
  }

  /** src[srcOff, srcOff+len) to addr; all-zero pieces of untouched pages allocate nothing */
  writeUnchecked(addr: number, src: Uint8Array, srcOff = 0, len = src.length - srcOff): void {
    let a = addr;
    let o = srcOff;
    const end = srcOff + len;
    while (o < end) {
      const pn = pageOf(a);
      const off = a - pn * PAGE_SIZE;
      let n = Math.min(end - o, PAGE_SIZE - off);
      const page = this.pages.get(pn) ?? (isAllZero(src, o, o + n) ? undefined : this.pages.getOrAlloc(pn));
      // (no page: zeros into an untouched page, nothing to store)
      if (page !== undefined) {
        if (n <= SMALL_PIECE) {
          const b = page.bytes;
          for (let i = 0; i < n; i++) b[off + i] = src[o + i]!;
        } else {
          // with the allocated pages that follow it in its slab: one move for the whole run
          n += this.runAfter(page, end - o - n);
          page.slab.set(n === src.length ? src : src.subarray(o, o + n), page.base + off);
        }
      }
      a += n;
      o += n;
    }
  }

  /** fill; a zero fill visits only allocated pages, so zeroing 16 GiB is cheap */
  fillUnchecked(addr: number, len: number, byte: number): void {
    if (len === 0) return;
    if (byte === 0) {
      const end = addr + len;
      for (const pn of this.pages.allocatedIn(pageOf(addr), pageOf(end - 1))) {
        const start = Math.max(addr, pn * PAGE_SIZE);
        const stop = Math.min(end, (pn + 1) * PAGE_SIZE);
        if (stop - start === PAGE_SIZE) this.pages.release(pn);
        else this.pages.get(pn)!.bytes.fill(0, start - pn * PAGE_SIZE, stop - pn * PAGE_SIZE);
      }
      return;
    }
    let a = addr;
    let left = len;
    while (left > 0) {
      const off = a % PAGE_SIZE;
      const n = Math.min(left, PAGE_SIZE - off);
      this.pages.getOrAlloc(pageOf(a)).bytes.fill(byte, off, off + n);
      a += n;
      left -= n;
    }
  }

  touchedChunks(addr: number, len: number): number[] {
    return touchedChunks(this.pages, addr, len);
  }

  // --- scalars ---
  // The 16- and 32-bit forms are the ring's hot path (~20 accesses per round trip), so they avoid
  // loops, float division and Map lookups where they can; an access straddling a page boundary goes
  // byte by byte.

  private readByte(addr: number): number {
    const page = this.pages.get(pageOf(addr));
    return page === undefined ? 0 : page.bytes[addr % PAGE_SIZE]!;
  }

  private writeByte(addr: number, v: number): void {
    const pn = pageOf(addr);
    const page = this.pages.get(pn) ?? (v === 0 ? undefined : this.pages.getOrAlloc(pn));
    if (page !== undefined) page.bytes[addr % PAGE_SIZE] = v;
  }

  // The load/store forms are for checked addresses (window.ts calls them directly for accesses it
  // checked itself). They are kept small so the optimizer inlines them into their callers: an access
  // inside the hot page (pages.ts) is a subtraction, a compare and one DataView access (a builtin
  // the optimizer expands in place, unlike a byte-assembly helper it must budget for); the rest,
  // including the page lookup, is out of line.

  /** little-endian u16 at a checked addr */
  load16(addr: number): number {
    const t = this.pages;
    const off = addr - t.hotBase;
    return off >= 0 && off <= PAGE_SIZE - 2 ? le16(t.hotView, off) : this.loadCold(addr, 2);
  }

  /** little-endian u32 at a checked addr */
  load32(addr: number): number {
    const t = this.pages;
    const off = addr - t.hotBase;
    return off >= 0 && off <= PAGE_SIZE - 4 ? le32(t.hotView, off) : this.loadCold(addr, 4);
  }

  /** stores the u16 v (0..0xffff) little-endian at a checked addr */
  store16(addr: number, v: number): void {
    const t = this.pages;
    const off = addr - t.hotBase;
    if (off >= 0 && off <= PAGE_SIZE - 2) st16(t.hotView, off, v);
    else this.storeCold(addr, 2, v);
  }

  /** stores the u32 v (0..2^32-1) little-endian at a checked addr */
  store32(addr: number, v: number): void {
    const t = this.pages;
    const off = addr - t.hotBase;
    if (off >= 0 && off <= PAGE_SIZE - 4) st32(t.hotView, off, v);
    else this.storeCold(addr, 4, v);
  }

  /** a u16/u32 load outside the hot page: look the page up (it becomes hot), absent reads as 0 */
  private loadCold(addr: number, width: 2 | 4): number {
    const pn = pageOf(addr);
    const off = addr - pn * PAGE_SIZE;
    if (off > PAGE_SIZE - width) return this.loadSplit(addr, width);
    const page = this.pages.get(pn);
    if (page === undefined) return 0;
    this.pages.heat(pn, page);
    return width === 2 ? le16(this.pages.hotView, off) : le32(this.pages.hotView, off);
  }

  /** a u16/u32 store outside the hot page; zeros into an absent page allocate nothing */
  private storeCold(addr: number, width: 2 | 4, v: number): void {
    const pn = pageOf(addr);
    const off = addr - pn * PAGE_SIZE;
    if (off > PAGE_SIZE - width) return this.storeSplit(addr, width, v);
    const page = this.pages.get(pn) ?? (v === 0 ? undefined : this.pages.getOrAlloc(pn));
    if (page === undefined) return;
    this.pages.heat(pn, page);
    if (width === 2) st16(this.pages.hotView, off, v);
    else st32(this.pages.hotView, off, v);
  }

  /** a little-endian value of `width` ≤ 4 bytes straddling a page boundary, byte by byte */
  private loadSplit(addr: number, width: number): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.readByte(addr + i);
    return v;
  }

  /** the low `width` ≤ 4 bytes of the u32 v straddling a page boundary, byte by byte */
  private storeSplit(addr: number, width: number, v: number): void {
    for (let i = 0; i < width; i++) this.writeByte(addr + i, (v >>> (8 * i)) & 0xff);
  }

  // --- the MemPort contract ---

  read8(addr: number): number | MemFault {
    return checkRange(this.name, this.size, addr, 1) ?? this.readByte(addr);
  }

  read16(addr: number): number | MemFault {
    return checkRange(this.name, this.size, addr, 2) ?? this.load16(addr);
  }

  read32(addr: number): number | MemFault {
    return checkRange(this.name, this.size, addr, 4) ?? this.load32(addr);
  }

  read64(addr: number): bigint | MemFault {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    return (BigInt(this.load32(addr + 4)) << 32n) | BigInt(this.load32(addr));
  }

  read64n(addr: number): number | MemFault {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    const hi = this.load32(addr + 4);
    // 2^53 − 1 is the largest exact number: the high word may use at most 21 bits
    if (hi >= 0x200000) return memFault('not-safe-integer', this.name, addr, 8);
    return hi * 0x1_0000_0000 + this.load32(addr);
  }

  write8(addr: number, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 1);
    if (f) return f;
    if (!validU8(value)) return memFault('bad-argument', this.name, addr, 1);
    this.writeByte(addr, value & 0xff);
    return undefined;
  }

  write16(addr: number, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 2);
    if (f) return f;
    if (!validU16(value)) return memFault('bad-argument', this.name, addr, 2);
    this.store16(addr, value & 0xffff);
    return undefined;
  }

  write32(addr: number, value: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 4);
    if (f) return f;
    if (!validU32(value)) return memFault('bad-argument', this.name, addr, 4);
    this.store32(addr, value >>> 0);
    return undefined;
  }

  write64(addr: number, value: bigint | number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, 8);
    if (f) return f;
    const bits = u64Bits(value);
    if (bits === undefined) return memFault('bad-argument', this.name, addr, 8);
    this.store32(addr, Number(bits & 0xffff_ffffn));
    this.store32(addr + 4, Number(bits >> 32n));
    return undefined;
  }

  // --- bulk ---

  readInto(addr: number, dst: Uint8Array): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, dst.length);
    if (f) return f;
    this.readUnchecked(addr, dst);
    return undefined;
  }

  read(addr: number, len: number): Uint8Array | MemFault {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    if (len > MAX_FRESH_READ) return memFault('bad-argument', this.name, addr, len);
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
    if (!validU8(byte)) return memFault('bad-argument', this.name, addr, len);
    this.fillUnchecked(addr, len, byte & 0xff);
    return undefined;
  }

  copy(dst: number, src: number, len: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, src, len) ?? checkRange(this.name, this.size, dst, len);
    if (f) return f;
    copyPages(this.pages, src, this.pages, dst, len);
    return undefined;
  }

  // --- pins ---

  /**
   * A DataView of [addr, addr+len) when the range lies in one page; the page is allocated (zero
   * filled) if it was not, which changes no content. The lease dies when the page is released.
   */
  pin(addr: number, len: number, _write: boolean): Pin | undefined {
    if (len <= 0 || checkRange(this.name, this.size, addr, len) !== undefined) return undefined;
    const pn = pageOf(addr);
    if (pageOf(addr + len - 1) !== pn) return undefined;
    const page = this.pages.getOrAlloc(pn);
    const lease = (page.lease ??= new LeaseImpl());
    return { view: new DataView(page.slab.buffer, page.slab.byteOffset + page.base + (addr - pn * PAGE_SIZE), len), lease };
  }

  // --- content ---

  digest(addr: number, len: number): string | MemFault {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    return digestChunks(this, addr, len);
  }

  /**
   * Offset of the first byte where [addr, addr+len) of this memory differs from
   * [otherAddr, otherAddr+len) of `other`, or −1 when equal. Only chunks overlapping an allocated page
   * on either side are compared (the rest are zeros on both), so a 16 GiB comparison costs what was touched.
   */
  firstDifference(addr: number, other: SparseMemory, otherAddr: number, len: number): number | MemFault {
    const f = checkRange(this.name, this.size, addr, len) ?? checkRange(other.name, other.size, otherAddr, len);
    if (f) return f;
    const theirs = other instanceof SparseMemoryImpl ? other : undefined;
    const chunks = theirs ? mergeSorted(this.touchedChunks(addr, len), theirs.touchedChunks(otherAddr, len)) : undefined;
    const count = chunks ? chunks.length : Math.ceil(len / PAGE_SIZE);
    const a = new Uint8Array(PAGE_SIZE);
    const b = new Uint8Array(PAGE_SIZE);
    for (let k = 0; k < count; k++) {
      const off = (chunks ? chunks[k]! : k) * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE, len - off);
      this.readUnchecked(addr + off, a, 0, n);
      if (theirs) theirs.readUnchecked(otherAddr + off, b, 0, n);
      else {
        const r = other.readInto(otherAddr + off, b.subarray(0, n));
        if (r) return r;
      }
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return off + i;
    }
    return -1;
  }
}
