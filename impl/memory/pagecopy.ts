/**
 * memmove of checked ranges between two page tables (two sparse memories, or one and itself).
 *
 * Forward, the copy moves runs that lie contiguously in one slab on each side (pages written front
 * to back sit back to back in a slab, pages.ts) with one `Uint8Array.set`/`copyWithin` each — both
 * overlap-safe — which is what makes a 64 KiB copy cost about one raw copy. When the ranges overlap
 * in one memory and the destination is above the source, pieces go from the end (one page piece at
 * a time) so no source byte is overwritten before it is read. An absent source page copies as zeros
 * without allocating the destination.
 */
import { PAGE_SIZE, pageOf, type Page, type PageTable } from './pages.ts';
import { mergeSorted, touchedChunks } from './chunks.ts';

export function copyPages(from: PageTable, src: number, to: PageTable, dst: number, len: number): void {
  if (len === 0 || (from === to && src === dst)) return;
  const backward = from === to && dst > src && dst < src + len;
  if (pageOf(len) > 2 * (from.size + to.size)) {
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

/** length of the piece at offset off: up to the next page boundary on either side */
function pieceLen(src: number, dst: number, off: number, len: number): number {
  return Math.min(len - off, PAGE_SIZE - ((src + off) % PAGE_SIZE), PAGE_SIZE - ((dst + off) % PAGE_SIZE));
}

function zeroDest(to: PageTable, d: number, n: number): void {
  const dstPage = to.get(pageOf(d));
  if (dstPage !== undefined) dstPage.bytes.fill(0, d % PAGE_SIZE, (d % PAGE_SIZE) + n);
}

/**
 * How many of the `want` bytes from offset `offInPage` of page `first` lie contiguously in first's
 * slab, following the page table's next pages. With `alloc`, missing pages are allocated on the way
 * (the destination side: they are about to be written).
 */
function extent(t: PageTable, first: Page, offInPage: number, want: number, alloc: boolean): number {
  let ext = PAGE_SIZE - offInPage;
  let prev = first;
  let p = first.pageNo;
  while (ext < want) {
    const next = t.following(prev) ?? (alloc ? t.getOrAlloc(p + 1) : t.get(p + 1));
    if (next === undefined || next.slab !== prev.slab || next.base !== prev.base + PAGE_SIZE) break;
    ext += PAGE_SIZE;
    prev = next;
    p++;
  }
  return Math.min(ext, want);
}

function copyForward(from: PageTable, src: number, to: PageTable, dst: number, len: number): void {
  let off = 0;
  while (off < len) {
    const s = src + off;
    const d = dst + off;
    const srcPn = pageOf(s);
    const dstPn = pageOf(d);
    // offsets in the page by subtraction: `%` on addresses beyond 2^31 is a slow float remainder
    const sOff = s - srcPn * PAGE_SIZE;
    const dOff = d - dstPn * PAGE_SIZE;
    const srcPage = from.get(srcPn);
    if (srcPage === undefined) {
      const n = pieceLen(src, dst, off, len);
      zeroDest(to, d, n);
      off += n;
      continue;
    }
    if (len - off === PAGE_SIZE && sOff === 0 && dOff === 0) {
      // exactly one whole page left: page to page, no slab view to build
      to.getOrAlloc(dstPn).bytes.set(srcPage.bytes);
      off += PAGE_SIZE;
      continue;
    }
    // one move for the longest run that is contiguous in one slab on both sides
    const sExt = extent(from, srcPage, sOff, len - off, false);
    const dstPage = to.getOrAlloc(dstPn);
    const n = extent(to, dstPage, dOff, sExt, true);
    moveBytes(srcPage.slab, srcPage.base + sOff, dstPage.slab, dstPage.base + dOff, n);
    off += n;
  }
}

/** n bytes from srcSlab[sStart…] to dstSlab[dStart…] (overlap-safe within one slab) */
function moveBytes(srcSlab: Uint8Array, sStart: number, dstSlab: Uint8Array, dStart: number, n: number): void {
  if (srcSlab === dstSlab) dstSlab.copyWithin(dStart, sStart, sStart + n);
  else dstSlab.set(srcSlab.subarray(sStart, sStart + n), dStart);
}

function copyBackward(from: PageTable, src: number, to: PageTable, dst: number, len: number): void {
  let end = len;
  while (end > 0) {
    const n = Math.min(end, ((src + end - 1) % PAGE_SIZE) + 1, ((dst + end - 1) % PAGE_SIZE) + 1);
    const s = src + end - n;
    const d = dst + end - n;
    const srcPage = from.get(pageOf(s));
    if (srcPage === undefined) zeroDest(to, d, n);
    else {
      const dstPage = to.getOrAlloc(pageOf(d));
      moveBytes(srcPage.slab, srcPage.base + (s % PAGE_SIZE), dstPage.slab, dstPage.base + (d % PAGE_SIZE), n);
    }
    end -= n;
  }
}
