import { describe, expect, test } from 'vitest';
import { RegisterFileImpl } from './regfile.ts';

describe('register file', () => {
  test('aligned 32-bit accesses only', () => {
    const r = new RegisterFileImpl('t');
    expect(r.write32(0x100, 0xffffffff)).toBeUndefined();
    expect(r.read32(0x100)).toBe(0xffffffff);
    expect(r.read32(0x101)).toMatchObject({ reason: 'misaligned' });
    expect(r.read32(0x20000)).toMatchObject({ reason: 'out-of-range' });
    expect(r.write32(0, 2 ** 32)).toMatchObject({ reason: 'bad-argument' });
    expect(r.write32(0, -1)).toBeUndefined();
    expect(r.read32(0)).toBe(0xffffffff);
  });

  test('hooks: value stored before the hook, poke wins, false restores', () => {
    const r = new RegisterFileImpl('t');
    const seen: number[] = [];
    r.hook(0x10, 8, {
      write: (off, v, old) => {
        seen.push(r.peek(off), old);
        if (off === 0x14) return false;
        r.poke(off, v + 1);
      },
      read: (off) => (off === 0x10 ? r.peek(off) * 2 : r.peek(off)),
    });
    r.write32(0x10, 5);
    expect(r.peek(0x10)).toBe(6);
    expect(r.read32(0x10)).toBe(12);
    r.poke(0x14, 9);
    r.write32(0x14, 1);
    expect(r.peek(0x14)).toBe(9);
    expect(seen).toEqual([5, 0, 1, 9]);
    expect(() => r.hook(0x14, 4, {})).toThrow();
  });
});
