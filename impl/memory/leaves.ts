/**
 * Resolving an access to the ports that finally hold its bytes. A windowed view (window.ts) splits
 * an access into pieces on its windows' targets, recursively; everything else is a leaf. Kept apart
 * from window.ts so copy.ts can resolve views without importing them (no import cycle).
 */
import type { MemFault, MemPort } from '../../model/contract/memory.ts';
import type { SparseMemoryImpl } from './sparse.ts';

/** a contiguous piece of an access, on a port that is not a windowed view */
export interface Leaf {
  readonly port: MemPort;
  readonly addr: number;
  readonly len: number;
}

/** a place in a sparse memory (filled in by Resolvable.sparseSpot; callers reuse one object) */
export interface SparseSpot {
  mem: SparseMemoryImpl | undefined;
  addr: number;
}

/** a port made of other ports */
export interface Resolvable extends MemPort {
  /** pieces of the checked range [addr, addr+len), appended to out, or an 'unmapped' fault */
  leaves(addr: number, len: number, out?: Leaf[]): Leaf[] | MemFault;
  /**
   * When the checked range [addr, addr+len) lies in one window mapping sparse memory directly, that
   * memory and the address there, written into `out`; else false (then use leaves).
   */
  sparseSpot?(addr: number, len: number, out: SparseSpot): boolean;
}

export function isResolvable(p: MemPort): p is Resolvable {
  return typeof (p as Partial<Resolvable>).leaves === 'function';
}

/** the leaves of a checked range of any port (a non-view port is its own single leaf) */
export function leavesOf(port: MemPort, addr: number, len: number, out: Leaf[] = []): Leaf[] | MemFault {
  if (isResolvable(port)) return port.leaves(addr, len, out);
  if (len > 0) out.push({ port, addr, len });
  return out;
}
