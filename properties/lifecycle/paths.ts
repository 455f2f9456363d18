/**
 * Path generation for the exhaustive lifecycle properties, with `xstate/graph` (DESIGN.md §6):
 * `getShortestPaths` over an abstraction of the snapshots (`serializeState` keeps the state value and
 * only the context the guards read), driven by one representative event per distinct branch, gives
 * a shortest path to every abstract snapshot; each path is then extended by every event accepted
 * there, and the shortest extended path per transition is kept (a transition cover). The abstraction
 * is a congruence (equal keys take equal branches on every event), so the cover is the machine's.
 *
 * A declared transition is (atomic state, event type, candidate): the state's own guarded candidates
 * followed by the root's, which xstate consults when none of the state's own is enabled; root
 * candidates shadowed by an unguarded own candidate are never consulted and are not declared.
 */
import { transition, type AnyStateMachine, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { cardStateMachine, type CardStateContext, type CardStateEvent } from '../../model/machines/card-state.ts';
import { FIRMWARE_NAME, RAMDISK_NAME } from '../../fixtures/images/card-os.ts';

// ---- declared and taken transitions of a flat machine -------------------------------------------------

type TransitionDef = ReturnType<AnyStateMachine['getTransitionData']>[number];

/** "<state>: <event> [<source>#<i> <guard> → <target>]" — stable name of a candidate seen from a state */
function candidateName(state: string, eventType: string, t: TransitionDef, index: number): string {
  const src = t.source.parent === undefined ? '*' : t.source.key;
  const guard = t.guard === undefined ? '' : typeof t.guard === 'string' ? ` ${t.guard}` : ' (guarded)';
  const target = t.target?.[0]?.key ?? '(stay)';
  return `${state}: ${eventType} [${src}#${index}${guard} → ${target}]`;
}

/** every declared transition of a flat machine, by name */
export function declaredTransitions(machine: AnyStateMachine): string[] {
  const root = machine.root;
  const out: string[] = [];
  for (const [state, node] of Object.entries(root.states)) {
    const types = new Set<string>([...node.transitions.keys(), ...root.transitions.keys()]);
    for (const type of types) {
      const own = node.transitions.get(type) ?? [];
      own.forEach((t, i) => out.push(candidateName(state, type, t, i)));
      if (own.length > 0 && own[own.length - 1]!.guard === undefined) continue;
      (root.transitions.get(type) ?? []).forEach((t, i) => out.push(candidateName(state, type, t, i)));
    }
  }
  return out;
}

/** the declared transition `event` takes from `snap`, or undefined when the machine refuses it */
export function takenTransition(machine: AnyStateMachine, snap: AnyMachineSnapshot, event: EventObject): string | undefined {
  const [t] = machine.getTransitionData(snap, event);
  if (t === undefined) return undefined;
  const index = (t.source.transitions.get(event.type) ?? []).indexOf(t);
  return candidateName(String(snap.value), event.type, t, index);
}

// ---- transition cover from xstate/graph shortest paths ----------------------------------------------

export interface CoverPath<E> {
  /** the transition (and outcome) the last event takes */
  readonly id: string;
  readonly events: readonly E[];
  /** abstract key of the snapshot after each event, as xstate/graph serialised it */
  readonly keys: readonly string[];
}

export interface Cover<E> {
  readonly paths: CoverPath<E>[];
  /** abstract snapshots reached by the traversal */
  readonly vertices: number;
  readonly ms: number;
}

/**
 * Shortest paths (xstate/graph `getShortestPaths`) to every abstract snapshot of `logic`, each
 * extended by every event; `labels` names the transitions an event takes from a snapshot (none when
 * refused). Keeps the first, i.e. a shortest, path per label. `limit` bounds the traversal.
 */
export function shortestCover<S, E extends EventObject>(
  logic: object,
  opts: {
    fromState: S;
    events: readonly E[];
    serializeState: (s: S) => string;
    labels: (s: S, e: E) => readonly string[];
    step: (s: S, e: E) => S;
    limit: number;
  },
): Cover<E> {
  const t0 = performance.now();
  // xstate/graph types its options by the logic's snapshot type; here that is S
  const shortest = getShortestPaths as unknown as (l: object, o: object) => { steps: { event: E; state: S }[] }[];
  const paths = shortest(logic, { fromState: opts.fromState, events: opts.events, serializeState: opts.serializeState, limit: opts.limit });
  const byId = new Map<string, CoverPath<E>>();
  // the first step of each path is xstate.init; shortest first, so the first path per label is a shortest one
  const sorted = paths.map((p) => p.steps.slice(1)).sort((a, b) => a.length - b.length);
  for (const steps of sorted) {
    const at = steps.length === 0 ? opts.fromState : steps[steps.length - 1]!.state;
    const events = steps.map((s) => s.event);
    const keys = steps.map((s) => opts.serializeState(s.state));
    for (const e of opts.events) {
      for (const id of opts.labels(at, e)) {
        if (byId.has(id)) continue;
        byId.set(id, { id, events: [...events, e], keys: [...keys, opts.serializeState(opts.step(at, e))] });
      }
    }
  }
  return { paths: [...byId.values()], vertices: paths.length, ms: performance.now() - t0 };
}

/**
 * Every simple path (no abstract snapshot twice; xstate/graph `getSimplePaths`) from `fromState`:
 * only for small graphs, their number grows quickly with the vertices.
 */
export function simplePaths<S, E extends EventObject>(
  logic: object,
  opts: { fromState: S; events: readonly E[]; serializeState: (s: S) => string; limit: number },
): CoverPath<E>[] {
  const simple = getSimplePaths as unknown as (l: object, o: object) => { steps: { event: E; state: S }[] }[];
  return simple(logic, opts)
    .map((p) => p.steps.slice(1))
    .filter((steps) => steps.length > 0)
    .map((steps) => ({ id: `simple path to ${opts.serializeState(steps[steps.length - 1]!.state)}`, events: steps.map((s) => s.event), keys: steps.map((s) => opts.serializeState(s.state)) }));
}

/** the source and target states of declared transitions named by declaredTransitions */
export function statesOf(transitions: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const t of transitions) {
    const source = t.slice(0, t.indexOf(':'));
    const target = t.slice(t.lastIndexOf('→ ') + 2, t.lastIndexOf(']'));
    out.add(source).add(target === '(stay)' ? source : target);
  }
  return out;
}

