/**
 * Claim: every transition of the card-state machine that is reachable (source state × event ×
 *   guarded branch, found by a breadth-first walk of the machine) and every transition of the
 *   card-side machine, each reached by its shortest path, replays on a fresh system with the same
 *   results, states, shutdown status, attributes and card side as the machine at every step.
 *   Coverage (reached / defined) is reported on stderr once per process.
 * Source: model/machines/card-state.ts, model/machines/card-side.ts; facts §3, §4.1, §4.2;
 *   DESIGN.md §6 "Exhaustive".
 * Level: exhaustive
 */
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { MicSystem } from '../../model/contract.ts';
import { cardStateMachine, type CardStateEvent } from '../../model/machines/card-state.ts';
import { cardSideMachine, CARD_SIDE_STATES, type CardSideEvent } from '../../model/machines/card-side.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAD_FILES, firmwareFiles, FIRMWARE_NAME } from '../../fixtures/images/card-os.ts';
import { cardStatePaths, transitionCover, type TransitionPath } from './paths.ts';
import { CARD_MEMORY, conformStep } from './conformance.prop.ts';
import type { Op } from './ops.ts';

const reported = new Set<string>();
function report(name: string, text: string): void {
  if (reported.has(name)) return;
  reported.add(name);
  process.stderr.write(`[lifecycle.exhaustive] ${name}: ${text}\n`);
}

/** the op that issues a machine event on a system */
export function eventOp(e: CardStateEvent): Op {
  switch (e.type) {
    case 'state.boot':
    case 'state.reset':
    case 'state.shutdown':
    case 'state.suspend':
      return { kind: 'state', value: e.type.slice('state.'.length) };
    case 'state.invalid':
      return { kind: 'state', value: 'bogus' };
    case 'attr.cmdline':
    case 'attr.firmware':
    case 'attr.ramdisk':
    case 'attr.bootmode':
      return { kind: 'attr', name: e.type.slice('attr.'.length) as 'cmdline', value: e.value };
    case 'attr.readonly':
      return { kind: 'readonly', name: 'family', value: 'x' };
    case 'attr.unknown':
      return { kind: 'unknown', name: 'nosuch', value: '1' };
    case 'pm.suspend':
      return { kind: 'pmSuspend' };
    case 'pm.resume':
      return { kind: 'pmResume' };
    case 'time.passes':
      return { kind: 'time' };
    case 'card.halt':
    case 'card.poweroff':
    case 'card.restart':
    case 'card.panic':
      return { kind: 'card', what: e.type.slice('card.'.length) as 'halt' };
    case 'fault.badImage':
      return { kind: 'corrupt', how: 'checksum' };
    case 'fault.resetHang':
      return { kind: 'resetHang' };
  }
}

let statePathsMemo: { paths: TransitionPath<CardStateEvent>[]; vertices: number } | undefined;

export const exhaustiveCardState = defineProperty({
  id: 'lifecycle.exhaustive.cardState',
  claim: 'every reachable transition of the card-state machine, by its shortest path, replays on the system',
  source: 'model/machines/card-state.ts; facts §3, §4.1, §4.2, §4.5',
  level: 'exhaustive',
  requires: ['system'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(40), (choices) => {
      const files = firmwareFiles();
      const input = { files: Object.keys(files), badFiles: BAD_FILES };
      statePathsMemo ??= cardStatePaths(input);
      const { paths, vertices } = statePathsMemo;
      const states = new Set<string>();
      for (const p of paths) {
        const sys = impl.system!.createSystem({ choices: choicesFrom(choices), firmware: files, cardMemoryBytes: CARD_MEMORY, trace: false });
        const actor = createActor(cardStateMachine, { input }).start();
        try {
          for (const e of p.events) {
            conformStep(sys, actor, eventOp(e), files[FIRMWARE_NAME]!.length);
            states.add(String(actor.getSnapshot().value));
          }
        } catch (err) {
          throw new Error(`path for ${p.id} [${p.events.map((e) => e.type).join(', ')}]: ${(err as Error).message}`);
        }
      }
      const all = Object.keys(cardStateMachine.root.states);
      report('card-state', `${states.size}/${all.length} states, ${paths.length} reachable transitions (source × event × branch) over ${vertices} abstract snapshots, all replayed`);
      if (states.size !== all.length) throw new Error(`states never reached: ${all.filter((s) => !states.has(s)).join(', ')}`);
    }),
});

// ---- card side ------------------------------------------------------------------------------------

