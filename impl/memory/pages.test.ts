import { describe, expect, test } from 'vitest';
import { PAGE_SIZE, PageTable } from './pages.ts';
import { copyPages } from './pagecopy.ts';
import { touchedChunks, mergeSorted } from './chunks.ts';

describe('PageTable', () => {
  test('pages come from slabs in allocation order, back to back', () => {
    const t = new PageTable();
    const a = t.getOrAlloc(10);
    const b = t.getOrAlloc(3);
    expect(b.slab).toBe(a.slab);
    expect(b.base).toBe(a.base + PAGE_SIZE);
    expect(a.bytes.length).toBe(PAGE_SIZE);
    expect(t.getOrAlloc(10)).toBe(a);
    expect(t.size).toBe(2);
  });

  test('a released page is handed out again zeroed', () => {
    const t = new PageTable();
    t.getOrAlloc(1).bytes.fill(9);
    t.release(1);
    expect(t.get(1)).toBeUndefined();
    const again = t.getOrAlloc(7);
    expect(again.bytes.every((x) => x === 0)).toBe(true);
    expect(t.size).toBe(1);
  });

  test('allocatedIn walks the range or the table, whichever is smaller, ascending', () => {
    const t = new PageTable();
    for (const p of [900_000, 5, 6, 3_000_000]) t.getOrAlloc(p);
    expect(t.allocatedIn(0, 10)).toEqual([5, 6]);
    expect(t.allocatedIn(0, 4_000_000)).toEqual([5, 6, 900_000, 3_000_000]);
    expect(t.allocatedIn(7, 6)).toEqual([]);
  });
});

describe('chunks', () => {
  test('chunks are counted from the range start and cover every allocated page', () => {
    const t = new PageTable();
    t.getOrAlloc(2);
    // range starts 100 bytes into page 1: page 2 overlaps chunks 0 and 1
    expect(touchedChunks(t, PAGE_SIZE + 100, 3 * PAGE_SIZE)).toEqual([0, 1]);
    expect(touchedChunks(t, 2 * PAGE_SIZE, PAGE_SIZE)).toEqual([0]);
    expect(touchedChunks(t, 0, 2 * PAGE_SIZE)).toEqual([]);
    expect(mergeSorted([1, 4, 9], [0, 4, 10])).toEqual([0, 1, 4, 9, 10]);
  });
});

describe('copyPages', () => {
  /** a flat model of pages 0..n-1 of a table */
  function flat(t: PageTable, n: number): Uint8Array {
    const out = new Uint8Array(n * PAGE_SIZE);
    for (let p = 0; p < n; p++) {
      const page = t.get(p);
      if (page) out.set(page.bytes, p * PAGE_SIZE);
    }
    return out;
  }

  test('runs across pages allocated out of order, and across slabs, copy the right bytes', () => {
    const from = new PageTable();
    // reverse allocation order: page 19 sits first in its slab, page 0 last; 20 pages span 3 slabs
    for (let p = 19; p >= 0; p--) from.getOrAlloc(p).bytes.fill(p + 1);
    const to = new PageTable();
    to.getOrAlloc(7).bytes.fill(0xee);
    copyPages(from, 100, to, 5000, 18 * PAGE_SIZE);
    const want = new Uint8Array(20 * PAGE_SIZE);
    want.set(new Uint8Array(PAGE_SIZE).fill(0xee), 7 * PAGE_SIZE);
    want.set(flat(from, 20).subarray(100, 100 + 18 * PAGE_SIZE), 5000);
    expect(flat(to, 20)).toEqual(want);
  });

  test('overlapping moves inside one table behave like copyWithin, both directions', () => {
    for (const [src, dst] of [
      [0, 5000],
      [5000, 0],
      [4096, 4097],
      [4097, 4096],
    ] as const) {
      const t = new PageTable();
      for (let p = 0; p < 8; p++) t.getOrAlloc((p * 5) % 8).bytes.forEach((_, i, b) => (b[i] = (i * 7 + p) & 0xff));
      const model = flat(t, 8);
      const len = 5 * PAGE_SIZE + 3;
      model.copyWithin(dst, src, src + len);
      copyPages(t, src, t, dst, len);
      expect(flat(t, 8)).toEqual(model);
    }
  });

  test('a long copy over untouched memory visits only touched chunks and zeroes the destination', () => {
    const from = new PageTable();
    const to = new PageTable();
    from.getOrAlloc(1_000_000).bytes.fill(1);
    to.getOrAlloc(5).bytes.fill(2);
    copyPages(from, 0, to, 0, 4_000_000 * PAGE_SIZE);
    expect(to.get(5)!.bytes.every((x) => x === 0)).toBe(true);
    expect(to.get(1_000_000)!.bytes.every((x) => x === 1)).toBe(true);
    expect(to.size).toBe(2);
  });
});