// ---- the card-state machine -------------------------------------------------------------------------

type Snap = ReturnType<typeof cardStateMachine.transition>;

/**
 * One representative event per distinct branch: every verb and one invalid string, each class of
 * firmware (good, bad image, missing, empty) and ramdisk (present, missing, empty), a valid and an
 * invalid bootmode, PM, time, card reports, faults.
 */
export const TRAVERSAL_EVENTS: readonly CardStateEvent[] = [
  { type: 'state.boot' }, { type: 'state.reset' }, { type: 'state.shutdown' }, { type: 'state.suspend' }, { type: 'state.invalid' },
  { type: 'attr.firmware', value: FIRMWARE_NAME }, { type: 'attr.firmware', value: 'mic/broken.img' },
  { type: 'attr.firmware', value: 'mic/missing.img' }, { type: 'attr.firmware', value: '' },
  { type: 'attr.ramdisk', value: RAMDISK_NAME }, { type: 'attr.ramdisk', value: 'mic/none.image' }, { type: 'attr.ramdisk', value: '' },
  { type: 'attr.bootmode', value: 'elf' }, { type: 'attr.bootmode', value: 'linux' }, { type: 'attr.bootmode', value: 'flash' },
  { type: 'attr.cmdline', value: 'console=ttyS0' }, { type: 'attr.log_buf_addr', value: '0xffffffff81a3c2e0\n' },
  { type: 'attr.log_buf_len', value: 'ffffffff81a3c2dc' }, { type: 'attr.readonly' }, { type: 'attr.unknown' },
  { type: 'pm.suspend' }, { type: 'pm.resume' }, { type: 'time.passes' },
  { type: 'card.halt' }, { type: 'card.poweroff' }, { type: 'card.restart' }, { type: 'card.panic' },
  { type: 'fault.badImage' }, { type: 'fault.resetHang' }, { type: 'fault.dpMagic' },
];

/** the class of a file name as bootOutcome sees it */
function fileClass(name: string | null, c: CardStateContext): string {
  if (name === null) return 'unset';
  if (name === '') return 'empty';
  if (!c.files.includes(name)) return 'missing';
  return c.badFiles.includes(name) ? 'bad' : 'good';
}

/**
 * The abstract card-state snapshot: state value and what guards and bootOutcome read. Not kept:
 * status (no guard reads it), cmdline, result and via (outputs), the exact file names (only their class).
 */
export function cardStateKey(s: Snap): string {
  const c = s.context;
  return JSON.stringify([s.value, c.ready, c.cardOs, c.suspendWait, c.pm, c.resetHang, c.badImage, c.badDpMagic, fileClass(c.firmware, c), fileClass(c.ramdisk, c), c.bootmode]);
}

/** transition name plus the outcome (`via`), so every boot/reset outcome of one candidate is kept */
export function cardStateLabel(s: Snap, e: CardStateEvent): string[] {
  const name = takenTransition(cardStateMachine, s, e);
  if (name === undefined) return [];
  return [`${name} ${transition(cardStateMachine, s, e)[0].context.via}`];
}

export function cardStateCover(fromState: Snap): Cover<CardStateEvent> {
  return shortestCover<Snap, CardStateEvent>(cardStateMachine, {
    fromState,
    events: TRAVERSAL_EVENTS,
    serializeState: cardStateKey,
    labels: cardStateLabel,
    step: (s, e) => transition(cardStateMachine, s, e)[0],
    limit: 200_000,
  });
}

/** the declared transition of a label made by cardStateLabel / a daemon label ("… [candidate] outcome") */
export const transitionOf = (id: string): string => id.slice(0, id.lastIndexOf(']') + 1);
