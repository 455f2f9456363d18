/**
 * Claim: a host VOP plugged in through SystemConfig.hostVop is the one the system runs, and the VOP
 *   properties judge it: a faithful wrapper of the reference passes them, one that drops
 *   update_used (never completes a chain) fails vop.copyDesc.
 * Source: issue 9 item 7 (the contract gains the char-device interface, so a third party can plug
 *   in their own host VOP); model/contract/vop.ts VopHostFactory
 * Level: meta
 */
import { describe, expect, test } from 'vitest';
import type { Implementation, VopHostFactory } from '../../model/contract.ts';
import { micCopyDesc } from '../../model/layout/vop-user.ts';
import { MIC_VIRTIO_COPY_DESC } from '../../model/constants/vop.ts';
import { reference, referenceVopHost } from '../systems.ts';
import { runProperty } from '../harness.ts';
import { vopCopyDesc } from './copyDesc.prop.ts';
import { vopArgs } from './args.prop.ts';

function withHostVop(name: string, hostVop: VopHostFactory): Implementation {
  const sys = reference.system!;
  return { ...reference, name, system: { createSystem: (c) => sys.createSystem({ ...c, hostVop }) } };
}

const cfg = { tier: 'quick' as const, seed: undefined, path: undefined, runs: undefined, noShrink: true };

describe('a plugged-in host VOP (SystemConfig.hostVop)', () => {
  test('a faithful wrapper of the reference is the one used, and passes', async () => {
    let opened = 0;
    const wrapper: VopHostFactory = (env) => {
      const inner = referenceVopHost(env);
      return { ...inner, open: (user) => (opened++, inner.open(user)), resetDevices: () => inner.resetDevices(), devices: () => inner.devices() };
    };
    const impl = withHostVop('wrapper', wrapper);
    for (const p of [vopCopyDesc, vopArgs]) expect((await runProperty(p, impl, cfg)).status).toBe('passed');
    expect(opened).toBeGreaterThan(0);
  });

  test('one that drops update_used fails vop.copyDesc', async () => {
    const lazy: VopHostFactory = (env) => {
      const inner = referenceVopHost(env);
      return {
        open(user) {
          const f = inner.open(user);
          return {
            ...f,
            ioctl(cmd, arg) {
              if (cmd === MIC_VIRTIO_COPY_DESC) user.write8(arg + micCopyDesc.fields.update_used.offset, 0);
              return f.ioctl(cmd, arg);
            },
          };
        },
        resetDevices: () => inner.resetDevices(),
        devices: () => inner.devices(),
      };
    };
    const r = await runProperty(vopCopyDesc, withHostVop('lazy', lazy), cfg);
    expect(r.status).toBe('failed');
  });
});
