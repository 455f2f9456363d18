import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import type { VirtioDeviceSpec } from '../../model/contract.ts';

const GOOD: VirtioDeviceSpec = { type: 3, numVq: 2, num: 128, featureLen: 4, configLen: 12 };

/** a system with the host driver probed, the card offline and no device added */
function fresh() {
  const s = createReferenceSystem({ trace: false });
  return { s, vop: { addDevice: (spec: VirtioDeviceSpec) => s.addDevice(0, spec), get devices() { return s.observe.addedDevices(0); } } };
}

describe('ADD_DEVICE input validation (facts §6.5)', () => {
  test('a valid desc is added', () => {
    const { vop } = fresh();
    expect(vop.addDevice(GOOD)).toEqual({ ok: true, offset: 16 });
  });

  const refused: [string, Partial<VirtioDeviceSpec>][] = [
    ['num_vq > 4', { numVq: 5, featureLen: 0, configLen: 0 }],
    ['aligned desc size > 256', { numVq: 4, featureLen: 255, configLen: 0 }],
    ['aligned desc size > 256 via config_len', { numVq: 1, featureLen: 0, configLen: 240 }],
    ['aligned desc size 264 (one byte past 256)', { numVq: 4, featureLen: 76, configLen: 1 }],
    ['vq num > 128', { num: 129 }],
    ['negative num_vq', { numVq: -1 }],
    ['fractional num_vq', { numVq: 1.5 }],
    ['num_vq > 255', { numVq: 258 }],
    ['negative feature_len', { featureLen: -4 }],
    ['fractional feature_len', { featureLen: 0.5 }],
    ['feature_len > 255', { featureLen: 256 }],
    ['negative config_len', { configLen: -12 }],
    ['fractional config_len', { configLen: 12.25 }],
    ['config_len > 255', { configLen: 300 }],
    ['type 0', { type: 0 }],
    ['negative type', { type: -1 }],
    ['fractional type', { type: 1.5 }],
    ['type > 255', { type: 259 }],
    ['type NaN', { type: Number.NaN }],
    ['fractional num', { num: 127.5 }],
    ['negative num', { num: -128 }],
  ];

  test.each(refused)('%s → EINVAL, device page byte-identical, nothing registered', (_what, patch) => {
    const { s, vop } = fresh();
    expect(vop.addDevice(GOOD)).toMatchObject({ ok: true });
    const before = s.observe.devicePage(0);
    const devices = vop.devices.length;
    expect(vop.addDevice({ ...GOOD, ...patch })).toEqual({ errno: 'EINVAL' });
    expect(s.observe.devicePage(0)).toEqual(before);
    expect(vop.devices.length).toBe(devices);
  });

  test('the largest desc the header check allows is accepted (256 bytes aligned)', () => {
    const { vop } = fresh();
    // 8 + 4·24 + 2·fl + cl = 104 + 2·76 = 256
    expect(vop.addDevice({ type: 1, numVq: 4, num: 128, featureLen: 76, configLen: 0 })).toMatchObject({ ok: true });
  });
});
