/**
 * Machine coverage for the verify report: the exhaustive properties note the states and declared
 * transitions (names from properties/lifecycle/paths.ts `declaredTransitions`, or the property's own
 * when it names them another way) their replayed paths reached; the report gives, per XState machine
 * of model/machines, [reached, total] for both. Machines no property of the run reached show 0.
 */
import type { AnyStateMachine } from 'xstate';
import { cardSideMachine } from '../../model/machines/card-side.ts';
import { cardStateMachine } from '../../model/machines/card-state.ts';
import { daemonBootMachine } from '../../model/machines/daemon-boot.ts';
import { dmaChannelMachine } from '../../model/machines/dma-channel.ts';
import { virtioStatusMachine } from '../../model/machines/virtio-status.ts';
import { vopDeviceMachine } from '../../model/machines/vop-device.ts';
import { declaredTransitions } from '../lifecycle/paths.ts';

/** every machine of model/machines, by its XState id */
export const MACHINES: readonly AnyStateMachine[] = [cardStateMachine, cardSideMachine, daemonBootMachine, dmaChannelMachine, virtioStatusMachine, vopDeviceMachine];

export interface MachineCoverage {
  /** [reached, total] */
  readonly states: readonly [number, number];
  readonly transitions: readonly [number, number];
  /** the names reached, sorted (the HTML report marks them on the machine's diagram) */
  readonly reached?: { readonly states: readonly string[]; readonly transitions: readonly string[] };
}

interface Tally {
  readonly states: Set<string>;
  readonly transitions: Set<string>;
  statesTotal: number;
  transitionsTotal: number;
}

const tallies = new Map<string, Tally>();

/**
 * Notes what a property's run reached of `machine`: state names and transition names (each counted
 * once per process, so repeated runs and shrinking add nothing new). `totals` overrides the counts
 * the machine declares when the property names its transitions differently.
 */
export function noteCoverage(
  machine: AnyStateMachine,
  reached: { readonly states: Iterable<string>; readonly transitions: Iterable<string> },
  totals?: { readonly states?: number; readonly transitions?: number },
): void {
  let t = tallies.get(machine.id);
  if (t === undefined) {
    const d = declared(machine);
    t = { states: new Set(), transitions: new Set(), statesTotal: d.states, transitionsTotal: d.transitions };
    tallies.set(machine.id, t);
  }
  for (const s of reached.states) t.states.add(s);
  for (const x of reached.transitions) t.transitions.add(x);
  if (totals?.states !== undefined) t.statesTotal = totals.states;
  if (totals?.transitions !== undefined) t.transitionsTotal = totals.transitions;
}

const declaredMemo = new Map<string, { states: number; transitions: number }>();
function declared(machine: AnyStateMachine): { states: number; transitions: number } {
  let d = declaredMemo.get(machine.id);
  if (d === undefined) {
    d = { states: Object.keys(machine.root.states).length, transitions: declaredTransitions(machine).length };
    declaredMemo.set(machine.id, d);
  }
  return d;
}

/** a snapshot of the tallies so far, per machine id, every machine of model/machines included */
export function coverageSnapshot(): Record<string, MachineCoverage> {
  const out: Record<string, MachineCoverage> = {};
  for (const m of MACHINES) {
    const t = tallies.get(m.id);
    const d = declared(m);
    out[m.id] = t === undefined
      ? { states: [0, d.states], transitions: [0, d.transitions] }
      : {
          states: [Math.min(t.states.size, t.statesTotal), t.statesTotal],
          transitions: [Math.min(t.transitions.size, t.transitionsTotal), t.transitionsTotal],
          reached: { states: [...t.states].sort(), transitions: [...t.transitions].sort() },
        };
  }
  return out;
}

/** forgets every tally (tests) */
export function resetCoverage(): void {
  tallies.clear();
}
