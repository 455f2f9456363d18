import { describe, expect, test } from 'vitest';
import { memoryComponents } from '../../memory/index.ts';
import type { MemPort } from '../../../model/contract.ts';
import { openArea, type PortArea } from './area.ts';

const M = memoryComponents;
const PAGE = 4096;

/** the port's methods without pin, counting scalar accesses */
function counted(inner: MemPort): MemPort & { n: number } {
  const p = {
    n: 0,
    name: inner.name,
    size: inner.size,
    read8: (a: number) => inner.read8(a),
    read16: (a: number) => (p.n++, inner.read16(a)),
    read32: (a: number) => (p.n++, inner.read32(a)),
    read64: (a: number) => inner.read64(a),
    read64n: (a: number) => inner.read64n(a),
    write8: (a: number, v: number) => inner.write8(a, v),
    write16: (a: number, v: number) => (p.n++, inner.write16(a, v)),
    write32: (a: number, v: number) => (p.n++, inner.write32(a, v)),
    write64: (a: number, v: bigint | number) => inner.write64(a, v),
    readInto: (a: number, d: Uint8Array) => inner.readInto(a, d),
    read: (a: number, n: number) => inner.read(a, n),
    write: (a: number, s: Uint8Array) => inner.write(a, s),
    fill: (a: number, n: number, b: number) => inner.fill(a, n, b),
    copy: (d: number, s: number, n: number) => inner.copy(d, s, n),
  };
  return p;
}

describe('ring areas', () => {
  test('pinned: accesses go to the bytes without touching the port methods', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    let area: PortArea = openArea(mem, PAGE, 64, 'write', (a) => (area = a));
    expect(area.w32(4, 0x01020304)).toBe(true);
    expect(mem.read32(PAGE + 4)).toBe(0x01020304);
    mem.write16(PAGE + 10, 0xbeef);
    expect(area.r16(10)).toBe(0xbeef);
  });

  test('a port without pins: every access is a checked port access, faults are values', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const port = counted(mem);
    let area: PortArea = openArea(port, 4 * PAGE - 8, 16, 'write', (a) => (area = a));
    expect(area.r32(0)).toBe(0);
    expect(port.n).toBe(1);
    expect(area.r32(8)).toBe(-1);
    expect(area.fault?.reason).toBe('out-of-range');
    expect(area.w16(12, 1)).toBe(false);
  });

  test('a read pin sends writes to the port (they stay observable)', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const writes: number[] = [];
    const port: MemPort = { ...counted(mem), pin: (a, n, w) => mem.pin!(a, n, w), write16: (a, v) => (writes.push(a), mem.write16(a, v)) };
    let area: PortArea = openArea(port, 0, 32, 'read', (a) => (area = a));
    expect(area.w16(2, 5)).toBe(true);
    expect(writes).toEqual([2]);
    expect(area.r16(2)).toBe(5);
  });

  test('when the lease dies the ring side gets an area that re-opens on first use and hands over the new pin', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const view = M.createWindowedView(8 * PAGE, 'view');
    view.map({ base: 0, len: 2 * PAGE, port: mem, target: 0, label: 'a' });
    let area: PortArea = openArea(view, 0, 16, 'write', (a) => (area = a));
    const first = area;
    area.w32(0, 7);
    // the window moves to other bytes: the old pin would write the wrong memory
    view.unmap(0);
    view.map({ base: 0, len: 2 * PAGE, port: mem, target: 2 * PAGE, label: 'b' });
    expect(area).not.toBe(first);
    const held = area;
    expect(held.r32(0)).toBe(0);
    expect(area).not.toBe(held);
    // a caller still holding the re-opening area for the rest of its operation gets the same pin
    expect(held.w32(4, 9)).toBe(true);
    expect(area.r32(4)).toBe(9);
    expect(mem.read32(2 * PAGE + 4)).toBe(9);
    expect(mem.read32(0)).toBe(7);
  });

  test('a window unmapped for good: the re-opened area is on the port and faults as a value', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const view = M.createWindowedView(8 * PAGE, 'view');
    view.map({ base: 0, len: PAGE, port: mem, target: 0, label: 'a' });
    let area: PortArea = openArea(view, 0, 16, 'write', (a) => (area = a));
    view.unmap(0);
    expect(area.r16(0)).toBe(-1);
    expect(area.fault?.reason).toBe('unmapped');
  });
});
