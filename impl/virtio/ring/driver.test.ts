import { describe, expect, test } from 'vitest';
import { memoryComponents } from '../../memory/index.ts';
import { vringInit, vringDesc } from '../../../model/layout/vring.ts';
import type { DriverRing, RingError } from '../../../model/contract.ts';
import { createDriverRing } from './driver.ts';

const NUM = 8;

function ring(): { drv: DriverRing; read: (addr: number, n: number) => Uint8Array } {
  const mem = memoryComponents.createSparseMemory(1 << 20, 'ram');
  const o = vringInit(NUM, 4096);
  const drv = createDriverRing({ num: NUM, mem, descAddr: o.desc, availAddr: o.avail, usedAddr: o.used, eventIdx: false, indirect: false });
  if ('kind' in drv) throw new Error(drv.detail);
  return { drv, read: (a, n) => mem.read(a, n) as Uint8Array };
}

const isErr = (v: unknown): v is RingError => typeof v === 'object' && v !== null && (v as RingError).kind === 'ring-error';

describe('driver ring add()', () => {
  test.each([
    ['a fractional address', 4096.5, 16],
    ['a negative address', -4096, 16],
    ['NaN', Number.NaN, 16],
    ['an address of 2^53', 2 ** 53, 16],
    ['an address past 2^53', 2 ** 60, 16],
    ['a negative length', 4096, -1],
    ['a length of 2^32', 4096, 2 ** 32],
    ['a fractional length', 4096, 1.5],
  ])('refuses %s as bad-request and changes nothing', (_what, addr, len) => {
    const { drv, read } = ring();
    const o = vringInit(NUM, 4096);
    const before = read(0, o.used);
    const r = drv.add([], [{ addr, len }], 1);
    expect(isErr(r) && r.code).toBe('bad-request');
    expect(read(0, o.used)).toEqual(before);
    expect([drv.numFree, drv.inFlight, drv.availIdx]).toEqual([NUM, 0, 0]);
    // the ring still works
    expect(drv.add([{ addr: 64, len: 8 }], [], 2)).toBe(0);
  });

  test('refuses an empty chain, one longer than the queue, and one that does not fit', () => {
    const { drv } = ring();
    expect((drv.add([], [], 1) as RingError).code).toBe('bad-request');
    const nine = Array.from({ length: NUM + 1 }, (_, i) => ({ addr: i * 64, len: 8 }));
    expect((drv.add(nine, [], 1) as RingError).code).toBe('bad-request');
    expect(drv.add(nine.slice(0, 6), [], 1)).toBe(0);
    expect((drv.add(nine.slice(0, 3), [], 2) as RingError).code).toBe('no-space');
    expect(drv.numFree).toBe(2);
  });

  test('writes addresses above 2^32 and up to 2^53 - 1 exactly, as two little-endian halves', () => {
    const { drv, read } = ring();
    const addr = 2 ** 53 - 1 - 4095;
    expect(drv.add([{ addr, len: 4096 }], [{ addr: 0x80_0000_1000, len: 16 }], 1)).toBe(0);
    const first = new DataView(read(0, 32).buffer);
    expect(first.getBigUint64(vringDesc.fields.addr.offset, true)).toBe(BigInt(addr));
    expect(first.getUint32(vringDesc.fields.len.offset, true)).toBe(4096);
    expect(first.getBigUint64(vringDesc.size + vringDesc.fields.addr.offset, true)).toBe(0x80_0000_1000n);
  });
});
