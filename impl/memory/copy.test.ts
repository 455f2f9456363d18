import { describe, expect, test } from 'vitest';
import { SparseMemoryImpl, PAGE_SIZE } from './sparse.ts';
import { WindowedViewImpl } from './window.ts';
import { copyBetween } from './copy.ts';

const GiB = 2 ** 30;

function pattern(n: number, seed: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff || 1);
}

describe('copyBetween', () => {
  test('host to card across page boundaries, unaligned on both sides', () => {
    const host = new SparseMemoryImpl(64 * GiB, 'host');
    const card = new SparseMemoryImpl(16 * GiB, 'card');
    const data = pattern(3 * PAGE_SIZE + 17, 3);
    host.write(40 * GiB + 4090, data);
    expect(copyBetween(host, 40 * GiB + 4090, card, 123, data.length)).toBeUndefined();
    expect(card.read(123, data.length)).toEqual(data);
    expect(card.read8(122)).toBe(0);
    expect(card.read8(123 + data.length)).toBe(0);
  });

  test('copying untouched source zeros the destination without allocating fresh pages', () => {
    const a = new SparseMemoryImpl(16 * PAGE_SIZE, 'a');
    const b = new SparseMemoryImpl(16 * PAGE_SIZE, 'b');
    b.fill(10, 20, 0xff);
    expect(copyBetween(a, 0, b, 0, 16 * PAGE_SIZE)).toBeUndefined();
    expect(b.read(0, 40)).toEqual(new Uint8Array(40));
    expect(b.pagesAllocated).toBeLessThanOrEqual(1);
    expect(a.pagesAllocated).toBe(0);
  });

  test('out-of-range on either side faults and changes nothing', () => {
    const a = new SparseMemoryImpl(2 * PAGE_SIZE, 'a');
    const b = new SparseMemoryImpl(PAGE_SIZE, 'b');
    a.fill(0, 2 * PAGE_SIZE, 9);
    expect(copyBetween(a, 0, b, 1, PAGE_SIZE)).toMatchObject({ reason: 'out-of-range', space: 'b' });
    expect(copyBetween(a, PAGE_SIZE + 1, b, 0, PAGE_SIZE)).toMatchObject({ reason: 'out-of-range', space: 'a' });
    expect(copyBetween(a, -1, b, 0, 1)).toMatchObject({ reason: 'out-of-range' });
    expect(b.pagesAllocated).toBe(0);
  });

  test('through views: translation, piecewise windows, unmapped faults change nothing', () => {
    const host = new SparseMemoryImpl(8 * PAGE_SIZE, 'host');
    const card = new SparseMemoryImpl(8 * PAGE_SIZE, 'card');
    const smpt = new WindowedViewImpl(8 * PAGE_SIZE, 'smpt');
    smpt.map({ base: 0, len: 2 * PAGE_SIZE, port: host, target: 6 * PAGE_SIZE, label: 'e0' });
    smpt.map({ base: 2 * PAGE_SIZE, len: 2 * PAGE_SIZE, port: host, target: 0, label: 'e1' });
    const data = pattern(200, 7);
    card.write(1000, data);
    expect(copyBetween(card, 1000, smpt, 2 * PAGE_SIZE - 100, 200)).toBeUndefined();
    expect(host.read(8 * PAGE_SIZE - 100, 100)).toEqual(data.subarray(0, 100));
    expect(host.read(0, 100)).toEqual(data.subarray(100));
    expect(copyBetween(smpt, 2 * PAGE_SIZE - 100, card, 5000, 200)).toBeUndefined();
    expect(card.read(5000, 200)).toEqual(data);
    const before = host.digest(0, 8 * PAGE_SIZE);
    expect(copyBetween(card, 0, smpt, 4 * PAGE_SIZE - 10, 20)).toMatchObject({ reason: 'unmapped', space: 'smpt' });
    expect(host.digest(0, 8 * PAGE_SIZE)).toBe(before);
  });

  test('overlap through two windows onto one memory behaves like memmove', () => {
    const ram = new SparseMemoryImpl(4 * PAGE_SIZE, 'ram');
    const v = new WindowedViewImpl(4 * PAGE_SIZE, 'v');
    v.map({ base: 0, len: PAGE_SIZE, port: ram, target: 0, label: 'a' });
    v.map({ base: PAGE_SIZE, len: 3 * PAGE_SIZE, port: ram, target: PAGE_SIZE, label: 'b' });
    const flat = pattern(4 * PAGE_SIZE, 11);
    ram.write(0, flat);
    expect(copyBetween(v, PAGE_SIZE - 50, v, PAGE_SIZE - 10, 2 * PAGE_SIZE)).toBeUndefined();
    const model = flat.slice();
    model.copyWithin(PAGE_SIZE - 10, PAGE_SIZE - 50, 3 * PAGE_SIZE - 50);
    expect(ram.read(0, 4 * PAGE_SIZE)).toEqual(model);
    expect(v.copy(0, 30, 3 * PAGE_SIZE)).toBeUndefined();
    model.copyWithin(0, 30, 3 * PAGE_SIZE + 30);
    expect(ram.read(0, 4 * PAGE_SIZE)).toEqual(model);
  });
});
