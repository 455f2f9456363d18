/**
 * Claim: every declared transition of the card-state machine and of the card-side machine that any
 *   system can take is exercised on every run: xstate/graph's `getShortestPaths` reaches every
 *   abstract snapshot (state value + the context the guards read), each path is extended by every
 *   event, and the shortest path per transition (and, for card-state, per outcome) is replayed on a
 *   fresh system; after every step the system's state, result, shutdown status, attributes and card
 *   side equal the machine's, and the machine is in the path's abstract snapshot. Coverage (states and
 *   declared transitions reached / declared) is reported on stderr once per process; a declared
 *   transition the paths do not reach fails the property unless it is listed below with the reason.
 * Source: model/machines/card-state.ts, model/machines/card-side.ts; facts §3, §4.1, §4.2;
 *   DESIGN.md §6 "Exhaustive".
 * Level: exhaustive
 */
import fc from 'fast-check';
import { createActor, initialTransition, transition } from 'xstate';
import type { MicSystem } from '../../model/contract.ts';
import { cardStateMachine, type CardStateEvent } from '../../model/machines/card-state.ts';
import { cardSideMachine, type CardSideEvent } from '../../model/machines/card-side.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAD_FILES, firmwareFiles, FIRMWARE_NAME } from '../../fixtures/images/card-os.ts';
import { cardStateCover, cardStateKey, declaredTransitions, shortestCover, simplePaths, takenTransition, type Cover, type CoverPath } from './paths.ts';
import { CARD_MEMORY, conformStep } from './conformance.prop.ts';
import { coverage, report } from './coverage.ts';
import { noteCoverage } from '../report/coverage.ts';
import { eventOp } from './event-ops.ts';

/**
 * Declared card-state transitions no system can take, and why. Both hinge on a bootstrap that is not
 * ready while the card is offline or suspended with the host asleep: every way into those passes a
 * completed reset (a stop, the forced stop when the PM wait expires, or an offline card's suspend),
 * and nothing in the system contract makes the card lose readiness afterwards. The driver has these
 * branches for a card that lost power while the host slept (facts §3.2, §4.2), which a real host can
 * meet, so the machine keeps them.
 */
export const CARD_STATE_UNREACHABLE: Readonly<Record<string, string>> = {
  'offline: state.boot [offline#0 bootResetFails → reset_failed]':
    'boot resets first only when the bootstrap is not ready (facts §3.2); offline is only entered after a completed reset, and no contract event makes an offline card lose readiness',
  'suspended: pm.resume [suspended#0 asleepNotReadyHang → offline]':
    'post-suspend forces a stop only when the bootstrap is not ready (facts §4.2); a suspended card with the host asleep has always completed a reset, and no contract event loses its readiness during the sleep',
  'suspended: pm.resume [suspended#1 asleepNotReady → offline]':
    'as above: needs a suspended card whose bootstrap is not ready while the host is asleep',
};

const cardStateInput = () => ({ files: Object.keys(firmwareFiles()), badFiles: BAD_FILES });
let cardStateMemo: Cover<CardStateEvent> | undefined;
/** the card-state paths, generated once per process */
export function cardStatePaths(): Cover<CardStateEvent> {
  return (cardStateMemo ??= cardStateCover(initialTransition(cardStateMachine, cardStateInput())[0]));
}

export const exhaustiveCardState = defineProperty({
  id: 'lifecycle.exhaustive.cardState',
  claim: 'every reachable declared transition and outcome of the card-state machine, by its xstate/graph shortest path, replays on the system',
  source: 'model/machines/card-state.ts; facts §3, §4.1, §4.2, §4.5',
  level: 'exhaustive',
  requires: ['system'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(40), (choices) => {
      const files = firmwareFiles();
      const input = cardStateInput();
      const { paths, vertices, ms } = cardStatePaths();
      const states = new Set<string>([String(initialTransition(cardStateMachine, input)[0].value)]);
      const reached = new Set<string>();
      for (const p of paths) {
        const sys = impl.system!.createSystem({ choices: choicesFrom(choices), firmware: files, cardMemoryBytes: CARD_MEMORY, trace: false });
        const actor = createActor(cardStateMachine, { input }).start();
        try {
          p.events.forEach((e, i) => {
            const from = actor.getSnapshot();
            const t = takenTransition(cardStateMachine, from, e);
            conformStep(sys, actor, eventOp(e), files[FIRMWARE_NAME]!.length);
            const at = actor.getSnapshot();
            if (cardStateKey(at) !== p.keys[i]) throw new Error(`after ${e.type} the machine is in ${cardStateKey(at)}, the path says ${p.keys[i]}`);
            const pathState = (JSON.parse(p.keys[i]!) as unknown[])[0];
            if (sys.observe.state(0) !== pathState) throw new Error(`after ${e.type} the system is ${sys.observe.state(0)}, the path says ${p.keys[i]}`);
            if (t !== undefined) reached.add(t);
            states.add(String(at.value));
          });
        } catch (err) {
          throw new Error(`path for ${p.id} [${p.events.map((e) => ('value' in e ? `${e.type}=${JSON.stringify(e.value)}` : e.type)).join(', ')}]: ${(err as Error).message}`);
        }
      }
      noteCoverage(cardStateMachine, { states, transitions: reached });
      const all = Object.keys(cardStateMachine.root.states);
      if (states.size !== all.length) throw new Error(`states never reached: ${all.filter((s) => !states.has(s)).join(', ')}`);
      const cov = coverage(declaredTransitions(cardStateMachine), reached, CARD_STATE_UNREACHABLE);
      const outcomes = new Set(paths.map((p) => p.id)).size;
      report(
        'card-state',
        `${states.size}/${all.length} states, ${cov.figure}; ${outcomes} transition outcomes by ${paths.length} xstate/graph shortest paths over ${vertices} abstract snapshots (traversal ${ms.toFixed(0)} ms), all replayed${cov.unreachableLines}`,
      );
    }),
});

