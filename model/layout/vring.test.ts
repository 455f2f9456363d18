import { describe, expect, test } from 'vitest';
import {
  vringDesc, vringAvail, vringUsed, vringUsedElem, micVringInfo,
  vringSize, vringInit, availSize, usedSize, descTableSize,
  micRingBlockSize, micVringInfoOffset, micUsedRingSize,
} from './vring.ts';

// Golden values computed by hand from requirements §4.1 and facts §6.2.
describe('vring layout (golden)', () => {
  test('descriptor is 16 bytes: addr@0 len@8 flags@12 next@14', () => {
    expect(vringDesc.size).toBe(16);
    expect([vringDesc.fields.addr.offset, vringDesc.fields.len.offset, vringDesc.fields.flags.offset, vringDesc.fields.next.offset]).toEqual([0, 8, 12, 14]);
  });

  test('avail and used headers', () => {
    expect([vringAvail.fields.flags.offset, vringAvail.fields.idx.offset, vringAvail.size]).toEqual([0, 2, 4]);
    expect([vringUsed.fields.flags.offset, vringUsed.fields.idx.offset, vringUsed.size]).toEqual([0, 2, 4]);
    expect([vringUsedElem.fields.id.offset, vringUsedElem.fields.len.offset, vringUsedElem.size]).toEqual([0, 4, 8]);
  });

  test('area sizes 16·QS, 6+2·QS, 6+8·QS (RING-02)', () => {
    expect(descTableSize(256)).toBe(4096);
    expect(availSize(256)).toBe(518);
    expect(usedSize(256)).toBe(2054);
  });

  test('QS=256: avail at 4096, used at 8192, size 10246 (requirements §4.1 worked example)', () => {
    const o = vringInit(256, 4096);
    expect(o.avail).toBe(4096);
    expect(o.used).toBe(8192);
    expect(vringSize(256, 4096)).toBe(10246);
  });

  test('MIC 128 entries: avail flags@2048 idx@2050 used_event@2308; vring_size 5126; block 8192 (facts §6.2)', () => {
    const o = vringInit(128, 4096);
    expect(o.avail).toBe(2048);
    expect(o.avail + vringAvail.fields.idx.offset).toBe(2050);
    expect(o.usedEvent).toBe(2308);
    expect(o.used).toBe(4096);
    expect(vringSize(128, 4096)).toBe(5126);
    expect(micRingBlockSize(128)).toBe(8192);
    expect(micVringInfoOffset(128)).toBe(5126);
    expect(micVringInfoOffset(128, 'fixed')).toBe(5128);
    expect(micVringInfo.fields.magic.offset).toBe(4);
    expect(micUsedRingSize(128)).toBe(4096);
  });

  test('QS=1 with align 4096', () => {
    expect(vringInit(1, 4096).used).toBe(4096);
    expect(vringSize(1, 4096)).toBe(4096 + 14);
  });
});
