/**
 * Claim: every head the card makes available reaches the host device exactly once with its own
 *   buffers (same segments, same readable bytes), comes back used exactly once, is never handed out
 *   again while in flight, and the driver never sees a used id the device did not complete for it;
 *   with random power-of-two queue sizes (1..128 MIC, up to 32768 generic), direct and indirect
 *   chains, random driver/device interleavings and indices starting near 65535; with the rings'
 *   areas pinned or reached through the ports' methods, and with steps that remap the windows and
 *   migrate the pages under the rings (every pin loses its lease, no byte changes).
 * Source: RING-13, RING-15, RING-18 (completions in any order, matched by head), RING-19,
 *   RING-10/11 (indirect), ORD-04 (the device fetches only published chains); facts §6.2 (MIC windows)
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { ringJournal, runTraffic, trafficInput } from './traffic.ts';

export const conservation = defineProperty({
  id: 'ring.conservation',
  claim: 'every available head is fetched once with its own buffers, returned used exactly once, and never reused while in flight',
  source: 'RING-13, RING-15, RING-18, RING-19, ORD-04; facts §6.2',
  level: 'component',
  requires: ['memory', 'ring'],
  runs: 150,
  build: (impl) =>
    fc.property(trafficInput, (input) => {
      const journal = ringJournal();
      const v = journal.guard(() => runTraffic(impl, input, journal)).filter((x) => x.category !== 'bytes');
      if (v.length > 0) throw journal.error(v.map((x) => `[${x.category}] ${x.msg}`).join('\n'));
      return true;
    }),
});