type SideSnap = SnapshotFrom<typeof cardSideMachine>;
const SIDE_EVENTS: readonly CardSideEvent[] = [
  { type: 'hw.reset' }, { type: 'hw.resetDone' }, { type: 'bootstrap.interrupt', image: 'good' }, { type: 'bootstrap.interrupt', image: 'bad' },
  { type: 'os.shutdownRequest' }, { type: 'os.halt' }, { type: 'os.poweroff' }, { type: 'os.restart' }, { type: 'os.shutdownDone' }, { type: 'os.panic' },
];
const sideEventName = (e: CardSideEvent): string => (e.type === 'bootstrap.interrupt' ? `${e.type}(${e.image})` : e.type);

/** every defined transition of the card-side machine as "source event" (root-level hw.reset counts once per state) */
function definedSideTransitions(): string[] {
  const out: string[] = [];
  for (const s of CARD_SIDE_STATES) {
    const [init] = initialTransition(cardSideMachine);
    const snap = cardSideMachine.resolveState({ value: s, context: init.context });
    for (const e of SIDE_EVENTS) if (snap.can(e)) out.push(`${s} ${sideEventName(e)}`);
  }
  return out;
}

const RUN_LIMIT = { maxSteps: 200_000, maxTimeNs: 200e9 };

/** drives the system so that the card side takes event `e` (lookahead: the next event) */
function driveSide(sys: MicSystem, from: string, e: CardSideEvent, next: CardSideEvent | undefined, target: string): void {
  const side = (): string => sys.observe.cardSide(0);
  const until = (): boolean => sys.scheduler.runUntil(() => side() === target, RUN_LIMIT);
  const hangNext = next?.type === 'hw.reset';
  switch (e.type) {
    case 'hw.reset':
      if (from === 'bootstrap_ready') {
        // a ready bootstrap belongs to an offline card; only a forced path resets it: PM suspend, then reset
        sys.pmSuspend();
        sys.settle();
      } else if (from === 'in_reset') sys.settle();
      if (hangNext) sys.resetNeverCompletes(0);
      sys.writeAttr(0, 'state', 'reset');
      until();
      return;
    case 'hw.resetDone':
      until();
      return;
    case 'bootstrap.interrupt':
      if (sys.observe.state(0) === 'suspended') {
        sys.pmResume();
        sys.settle();
      }
      if (e.image === 'bad') sys.corruptImage(0, 'checksum');
      sys.writeAttr(0, 'state', 'boot');
      until();
      return;
    case 'os.shutdownRequest':
      sys.writeAttr(0, 'state', 'shutdown');
      until();
      return;
    case 'os.halt':
      sys.cardHalt(0);
      return;
    case 'os.poweroff':
      sys.cardPoweroff(0);
      return;
    case 'os.restart':
      sys.cardRestart(0);
      return;
    case 'os.shutdownDone':
      until();
      return;
    case 'os.panic':
      sys.cardPanic(0);
      return;
  }
}

export const exhaustiveCardSide = defineProperty({
  id: 'lifecycle.exhaustive.cardSide',
  claim: 'every transition of the card-side machine, by its shortest path from a ready bootstrap, is observed on the card when driven through the system',
  source: 'model/machines/card-side.ts; facts §3.1–3.3, §4.1',
  level: 'exhaustive',
  requires: ['system'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(40), (choices) => {
      const [init0] = initialTransition(cardSideMachine);
      // the system starts settled: the power-on reset is done
      const init = transition(cardSideMachine, init0, { type: 'hw.resetDone' })[0];
      const { paths } = transitionCover<SideSnap, CardSideEvent>(
        init,
        SIDE_EVENTS,
        (s, e) => transition(cardSideMachine, s, e)[0],
        (s) => JSON.stringify([s.value, s.context]),
        (from, e) => `${String(from.value)} ${sideEventName(e)}`,
      );
      const reached = new Set<string>(['in_reset hw.resetDone']);
      for (const p of paths) {
        const sys = impl.system!.createSystem({ choices: choicesFrom(choices), firmware: firmwareFiles(), cardMemoryBytes: CARD_MEMORY, trace: false });
        let snap = init;
        p.events.forEach((e, i) => {
          const to = transition(cardSideMachine, snap, e)[0];
          driveSide(sys, String(snap.value), e, p.events[i + 1], String(to.value));
          const got = sys.observe.cardSide(0);
          if (got !== to.value) throw new Error(`path for ${p.id} [${p.events.map(sideEventName).join(', ')}]: after ${sideEventName(e)} the card is ${got}, machine says ${String(to.value)}`);
          reached.add(`${String(snap.value)} ${sideEventName(e)}`);
          snap = to;
        });
      }
      const defined = definedSideTransitions();
      const missing = defined.filter((t) => !reached.has(t));
      report('card-side', `${defined.length - missing.length}/${defined.length} transitions replayed${missing.length ? `; not reached: ${missing.join('; ')}` : ''}`);
      if (missing.length > 0) throw new Error(`card-side transitions never replayed: ${missing.join('; ')}`);
    }),
});
