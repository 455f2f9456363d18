/**
 * Claim: every transition of the daemon-boot machine that system commands can cause (source ×
 *   event × target × writes, found by searching command sequences on the composed card-state +
 *   daemon-boot model) replays, by the shortest sequence found, on a system running our mpssd with
 *   the same state, shutdown status and daemon writes after every command. Coverage against the
 *   machine's own transition graph is reported; transitions no host state sequence can trigger
 *   (e.g. a daemon started while the card is not offline) are listed.
 * Source: model/machines/daemon-boot.ts; facts §4.2 (legacy mpssd), §8.1, §8.6
 * Level: exhaustive
 */
import fc from 'fast-check';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { daemonBootMachine, type DaemonBootEvent } from '../../model/machines/daemon-boot.ts';
import { MIC_STATES, MIC_STATUSES } from '../../model/constants/lifecycle.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAD_FILES, firmwareFiles } from '../../fixtures/images/card-os.ts';
import { assertComposite, daemonLabel, DaemonComposite } from './composite.ts';
import { applyOp, opEvent, showOp, type Op } from './ops.ts';
import { CARD_MEMORY } from './conformance.prop.ts';
import { transitionCover } from './paths.ts';

type DSnap = SnapshotFrom<typeof daemonBootMachine>;

const DAEMON_EVENTS: readonly DaemonBootEvent[] = [
  ...MIC_STATES.map((state): DaemonBootEvent => ({ type: 'daemon.start', state })),
  ...MIC_STATES.map((state): DaemonBootEvent => ({ type: 'host.state', state })),
  ...MIC_STATUSES.map((status): DaemonBootEvent => ({ type: 'host.status', status })),
  { type: 'poll.timeout' },
];

/** the machine's own transitions (its graph, independent of any system) */
function definedDaemonTransitions(): string[] {
  const [init] = initialTransition(daemonBootMachine);
  const { paths } = transitionCover<DSnap, DaemonBootEvent>(
    init,
    DAEMON_EVENTS,
    (s, e) => transition(daemonBootMachine, s, e)[0],
    (s) => JSON.stringify([s.value, s.context.bootOnResume, s.context.restart]),
    (from, e, to) => daemonLabel(String(from.value), e, to),
  );
  return paths.map((p) => p.id);
}

const SEARCH_OPS: readonly Op[] = [
  { kind: 'state', value: 'boot' }, { kind: 'state', value: 'reset' }, { kind: 'state', value: 'shutdown' }, { kind: 'state', value: 'suspend' },
  { kind: 'pmSuspend' }, { kind: 'pmResume' }, { kind: 'time' },
  { kind: 'card', what: 'halt' }, { kind: 'card', what: 'poweroff' }, { kind: 'card', what: 'restart' }, { kind: 'card', what: 'panic' },
  { kind: 'corrupt', how: 'checksum' }, { kind: 'resetHang' },
];

let searchMemo: Map<string, Op[]> | undefined;
let reportedOnce = false;

function compositeKey(m: DaemonComposite): string {
  const h = m.host.getSnapshot();
  const { via: _v, result: _r, cmdline: _c, files: _f, badFiles: _b, ...hc } = h.context;
  const d = m.daemon.getSnapshot();
  return JSON.stringify([h.value, hc, d.value, d.context.bootOnResume, d.context.restart]);
}

/** breadth-first over composed-model states (commands of SEARCH_OPS): the first sequence per daemon transition */
function searchSequences(maxDepth = 8): Map<string, Op[]> {
  const files = Object.keys(firmwareFiles());
  const found = new Map<string, Op[]>();
  const replay = (seq: readonly Op[], onLabel?: (l: string) => void): DaemonComposite => {
    const m = new DaemonComposite(files, BAD_FILES, onLabel);
    for (const op of seq) m.command(opEvent(op));
    return m;
  };
  const start = replay([], (l) => found.has(l) || found.set(l, []));
  const seen = new Set<string>([compositeKey(start)]);
  let layer: Op[][] = [[]];
  for (let depth = 0; depth < maxDepth && layer.length > 0; depth++) {
    const next: Op[][] = [];
    for (const seq of layer) {
      for (const op of SEARCH_OPS) {
        const m = replay(seq);
        const ext = [...seq, op];
        const labels: string[] = [];
        m.onDaemon = (l) => labels.push(l);
        m.command(opEvent(op));
        for (const l of labels) if (!found.has(l)) found.set(l, ext);
        const k = compositeKey(m);
        if (!seen.has(k)) {
          seen.add(k);
          next.push(ext);
        }
      }
    }
    layer = next;
  }
  return found;
}

export const exhaustiveDaemonBoot = defineProperty({
  id: 'lifecycle.exhaustive.daemonBoot',
  claim: 'every daemon-boot transition reachable by system commands replays on a system running mpssd as the composed model says',
  source: 'model/machines/daemon-boot.ts; facts §4.2, §8.1, §8.6',
  level: 'exhaustive',
  requires: ['system'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(60), (choices) => {
      searchMemo ??= searchSequences();
      const files = firmwareFiles();
      const reached = new Set<string>();
      for (const [label, ops] of searchMemo) {
        const sys = impl.system!.createSystem({ daemon: true, choices: choicesFrom(choices), firmware: files, cardMemoryBytes: CARD_MEMORY, trace: false });
        const model = new DaemonComposite(Object.keys(files), BAD_FILES, (l) => reached.add(l));
        try {
          assertComposite(sys, model, 'creation');
          for (const op of ops) {
            model.command(opEvent(op));
            applyOp(sys, op);
            sys.settle();
            assertComposite(sys, model, showOp(op));
          }
        } catch (err) {
          throw new Error(`sequence for "${label}" [${ops.map(showOp).join(', ')}]: ${(err as Error).message}`);
        }
      }
      const defined = definedDaemonTransitions();
      const missing = defined.filter((t) => !reached.has(t));
      const extra = [...reached].filter((t) => !defined.includes(t));
      if (extra.length > 0) throw new Error(`composite took daemon transitions the machine graph lacks: ${extra.join('; ')}`);
      if (!reportedOnce) process.stderr.write(
        `[lifecycle.exhaustive] daemon-boot: ${defined.length - missing.length}/${defined.length} transitions replayed${missing.length ? `; not reachable from the system: ${missing.join('; ')}` : ''}\n`,
      );
      reportedOnce = true;
    }),
});
