import { describe, expect, test } from 'vitest';
import { memoryComponents } from '../../memory/index.ts';
import type { MemPort } from '../../../model/contract.ts';
import { faultLog, openArea, PortView, type RingView } from './area.ts';

const M = memoryComponents;
const PAGE = 4096;

/** the port's methods without pin */
function unpinnable(inner: MemPort, writes: number[] = []): MemPort {
  return {
    name: inner.name,
    size: inner.size,
    read8: (a) => inner.read8(a),
    read16: (a) => inner.read16(a),
    read32: (a) => inner.read32(a),
    read64: (a) => inner.read64(a),
    read64n: (a) => inner.read64n(a),
    write8: (a, v) => inner.write8(a, v),
    write16: (a, v) => (writes.push(a), inner.write16(a, v)),
    write32: (a, v) => (writes.push(a), inner.write32(a, v)),
    write64: (a, v) => inner.write64(a, v),
    readInto: (a, d) => inner.readInto(a, d),
    read: (a, n) => inner.read(a, n),
    write: (a, s) => inner.write(a, s),
    fill: (a, n, b) => inner.fill(a, n, b),
    copy: (d, s, n) => inner.copy(d, s, n),
  };
}

describe('ring areas', () => {
  test('pinned: the view is the bytes, both ways', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const log = faultLog();
    let v: RingView = openArea(mem, PAGE, 64, 'write', log, (n) => (v = n));
    expect(v).toBeInstanceOf(DataView);
    v.setUint32(4, 0x01020304, true);
    expect(mem.read32(PAGE + 4)).toBe(0x01020304);
    mem.write16(PAGE + 10, 0xbeef);
    expect(v.getUint16(10, true)).toBe(0xbeef);
    // a stray offset throws instead of touching bytes outside the area
    expect(() => v.getUint32(62, true)).toThrow(RangeError);
  });

  test('a port that cannot pin: a PortView, faults are values in the side\'s log', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const writes: number[] = [];
    const log = faultLog();
    let v: RingView = openArea(unpinnable(mem, writes), 4 * PAGE - 8, 16, 'write', log, (n) => (v = n));
    expect(v).toBeInstanceOf(PortView);
    v.setUint32(0, 7, true);
    expect(writes).toEqual([4 * PAGE - 8]);
    expect(v.getUint32(0, true)).toBe(7);
    expect(log).toEqual({ last: undefined, writes: 0 });
    expect(v.getUint32(8, true)).toBe(-1);
    expect(log.last?.reason).toBe('out-of-range');
    expect(log.writes).toBe(0);
    v.setUint16(12, 1, true);
    expect(log.writes).toBe(1);
  });

  test('an area crossing a page is not pinned', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    let v: RingView = openArea(mem, PAGE - 8, 16, 'read', faultLog(), (n) => (v = n));
    expect(v).toBeInstanceOf(PortView);
  });

  test('when the lease dies the side gets a view that re-opens on first use and hands over the new pin', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const view = M.createWindowedView(8 * PAGE, 'view');
    view.map({ base: 0, len: 2 * PAGE, port: mem, target: 0, label: 'a' });
    let v: RingView = openArea(view, 0, 16, 'write', faultLog(), (n) => (v = n));
    const first = v;
    v.setUint32(0, 7, true);
    // the window moves to other bytes: the old pin would now write the wrong memory
    view.unmap(0);
    view.map({ base: 0, len: 2 * PAGE, port: mem, target: 2 * PAGE, label: 'b' });
    expect(v).not.toBe(first);
    const held = v;
    expect(held.getUint32(0, true)).toBe(0);
    expect(v).not.toBe(held);
    expect(v).toBeInstanceOf(DataView);
    // a caller still holding the re-opening view for the rest of its operation reaches the same bytes
    held.setUint32(4, 9, true);
    expect(v.getUint32(4, true)).toBe(9);
    expect(mem.read32(2 * PAGE + 4)).toBe(9);
    expect(mem.read32(0)).toBe(7);
  });

  test('a window unmapped for good: the re-opened area is a PortView and faults as a value', () => {
    const mem = M.createSparseMemory(4 * PAGE, 'ram');
    const view = M.createWindowedView(8 * PAGE, 'view');
    view.map({ base: 0, len: PAGE, port: mem, target: 0, label: 'a' });
    const log = faultLog();
    let v: RingView = openArea(view, 0, 16, 'write', log, (n) => (v = n));
    view.unmap(0);
    expect(v.getUint16(0, true)).toBe(-1);
    expect(v).toBeInstanceOf(PortView);
    expect(log.last?.reason).toBe('unmapped');
  });
});
