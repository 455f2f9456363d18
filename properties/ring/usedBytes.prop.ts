/**
 * Claim: the used length never exceeds the chain's writable bytes, equals what the device wrote,
 *   and the bytes the device wrote through BAR0 are the bytes the card reads in its own memory.
 * Source: RING-15, RING-16, RING-17; facts §6.6 (host writes card buffers through the aperture)
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { ringJournal, runTraffic, trafficInput } from './traffic.ts';

export const usedBytes = defineProperty({
  id: 'ring.usedBytes',
  claim: 'used len <= writable bytes, equals the bytes written, and the driver reads exactly what the device wrote',
  source: 'RING-15, RING-16, RING-17; facts §6.6',
  level: 'component',
  requires: ['memory', 'ring'],
  runs: 150,
  build: (impl) =>
    fc.property(trafficInput, (input) => {
      const journal = ringJournal();
      const v = journal.guard(() => runTraffic(impl, input, journal)).filter((x) => x.category !== 'conservation');
      if (v.length > 0) throw journal.error(v.map((x) => `[${x.category}] ${x.msg}`).join('\n'));
      return true;
    }),
});
