/**
 * Claim: every declared transition of the daemon-boot machine that a system with our mpssd can take
 *   is exercised on every run: the daemon's inputs are not test commands, so xstate/graph's
 *   `getShortestPaths` runs over the composed card-state + daemon-boot logic (composed-logic.ts),
 *   whose events are test commands; each shortest path is extended by every command, and the shortest
 *   path per daemon transition replays on a system running mpssd, with the command's result, the
 *   state, shutdown status and the daemon's writes equal to the composed model after every command,
 *   and the model in the path's abstract snapshot. Coverage against the machine's declared
 *   transitions is reported; a declared transition no path reaches fails the property unless it is
 *   listed below with the reason.
 * Source: model/machines/daemon-boot.ts; facts §4.1, §4.2 (legacy mpssd), §8.1, §8.6
 * Level: exhaustive
 */
import fc from 'fast-check';
import type { MicSystem } from '../../model/contract.ts';
import type { CardStateEvent } from '../../model/machines/card-state.ts';
import { daemonBootMachine } from '../../model/machines/daemon-boot.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAD_FILES, firmwareFiles } from '../../fixtures/images/card-os.ts';
import { composedKey, composedLogic, composedStep, type Composed } from './composed-logic.ts';
import { applyOp, resultText, showOp } from './ops.ts';
import { CARD_MEMORY } from './conformance.prop.ts';
import { declaredTransitions, shortestCover, statesOf, transitionOf, type Cover } from './paths.ts';
import { coverage, report } from './coverage.ts';
import { noteCoverage } from '../report/coverage.ts';
import { eventOp } from './event-ops.ts';

/** the commands that move the host or the card; attribute writes do not concern the daemon */
const COMMANDS: readonly CardStateEvent[] = [
  { type: 'state.boot' }, { type: 'state.reset' }, { type: 'state.shutdown' }, { type: 'state.suspend' },
  { type: 'pm.suspend' }, { type: 'pm.resume' }, { type: 'time.passes' },
  { type: 'card.halt' }, { type: 'card.poweroff' }, { type: 'card.restart' }, { type: 'card.panic' },
  { type: 'fault.badImage' }, { type: 'fault.resetHang' },
];

/** declared daemon-boot transitions no system can take, and why */
export const DAEMON_UNREACHABLE: Readonly<Record<string, string>> = {
  'stopped: daemon.start [stopped#1 → watching]':
    'a daemon started while the card is not offline; the system contract starts mpssd only with the system (SystemConfig.daemon), when every card is offline',
};

interface TSnap {
  readonly context: Composed;
}

let memo: { cover: Cover<CardStateEvent>; init: TSnap } | undefined;
/** the composed paths, generated once per process */
export function daemonPaths(): { cover: Cover<CardStateEvent>; init: TSnap } {
  if (memo !== undefined) return memo;
  const logic = composedLogic({ files: Object.keys(firmwareFiles()), badFiles: BAD_FILES });
  const init = logic.getInitialSnapshot(undefined as never, undefined) as TSnap;
  const cover = shortestCover<TSnap, CardStateEvent>(logic, {
    fromState: init,
    events: COMMANDS,
    serializeState: (s) => composedKey(s.context),
    labels: (s, e) => composedStep(s.context, e).taken,
    step: (s, e) => ({ context: composedStep(s.context, e) }),
    limit: 200_000,
  });
  return (memo = { cover, init });
}

function assertComposed(sys: MicSystem, c: Composed, what: string): void {
  const { observe } = sys;
  if (observe.state(0) !== c.host.value || observe.shutdownStatus(0) !== c.host.context.status) {
    throw new Error(`after ${what}: ${observe.state(0)}/${observe.shutdownStatus(0)}, model says ${String(c.host.value)}/${c.host.context.status} (via ${c.host.context.via})`);
  }
  if (JSON.stringify(observe.daemonWrites(0)) !== JSON.stringify(c.writes)) {
    throw new Error(`after ${what}: daemon wrote ${JSON.stringify(observe.daemonWrites(0))}, model says ${JSON.stringify(c.writes)}`);
  }
}

export const exhaustiveDaemonBoot = defineProperty({
  id: 'lifecycle.exhaustive.daemonBoot',
  claim: 'every daemon-boot transition a system can take, by its xstate/graph shortest path over the composed model, replays on a system running mpssd as the model says',
  source: 'model/machines/daemon-boot.ts; facts §4.1, §4.2, §8.1, §8.6',
  level: 'exhaustive',
  requires: ['system'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(60), (choices) => {
      const { cover, init } = daemonPaths();
      const files = firmwareFiles();
      const reached = new Set<string>(init.context.taken.map(transitionOf));
      for (const p of cover.paths) {
        const sys = impl.system!.createSystem({ daemon: true, choices: choicesFrom(choices), firmware: files, cardMemoryBytes: CARD_MEMORY, trace: false });
        let model = init.context;
        try {
          assertComposed(sys, model, 'creation');
          p.events.forEach((e, i) => {
            const op = eventOp(e);
            model = composedStep(model, e);
            const res = resultText(applyOp(sys, op));
            sys.settle();
            if (res !== model.result) throw new Error(`${showOp(op)} returned ${res}, model says ${model.result}`);
            assertComposed(sys, model, showOp(op));
            if (composedKey(model) !== p.keys[i]) throw new Error(`after ${showOp(op)} the model is in ${composedKey(model)}, the path says ${p.keys[i]}`);
            for (const t of model.taken) reached.add(transitionOf(t));
          });
        } catch (err) {
          throw new Error(`path for "${p.id}" [${p.events.map((e) => showOp(eventOp(e))).join(', ')}]: ${(err as Error).message}`);
        }
      }
      const states = statesOf(reached);
      noteCoverage(daemonBootMachine, { states, transitions: reached });
      const cov = coverage(declaredTransitions(daemonBootMachine), reached, DAEMON_UNREACHABLE);
      report(
        'daemon-boot',
        `${states.size}/${Object.keys(daemonBootMachine.root.states).length} states, ${cov.figure}; ${cover.paths.length} xstate/graph shortest paths over ${cover.vertices} composed snapshots (traversal ${cover.ms.toFixed(0)} ms), all replayed${cov.unreachableLines}`,
      );
    }),
});
