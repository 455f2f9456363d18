/**
 * Which 4 KiB chunks of a range can hold non-zero bytes. Chunks are counted from the start of the
 * range (not from page boundaries), so two ranges at different addresses compare chunk by chunk;
 * a chunk overlapping no allocated page is all zeros by construction. Used by digest, comparison and
 * large copies to cost what was touched instead of what was addressed.
 */
import { PAGE_SIZE, pageOf, type PageTable } from './pages.ts';

/** indices of the chunks of [addr, addr+len) that overlap an allocated page, ascending, no duplicates */
export function touchedChunks(pages: PageTable, addr: number, len: number): number[] {
  if (len === 0) return [];
  const end = addr + len;
  const out: number[] = [];
  for (const pn of pages.allocatedIn(pageOf(addr), pageOf(end - 1))) {
    const start = Math.max(addr, pn * PAGE_SIZE);
    const stop = Math.min(end, (pn + 1) * PAGE_SIZE);
    const first = Math.floor((start - addr) / PAGE_SIZE);
    const last = Math.floor((stop - 1 - addr) / PAGE_SIZE);
    for (let c = first; c <= last; c++) if (out.length === 0 || out[out.length - 1]! < c) out.push(c);
  }
  return out;
}

/** union of two ascending lists, ascending, no duplicates */
export function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.length === 0 || out[out.length - 1]! < x) out.push(x);
  }
  return out;
}
