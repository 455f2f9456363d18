/**
 * The system with our mpssd as pure actor logic for `xstate/graph`: the card-state machine and the
 * daemon-boot machine composed, one step per test command (a card-state event). Each snapshot also
 * names the daemon transitions the last command caused (`taken`), for coverage.
 *
 * This is the only composition of the two machines (composite.ts wraps it for the step-by-step
 * properties). It uses pure `transition` so that the graph traversal can branch from any snapshot,
 * and it is one step finer at a reset: the daemon's
 * `reset` write only schedules the stop (facts §4.1 "schedules asynchronous stop"), so the reset
 * helper's first poll (facts §8.6) sees the state from before the reset; it sees the outcome at a
 * later poll. When the daemon waits for a status that never comes, the kernel's 60 s PM wait expires
 * first (it was armed before the daemon's 60 polls began), then the daemon's wait ends.
 */
import { fromTransition, initialTransition, transition } from 'xstate';
import { cardStateMachine, refusal, type CardStateEvent, type CardStateInput } from '../../model/machines/card-state.ts';
import { daemonBootMachine, type DaemonBootEvent } from '../../model/machines/daemon-boot.ts';
import type { MicState, StateVerb } from '../../model/constants/lifecycle.ts';
import { cardStateKey, takenTransition } from './paths.ts';
import { daemonCmdline } from './oracle.ts';

type HostSnap = ReturnType<typeof cardStateMachine.transition>;
type DaemonSnap = ReturnType<typeof daemonBootMachine.transition>;

export interface Composed {
  readonly host: HostSnap;
  readonly daemon: DaemonSnap;
  /** every state write of the daemon so far, in order */
  readonly writes: readonly StateVerb[];
  /** the state the watching daemon last woke up to */
  readonly notified: MicState | undefined;
  /** what the last command returned to its writer */
  readonly result: string;
  /** the daemon transitions the last command caused, "<declared transition> writes <verbs>" */
  readonly taken: readonly string[];
}

const hostState = (c: Composed): MicState => c.host.value as MicState;

function tell(c: Composed, ev: DaemonBootEvent): Composed {
  const name = takenTransition(daemonBootMachine, c.daemon, ev) ?? `${String(c.daemon.value)}: ${ev.type} (unhandled)`;
  const daemon = transition(daemonBootMachine, c.daemon, ev)[0];
  return { ...c, daemon, taken: [...c.taken, `${name} writes ${daemon.context.writes.join(',') || 'nothing'}`] };
}

function write(c: Composed, verb: StateVerb): Composed {
  const ev: CardStateEvent = { type: `state.${verb}` };
  const host = c.host.can(ev) ? transition(cardStateMachine, c.host, ev)[0] : c.host;
  return { ...c, host, writes: [...c.writes, verb] };
}

/** the writes of the daemon's last transition, in order, as the host takes them */
function applyWrites(c: Composed, verbs: readonly StateVerb[] = c.daemon.context.writes): Composed {
  return verbs.reduce(write, c);
}

/** the daemon wrote `reset`: its first poll runs before the stop does */
function resetWritten(c: Composed): Composed {
  const before = hostState(c);
  const polled = tell({ ...c, writes: [...c.writes, 'reset'] }, { type: 'host.state', state: before });
  const reset: CardStateEvent = { type: 'state.reset' };
  const host = polled.host.can(reset) ? transition(cardStateMachine, polled.host, reset)[0] : polled.host;
  const after = applyWrites({ ...polled, host }, polled.daemon.context.writes);
  return after.daemon.value === 'watching' ? { ...after, notified: before } : after;
}

/** the daemon reacts until it waits for something only a test command can cause */
function react(start: Composed): Composed {
  let c = start;
  for (let guard = 0; guard < 64; guard++) {
    const mode = c.daemon.value;
    const s = hostState(c);
    if (mode === 'watching') {
      if (s === c.notified) return c;
      c = applyWrites(tell({ ...c, notified: s }, { type: 'host.state', state: s }));
    } else if (mode === 'awaitingStatus') {
      c = tell(c, { type: 'host.status', status: c.host.context.status });
      if (c.daemon.value === 'resetting') c = resetWritten(c);
      else if (c.host.context.suspendWait) c = { ...c, host: transition(cardStateMachine, c.host, { type: 'time.passes' })[0] };
      else c = resetWritten(tell(c, { type: 'poll.timeout' }));
    } else if (mode === 'resetting') {
      c = applyWrites(tell({ ...c, notified: s }, { type: 'host.state', state: s }));
      if (c.daemon.value === 'resetting') throw new Error(`composed: daemon still resetting in ${s}`);
    } else return c;
  }
  throw new Error('composed: no fixpoint');
}

export function composedInitial(input: CardStateInput): Composed {
  // facts §8.1: mpssd sets card 0's command line before booting it
  const host = transition(cardStateMachine, initialTransition(cardStateMachine, input)[0], { type: 'attr.cmdline', value: daemonCmdline(0) })[0];
  const [daemon] = initialTransition(daemonBootMachine);
  const c0: Composed = { host, daemon, writes: [], notified: host.value as MicState, result: 'ok', taken: [] };
  return react(applyWrites(tell(c0, { type: 'daemon.start', state: hostState(c0) })));
}

/** one test command: the host takes it (or refuses it), then the daemon reacts */
export function composedStep(c: Composed, ev: CardStateEvent): Composed {
  const start: Composed = { ...c, taken: [] };
  if (!c.host.can(ev)) return react({ ...start, result: refusal(ev) });
  const host = transition(cardStateMachine, c.host, ev)[0];
  return react({ ...start, host, result: host.context.result });
}

/** what distinguishes composed snapshots for the daemon: the host key, the status it polls, its own mode and flags */
export function composedKey(c: Composed): string {
  const d = c.daemon;
  return JSON.stringify([cardStateKey(c.host), c.host.context.status, d.value, d.context.bootOnResume, d.context.restart, c.notified]);
}

/** the composed system as actor logic (its snapshot context is a Composed) */
export const composedLogic = (input: CardStateInput) => fromTransition((c: Composed, ev: CardStateEvent) => composedStep(c, ev), composedInitial(input));