// ---- card side ------------------------------------------------------------------------------------

type SideSnap = ReturnType<typeof cardSideMachine.transition>;
/** every card-side event, the bootstrap interrupt once per image verdict */
const SIDE_EVENTS: readonly CardSideEvent[] = [
  { type: 'hw.reset' }, { type: 'hw.resetDone' }, { type: 'bootstrap.interrupt', image: 'good' }, { type: 'bootstrap.interrupt', image: 'bad' },
  { type: 'os.shutdownRequest' }, { type: 'os.halt' }, { type: 'os.poweroff' }, { type: 'os.restart' }, { type: 'os.shutdownDone' }, { type: 'os.panic' },
];
const sideEventName = (e: CardSideEvent): string => (e.type === 'bootstrap.interrupt' ? `${e.type}(${e.image})` : e.type);

interface SidePaths {
  cover: Cover<CardSideEvent>;
  /** every simple path: the card side is small enough to walk each loop-free route once */
  simple: CoverPath<CardSideEvent>[];
  init: SideSnap;
}
let sideMemo: SidePaths | undefined;
// no guard reads `reported`: the state value is the whole abstract snapshot
const sideKey = (s: SideSnap): string => JSON.stringify(s.value);

/** the card-side paths from a settled system (the power-on reset is done), generated once per process */
export function cardSidePaths(): SidePaths {
  if (sideMemo !== undefined) return sideMemo;
  const t0 = performance.now();
  const init = transition(cardSideMachine, initialTransition(cardSideMachine)[0], { type: 'hw.resetDone' })[0];
  const simple = simplePaths<SideSnap, CardSideEvent>(cardSideMachine, { fromState: init, events: SIDE_EVENTS, serializeState: sideKey, limit: 10_000 });
  const cover = shortestCover<SideSnap, CardSideEvent>(cardSideMachine, {
    fromState: init,
    events: SIDE_EVENTS,
    serializeState: sideKey,
    labels: (s, e) => {
      const t = takenTransition(cardSideMachine, s, e);
      return t === undefined ? [] : [`${t} ${sideEventName(e)}`];
    },
    step: (s, e) => transition(cardSideMachine, s, e)[0],
    limit: 10_000,
  });
  return (sideMemo = { cover: { ...cover, ms: performance.now() - t0 }, simple, init });
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
  claim: 'every declared transition of the card-side machine, by its xstate/graph shortest path from a ready bootstrap, and every simple path, is observed on the card when driven through the system',
  source: 'model/machines/card-side.ts; facts §3.1–3.3, §4.1',
  level: 'exhaustive',
  requires: ['system'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(40), (choices) => {
      const { cover, simple, init } = cardSidePaths();
      // the system is created settled: the power-on reset has completed
      const reached = new Set<string>([takenTransition(cardSideMachine, initialTransition(cardSideMachine)[0], { type: 'hw.resetDone' })!]);
      const states = new Set<string>(['in_reset', String(init.value)]);
      for (const p of [...cover.paths, ...simple]) {
        const sys = impl.system!.createSystem({ choices: choicesFrom(choices), firmware: firmwareFiles(), cardMemoryBytes: CARD_MEMORY, trace: false });
        let snap = init;
        p.events.forEach((e, i) => {
          const t = takenTransition(cardSideMachine, snap, e);
          const to = transition(cardSideMachine, snap, e)[0];
          if (JSON.stringify(to.value) !== p.keys[i]) throw new Error(`path for ${p.id}: the machine is in ${String(to.value)} after ${sideEventName(e)}, the path says ${p.keys[i]}`);
          driveSide(sys, String(snap.value), e, p.events[i + 1], String(to.value));
          const got = sys.observe.cardSide(0);
          if (got !== to.value) throw new Error(`path for ${p.id} [${p.events.map(sideEventName).join(', ')}]: after ${sideEventName(e)} the card is ${got}, machine says ${String(to.value)}`);
          if (t !== undefined) reached.add(t);
          states.add(String(to.value));
          snap = to;
        });
      }
      noteCoverage(cardSideMachine, { states, transitions: reached });
      const all = Object.keys(cardSideMachine.root.states);
      if (states.size !== all.length) throw new Error(`card-side states never reached: ${all.filter((s) => !states.has(s)).join(', ')}`);
      const cov = coverage(declaredTransitions(cardSideMachine), reached, {});
      report('card-side', `${states.size}/${all.length} states, ${cov.figure}; ${cover.paths.length} xstate/graph shortest paths and ${simple.length} simple paths over ${cover.vertices} snapshots (traversal ${cover.ms.toFixed(0)} ms), all replayed${cov.unreachableLines}`);
    }),
});
