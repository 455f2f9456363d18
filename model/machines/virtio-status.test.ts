import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { virtioStatusMachine, type VirtioStatusEvent } from './virtio-status.ts';

function run(legacy: boolean, offered: bigint, events: VirtioStatusEvent[]) {
  const a = createActor(virtioStatusMachine, { input: { legacy, offered } });
  a.start();
  for (const e of events) a.send(e);
  return a.getSnapshot();
}

describe('virtio status machine', () => {
  test('modern initialization reaches 0x0f (STATUS-02)', () => {
    const s = run(false, 0b1010n, [{ type: 'ACKNOWLEDGE' }, { type: 'DRIVER' }, { type: 'WRITE_FEATURES', bits: 0b10n }, { type: 'FEATURES_OK' }, { type: 'DRIVER_OK' }]);
    expect(s.value).toBe('driverOk');
    expect(s.context.status).toBe(0x0f);
    expect(s.context.accepted).toBe(0b10n);
  });

  test('legacy initialization skips FEATURES_OK and reaches 0x07 (LEG-03)', () => {
    const s = run(true, 1n, [{ type: 'ACKNOWLEDGE' }, { type: 'DRIVER' }, { type: 'DRIVER_OK' }]);
    expect(s.value).toBe('driverOk');
    expect(s.context.status).toBe(0x07);
    expect(s.can({ type: 'FEATURES_OK' })).toBe(false);
  });

  test('FEATURES_OK refused when accepted is not within offered (FEAT-02)', () => {
    const s = run(false, 0b01n, [{ type: 'ACKNOWLEDGE' }, { type: 'DRIVER' }, { type: 'WRITE_FEATURES', bits: 0b11n }]);
    expect(s.can({ type: 'FEATURES_OK' })).toBe(false);
    expect(s.can({ type: 'FAILED' })).toBe(true);
  });

  test('legacy: bits >= 32 cannot be accepted', () => {
    const s = run(true, 1n << 32n, [{ type: 'ACKNOWLEDGE' }, { type: 'DRIVER' }, { type: 'WRITE_FEATURES', bits: 1n << 32n }]);
    expect(s.can({ type: 'DRIVER_OK' })).toBe(false);
  });

  test('out-of-order steps are not enabled; only reset leaves failed', () => {
    const s0 = run(false, 0n, []);
    expect(s0.can({ type: 'DRIVER' })).toBe(false);
    expect(s0.can({ type: 'DRIVER_OK' })).toBe(false);
    expect(s0.can({ type: 'FAILED' })).toBe(false);
    const f = run(false, 0n, [{ type: 'ACKNOWLEDGE' }, { type: 'FAILED' }]);
    expect(f.value).toBe('failed');
    expect(f.context.status).toBe(0x81);
    expect(f.can({ type: 'DRIVER' })).toBe(false);
    expect(f.can({ type: 'WRITE_FEATURES', bits: 0n })).toBe(false);
    const r = run(false, 0n, [{ type: 'ACKNOWLEDGE' }, { type: 'FAILED' }, { type: 'RESET' }]);
    expect(r.value).toBe('reset');
    expect(r.context.status).toBe(0);
  });

  test('DEVICE_ERROR sets NEEDS_RESET on a live device and nothing at reset (STATUS-07)', () => {
    expect(run(true, 0n, [{ type: 'ACKNOWLEDGE' }, { type: 'DRIVER' }, { type: 'DRIVER_OK' }, { type: 'DEVICE_ERROR' }]).context.status).toBe(0x47);
    expect(run(true, 0n, [{ type: 'DEVICE_ERROR' }]).context.status).toBe(0);
  });
});
