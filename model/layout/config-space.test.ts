/** Golden offsets of the PCI type-0 header (PCI Local Bus spec §6.1) and the X100 BAR plan. */
import { describe, expect, test } from 'vitest';
import { configHeader, barOffset, X100_BARS, CONFIG_SPACE_SIZE } from './config-space.ts';

describe('config space header', () => {
  test('offsets', () => {
    const f = configHeader.fields;
    expect(CONFIG_SPACE_SIZE).toBe(256);
    expect([f.vendorId.offset, f.deviceId.offset, f.command.offset, f.status.offset]).toEqual([0, 2, 4, 6]);
    expect([f.revisionId.offset, f.progIf.offset, f.subclass.offset, f.classCode.offset]).toEqual([8, 9, 10, 11]);
    expect(f.headerType.offset).toBe(0x0e);
    expect([0, 1, 2, 3, 4, 5].map(barOffset)).toEqual([0x10, 0x14, 0x18, 0x1c, 0x20, 0x24]);
    expect(f.subsystemVendorId.offset).toBe(0x2c);
    expect(f.subsystemId.offset).toBe(0x2e);
    expect(f.expansionRom.offset).toBe(0x30);
    expect(f.capabilitiesPtr.offset).toBe(0x34);
    expect(f.interruptLine.offset).toBe(0x3c);
    expect(f.interruptPin.offset).toBe(0x3d);
  });

  test('BAR plan: BAR0 aperture (64-bit), BAR4 MMIO (64-bit) (facts §1.1)', () => {
    expect(X100_BARS[0]).toMatchObject({ kind: 'mem64', role: 'aperture', prefetchable: true });
    expect(X100_BARS[1]).toEqual({ kind: 'mem64-upper' });
    expect(X100_BARS[4]).toMatchObject({ kind: 'mem64', role: 'mmio', prefetchable: false });
    expect(X100_BARS[5]).toEqual({ kind: 'mem64-upper' });
    expect(X100_BARS.filter((b) => b.kind === 'io')).toHaveLength(1);
  });
});
