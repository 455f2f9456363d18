/**
 * Claim: driven by random command sequences on one channel (legal ones chosen by the machine's
 *   snapshot.can(), illegal ones — wrong state or wrong side — tried too), the channel observed
 *   through its registers (DCR enable bit, DHPR/DTPR, DCHERR) always equals the dma-channel
 *   machine's state, the outstanding descriptor count equals the machine's `pending`, legal commands
 *   succeed, and illegal ones are refused without changing the channel; in particular a released
 *   channel is not changed by anything still queued from before its teardown.
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

/** one command: which event to send, picked among the legal ones (or, sometimes, the illegal ones) */
interface Cmd {
  readonly pick: number;
  readonly illegal: boolean;
  readonly side: 'own' | 'other';
  readonly shape: SubmitShape;
}

const cmdArb: fc.Arbitrary<Cmd> = fc.record({
  pick: fc.nat({ max: 1000 }),
  illegal: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  side: fc.oneof({ weight: 3, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constant('other' as const) }),
  shape: shapeArb,
});

const TYPES = ['REQUEST', 'SUBMIT', 'STEP', 'FAULT', 'RELEASE', 'POLL', 'REINIT'] as const;

function eventOf(type: (typeof TYPES)[number], side: DmaSide, ch: number, shape: SubmitShape): DmaChannelEvent {
  switch (type) {
    case 'STEP':
    case 'FAULT':
      return { type };
    case 'SUBMIT':
      return { type, side, descriptors: descriptorsOf(ch, shape) };
    default:
      return { type, side };
  }
}

export const channelConformance = defineProperty({
  id: 'dma.channel.conformance',
  claim: 'after every command the register-observed channel state equals the dma-channel machine',
  source: 'model/machines/dma-channel.ts; facts §7.1, §7.3, §7.5; DESIGN.md §6',
  level: 'conformance',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 150,
  build: (impl) =>
    fc.property(fc.nat({ max: 7 }), fc.array(cmdArb, { minLength: 5, maxLength: 50 }), interleaving(100), (ch, cmds, choices) => {
      const rig = makeRig(buildWorld(impl, choices, CONF_RING), ch);
      const owner = rig.actor.getSnapshot().context.owner;
      for (const c of cmds) {
        const side: DmaSide = c.side === 'own' ? owner : owner === 'host' ? 'card' : 'host';
        const all = TYPES.map((t) => eventOf(t, side, ch, c.shape));
        const snap = rig.actor.getSnapshot();
        const legal = all.filter((e) => snap.can(e));
        const pool = c.illegal || legal.length === 0 ? all.filter((e) => !snap.can(e)) : legal;
        const ev = pool[c.pick % pool.length]!;
        // a released channel must stay as the teardown left it whatever is still queued (engine
        // steps, interrupt deliveries from before the teardown; facts §7.3): before it is requested
        // again, let the hardware run on it (a refused STEP). `pick` chose nothing for this legal
        // REQUEST (the only legal event of `disabled`), so its parity decides; it shrinks to "probe".
        if (ev.type === 'REQUEST' && String(snap.value) === 'disabled' && snap.can(ev) && c.pick % 2 === 0) apply(rig, { type: 'STEP' });
        apply(rig, ev, ev.type === 'SUBMIT' ? c.shape : undefined);
      }
      return true;
    }),
});

