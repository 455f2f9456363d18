import { describe, expect, test } from 'vitest';
import {
  alignedDescSize, bootParam, configOffset, ctrlOffset, descSize, deviceCtrl, deviceDesc, guestFeaturesOffset,
  hostFeaturesOffset, MIC_DP_SIZE, MIC_MAGIC, totalDescSize, vqConfig, vqConfigOffset,
} from './device-page.ts';

// hand-computed from the C structs of facts §5.1 / §5.3
describe('device page layout (facts §5)', () => {
  test('struct sizes', () => {
    expect([bootParam.size, deviceDesc.size, vqConfig.size, deviceCtrl.size]).toEqual([16, 8, 24, 16]);
    expect(MIC_DP_SIZE).toBe(4096);
    expect(MIC_MAGIC).toBe(0xc0ffee00);
  });
  test('bootparam offsets', () => {
    const f = bootParam.fields;
    expect([f.magic.offset, f.c2h_shutdown_db.offset, f.h2c_shutdown_db.offset, f.h2c_config_db.offset, f.shutdown_status.offset, f.shutdown_card.offset]).toEqual([0, 4, 5, 6, 7, 8]);
  });
  test('ctrl offsets', () => {
    const f = deviceCtrl.fields;
    expect([f.vdev.offset, f.config_change.offset, f.vdev_reset.offset, f.guest_ack.offset, f.host_ack.offset, f.used_address_updated.offset, f.c2h_vdev_db.offset, f.h2c_vdev_db.offset]).toEqual([0, 8, 9, 10, 11, 12, 13, 14]);
    expect([vqConfig.fields.address.offset, vqConfig.fields.used_address.offset, vqConfig.fields.num.offset]).toEqual([0, 8, 16]);
  });
  test('entry sizes of the mpssd devices (feature_len 4)', () => {
    // console: 2 vqs, config 12 → 8 + 48 + 8 + 12 = 76 → 80 → 96
    const console = { numVq: 2, featureLen: 4, configLen: 12 };
    expect(descSize(console)).toBe(76);
    expect(alignedDescSize(console)).toBe(80);
    expect(totalDescSize(console)).toBe(96);
    // block: 1 vq, config 8 → 8 + 24 + 8 + 8 = 48 → 48 → 64
    const blk = { numVq: 1, featureLen: 4, configLen: 8 };
    expect([descSize(blk), alignedDescSize(blk), totalDescSize(blk)]).toEqual([48, 48, 64]);
    expect(vqConfigOffset(1)).toBe(32);
    expect(hostFeaturesOffset(console)).toBe(56);
    expect(guestFeaturesOffset(console)).toBe(60);
    expect(configOffset(console)).toBe(64);
    expect(ctrlOffset(console)).toBe(80);
  });
});
