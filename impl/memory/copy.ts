/**
 * copyBetween: the one way bytes move between address spaces (DMA engine MEMCOPY, BAR0 copies,
 * CPU-fallback copies of the host VOP code).
 *
 * Both ranges are bounds-checked and resolved through any windowed views to their leaf ports before
 * a byte moves, so an out-of-range or unmapped copy changes nothing. Between sparse memories the copy
 * runs page piece by page piece (sparse.ts copyPages) and never allocates for zeros. Overlap has
 * memmove semantics: when source and destination resolve to overlapping bytes of one port through
 * several pieces, the source is read completely before the destination is written.
 */
import type { MemFault, MemPort } from '../../model/contract/memory.ts';
import { checkRange, memFault } from './fault.ts';
import { SparseMemoryImpl } from './sparse.ts';
import { copyPages } from './pagecopy.ts';
import { isResolvable, leavesOf, type Leaf, type SparseSpot } from './leaves.ts';

export function copyBetween(src: MemPort, srcAddr: number, dst: MemPort, dstAddr: number, len: number): MemFault | undefined {
  const f = checkRange(src.name, src.size, srcAddr, len) ?? checkRange(dst.name, dst.size, dstAddr, len);
  if (f) return f;
  // each side lies in one sparse memory (itself, or one window of a view onto it): one page copy,
  // no leaf lists (the DMA engine's common case). copyPages is memmove-safe within one memory.
  if (spotOf(src, srcAddr, len, srcSpot) && spotOf(dst, dstAddr, len, dstSpot)) {
    copyPages(srcSpot.mem!.pages, srcSpot.addr, dstSpot.mem!.pages, dstSpot.addr, len);
    return undefined;
  }
  const from = leavesOf(src, srcAddr, len);
  if (!Array.isArray(from)) return from;
  const to = leavesOf(dst, dstAddr, len);
  if (!Array.isArray(to)) return to;
  if ((from.length > 1 || to.length > 1) && overlapping(from, to)) return copyViaSnapshot(from, to, len);
  return copyPieces(from, to);
}

const srcSpot: SparseSpot = { mem: undefined, addr: 0 };
const dstSpot: SparseSpot = { mem: undefined, addr: 0 };

function spotOf(port: MemPort, addr: number, len: number, out: SparseSpot): boolean {
  if (isResolvable(port)) return port.sparseSpot !== undefined && port.sparseSpot(addr, len, out);
  // the constructor compare first: a cached property load, where instanceof walks prototypes
  if (port.constructor !== SparseMemoryImpl && !(port instanceof SparseMemoryImpl)) return false;
  out.mem = port;
  out.addr = addr;
  return true;
}

function overlapping(from: readonly Leaf[], to: readonly Leaf[]): boolean {
  for (const a of from) for (const b of to) if (a.port === b.port && a.addr < b.addr + b.len && b.addr < a.addr + a.len) return true;
  return false;
}

function readLeaf(l: Leaf, off: number, buf: Uint8Array, bufOff: number, n: number): MemFault | undefined {
  if (l.port instanceof SparseMemoryImpl) {
    l.port.readUnchecked(l.addr + off, buf, bufOff, n);
    return undefined;
  }
  return l.port.readInto(l.addr + off, buf.subarray(bufOff, bufOff + n));
}

function writeLeaf(l: Leaf, off: number, buf: Uint8Array, bufOff: number, n: number): MemFault | undefined {
  if (l.port instanceof SparseMemoryImpl) {
    l.port.writeUnchecked(l.addr + off, buf, bufOff, n);
    return undefined;
  }
  return l.port.write(l.addr + off, buf.subarray(bufOff, bufOff + n));
}

/** walks both leaf lists in step; each piece lies in one source leaf and one destination leaf */
function copyPieces(from: readonly Leaf[], to: readonly Leaf[]): MemFault | undefined {
  let i = 0;
  let j = 0;
  let fo = 0;
  let to_ = 0;
  let bounce: Uint8Array | undefined;
  while (i < from.length && j < to.length) {
    const a = from[i]!;
    const b = to[j]!;
    const n = Math.min(a.len - fo, b.len - to_);
    if (a.port instanceof SparseMemoryImpl && b.port instanceof SparseMemoryImpl) {
      copyPages(a.port.pages, a.addr + fo, b.port.pages, b.addr + to_, n);
    } else {
      // a port we cannot see into (e.g. a register file): move the bytes through a bounded buffer
      bounce ??= new Uint8Array(1 << 16);
      for (let o = 0; o < n; o += bounce.length) {
        const k = Math.min(bounce.length, n - o);
        const r = readLeaf(a, fo + o, bounce, 0, k) ?? writeLeaf(b, to_ + o, bounce, 0, k);
        if (r) return memFault(r.reason, r.space, r.addr, r.len);
      }
    }
    fo += n;
    to_ += n;
    if (fo === a.len) {
      i++;
      fo = 0;
    }
    if (to_ === b.len) {
      j++;
      to_ = 0;
    }
  }
  return undefined;
}

function copyViaSnapshot(from: readonly Leaf[], to: readonly Leaf[], len: number): MemFault | undefined {
  const buf = new Uint8Array(len);
  let o = 0;
  for (const l of from) {
    const r = readLeaf(l, 0, buf, o, l.len);
    if (r) return r;
    o += l.len;
  }
  o = 0;
  for (const l of to) {
    const r = writeLeaf(l, 0, buf, o, l.len);
    if (r) return r;
    o += l.len;
  }
  return undefined;
}
