/**
 * Path generation for the exhaustive lifecycle property: a breadth-first walk of the card-state
 * machine (xstate's pure `transition`) over an abstraction of its snapshots — the string
 * attributes enter only through what a boot would do with them now — recording for every
 * transition (source state, event, transition label) the shortest event path that takes it.
 */
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { bootOutcome, cardStateMachine, type CardStateEvent, type CardStateInput } from '../../model/machines/card-state.ts';
import { FIRMWARE_NAME, RAMDISK_NAME } from '../../fixtures/images/card-os.ts';

type Snap = SnapshotFrom<typeof cardStateMachine>;

/** representative events: every verb, valid and invalid attribute values, PM, time, card, faults */
export const TRAVERSAL_EVENTS: readonly CardStateEvent[] = [
  { type: 'state.boot' }, { type: 'state.reset' }, { type: 'state.shutdown' }, { type: 'state.suspend' }, { type: 'state.invalid' },
  { type: 'attr.firmware', value: 'mic/missing.img' }, { type: 'attr.firmware', value: '' }, { type: 'attr.firmware', value: 'mic/broken.img' },
  { type: 'attr.firmware', value: FIRMWARE_NAME },
  { type: 'attr.ramdisk', value: RAMDISK_NAME }, { type: 'attr.ramdisk', value: 'mic/none.image' }, { type: 'attr.ramdisk', value: '' },
  { type: 'attr.bootmode', value: 'elf' }, { type: 'attr.bootmode', value: 'linux' }, { type: 'attr.bootmode', value: 'flash' },
  { type: 'attr.cmdline', value: 'console=ttyS0' }, { type: 'attr.readonly' }, { type: 'attr.unknown' },
  { type: 'pm.suspend' }, { type: 'pm.resume' }, { type: 'time.passes' },
  { type: 'card.halt' }, { type: 'card.poweroff' }, { type: 'card.restart' }, { type: 'card.panic' },
  { type: 'fault.badImage' }, { type: 'fault.resetHang' },
];

function abstractKey(s: Snap): string {
  const { via: _v, result: _r, cmdline: _c, files: _f, badFiles: _b, firmware: _fw, ramdisk: _rd, bootmode, ...rest } = s.context;
  return JSON.stringify([s.value, rest, bootOutcome(s.context).via, bootmode]);
}

export interface TransitionPath<E> {
  /** "<source state> <event> <label>" */
  readonly id: string;
  readonly events: readonly E[];
}

/**
 * Breadth-first over `key`-abstracted snapshots from `init`; for every transition id (`label` of
 * source, event, target) the shortest event path that takes it.
 */
export function transitionCover<S extends { can(e: E): boolean }, E>(
  init: S,
  events: readonly E[],
  step: (s: S, e: E) => S,
  key: (s: S) => string,
  label: (from: S, e: E, to: S) => string,
  prefix: readonly E[] = [],
): { paths: TransitionPath<E>[]; vertices: number } {
  const seen = new Set<string>([key(init)]);
  const byId = new Map<string, TransitionPath<E>>();
  let frontier: { snap: S; path: E[] }[] = [{ snap: init, path: [...prefix] }];
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const { snap, path } of frontier) {
      for (const ev of events) {
        if (!snap.can(ev)) continue;
        const to = step(snap, ev);
        const id = label(snap, ev, to);
        const p = [...path, ev];
        if (!byId.has(id)) byId.set(id, { id, events: p });
        const k = key(to);
        if (!seen.has(k)) {
          seen.add(k);
          next.push({ snap: to, path: p });
        }
      }
    }
    frontier = next;
  }
  return { paths: [...byId.values()], vertices: seen.size };
}

export function cardStatePaths(input: CardStateInput): { paths: TransitionPath<CardStateEvent>[]; vertices: number } {
  const [init] = initialTransition(cardStateMachine, input);
  return transitionCover<Snap, CardStateEvent>(
    init,
    TRAVERSAL_EVENTS,
    (s, e) => transition(cardStateMachine, s, e)[0],
    abstractKey,
    (from, e, to) => `${JSON.stringify(from.value)} ${e.type} ${to.context.via}`,
  );
}
