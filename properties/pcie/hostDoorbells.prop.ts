/**
 * Claim: host interrupt sources (card→host doorbells 0..3 rung by the card writing DBREQ to SDBIC
 *   through its MMIO window, DMA bits 8..15 and the error bit 30) are delivered to the host handler
 *   exactly once per pending→delivered transition: never while masked (SICC0), never twice before
 *   the ack (writing the bit back to SICR0, or SIAC0 auto-clear), a ring of a still-pending bit
 *   coalesces, and masked bits stay pending and are delivered once re-enabled (SICE0) — whatever the
 *   scheduler's interleaving.
 * Source: facts §1.3 (SICR0/SICE0/SICC0/SIAC0, ack by write-back), §1.5 (SDBIC DBREQ); issue 2 item 4.
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAR4, SDBIC_DBREQ } from '../../model/layout/sbox.ts';
import { CARD_MMIO_BASE, HOST_SRC_ERROR } from '../../model/constants/pcie.ts';

/** the sources the property rings: doorbells, DMA channels, error */
const SOURCES = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, HOST_SRC_ERROR];
const ALL = SOURCES.reduce((m, b) => (m | (1 << b)) >>> 0, 0);
const bitsArb = fc.subarray(SOURCES, { minLength: 1 }).map((bs) => bs.reduce((m, b) => (m | (1 << b)) >>> 0, 0));

type Op =
  | { op: 'ring'; src: number }
  | { op: 'mask' | 'unmask' | 'ack' | 'autoClear'; bits: number }
  | { op: 'step'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('ring' as const), src: fc.oneof(fc.constantFrom(0, 1, 8), fc.constantFrom(...SOURCES)) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('mask' as const), bits: bitsArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unmask' as const), bits: bitsArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('ack' as const), bits: fc.oneof(fc.constant(ALL), bitsArb) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('autoClear' as const), bits: bitsArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('step' as const), n: fc.integer({ min: 1, max: 4 }) }) },
);

export const hostDoorbells = defineProperty({
  id: 'pcie.doorbell.host',
  claim: 'every rung host source is delivered exactly once per pending→delivered transition; none while masked; masked ones on unmask',
  source: 'facts §1.3, §1.5',
  level: 'component',
  requires: ['sim', 'memory', 'pcie'],
  runs: 300,
  build: (impl) =>
    fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), interleaving(80), fc.boolean(), (ops, choices, startEnabled) => {
      const scheduler = impl.sim!.createScheduler({ choices: choicesFrom(choices), trace: false });
      const platform = impl.pcie!.createPlatform({ scheduler, cardMemoryBytes: 2 ** 20 });
      const card = platform.cards[0]!;
      // the model, one record per source bit
      const enabled = new Map<number, boolean>();
      const pending = new Map<number, boolean>();
      const delivered = new Map<number, boolean>();
      const auto = new Map<number, boolean>();
      const transitions = new Map<number, number>();
      const deliveries = new Map<number, number>();
      for (const b of SOURCES) {
        enabled.set(b, startEnabled);
        pending.set(b, false);
        delivered.set(b, false);
        auto.set(b, false);
        transitions.set(b, 0);
        deliveries.set(b, 0);
      }
      const each = (bits: number, f: (b: number) => void): void => SOURCES.filter((b) => ((bits >>> b) & 1) === 1).forEach(f);
      let failure: string | undefined;
      card.onHostInterrupt((bits) => {
        if (bits === 0 || (bits & ~ALL) !== 0) failure ??= `handler called with bits 0x${bits.toString(16)}`;
        each(bits, (b) => {
          if (!enabled.get(b)) failure ??= `source ${b} delivered while masked`;
          if (!pending.get(b)) failure ??= `source ${b} delivered but was never rung (or already acked)`;
          if (delivered.get(b)) failure ??= `source ${b} delivered twice before its ack`;
          delivered.set(b, true);
          deliveries.set(b, deliveries.get(b)! + 1);
          if (auto.get(b)) {
            pending.set(b, false);
            delivered.set(b, false);
          }
        });
      });
      if (startEnabled) card.regs.write32(BAR4.SICE0, ALL);
      const ring = (b: number): void => {
        if (!pending.get(b)) transitions.set(b, transitions.get(b)! + 1);
        pending.set(b, true);
        if (b < 4) card.cardView.write32(CARD_MMIO_BASE + BAR4.SDBIC(b), SDBIC_DBREQ);
        else card.raiseHostSource(b);
      };
      for (const o of ops) {
        switch (o.op) {
          case 'ring':
            ring(o.src);
            break;
          case 'mask':
            each(o.bits, (b) => enabled.set(b, false));
            card.regs.write32(BAR4.SICC0, o.bits);
            break;
          case 'unmask':
            each(o.bits, (b) => enabled.set(b, true));
            card.regs.write32(BAR4.SICE0, o.bits);
            break;
          case 'ack': {
            // the host acks only what it was handed (facts §1.3: read SICR0, write the same back)
            let seen = 0;
            each(o.bits, (b) => {
              if (delivered.get(b)) {
                seen |= 1 << b;
                pending.set(b, false);
                delivered.set(b, false);
              }
            });
            if (seen !== 0) card.regs.write32(BAR4.SICR0, seen >>> 0);
            break;
          }
          case 'autoClear':
            // SIAC0 is a plain mask register; the auto-clear happens at the next delivery
            each(ALL, (b) => auto.set(b, ((o.bits >>> b) & 1) === 1));
            card.regs.write32(BAR4.SIAC0, o.bits);
            break;
          case 'step':
            for (let i = 0; i < o.n; i++) scheduler.step();
            break;
        }
        if (failure) throw new Error(failure);
      }
      // quiesce: unmask everything; every transition must now have been delivered exactly once
      each(ALL, (b) => enabled.set(b, true));
      card.regs.write32(BAR4.SICE0, ALL);
      scheduler.runUntilIdle(10_000);
      if (failure) throw new Error(failure);
      for (const b of SOURCES) {
        if (deliveries.get(b) !== transitions.get(b)) {
          throw new Error(`source ${b}: ${transitions.get(b)} pending transitions but ${deliveries.get(b)} deliveries`);
        }
      }
      return true;
    }),
});
