/**
 * Claim: after random traffic completes, every destination holds the source bytes as they were at
 *   submission (host→card, card→host, card→card, across page and 16 GiB SMPT-entry boundaries,
 *   sizes from 64 B to 1 MiB split at the per-side maximum), and no byte outside the destination
 *   ranges changed: whole host and card memories equal an oracle that applied the transfers itself
 *   (only the DMA drivers' rings and status buffers are excluded). Unaligned requests are refused
 *   with EINVAL/'unaligned' and change nothing; their 64-byte rounded copies land exactly.
 * Source: facts §7.4 (MEMCOPY, 64-byte units), §7.1 (max transfer per side), §6.6 (rounding to 64),
 *   §2 (SMPT window); DESIGN.md §6 "byte-exact data, no write outside the target".
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { journaled } from '../journal.ts';
import { assertCompletedExactly, dmaJournal, opArb, runTraffic } from './traffic.ts';

export const dataExact = defineProperty({
  id: 'dma.traffic.dataExact',
  claim: 'destinations hold the source bytes; no byte outside the destinations changed',
  source: 'facts §7.4, §7.1, §6.6, §2; DESIGN.md §6',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 80,
  build: (impl) =>
    fc.property(fc.array(opArb(), { minLength: 1, maxLength: 30 }), interleaving(300), journaled(dmaJournal, (journal, ops, choices) => {
      const run = runTraffic(impl, ops, choices, { journal });
      assertCompletedExactly(run);
      return true;
    })),
});
