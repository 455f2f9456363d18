import { describe, expect, test } from 'vitest';
import * as C from './pcie.ts';

describe('pcie constants (facts §1.1, §1.3, §2)', () => {
  test('identity', () => {
    expect(C.PCI_VENDOR_INTEL).toBe(0x8086);
    expect(C.X100_DEVICE_IDS).toHaveLength(15);
    expect(new Set(C.X100_DEVICE_IDS).size).toBe(15);
    expect(C.X100_DEVICE_IDS[0]).toBe(0x2250);
    expect(C.X100_DEVICE_IDS[14]).toBe(0x225e);
    expect(C.steppingName(0x11)).toBe('B1');
    expect(C.steppingName(0x30)).toBe('??');
  });

  test('SMPT window 0x80_0000_0000 … 0xFF_FFFF_FFFF', () => {
    expect(C.SMPT_PAGE_SIZE).toBe(16 * 2 ** 30);
    expect(C.SMPT_WINDOW_SIZE).toBe(512 * 2 ** 30);
    expect(C.SMPT_WINDOW_BASE + C.SMPT_WINDOW_SIZE - 1).toBe(0xff_ffff_ffff);
    expect(C.CARD_ADDRESS_SPACE_BYTES).toBe(C.SMPT_WINDOW_BASE + C.SMPT_WINDOW_SIZE);
  });

  test('interrupt numbering', () => {
    expect(C.HOST_SRC_ENABLE_MASK).toBe(0xff0f);
    expect(C.hostDmaBit(7)).toBe(15);
    expect(C.cardDoorbellIrq(15)).toBe(41);
    // RDMASR path: db 8..15 → index db−8+17 → irq 17+index = 26+db (facts §1.5)
    for (let db = 8; db < 16; db++) {
      expect(C.RDMASR_IRQ_BASE + (db - 8 + C.RDMASR_DOORBELL_INDEX_BASE)).toBe(C.cardDoorbellIrq(db));
    }
  });
});
