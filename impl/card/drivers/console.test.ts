import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { HostUser } from '../host-user.ts';
import type { VirtioDeviceSpec } from '../../../model/contract.ts';

const CONSOLE: VirtioDeviceSpec = { type: 3, numVq: 2, num: 128, featureLen: 4, configLen: 12 };
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

function booted() {
  const sys = createReferenceSystem({ trace: false });
  expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
  sys.settle();
  return { sys, host: new HostUser(sys) };
}

describe('card console driver and shell over the host char device', () => {
  test('prompt, echo', () => {
    const { sys, host } = booted();
    const fd = host.add(CONSOLE);
    sys.settle();
    const svc = sys.cardServices(0);
    expect(svc.console.live).toBe(true);
    expect(dec(host.take(fd, 1))).toBe('mic0$ ');
    host.put(fd, 0, enc('echo hi there\n'));
    sys.settle();
    expect(dec(host.take(fd, 1))).toBe('hi there\nmic0$ ');
  });
});
