/**
 * Claim: a sparse memory behaves exactly like a flat byte array of its size under random interleaved
 *   scalar and bulk reads, writes, fills and copies, biased to page boundaries and the end of memory
 *   (the last page is often partial); every out-of-range or malformed access returns a fault value
 *   and changes nothing; reads and faults never allocate a page.
 * Source: issue 2 item 3 (sparse memory; bounds-checked, typed errors, no partial writes); DESIGN.md §7.
 * Level: unit
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { check, sameBytes, smallSize, firstDiff } from './byteModel.ts';
import { memOp, runOp, type ByteSpaceModel } from './ops.ts';

export const flatModel = defineProperty({
  id: 'memory.flatModel',
  claim: 'sparse memory behaves like a flat byte array, including page-boundary and out-of-range cases',
  source: 'issue 2 item 3',
  level: 'unit',
  requires: ['memory'],
  runs: 300,
  build: (impl) =>
    fc.property(smallSize, fc.array(memOp, { minLength: 5, maxLength: 40 }), (size, ops) => {
      const mem = impl.memory!.createSparseMemory(size, 'ram');
      const flat = new Uint8Array(size);
      const model: ByteSpaceModel = { size, locate: (addr) => ({ bytes: flat, i: addr }) };
      const maxPages = Math.ceil(size / mem.pageSize);
      ops.forEach((op, step) => {
        const before = mem.pagesAllocated;
        const r = runOp(mem, model, op);
        const all = mem.read(0, size);
        check(all instanceof Uint8Array && sameBytes(all, flat), () => `after op ${step} (${op.kind}): memory differs from the flat model at byte ${all instanceof Uint8Array ? firstDiff(all, flat) : '?'}`);
        if (r.faulted || !r.writes) check(mem.pagesAllocated === before, () => `op ${step} (${op.kind}, faulted ${r.faulted}) changed pagesAllocated ${before} → ${mem.pagesAllocated}`);
        check(mem.pagesAllocated <= maxPages, () => `${mem.pagesAllocated} pages allocated in a ${maxPages}-page memory`);
      });
      return true;
    }),
});
