import { describe, expect, test } from 'vitest';
import { SparseMemoryImpl, PAGE_SIZE } from './sparse.ts';
import { WindowedViewImpl } from './window.ts';
import { LeaseImpl, leaseOver } from './lease.ts';
import type { Lease } from '../../model/contract/memory.ts';

function world(): { mem: SparseMemoryImpl; view: WindowedViewImpl } {
  const mem = new SparseMemoryImpl(8 * PAGE_SIZE, 'ram');
  const view = new WindowedViewImpl(16 * PAGE_SIZE, 'view');
  view.map({ base: 4 * PAGE_SIZE, len: 4 * PAGE_SIZE, port: mem, target: 2 * PAGE_SIZE, label: 'w' });
  return { mem, view };
}

describe('pins of sparse memory', () => {
  test('a pin is the bytes of the range, both ways, and allocates the page without changing it', () => {
    const { mem } = world();
    expect(mem.pagesAllocated).toBe(0);
    const p = mem.pin(PAGE_SIZE + 8, 16, true)!;
    expect(mem.pagesAllocated).toBe(1);
    expect(p.view.byteLength).toBe(16);
    expect(mem.read(PAGE_SIZE, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE));
    p.view.setUint32(4, 0xdeadbeef, true);
    expect(mem.read32(PAGE_SIZE + 12)).toBe(0xdeadbeef);
    mem.write16(PAGE_SIZE + 8, 0x1234);
    expect(p.view.getUint16(0, true)).toBe(0x1234);
  });

  test('no pin across a page boundary, outside the memory, or of nothing', () => {
    const { mem } = world();
    expect(mem.pin(PAGE_SIZE - 2, 4, false)).toBeUndefined();
    expect(mem.pin(8 * PAGE_SIZE - 2, 4, false)).toBeUndefined();
    expect(mem.pin(-1, 4, false)).toBeUndefined();
    expect(mem.pin(0, 0, false)).toBeUndefined();
    expect(mem.pagesAllocated).toBe(0);
  });

  test('releasing the page (whole-page zero fill) kills the lease; a new pin sees the zeros', () => {
    const { mem } = world();
    const p = mem.pin(0, 8, true)!;
    p.view.setUint8(0, 7);
    let told = 0;
    p.lease.watch(() => told++);
    mem.fill(0, PAGE_SIZE, 0);
    expect(p.lease.live).toBe(false);
    expect(told).toBe(1);
    const q = mem.pin(0, 8, true)!;
    expect(q.lease.live).toBe(true);
    expect(q.view.getUint8(0)).toBe(0);
    // a partial zero fill keeps the page, and the pin
    mem.fill(0, 100, 0);
    expect(q.lease.live).toBe(true);
  });
});

describe('pins through windows', () => {
  test('a pin lands at the window target; unmapping kills it, the target pin lives on', () => {
    const { mem, view } = world();
    const v = view.pin(4 * PAGE_SIZE + 16, 8, true)!;
    const m = mem.pin(2 * PAGE_SIZE + 16, 8, true)!;
    v.view.setUint16(0, 0xabcd, true);
    expect(mem.read16(2 * PAGE_SIZE + 16)).toBe(0xabcd);
    expect(m.view.getUint16(0, true)).toBe(0xabcd);
    let told = 0;
    v.lease.watch(() => told++);
    expect(view.unmap(4 * PAGE_SIZE)).toBe(true);
    expect(v.lease.live).toBe(false);
    expect(told).toBe(1);
    expect(m.lease.live).toBe(true);
    expect(view.pin(4 * PAGE_SIZE + 16, 8, true)).toBeUndefined();
  });

  test('no pin across a window end or of unmapped space', () => {
    const { view } = world();
    expect(view.pin(8 * PAGE_SIZE - 4, 8, false)).toBeUndefined();
    expect(view.pin(0, 8, false)).toBeUndefined();
  });

  test('releasing the target page kills the pin taken through the window', () => {
    const { mem, view } = world();
    const v = view.pin(4 * PAGE_SIZE, 8, false)!;
    mem.fill(2 * PAGE_SIZE, PAGE_SIZE, 0);
    expect(v.lease.live).toBe(false);
  });

  test('repeated pins through one window share one lease per target lease', () => {
    const { view } = world();
    const a = view.pin(4 * PAGE_SIZE, 8, false)!;
    const b = view.pin(4 * PAGE_SIZE + 64, 8, true)!;
    expect(a.lease).toBe(b.lease);
  });
});

describe('leases', () => {
  test('death reaches derived leases and watchers once, and is final', () => {
    const root = new LeaseImpl();
    const child = root.derive();
    const calls: string[] = [];
    root.watch(() => calls.push('root'));
    child.watch(() => calls.push('child'));
    root.kill();
    root.kill();
    expect([root.live, child.live]).toEqual([false, false]);
    expect(calls.sort()).toEqual(['child', 'root']);
    const late: string[] = [];
    child.watch(() => late.push('late'));
    expect(late).toEqual(['late']);
    expect(root.derive().live).toBe(false);
  });

  test('a lease over another implementation\'s lease dies when that one says so', () => {
    let onDeath: (() => void) | undefined;
    const foreign: Lease = { live: true, watch: (f) => (onDeath = f) };
    const l = leaseOver(foreign);
    expect(l.live).toBe(true);
    onDeath!();
    expect(l.live).toBe(false);
  });
});
