import { describe, expect, test } from 'vitest';
import { SparseMemoryImpl, PAGE_SIZE } from './sparse.ts';
import { isMemFault } from './fault.ts';

const GiB = 2 ** 30;

describe('SparseMemoryImpl', () => {
  test('untouched memory reads as zeros and reading does not allocate', () => {
    const m = new SparseMemoryImpl(16 * GiB, 'card');
    expect(m.read8(0)).toBe(0);
    expect(m.read32(16 * GiB - 4)).toBe(0);
    expect(m.read64(8 * GiB)).toBe(0n);
    expect(m.read(12345, 3 * PAGE_SIZE)).toEqual(new Uint8Array(3 * PAGE_SIZE));
    expect(m.pagesAllocated).toBe(0);
  });

  test('little-endian scalars, also across a page boundary', () => {
    const m = new SparseMemoryImpl(4 * PAGE_SIZE);
    expect(m.write32(PAGE_SIZE - 2, 0xdeadbeef)).toBeUndefined();
    expect(m.read8(PAGE_SIZE - 2)).toBe(0xef);
    expect(m.read8(PAGE_SIZE + 1)).toBe(0xde);
    expect(m.read16(PAGE_SIZE - 1)).toBe(0xadbe);
    expect(m.read32(PAGE_SIZE - 2)).toBe(0xdeadbeef);
    expect(m.write16(10, 0x1234)).toBeUndefined();
    expect([m.read8(10), m.read8(11)]).toEqual([0x34, 0x12]);
    expect(m.write64(PAGE_SIZE * 2 - 3, 0x0102030405060708n)).toBeUndefined();
    expect(m.read64(PAGE_SIZE * 2 - 3)).toBe(0x0102030405060708n);
    expect(m.read8(PAGE_SIZE * 2 - 3)).toBe(0x08);
    expect(m.read64n(PAGE_SIZE * 2 - 3)).toMatchObject({ reason: 'not-safe-integer' });
    m.write64(PAGE_SIZE * 2 - 3, 0x001f030405060708n);
    expect(m.read64n(PAGE_SIZE * 2 - 3)).toBe(0x001f030405060708);
  });

  test('negative values store as two\'s complement, out-of-width values are refused', () => {
    const m = new SparseMemoryImpl(64);
    expect(m.write32(0, -1)).toBeUndefined();
    expect(m.read32(0)).toBe(0xffffffff);
    expect(m.write32(0, 0x80000000 | 0)).toBeUndefined();
    expect(m.read32(0)).toBe(0x80000000);
    expect(m.write8(8, 256)).toMatchObject({ reason: 'bad-argument' });
    expect(m.write16(8, 1.5)).toMatchObject({ reason: 'bad-argument' });
    expect(m.write64(8, 2n ** 64n)).toMatchObject({ reason: 'bad-argument' });
    expect(m.write64(8, 2 ** 60)).toMatchObject({ reason: 'bad-argument' });
    expect(m.write64(8, -1)).toBeUndefined();
    expect(m.read64(8)).toBe(2n ** 64n - 1n);
    expect(m.fill(0, 4, 300)).toMatchObject({ reason: 'bad-argument' });
    expect(m.read(0, 4)).toEqual(new Uint8Array([0, 0, 0, 0x80]));
  });

  test('read64n refuses values beyond 2^53 - 1', () => {
    const m = new SparseMemoryImpl(64);
    m.write64(0, 2n ** 53n - 1n);
    expect(m.read64n(0)).toBe(Number.MAX_SAFE_INTEGER);
    m.write64(0, 2n ** 53n);
    expect(m.read64n(0)).toMatchObject({ kind: 'mem-fault', reason: 'not-safe-integer' });
  });

  test('bounds: every access checks addr, len and addr + len <= size and changes nothing on a fault', () => {
    const m = new SparseMemoryImpl(PAGE_SIZE + 7, 'small');
    expect(m.read8(PAGE_SIZE + 7)).toMatchObject({ reason: 'out-of-range', space: 'small', addr: PAGE_SIZE + 7, len: 1 });
    expect(m.read32(PAGE_SIZE + 4)).toMatchObject({ reason: 'out-of-range' });
    expect(m.read32(PAGE_SIZE + 3)).toBe(0);
    expect(m.read8(-1)).toMatchObject({ reason: 'out-of-range' });
    expect(m.read8(0.5)).toMatchObject({ reason: 'bad-argument' });
    expect(m.read8(Number.NaN)).toMatchObject({ reason: 'bad-argument' });
    expect(m.read(0, -1)).toMatchObject({ reason: 'out-of-range' });
    expect(m.read(PAGE_SIZE + 7, 0)).toEqual(new Uint8Array(0));
    expect(m.write(PAGE_SIZE, new Uint8Array(8).fill(1))).toMatchObject({ reason: 'out-of-range' });
    expect(m.fill(0, PAGE_SIZE + 8, 9)).toMatchObject({ reason: 'out-of-range' });
    expect(m.copy(0, 1, PAGE_SIZE + 7)).toMatchObject({ reason: 'out-of-range' });
    expect(m.write64(PAGE_SIZE, 0xffn)).toMatchObject({ reason: 'out-of-range' });
    expect(m.pagesAllocated).toBe(0);
  });

  test('zeros into untouched pages do not allocate; a whole-page zero fill releases the page', () => {
    const m = new SparseMemoryImpl(8 * PAGE_SIZE);
    m.write(100, new Uint8Array(3 * PAGE_SIZE));
    m.write32(5 * PAGE_SIZE, 0);
    m.fill(0, 8 * PAGE_SIZE, 0);
    expect(m.pagesAllocated).toBe(0);
    m.fill(PAGE_SIZE - 1, 2, 7);
    expect(m.pagesAllocated).toBe(2);
    m.fill(PAGE_SIZE, PAGE_SIZE, 0);
    expect(m.pagesAllocated).toBe(1);
    expect(m.read(PAGE_SIZE - 1, 2)).toEqual(new Uint8Array([7, 0]));
  });

  test('bulk write, read and fill across page boundaries', () => {
    const m = new SparseMemoryImpl(4 * PAGE_SIZE);
    const src = new Uint8Array(2 * PAGE_SIZE + 10).map((_, i) => (i * 7 + 1) & 0xff);
    expect(m.write(PAGE_SIZE - 5, src)).toBeUndefined();
    expect(m.read(PAGE_SIZE - 5, src.length)).toEqual(src);
    expect(m.pagesAllocated).toBe(4);
    const into = new Uint8Array(20);
    expect(m.readInto(2 * PAGE_SIZE - 10, into)).toBeUndefined();
    expect(into).toEqual(src.subarray(PAGE_SIZE - 5, PAGE_SIZE + 15));
    m.fill(PAGE_SIZE - 1, PAGE_SIZE + 2, 0xaa);
    expect(m.read8(PAGE_SIZE - 2)).toBe(src[3]);
    expect(m.read8(PAGE_SIZE - 1)).toBe(0xaa);
    expect(m.read8(2 * PAGE_SIZE)).toBe(0xaa);
    expect(m.read8(2 * PAGE_SIZE + 1)).toBe(src[PAGE_SIZE + 6]);
  });

  test('copy is memmove in both directions across pages', () => {
    const n = 3 * PAGE_SIZE;
    const flat = new Uint8Array(n).map((_, i) => (i * 13 + 5) & 0xff);
    for (const [dst, src, len] of [
      [100, 0, 2 * PAGE_SIZE],
      [0, 100, 2 * PAGE_SIZE],
      [PAGE_SIZE + 3, PAGE_SIZE - 3, PAGE_SIZE + 50],
      [5, 5, 10],
    ] as const) {
      const m = new SparseMemoryImpl(n);
      m.write(0, flat);
      const model = flat.slice();
      model.copyWithin(dst, src, src + len);
      expect(m.copy(dst, src, len)).toBeUndefined();
      expect(m.read(0, n)).toEqual(model);
    }
  });

  test('huge sparse operations cost what was touched', () => {
    const card = new SparseMemoryImpl(16 * GiB, 'card');
    const host = new SparseMemoryImpl(64 * GiB, 'host');
    card.write32(5 * GiB + 3, 0x01020304);
    host.fill(40 * GiB + 1, 10, 9);
    expect(card.copy(GiB, 0, 15 * GiB)).toBeUndefined();
    expect(card.read32(6 * GiB + 3)).toBe(0x01020304);
    expect(card.read32(5 * GiB + 3)).toBe(0);
    expect(card.copy(0, GiB, 15 * GiB)).toBeUndefined();
    expect(card.read32(5 * GiB + 3)).toBe(0x01020304);
    expect(host.fill(0, 64 * GiB, 0)).toBeUndefined();
    expect(host.pagesAllocated).toBe(0);
    expect(card.firstDifference(0, card, 0, 16 * GiB)).toBe(-1);
    expect(card.firstDifference(GiB, card, 0, 15 * GiB)).toBe(4 * GiB + 3);
  });

  test('digest: equal content gives equal digest regardless of allocation and address', () => {
    const a = new SparseMemoryImpl(16 * GiB);
    const b = new SparseMemoryImpl(64 * GiB);
    expect(a.digest(0, 16 * GiB)).toBe(b.digest(GiB, 16 * GiB));
    b.write32(GiB + 100, 0);
    b.fill(GiB + 5000, 3, 1);
    b.fill(GiB + 5000, 3, 0); // allocated page, zero content
    expect(b.pagesAllocated).toBeGreaterThan(0);
    expect(a.digest(0, 16 * GiB)).toBe(b.digest(GiB, 16 * GiB));
    a.write8(16 * GiB - 1, 1);
    expect(a.digest(0, 16 * GiB)).not.toBe(b.digest(GiB, 16 * GiB));
    b.write8(17 * GiB - 1, 1);
    expect(a.digest(0, 16 * GiB)).toBe(b.digest(GiB, 16 * GiB));
    // unaligned ranges: chunks are counted from the range start
    b.write(GiB + 77, new Uint8Array([1, 2, 3]));
    a.write(77, new Uint8Array([1, 2, 3]));
    expect(a.digest(3, 16 * GiB - 3)).toBe(b.digest(GiB + 3, 16 * GiB - 3));
    expect(a.digest(3, 100)).not.toBe(a.digest(3, 101));
    expect(a.digest(16 * GiB, 1)).toMatchObject({ reason: 'out-of-range' });
    expect(isMemFault(a.firstDifference(0, b, GiB, 16 * GiB))).toBe(false);
    expect(a.firstDifference(0, b, GiB, 16 * GiB)).toBe(-1);
  });
});
