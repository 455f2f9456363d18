/**
 * The page table of one sparse memory: page number → 4 KiB of bytes, absent = all zeros.
 *
 * Pages are carved out of slabs (ArrayBuffers of 4 pages, doubling up to 64 pages = 256 KiB) in
 * allocation order, so memory written front to back lies contiguously in a slab and a bulk copy
 * can move a run of pages with one `Uint8Array.set` (pagecopy.ts). Small memories stay small (the
 * first slab is 16 KiB); freed pages are kept for reuse and zeroed when handed out again.
 * A page record carries its slab and offset as plain fields: reading `byteOffset`/`buffer` off a
 * typed array is a non-inlined call in V8 (~25 ns), too slow for the per-piece copy loop.
 */
import type { LeaseImpl } from './lease.ts';

export const PAGE_SIZE = 4096;
const FIRST_SLAB_PAGES = 4;
const MAX_SLAB_PAGES = 64;

/** 1 / PAGE_SIZE: multiplying by a power of two is exact and cheaper than a division */
const PAGE_RECIPROCAL = 1 / PAGE_SIZE;

/** page number of a byte address (exact: addresses are < 2^53 and 4096 is a power of two) */
export function pageOf(addr: number): number {
  return Math.floor(addr * PAGE_RECIPROCAL);
}

const NO_VIEW = new DataView(new ArrayBuffer(0));

export interface Page {
  /** the page's 4096 bytes */
  readonly bytes: Uint8Array;
  /** the whole slab the page lives in */
  readonly slab: Uint8Array;
  /** offset of the page's first byte in the slab */
  readonly base: number;
  /** the page number it holds now, -1 while free */
  pageNo: number;
  /** the record of the next page slot in the same slab, once carved */
  nextInSlab: Page | undefined;
  /** a DataView of the page's bytes, made when the page is first hot (scalar access) */
  view: DataView | undefined;
  /** the lease of the pins of this page (MemPort.pin), killed when the page is released */
  lease: LeaseImpl | undefined;
}

export class PageTable {
  private readonly map = new Map<number, Page>();
  private slab: Uint8Array | undefined;
  private slabPages = 0;
  private slabUsed = 0;
  private readonly free: Page[] = [];
  /** the last page slot carved out of the current slab */
  private carved: Page | undefined = undefined;
  /**
   * The hot page: the last one a scalar access looked up (heat), so runs of scalar accesses to one
   * page (a ring's indices, slots and descriptors) skip the Map lookup. Only an allocated page is
   * hot; release() cools it, so it is never stale. sparse.ts reads `hotBase`/`hotView` directly on
   * its scalar fast paths: an address in [hotBase, hotBase + PAGE_SIZE) is byte `addr - hotBase` of
   * `hotView`. Bulk paths do not heat pages: they rarely revisit one and would only pay to update.
   */
  private hotNo = -1;
  private hotPage: Page | undefined = undefined;
  /** first byte address of the hot page; -Infinity when there is none (no address is in range) */
  hotBase = -Infinity;
  /** a DataView of the hot page's bytes (one call per scalar, and small enough to inline) */
  hotView: DataView = NO_VIEW;

  get size(): number {
    return this.map.size;
  }

  get(pageNo: number): Page | undefined {
    return pageNo === this.hotNo ? this.hotPage : this.map.get(pageNo);
  }

  /** makes an allocated page the hot one */
  heat(pageNo: number, p: Page): void {
    this.hotNo = pageNo;
    this.hotPage = p;
    this.hotBase = pageNo * PAGE_SIZE;
    this.hotView = p.view ??= new DataView(p.slab.buffer, p.base, PAGE_SIZE);
  }

  has(pageNo: number): boolean {
    return this.map.has(pageNo);
  }

  /** the page, allocating a zero page on first use */
  getOrAlloc(pageNo: number): Page {
    if (pageNo === this.hotNo) return this.hotPage!;
    let p = this.map.get(pageNo);
    if (p === undefined) {
      p = this.fresh();
      p.pageNo = pageNo;
      this.map.set(pageNo, p);
    }
    return p;
  }

  release(pageNo: number): void {
    const p = this.map.get(pageNo);
    if (p === undefined) return;
    if (pageNo === this.hotNo) {
      this.hotNo = -1;
      this.hotPage = undefined;
      this.hotBase = -Infinity;
      this.hotView = NO_VIEW;
    }
    this.map.delete(pageNo);
    p.lease?.kill();
    p.lease = undefined;
    p.pageNo = -1;
    this.free.push(p);
  }

  private fresh(): Page {
    const reused = this.free.pop();
    if (reused !== undefined) {
      reused.bytes.fill(0);
      return reused;
    }
    if (this.slab === undefined || this.slabUsed === this.slabPages) {
      this.slabPages = this.slabPages === 0 ? FIRST_SLAB_PAGES : Math.min(MAX_SLAB_PAGES, this.slabPages * 2);
      this.slab = new Uint8Array(this.slabPages * PAGE_SIZE);
      this.slabUsed = 0;
    }
    const base = this.slabUsed++ * PAGE_SIZE;
    const page: Page = { bytes: this.slab.subarray(base, base + PAGE_SIZE), slab: this.slab, base, pageNo: -1, nextInSlab: undefined, view: undefined, lease: undefined };
    if (base > 0) this.carved!.nextInSlab = page;
    this.carved = page;
    return page;
  }

  /**
   * Page pageNo + 1 when it sits in the slot right after `page` (pageNo) in the same slab, i.e. the
   * two are contiguous bytes; else undefined (it may still exist elsewhere). No Map lookup, so a
   * bulk copy finds a run of contiguous pages at the cost of a field read per page.
   */
  following(page: Page): Page | undefined {
    const n = page.nextInSlab;
    return n !== undefined && page.pageNo >= 0 && n.pageNo === page.pageNo + 1 ? n : undefined;
  }

  /**
   * Allocated page numbers in [firstPage, lastPage], ascending. Walks whichever is smaller, the page
   * range or the table, so a query over 16 GiB of mostly untouched memory stays cheap.
   */
  allocatedIn(firstPage: number, lastPage: number): number[] {
    const out: number[] = [];
    if (lastPage < firstPage) return out;
    if (lastPage - firstPage + 1 <= this.map.size) {
      for (let p = firstPage; p <= lastPage; p++) if (this.map.has(p)) out.push(p);
      return out;
    }
    for (const p of this.map.keys()) if (p >= firstPage && p <= lastPage) out.push(p);
    return out.sort((a, b) => a - b);
  }
}
