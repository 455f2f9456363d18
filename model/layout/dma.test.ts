/** golden values of the DMA layouts, computed by hand from facts §7.2 / §7.4 */
import { describe, expect, test } from 'vitest';
import { getBits, setBits } from './table.ts';
import { DESC_WORDS, DMA_CHANNEL_REGS, DMA_DESC, DRAR_HI_BITS, MEMCOPY_QW0, MEMCOPY_QW1, STATUS_QW1 } from './dma.ts';
import { BAR4 } from './sbox.ts';

describe('dma layouts', () => {
  test('channel register block offsets', () => {
    const f = DMA_CHANNEL_REGS.fields;
    expect([f.DCAR.offset, f.DHPR.offset, f.DTPR.offset, f.DRAR_LO.offset, f.DRAR_HI.offset]).toEqual([0x00, 0x04, 0x08, 0x14, 0x18]);
    expect([f.DSTAT.offset, f.DCHERR.offset, f.DCHERRMSK.offset]).toEqual([0x20, 0x2c, 0x30]);
    expect(DMA_CHANNEL_REGS.size).toBe(0x40);
    // absolute BAR4: SBOX 0x10000 + 0xA000 + 0x40·n; DCR at SBOX + 0xA280
    expect(BAR4.DMA_CH(0)).toBe(0x1a000);
    expect(BAR4.DMA_CH(7) + f.DCHERR.offset).toBe(0x1a1ec);
    expect(BAR4.DCR).toBe(0x1a280);
  });

  test('descriptor is 16 bytes and the upstream memcopy encoding round-trips', () => {
    expect(DMA_DESC.size).toBe(16);
    // upstream: qw0 = src | (len >> 6) << 46; qw1 = 1 << 60 | dst
    const src = 0x80_1234_5640n;
    const len = 4096n;
    const qw0 = src | ((len >> 6n) << 46n);
    expect(getBits(qw0, MEMCOPY_QW0.fields.sap)).toBe(src);
    expect(getBits(qw0, MEMCOPY_QW0.fields.length)).toBe(64n);
    const qw1 = (1n << 60n) | 0x40n;
    expect(getBits(qw1, MEMCOPY_QW1.fields.type)).toBe(1n);
    expect(getBits(qw1, MEMCOPY_QW1.fields.dap)).toBe(0x40n);
    // status: qw1 = 2 << 60 | intr << 59 | dst
    expect(setBits(setBits(0n, STATUS_QW1.fields.type, 2n), STATUS_QW1.fields.intr, 1n)).toBe(0x2800_0000_0000_0000n);
  });

  test('32-bit word views', () => {
    expect(DESC_WORDS.type).toEqual({ word: 3, lsb: 28, width: 4 });
    expect(DESC_WORDS.memcopyLength).toEqual({ word: 1, lsb: 14, width: 14 });
    expect(DESC_WORDS.statusIntr).toEqual({ word: 3, lsb: 27, width: 1 });
    expect(DESC_WORDS.memcopyIntr).toEqual({ word: 3, lsb: 24, width: 1 });
  });

  test('DRAR_HI as mic_dma_chan_set_desc_ring builds it', () => {
    // 131068 << 4 | sys (1 << 26) | entry 3 << 21 | addr bits 33:32 = 1
    const v = BigInt(((131068 & 0x1ffff) << 4) | (1 << 26) | (3 << 21) | 1);
    expect(getBits(v, DRAR_HI_BITS.fields.size)).toBe(131068n);
    expect(getBits(v, DRAR_HI_BITS.fields.sysMem)).toBe(1n);
    expect(getBits(v, DRAR_HI_BITS.fields.smptEntry)).toBe(3n);
    expect(getBits(v, DRAR_HI_BITS.fields.addrHi)).toBe(1n);
  });
});
