/**
 * Claim: driven by random command sequences on one channel (legal ones chosen by the machine's
 *   snapshot.can(), illegal ones — wrong state or wrong side — tried too), the channel observed
 *   through its registers (DCR enable bit, DHPR/DTPR, DCHERR) always equals the dma-channel
 *   machine's state, the outstanding descriptor count equals the machine's `pending`, legal commands
 *   succeed, and illegal ones are refused without changing the channel.
 * Source: model/machines/dma-channel.ts; facts §7.3 (setup, teardown), §7.5 (submit, issue), §7.1
 *   (ownership); DESIGN.md §6 "Conformance".
 * Level: conformance
 */
import fc from 'fast-check';
import type { DmaSide } from '../../model/contract.ts';
import { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, MIC_DMA_MAX_XFER_HOST } from '../../model/constants/dma.ts';
import type { DmaChannelEvent } from '../../model/machines/dma-channel.ts';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { CONF_RING, apply, descriptorsOf, makeRig, type SubmitShape } from './channelDriver.ts';
import { buildWorld } from './world.ts';

const shapeArb: fc.Arbitrary<SubmitShape> = fc.record({
  kind: fc.constantFrom('copy' as const, 'copy' as const, 'status' as const),
  len: fc.oneof(fc.integer({ min: 1, max: 64 }).map((k) => k * 64), fc.constant(MIC_DMA_MAX_XFER_HOST + 64)),
  flags: fc.constantFrom(0, DMA_PREP_FENCE, DMA_PREP_INTERRUPT, DMA_PREP_FENCE | DMA_PREP_INTERRUPT),
});

type Cmd = { ev: Omit<DmaChannelEvent, 'side'> & { type: DmaChannelEvent['type'] }; ownSide: boolean; shape?: SubmitShape };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ ev: fc.constant({ type: 'REQUEST' as const }), ownSide: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ ev: fc.constant({ type: 'SUBMIT' as const }), ownSide: fc.boolean(), shape: shapeArb }) },
  { weight: 6, arbitrary: fc.record({ ev: fc.constant({ type: 'STEP' as const }), ownSide: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ ev: fc.constant({ type: 'FAULT' as const }), ownSide: fc.constant(true) }) },
  { weight: 2, arbitrary: fc.record({ ev: fc.constant({ type: 'RELEASE' as const }), ownSide: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ ev: fc.constant({ type: 'POLL' as const }), ownSide: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ ev: fc.constant({ type: 'REINIT' as const }), ownSide: fc.boolean() }) },
);

export const channelConformance = defineProperty({
  id: 'dma.channel.conformance',
  claim: 'after every command the register-observed channel state equals the dma-channel machine',
  source: 'model/machines/dma-channel.ts; facts §7.1, §7.3, §7.5; DESIGN.md §6',
  level: 'conformance',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 40,
  build: (impl) =>
    fc.property(fc.nat({ max: 7 }), fc.array(cmdArb, { minLength: 1, maxLength: 40 }), interleaving(100), (ch, cmds, choices) => {
      const rig = makeRig(buildWorld(impl, choices, CONF_RING), ch);
      const owner = rig.actor.getSnapshot().context.owner;
      for (const c of cmds) {
        const side: DmaSide = c.ownSide ? owner : owner === 'host' ? 'card' : 'host';
        let ev: DmaChannelEvent;
        switch (c.ev.type) {
          case 'STEP':
          case 'FAULT':
            ev = { type: c.ev.type };
            break;
          case 'SUBMIT':
            ev = { type: 'SUBMIT', side, descriptors: descriptorsOf(ch, c.shape!) };
            break;
          default:
            ev = { type: c.ev.type, side } as DmaChannelEvent;
        }
        apply(rig, ev, c.shape);
      }
      return true;
    }),
});

