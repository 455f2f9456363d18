/**
 * impl/memory: sparse physical memory, windowed views and copies between them (issue 2 item 3).
 * Other impl/ layers may use the classes directly (e.g. `new SparseMemoryImpl(16 * GiB, 'card0.gddr')`)
 * or go through `memoryComponents`, which is what properties see.
 */
import type { MemoryComponents } from '../../model/contract.ts';
import { SparseMemoryImpl } from './sparse.ts';
import { WindowedViewImpl } from './window.ts';
import { copyBetween } from './copy.ts';

export { SparseMemoryImpl, PAGE_SIZE, pageOf } from './sparse.ts';
export { WindowedViewImpl } from './window.ts';
export { copyBetween } from './copy.ts';
export { memFault, isMemFault, checkRange, validUint, u64Bits, MAX_FRESH_READ } from './fault.ts';
export { leavesOf, isResolvable, type Leaf, type Resolvable } from './leaves.ts';

export function createSparseMemory(size: number, name?: string): SparseMemoryImpl {
  return new SparseMemoryImpl(size, name);
}

export function createWindowedView(size: number, name?: string): WindowedViewImpl {
  return new WindowedViewImpl(size, name);
}

export const memoryComponents: MemoryComponents = {
  createSparseMemory,
  createWindowedView,
  copyBetween,
};
