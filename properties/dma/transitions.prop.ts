/**
 * Claim: every transition of the dma-channel machine is exercised on every run: xstate/graph's
 *   shortest paths reach every (bounded) machine state, each path is extended by every event the
 *   machine accepts there and by the refused ones, and each extended path is replayed on a fresh
 *   system on every channel side (host channel and card channel) with conformance checked after
 *   each event; the transitions taken must cover every transition declared in the machine.
 * Source: model/machines/dma-channel.ts; DESIGN.md §6 "Exhaustive".
 * Level: exhaustive
 */
import fc from 'fast-check';
import { getShortestPaths } from 'xstate/graph';
import type { DmaSide } from '../../model/contract.ts';
import { DMA_PREP_INTERRUPT } from '../../model/constants/dma.ts';
import { dmaChannelMachine, type DmaChannelEvent } from '../../model/machines/dma-channel.ts';
import { defineProperty } from '../harness.ts';
import { noteCoverage } from '../report/coverage.ts';
import { CONF_RING, apply, descriptorsOf, makeRig, type SubmitShape } from './channelDriver.ts';
import { buildWorld } from './world.ts';

/** one SUBMIT shape per descriptor count used by the traversal */
const SHAPES: Record<number, SubmitShape> = {
  1: { kind: 'copy', len: 4096, flags: 0 },
  3: { kind: 'copy', len: 128, flags: DMA_PREP_INTERRUPT },
};

function eventsFor(owner: DmaSide): DmaChannelEvent[] {
  const evs: DmaChannelEvent[] = [{ type: 'STEP' }, { type: 'FAULT' }];
  for (const side of ['host', 'card'] as const) {
    evs.push({ type: 'REQUEST', side }, { type: 'RELEASE', side }, { type: 'POLL', side }, { type: 'REINIT', side });
    evs.push({ type: 'SUBMIT', side, descriptors: 1 });
    if (side === owner) evs.push({ type: 'SUBMIT', side, descriptors: 3 });
  }
  return evs;
}

/** "from:EVENT:to" for every transition declared in the machine config */
export function declaredTransitions(): Set<string> {
  const out = new Set<string>();
  for (const [name, node] of Object.entries(dmaChannelMachine.root.states)) {
    for (const [type, defs] of node.transitions) {
      for (const d of defs) {
        const to = d.target?.[0]?.key ?? name;
        out.add(`${name}:${type}:${to}`);
      }
    }
  }
  return out;
}

export const channelTransitions = defineProperty({
  id: 'dma.channel.allTransitions',
  claim: 'every dma-channel machine transition, replayed from shortest paths on the system, conforms',
  source: 'model/machines/dma-channel.ts; DESIGN.md §6',
  level: 'exhaustive',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 1,
  build: (impl) =>
    fc.property(fc.constant(null), () => {
      const declared = declaredTransitions();
      for (const ch of [0, 6]) {
        const owner: DmaSide = ch < 4 ? 'host' : 'card';
        const events = eventsFor(owner);
        const paths = getShortestPaths(dmaChannelMachine, {
          input: { channel: ch },
          events: (s) => (s.context.pending >= 3 ? events.filter((e) => e.type !== 'SUBMIT') : events),
        });
        const taken = new Set<string>();
        for (const p of paths) {
          for (const extra of events) {
            const rig = makeRig(buildWorld(impl, [], CONF_RING), ch);
            for (const step of p.steps) if ((step.event.type as string) !== 'xstate.init') apply(rig, step.event as DmaChannelEvent, shapeOf(ch, step.event as DmaChannelEvent));
            apply(rig, extra, shapeOf(ch, extra));
            for (const t of rig.taken) taken.add(t);
          }
        }
        // "from:EVENT:to": the states are both ends of the transitions taken
        const states = [...taken].flatMap((t) => [t.split(':')[0]!, t.split(':')[2]!]);
        noteCoverage(dmaChannelMachine, { states, transitions: [...taken].filter((t) => declared.has(t)) }, { transitions: declared.size });
        const missing = [...declared].filter((t) => !taken.has(t));
        if (missing.length > 0) throw new Error(`channel ${ch}: transitions never exercised: ${missing.join(', ')}`);
      }
      return true;
    }),
});

function shapeOf(ch: number, ev: DmaChannelEvent): SubmitShape | undefined {
  if (ev.type !== 'SUBMIT') return undefined;
  const s = SHAPES[ev.descriptors];
  if (s === undefined || descriptorsOf(ch, s) !== ev.descriptors) throw new Error(`no submit shape of ${ev.descriptors} descriptors`);
  return s;
}

