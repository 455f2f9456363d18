import { describe, expect, test } from 'vitest';
import { ConfigSpace } from './config-space.ts';
import { barSizeFor } from './bars.ts';

const GiB = 2 ** 30;
const cs = (aperture = 16 * GiB): ConfigSpace =>
  new ConfigSpace('t', { deviceId: 0x225c, revision: 0x11, apertureBarSize: aperture, mmioBarSize: 0x20000, ioBarSize: 256 });

describe('config space (facts §1.1)', () => {
  test('identity dwords', () => {
    const c = cs();
    expect(c.read32(0x00)).toBe(0x225c8086);
    expect(c.read32(0x08)).toBe(0x0b400011); // class 0B, subclass 40, prog-if 0, revision 0x11 (B1)
    expect(c.read32(0x0c)).toBe(0); // header type 0
    expect((c.read32(0x3c) as number) >>> 8).toBe(0x01); // INTA
  });

  test('identity is read-only', () => {
    const c = cs();
    c.write32(0x00, 0xffffffff);
    c.write32(0x08, 0);
    expect(c.read32(0x00)).toBe(0x225c8086);
    expect(c.read32(0x08)).toBe(0x0b400011);
  });

  test('BAR sizing: write all-ones, read back the size masks', () => {
    const c = cs();
    for (let n = 0; n < 6; n++) c.write32(0x10 + 4 * n, 0xffffffff);
    expect(c.read32(0x10)).toBe(0x0000000c); // 64-bit prefetchable, 16 GiB: no low address bits
    expect(c.read32(0x14)).toBe(0xfffffffc); // upper: size 2^34
    expect(c.read32(0x18)).toBe(0xffffff01); // I/O, 256 bytes
    expect(c.read32(0x1c)).toBe(0);
    expect(c.read32(0x20)).toBe(0xfffe0004); // 64-bit non-prefetchable 128 KiB
    expect(c.read32(0x24)).toBe(0xffffffff);
  });

  test('8 GiB aperture and a non-power-of-two card memory', () => {
    const c = cs(8 * GiB);
    c.write32(0x14, 0xffffffff);
    expect(c.read32(0x14)).toBe(0xfffffffe);
    expect(barSizeFor(6 * GiB)).toBe(8 * GiB);
    expect(barSizeFor(0x20000)).toBe(0x20000);
  });

  test('accesses must be aligned dwords inside 256 bytes', () => {
    const c = cs();
    expect(c.read32(2)).toMatchObject({ kind: 'mem-fault', reason: 'misaligned' });
    expect(c.read32(256)).toMatchObject({ kind: 'mem-fault', reason: 'out-of-range' });
    expect(c.write32(0x04, 2 ** 32)).toMatchObject({ reason: 'bad-argument' });
  });

  test('command register: only the defined bits stick', () => {
    const c = cs();
    c.write32(0x04, 0xffffffff);
    expect(c.read32(0x04)).toBe(0x0547);
  });
});
