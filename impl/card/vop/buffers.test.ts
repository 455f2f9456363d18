/**
 * The card buffer heap at capacity (issue 13 item 3): the region filled to exactly full with every
 * size class, a refusal when one more block would pass the end, and back to empty (every block
 * reused, no new bump). The policy is a model choice (buffers.ts), so it is pinned here rather than
 * in a property: the contract sees only 'no-memory' (vop.cardHeap checks that side).
 */
import { describe, expect, test } from 'vitest';
import { SparseMemoryImpl } from '../../memory/sparse.ts';
import { CARD_BUF_BASE, CardBufferHeap } from './buffers.ts';

const REGION = 64 * 1024;

function heapOf(region: number): CardBufferHeap {
  return new CardBufferHeap(new SparseMemoryImpl(CARD_BUF_BASE + region, 'gddr'));
}

describe('card buffer heap', () => {
  for (const [len, block] of [[1, 128], [64, 128], [65, 256], [192, 256], [1000, 2048], [REGION - 64, REGION]] as const) {
    test(`${len}-byte buffers (${block}-byte blocks) fill the region exactly, refuse one more, and empty back`, () => {
      const heap = heapOf(REGION);
      const got: number[] = [];
      for (let a = heap.alloc(len); a !== undefined; a = heap.alloc(len)) got.push(a);
      expect(got.length).toBe(REGION / block);
      expect(got).toEqual(got.map((_, i) => CARD_BUF_BASE + i * block));
      // exactly full: not even the smallest block fits
      expect(heap.alloc(1)).toBeUndefined();
      for (const a of got) heap.release(a, len);
      // back to empty: the same blocks again, in some order, and still nothing beyond them
      const again: number[] = [];
      for (let i = 0; i < got.length; i++) again.push(heap.alloc(len)!);
      expect([...again].sort((x, y) => x - y)).toEqual(got);
      expect(heap.alloc(len)).toBeUndefined();
    });
  }

  test('a misaligned buffer is freed as its whole block', () => {
    const heap = heapOf(256);
    const a = heap.alloc(60, 37)!;
    expect(a).toBe(CARD_BUF_BASE + 37);
    const b = heap.alloc(60, 5)!;
    expect(b).toBe(CARD_BUF_BASE + 128 + 5);
    expect(heap.alloc(60)).toBeUndefined();
    heap.release(a, 60);
    expect(heap.alloc(60, 63)).toBe(CARD_BUF_BASE + 63);
  });

  test('mixed classes fill the region exactly; a block of a class with nothing free is a new bump or a refusal', () => {
    const heap = heapOf(1024);
    const small = heap.alloc(10)!;
    const mid = heap.alloc(100)!;
    const big = heap.alloc(400)!;
    expect([small, mid, big]).toEqual([CARD_BUF_BASE, CARD_BUF_BASE + 128, CARD_BUF_BASE + 384]);
    expect(heap.alloc(10)).toBe(CARD_BUF_BASE + 896);
    expect(heap.alloc(10)).toBeUndefined();
    heap.release(big, 400);
    // the freed 512-byte block serves its own class only
    expect(heap.alloc(10)).toBeUndefined();
    expect(heap.alloc(300)).toBe(big);
    heap.clear();
    expect(heap.alloc(REGION)).toBeUndefined();
    expect(heap.alloc(1024 - 64)).toBe(CARD_BUF_BASE);
  });
});
