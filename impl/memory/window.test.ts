import { describe, expect, test } from 'vitest';
import { SparseMemoryImpl, PAGE_SIZE } from './sparse.ts';
import { WindowedViewImpl } from './window.ts';
import type { MemFault, MemPort } from '../../model/contract/memory.ts';
import { checkRange } from './fault.ts';

const GiB = 2 ** 30;

function smptLike(): { host: SparseMemoryImpl; view: WindowedViewImpl } {
  const host = new SparseMemoryImpl(64 * GiB, 'host');
  const view = new WindowedViewImpl(2 ** 40, 'card.smpt');
  view.map({ base: 0, len: 16 * GiB, port: host, target: 32 * GiB, label: 'smpt0' });
  view.map({ base: 16 * GiB, len: 16 * GiB, port: host, target: 0, label: 'smpt1' });
  return { host, view };
}

describe('WindowedViewImpl', () => {
  test('translates into the target port and writes land there', () => {
    const { host, view } = smptLike();
    expect(view.write32(100, 0xcafef00d)).toBeUndefined();
    expect(host.read32(32 * GiB + 100)).toBe(0xcafef00d);
    expect(host.write16(5, 0xbeef)).toBeUndefined();
    expect(view.read16(16 * GiB + 5)).toBe(0xbeef);
    expect(view.read64(16 * GiB + 5)).toBe(0xbeefn);
  });

  test('an access crossing two adjacent windows works piecewise', () => {
    const { host, view } = smptLike();
    expect(view.write64(16 * GiB - 3, 0x0807060504030201n)).toBeUndefined();
    expect(host.read(48 * GiB - 3, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(host.read(0, 5)).toEqual(new Uint8Array([4, 5, 6, 7, 8]));
    expect(view.read64(16 * GiB - 3)).toBe(0x0807060504030201n);
    expect(view.read32(16 * GiB - 1)).toBe(0x06050403);
    expect(view.read(16 * GiB - 3, 8)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(view.fill(16 * GiB - 1, 2, 0xee)).toBeUndefined();
    expect(view.read16(16 * GiB - 1)).toBe(0xeeee);
  });

  test('unmapped bytes fault and a partly unmapped write changes nothing', () => {
    const { host, view } = smptLike();
    expect(view.read8(32 * GiB)).toMatchObject({ reason: 'unmapped', space: 'card.smpt', addr: 32 * GiB, len: 1 });
    expect(view.write(32 * GiB - 2, new Uint8Array([1, 2, 3, 4]))).toMatchObject({ reason: 'unmapped', addr: 32 * GiB - 2, len: 4 });
    expect(view.write32(32 * GiB - 2, 0x01010101)).toMatchObject({ reason: 'unmapped' });
    expect(view.fill(32 * GiB - 2, 4, 1)).toMatchObject({ reason: 'unmapped' });
    expect(host.pagesAllocated).toBe(0);
    expect(view.read8(2 ** 40)).toMatchObject({ reason: 'out-of-range' });
  });

  test('map refuses overlapping and out-of-bounds windows; unmap removes by base', () => {
    const { host, view } = smptLike();
    expect(() => view.map({ base: 16 * GiB - 1, len: 2, port: host, target: 0, label: 'x' })).toThrow(RangeError);
    expect(() => view.map({ base: 32 * GiB, len: 2, port: host, target: 64 * GiB - 1, label: 'x' })).toThrow(RangeError);
    expect(() => view.map({ base: 2 ** 40 - 1, len: 2, port: host, target: 0, label: 'x' })).toThrow(RangeError);
    expect(() => view.map({ base: 40 * GiB, len: 0, port: host, target: 0, label: 'x' })).toThrow(RangeError);
    expect(view.windows().map((w) => w.label)).toEqual(['smpt0', 'smpt1']);
    expect(view.unmap(16 * GiB)).toBe(true);
    expect(view.unmap(16 * GiB)).toBe(false);
    expect(view.read8(16 * GiB)).toMatchObject({ reason: 'unmapped' });
  });

  test('nested views resolve to the leaf memory; a hole in the inner view faults the outer access', () => {
    const ram = new SparseMemoryImpl(8 * PAGE_SIZE, 'ram');
    const inner = new WindowedViewImpl(8 * PAGE_SIZE, 'inner');
    inner.map({ base: 0, len: 2 * PAGE_SIZE, port: ram, target: 4 * PAGE_SIZE, label: 'lo' });
    const outer = new WindowedViewImpl(4 * PAGE_SIZE, 'outer');
    outer.map({ base: PAGE_SIZE, len: 3 * PAGE_SIZE, port: inner, target: 0, label: 'in' });
    expect(outer.write32(PAGE_SIZE + 8, 7)).toBeUndefined();
    expect(ram.read32(4 * PAGE_SIZE + 8)).toBe(7);
    expect(outer.write(3 * PAGE_SIZE - 2, new Uint8Array([1, 2, 3, 4]))).toMatchObject({ reason: 'unmapped', space: 'outer' });
    expect(ram.read32(6 * PAGE_SIZE - 2)).toBe(0);
  });

  test('a scalar inside one window reaches the target as one scalar access', () => {
    const seen: string[] = [];
    const regs: MemPort = registerFile(seen);
    const view = new WindowedViewImpl(0x1000, 'bar4');
    view.map({ base: 0x100, len: 0x100, port: regs, target: 0, label: 'regs' });
    expect(view.write32(0x104, 5)).toBeUndefined();
    expect(view.read32(0x104)).toBe(5);
    expect(seen).toEqual(['w32 4 5', 'r32 4']);
  });
});

/** a port that logs its scalar accesses (stands in for an MMIO register file) */
function registerFile(seen: string[]): MemPort {
  const ram = new SparseMemoryImpl(0x100, 'regs');
  const port: MemPort = Object.create(ram) as MemPort;
  return Object.assign(port, {
    read32(addr: number): number | MemFault {
      seen.push(`r32 ${addr}`);
      return checkRange('regs', 0x100, addr, 4) ?? ram.read32(addr);
    },
    write32(addr: number, v: number): MemFault | undefined {
      seen.push(`w32 ${addr} ${v}`);
      return ram.write32(addr, v);
    },
  });
}
