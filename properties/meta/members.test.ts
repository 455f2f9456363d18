/**
 * Claim: every member of the contract that an implementation provides is reached by at least one
 *   property run against it: a member no property touches could be replaced by a wrong one and the
 *   whole suite would pass (a third-party `ring.needEvent` off by one did). The members come from
 *   the contract source; reaching is recorded by wrapping the reference, with a few runs per
 *   property. Members listed in NOT_YET are known gaps with the reason, and the list may only shrink.
 * Source: issue 13 item 4 (contract members nobody checks); issue 12 item 5
 * Level: meta
 */
import { describe, expect, test } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reference } from '../systems.ts';
import { allProperties } from '../index.ts';
import { runProperty } from '../harness.ts';
import { contractMembers, reachableInterfaces, recording } from './members.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** members no property reaches yet, each with why; a member that is reached must leave this list */
const NOT_YET: Readonly<Record<string, string>> = {
  'CardVirtioDevice.numVq': 'identity or size fields no property compares with what it configured',
  'DeviceRing.num': 'identity or size fields no property compares with what it configured',
  'DriverRing.num': 'identity or size fields no property compares with what it configured',
  'DmaChan.side': 'identity or size fields no property compares with what it configured',
  'DmaClient.cardIndex': 'identity or size fields no property compares with what it configured',
  'DmaClient.side': 'identity or size fields no property compares with what it configured',
  'DmaEngine.cardIndex': 'identity or size fields no property compares with what it configured',
  'DmaRegisterPort.side': 'identity or size fields no property compares with what it configured',
  'MicSystem.cardCount': 'identity or size fields no property compares with what it configured',
  'PcieEndpoint.bar0Size': 'identity or size fields no property compares with what it configured',
  'PcieEndpoint.deviceId': 'identity or size fields no property compares with what it configured',
  'PcieEndpoint.index': 'identity or size fields no property compares with what it configured',
  'PcieEndpoint.revision': 'identity or size fields no property compares with what it configured',
  'RegisterFile.size': 'identity or size fields no property compares with what it configured',
  'DeviceStatus.legacy': 'identity or size fields no property compares with what it configured',
  'DeviceStatus.offered': 'identity or size fields no property compares with what it configured',
  'CardVirtioDevice.features': 'observer fields the properties do not read yet (their state is checked through other members)',
  'CardVirtioDevice.status': 'observer fields the properties do not read yet (their state is checked through other members)',
  'Chain.readableBytes': 'observer fields the properties do not read yet (their state is checked through other members)',
  'Chain.writableBytes': 'observer fields the properties do not read yet (their state is checked through other members)',
  'Chain.steps': 'observer fields the properties do not read yet (their state is checked through other members)',
  'DriverRing.availIdx': 'observer fields the properties do not read yet (their state is checked through other members)',
  'DmaEngine.agent': 'observer fields the properties do not read yet (their state is checked through other members)',
  'SystemObservers.mbusDevices': 'observer fields the properties do not read yet (their state is checked through other members)',
  'SystemObservers.trace': 'observer fields the properties do not read yet (their state is checked through other members)',
  'DriverRing.publish': 'operations the traffic properties do not call: the ring properties use kickPrepare (which publishes) and pop (not available); the DMA ones never prep an interrupt descriptor nor set a callback',
  'DeviceRing.available': 'operations the traffic properties do not call: the ring properties use kickPrepare (which publishes) and pop (not available); the DMA ones never prep an interrupt descriptor nor set a callback',
  'DmaTx.callback': 'operations the traffic properties do not call: the ring properties use kickPrepare (which publishes) and pop (not available); the DMA ones never prep an interrupt descriptor nor set a callback',
  'MemPort.copy': 'memory operations no property drives through the contract (only impl-internal callers use them)',
  'MemPort.fill': 'memory operations no property drives through the contract (only impl-internal callers use them)',
  'DmaCard.bus': 'the mic bus is wired by attachDma and no property registers devices or drivers of its own',
  'MicBus.boundDriver': 'the mic bus is wired by attachDma and no property registers devices or drivers of its own',
  'MicBus.devices': 'the mic bus is wired by attachDma and no property registers devices or drivers of its own',
  'MicBus.registerDevice': 'the mic bus is wired by attachDma and no property registers devices or drivers of its own',
  'MicBus.registerDriver': 'the mic bus is wired by attachDma and no property registers devices or drivers of its own',
  'MicBus.unregisterDevice': 'the mic bus is wired by attachDma and no property registers devices or drivers of its own',
  'Scheduler.inject': 'scheduler members only the CLI and demos use',
  'Scheduler.nextU32': 'scheduler members only the CLI and demos use',
  'SimComponents.runPaced': 'scheduler members only the CLI and demos use',
  'Smpt.restore': 'SMPT restore after a card reset is not driven by any property',
};

describe('contract members (issue 13 item 4)', () => {
  test('the member reader finds the contract interfaces and their inherited members', () => {
    const m = contractMembers(root);
    expect(m.get('SparseMemory')?.has('read8')).toBe(true);
    expect(m.get('SparseMemory')?.has('digest')).toBe(true);
    expect(m.get('RingComponents')?.has('needEvent')).toBe(true);
    expect(m.get('MicSystem')?.has('vop')).toBe(true);
  });

  test('every member the reference provides is reached by some property', async () => {
    const members = contractMembers(root);
    const reached = new Set<string>();
    const impl = recording(reference, members, reached);
    const cfg = { tier: 'quick' as const, seed: undefined, path: undefined, runs: 3, noShrink: true };
    for (const p of allProperties) {
      const r = await runProperty(p, impl, cfg);
      expect(r.status, `${p.id} under the recording wrapper: ${r.error ?? r.reason ?? ''}`).not.toBe('failed');
    }
    const expected: string[] = [];
    for (const iface of reachableInterfaces()) {
      for (const name of members.get(iface) ?? []) {
        const key = `${iface}.${name}`;
        // optional members the reference does not provide are not its to cover
        if (iface === 'SimComponents' && name === 'runPaced' && reference.sim?.runPaced === undefined) continue;
        expected.push(key);
      }
    }
    const missing = expected.filter((k) => !reached.has(k) && NOT_YET[k] === undefined).sort();
    const stale = Object.keys(NOT_YET).filter((k) => reached.has(k));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  }, 600_000);
});
