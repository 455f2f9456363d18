/** Golden offsets of the BAR4 map, hand-computed from facts §1.2 / §7.2 (absolute = 0x10000 + SBOX offset). */
import { describe, expect, test } from 'vitest';
import { BAR4, REG_ARRAYS, bar4Layout, apicicrBits, sdbicBits, smptRegBits, downloadInfoBits, SPAD_INDEX } from './sbox.ts';

const off = (name: string): number => {
  const f = bar4Layout.list.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no field ${name}`);
  return f.offset;
};

describe('BAR4 register map (facts §1.2)', () => {
  test('single registers', () => {
    expect(bar4Layout.size).toBe(0x20000);
    expect(off('POSTCODE')).toBe(0x242c);
    expect(off('RGCR')).toBe(0x14010);
    expect(off('SICR0')).toBe(0x19004);
    expect(off('SICE0')).toBe(0x1900c);
    expect(off('SICC0')).toBe(0x19010);
    expect(off('SIAC0')).toBe(0x19014);
    expect(off('MSIXPBACR')).toBe(0x19084);
    expect(off('DCR')).toBe(0x1a280);
    expect(BAR4.SICR0).toBe(0x19004);
    expect(BAR4.DCR).toBe(0x1a280);
  });

  test('register arrays', () => {
    expect(off('SMPT00')).toBe(0x13100);
    expect(off('SMPT31')).toBe(0x1317c);
    expect(BAR4.SMPT(31)).toBe(0x1317c);
    expect(off('MXAR0')).toBe(0x19044);
    expect(off('MXAR15')).toBe(0x19080);
    expect(off('APICICR0')).toBe(0x1a9d0);
    expect(off('APICICR0_HI')).toBe(0x1a9d4);
    // facts: APICICR7 = SBOX 0xAA08 (bootstrap interrupt), its high dword at +4
    expect(off('APICICR7')).toBe(0x1aa08);
    expect(off('APICICR7_HI')).toBe(0x1aa0c);
    expect(off('SPAD0')).toBe(0x1ab20);
    expect(off('SPAD2')).toBe(0x1ab28);
    expect(off('SPAD5')).toBe(0x1ab34);
    expect(off('SPAD14')).toBe(0x1ab58);
    expect(off('SPAD15')).toBe(0x1ab5c);
    expect(BAR4.SPAD(SPAD_INDEX.DPHI)).toBe(0x1ab5c);
    expect(off('RDMASR0')).toBe(0x1b180);
    // host doorbell 8 → index 17, doorbell 15 → index 24 (facts §1.4)
    expect(off('RDMASR17')).toBe(0x1b1c4);
    expect(off('RDMASR24')).toBe(0x1b1e0);
    expect(off('SDBIC0')).toBe(0x1cc90);
    expect(off('SDBIC3')).toBe(0x1cc9c);
    expect(off('DMA_CH0')).toBe(0x1a000);
    expect(off('DMA_CH7')).toBe(0x1a1c0);
    expect(REG_ARRAYS.DMA_CH.stride).toBe(0x40);
    expect(REG_ARRAYS.SPAD.count).toBe(16);
    expect(REG_ARRAYS.SMPT.count).toBe(32);
  });

  test('every register lies in the 128 KiB BAR and is 4-aligned', () => {
    for (const f of bar4Layout.list) {
      expect(f.offset % 4).toBe(0);
      expect(f.offset + f.size).toBeLessThanOrEqual(0x20000);
    }
  });

  test('out-of-range array index is a bug', () => {
    expect(() => BAR4.SPAD(16)).toThrow();
    expect(() => BAR4.SDBIC(-1)).toThrow();
  });

  test('bit fields', () => {
    expect(sdbicBits.fields.DBREQ.lsb).toBe(31);
    expect(apicicrBits.fields.SEND.lsb).toBe(13);
    expect(smptRegBits.fields.PAGE.lsb).toBe(2);
    expect(downloadInfoBits.fields.APIC_ID.lsb).toBe(1);
    expect(downloadInfoBits.fields.APIC_ID.width).toBe(9);
    expect(downloadInfoBits.fields.BOOT_ADDR.lsb).toBe(12);
  });
});
