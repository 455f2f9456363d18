/**
 * Host RAM allocation for the host driver (kzalloc / page allocations of facts §5, §6.2): a bump
 * allocator over a region of the sparse host memory. Pages are never reused: the simulated host
 * has far more address space than a run allocates, and never reusing makes stale-pointer bugs show.
 */
import type { MemPort } from '../../model/contract.ts';
import { alignUp } from '../../model/layout/table.ts';

export class HostAllocator {
  private next: number;

  constructor(
    private readonly mem: MemPort,
    base: number,
    private readonly end: number,
  ) {
    this.next = base;
  }

  /** zeroed memory of `size` bytes, `align`-aligned; undefined = ENOMEM */
  alloc(size: number, align = 4096): number | undefined {
    const at = alignUp(this.next, align);
    if (size <= 0 || at + size > this.end) return undefined;
    this.next = at + size;
    const fault = this.mem.fill(at, size, 0);
    return fault === undefined ? at : undefined;
  }
}
