/**
 * Claim: host→card doorbells (APICICR0..7 with the send bit, RDMASR17..24 for doorbells 8..15) and
 *   card DMA irqs reach the card's irq handler as irq 26+db (resp. the channel number) exactly once
 *   per raise of a not-yet-requested irq; raising a still-requested irq coalesces; nothing is
 *   delivered that was not raised; requests made before the card registers its handler wait for it.
 * Source: facts §1.4 (send_intr), §1.5 (card irq numbering); issue 2 item 4.
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { APICICR_SEND, BAR4 } from '../../model/layout/sbox.ts';
import { CARD_DOORBELL_IRQ_BASE, RDMASR_DOORBELL_INDEX_BASE } from '../../model/constants/pcie.ts';

type Op =
  | { op: 'doorbell'; db: number; extra: number }
  | { op: 'dma'; channel: number }
  | { op: 'subscribe' }
  | { op: 'step'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('doorbell' as const), db: fc.oneof(fc.integer({ min: 6, max: 9 }), fc.integer({ min: 0, max: 15 })), extra: fc.nat({ max: 0xff }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dma' as const), channel: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('subscribe' as const)}) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('step' as const), n: fc.integer({ min: 1, max: 4 }) }) },
);

export const cardIrqs = defineProperty({
  id: 'pcie.doorbell.card',
  claim: 'host→card doorbells and card DMA irqs are delivered as the right irq, exactly once per raise of a non-requested irq',
  source: 'facts §1.4, §1.5',
  level: 'component',
  requires: ['sim', 'memory', 'pcie'],
  runs: 300,
  build: (impl) =>
    fc.property(fc.array(opArb, { maxLength: 60, size: 'max' }), interleaving(80), fc.boolean(), (ops, choices, lateSubscribe) => {
      const scheduler = impl.sim!.createScheduler({ choices: choicesFrom(choices), trace: false });
      const platform = impl.pcie!.createPlatform({ scheduler, cardMemoryBytes: 2 ** 20 });
      const card = platform.cards[0]!;
      const requested = new Map<number, boolean>();
      const raises = new Map<number, number>();
      const deliveries = new Map<number, number>();
      let failure: string | undefined;
      let subscribed = false;
      const subscribe = (): void => {
        if (subscribed) return;
        subscribed = true;
        card.onCardIrq((irq) => {
          if (!requested.get(irq)) failure ??= `irq ${irq} delivered but not requested`;
          requested.set(irq, false);
          deliveries.set(irq, (deliveries.get(irq) ?? 0) + 1);
        });
      };
      const expect = (irq: number): void => {
        if (!requested.get(irq)) raises.set(irq, (raises.get(irq) ?? 0) + 1);
        requested.set(irq, true);
      };
      if (!lateSubscribe) subscribe();
      for (const o of ops) {
        switch (o.op) {
          case 'doorbell':
            expect(CARD_DOORBELL_IRQ_BASE + o.db);
            if (o.db < 8) {
              // send_intr: read APICICR, set bit 13, write back (vector bits ride along)
              const off = BAR4.APICICR(o.db);
              card.regs.write32(off, ((card.regs.read32(off) as number) & ~0xff) | o.extra | APICICR_SEND);
            } else {
              card.regs.write32(BAR4.RDMASR(o.db - 8 + RDMASR_DOORBELL_INDEX_BASE), 0);
            }
            break;
          case 'dma':
            expect(o.channel);
            card.raiseCardIrq(o.channel);
            break;
          case 'subscribe':
            subscribe();
            break;
          case 'step':
            for (let i = 0; i < o.n; i++) scheduler.step();
            break;
        }
        if (failure) throw new Error(failure);
      }
      subscribe();
      scheduler.runUntilIdle(10_000);
      if (failure) throw new Error(failure);
      for (const [irq, n] of raises) {
        if ((deliveries.get(irq) ?? 0) !== n) throw new Error(`irq ${irq}: ${n} raises of a non-requested irq, ${deliveries.get(irq) ?? 0} deliveries`);
      }
      for (const [irq, n] of deliveries) if (!raises.has(irq)) throw new Error(`irq ${irq} delivered ${n}× but never raised`);
      return true;
    }),
});
