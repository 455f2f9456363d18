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
export const PAGE_SIZE = 4096;
const FIRST_SLAB_PAGES = 4;
const MAX_SLAB_PAGES = 64;

/** 1 / PAGE_SIZE: multiplying by a power of two is exact and cheaper than a division */
const PAGE_RECIPROCAL = 1 / PAGE_SIZE;

/** page number of a byte address (exact: addresses are < 2^53 and 4096 is a power of two) */
export function pageOf(addr: number): number {
  return Math.floor(addr * PAGE_RECIPROCAL);
}

const NO_BYTES = new Uint8Array(0);

export interface Page {
  /** the page's 4096 bytes */
  readonly bytes: Uint8Array;
  /** the whole slab the page lives in */
  readonly slab: Uint8Array;
  /** offset of the page's first byte in the slab */
  readonly base: number;
}

export class PageTable {
  private readonly map = new Map<number, Page>();
  private slab: Uint8Array | undefined;
  private slabPages = 0;
  private slabUsed = 0;
  private readonly free: Page[] = [];
  /**
   * The hot page: the last one found, so runs of accesses to one page (a ring's indices, slots and
   * descriptors) skip the Map lookup. Only an allocated page is hot; release() cools it, so it is
   * never stale. sparse.ts reads `hotBase`/`hotBytes` directly on its scalar fast paths: an address
   * in [hotBase, hotBase + PAGE_SIZE) is byte `addr - hotBase` of `hotBytes`.
   */
  private hotNo = -1;
  private hotPage: Page | undefined = undefined;
  /** first byte address of the hot page; -Infinity when there is none (no address is in range) */
  hotBase = -Infinity;
  hotBytes: Uint8Array = NO_BYTES;

  get size(): number {
    return this.map.size;
  }

  get(pageNo: number): Page | undefined {
    if (pageNo === this.hotNo) return this.hotPage;
    const p = this.map.get(pageNo);
    if (p !== undefined) this.heat(pageNo, p);
    return p;
  }

  private heat(pageNo: number, p: Page): void {
    this.hotNo = pageNo;
    this.hotPage = p;
    this.hotBase = pageNo * PAGE_SIZE;
    this.hotBytes = p.bytes;
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
      this.map.set(pageNo, p);
    }
    this.heat(pageNo, p);
    return p;
  }

  release(pageNo: number): void {
    const p = this.map.get(pageNo);
    if (p === undefined) return;
    if (pageNo === this.hotNo) {
      this.hotNo = -1;
      this.hotPage = undefined;
      this.hotBase = -Infinity;
      this.hotBytes = NO_BYTES;
    }
    this.map.delete(pageNo);
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
    return { bytes: this.slab.subarray(base, base + PAGE_SIZE), slab: this.slab, base };
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
