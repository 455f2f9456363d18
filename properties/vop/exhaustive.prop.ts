/**
 * Claim: every state and every declared transition of the vop-device machine is exercised on the
 *   system on every run: xstate/graph's shortest paths (`vopDeviceShortestPaths`, whole snapshots as
 *   vertices) from a card that is down and one that is up at open, each extended by every event the
 *   machine takes there, give the shortest path to every snapshot and every transition (and probe
 *   failure cause); each one the system can realise is replayed on a fresh system as char-device
 *   calls, card driver calls, card boot / reset, and card-side faults (a probe that fails, a card
 *   that does not answer a doorbell), and after every step the observed device equals the machine's
 *   `observe` (plus used_address_updated, which tells `discovered` from `ringsReady`), every call the
 *   file can make gets the machine's verdict (poll, COPY_DESC, mmap, refused ADD_DEVICE /
 *   CONFIG_CHANGE leave the page as it was), a blocking call returns its outcome (CONFIG_CHANGE 1 on
 *   GUEST_ACK, 0 on CONFIG_TIMEOUT; close waits the full 15 s exactly on REMOVE_TIMEOUT), and the wait
 *   state seen from inside the call equals the machine's. Coverage (states, declared transitions,
 *   snapshots) is reported on stderr once per process; a path the system cannot realise is left out
 *   with its reason, and a declared transition no realisable path takes fails the property unless it
 *   is listed below with the reason.
 * Source: model/machines/vop-device.ts; facts §5.4, §6.3–§6.5, §6.7; DESIGN.md §6 "Exhaustive".
 * Level: exhaustive
 */
import fc from 'fast-check';
import { initialTransition, transition } from 'xstate';
import type { Implementation, MicSystem } from '../../model/contract.ts';
import {
  isSettled, VOP_DEVICE_EVENTS, VOP_DEVICE_STATES, vopDeviceMachine, vopDeviceShortestPaths,
  type VopDeviceEvent, type VopDeviceInput, type VopDeviceSnapshot,
} from '../../model/machines/vop-device.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { declaredTransitions, takenTransition } from '../lifecycle/paths.ts';
import { coverage } from '../lifecycle/coverage.ts';
import { noteCoverage } from '../report/coverage.ts';
import { bootedWorld, VopWorld } from './world.ts';
import {
  addBad, addValid, assertDevice, breakProbe, checkCalls, deafenCard, describe, diffDevice, ENTRY, expectedDevice,
  naturalOutcome, observeDevice, probeWait, REMOVE_WAIT_NS, resultText, settleMachine, startMachine, type Lever,
} from './device-ops.ts';

/** declared transitions no system can take, and why (none today: every one has a realisable path) */
export const VOP_DEVICE_UNREACHABLE: Readonly<Record<string, string>> = {};

type Cause = 'magic' | 'usedAddrTimeout';

/** what the replay does on the system for one step */
type Action =
  | { readonly kind: 'add' }
  | { readonly kind: 'addRefused' }
  | { readonly kind: 'boot' }
  /** the card and the bottom half move by themselves */
  | { readonly kind: 'wait' }
  | { readonly kind: 'vdevReset' }
  | { readonly kind: 'cardRemove' }
  | { readonly kind: 'cardDown' }
  | { readonly kind: 'configChange'; readonly outcome: 'GUEST_ACK' | 'CONFIG_TIMEOUT' }
  | { readonly kind: 'close'; readonly outcome: 'GUEST_ACK' | 'REMOVE_TIMEOUT' | 'none' };

interface Step {
  readonly action: Action;
  /** the machine events the step takes, in order (those appended to a path's end included) */
  readonly events: readonly VopDeviceEvent[];
  /** make the card's next probe fail before the action */
  readonly breakProbe?: Cause;
  /** make the card deaf to its config doorbell during the action */
  readonly deaf?: boolean;
  /** the probe failure this step ends in: undo the card-side fault after it */
  readonly undoProbe?: boolean;
}

interface Plan {
  readonly input: VopDeviceInput;
  /** the path's events as xstate/graph gave them */
  readonly pathEvents: readonly VopDeviceEvent[];
  readonly steps: readonly Step[];
  /** what the path is kept for: a snapshot, a transition */
  readonly ids: string[];
}

const evName = (e: VopDeviceEvent): string => (e.type === 'CARD_PROBE_FAIL' ? `CARD_PROBE_FAIL(${e.cause})` : e.type);
const snapKey = (s: VopDeviceSnapshot): string => JSON.stringify([s.value, s.context]);
/** the machine's step, memoised: the planner walks many paths with common prefixes */
const stepMemo = new Map<string, VopDeviceSnapshot>();
function step1(s: VopDeviceSnapshot, e: VopDeviceEvent): VopDeviceSnapshot {
  const k = `${snapKey(s)} ${evName(e)}`;
  let next = stepMemo.get(k);
  if (next === undefined) stepMemo.set(k, (next = transition(vopDeviceMachine, s, e)[0]));
  return next;
}

const initials = new Map<boolean, VopDeviceSnapshot>();
const initial = (cardUp: boolean): VopDeviceSnapshot => {
  let s = initials.get(cardUp);
  if (s === undefined) initials.set(cardUp, (s = initialTransition(vopDeviceMachine, { cardUp })[0]));
  return s;
};

/**
 * The system steps a path of machine events maps to, or why the system cannot follow it. Where the
 * system cannot stop between two events the step takes both (a fold): the card's driver writes
 * h2c_config_db and scans in one go (mic_devices_init), so CARD_UP of a present entry takes
 * CARD_SCAN with it; a wrong vring magic fails find_vqs inside the scan (CARD_SCAN or
 * HOST_RESET_ACK takes CARD_PROBE_FAIL(magic) with it); a blocking call takes its outcome. At the
 * path's end a fold or a call takes what the system does next without interference.
 */
export function planPath(input: VopDeviceInput, events: readonly VopDeviceEvent[]): { steps: Step[] } | { unrealisable: string } {
  const steps: Step[] = [];
  let s = initial(input.cardUp ?? false);
  let i = 0;
  const take = (es: VopDeviceEvent[]): void => {
    for (const e of es) {
      if (!s.can(e)) throw new Error(`planPath: the machine refuses ${evName(e)} in ${describe(s)}`);
      s = step1(s, e);
    }
  };
  while (i < events.length) {
    const e = events[i]!;
    const next = events[i + 1];
    const after = events[i + 2];
    const failNext = (ev: VopDeviceEvent | undefined): Cause | undefined => (ev?.type === 'CARD_PROBE_FAIL' ? ev.cause : undefined);
    let taken: VopDeviceEvent[] = [e];
    let consumed = 1;
    let st: Omit<Step, 'events'>;
    switch (e.type) {
      case 'ADD_OK':
        st = { action: { kind: 'add' } };
        break;
      case 'ADD_REFUSED':
        st = { action: { kind: 'addRefused' } };
        break;
      case 'CARD_UP': {
        st = { action: { kind: 'boot' } };
        if (s.value !== 'added') break;
        if (next !== undefined && next.type !== 'CARD_SCAN') {
          return { unrealisable: `CARD_UP of a present entry then ${evName(next)}: the card's driver scans in the step that writes h2c_config_db (mic_devices_init), nothing comes between` };
        }
        taken.push({ type: 'CARD_SCAN' });
        consumed = next === undefined ? 1 : 2;
        const cause = failNext(after);
        if (cause !== undefined) st = { ...st, breakProbe: cause };
        if (cause === 'magic') (taken.push(after!), consumed++, (st = { ...st, undoProbe: true }));
        break;
      }
      case 'CARD_SCAN':
      case 'HOST_RESET_ACK': {
        st = { action: { kind: 'wait' } };
        const cause = failNext(next);
        if (cause === 'usedAddrTimeout' && e.type === 'HOST_RESET_ACK') {
          return { unrealisable: 'a used-address timeout after a reset: the card keeps the c2h_vdev_db it read when it bound the entry, so only a first probe can miss the host (the card-side fault needs the bind)' };
        }
        if (cause !== undefined) st = { ...st, breakProbe: cause };
        if (cause === 'magic') (taken.push(next!), consumed++, (st = { ...st, undoProbe: true }));
        break;
      }
      case 'CARD_PROBE_FAIL':
        st = { action: { kind: 'wait' }, undoProbe: true };
        break;
      case 'USED_ADDR_ACK':
      case 'DRIVER_OK':
        st = { action: { kind: 'wait' } };
        break;
      case 'CARD_RESET_REQUEST':
        st = { action: { kind: 'vdevReset' } };
        break;
      case 'CARD_REMOVE':
        st = { action: { kind: 'cardRemove' } };
        break;
      case 'CARD_DOWN':
        st = { action: { kind: 'cardDown' } };
        break;
      case 'CONFIG_CHANGE': {
        const waiting = step1(s, e);
        const outcome = next ?? naturalOutcome(waiting);
        if (outcome.type !== 'GUEST_ACK' && outcome.type !== 'CONFIG_TIMEOUT') throw new Error(`planPath: ${evName(outcome)} ends a CONFIG_CHANGE`);
        taken.push(outcome);
        consumed = next === undefined ? 1 : 2;
        st = { action: { kind: 'configChange', outcome: outcome.type }, deaf: outcome.type === 'CONFIG_TIMEOUT' };
        break;
      }
      case 'CLOSE': {
        const waiting = step1(s, e);
        if (waiting.value !== 'removing') {
          st = { action: { kind: 'close', outcome: 'none' } };
          break;
        }
        const natural = naturalOutcome(waiting);
        const outcome = next ?? natural;
        if (outcome.type !== 'GUEST_ACK' && outcome.type !== 'REMOVE_TIMEOUT') throw new Error(`planPath: ${evName(outcome)} ends a close`);
        if (outcome.type === 'GUEST_ACK' && natural.type !== 'GUEST_ACK') {
          return { unrealisable: 'GUEST_ACK for a DEV_REMOVE of an entry the card has not bound: its scan binds a new entry without reading config_change (facts §5.4, vop_scan_devices), so nobody answers (the machine lists this case as not modelled)' };
        }
        taken.push(outcome);
        consumed = next === undefined ? 1 : 2;
        // a card that would answer is made deaf to its config doorbell for the timeout branch
        st = { action: { kind: 'close', outcome: outcome.type }, deaf: outcome.type === 'REMOVE_TIMEOUT' && natural.type === 'GUEST_ACK' };
        break;
      }
      default:
        throw new Error(`planPath: ${evName(e)} outside the call that waits for it`);
    }
    take(taken);
    steps.push({ ...st, events: taken });
    i += consumed;
  }
  return { steps };
}

// ---- the paths ----------------------------------------------------------------------------------------

interface Cover {
  readonly plans: Plan[];
  /** whole snapshots the traversals reached, and those no realisable path ends in (with the reason) */
  readonly snapshots: number;
  readonly unrealisedSnapshots: ReadonlyMap<string, string>;
  /** paths left out, by reason */
  readonly leftOut: ReadonlyMap<string, number>;
  readonly candidates: number;
  readonly ms: number;
}

let coverMemo: Cover | undefined;

/** the replayed paths: the shortest realisable one to every snapshot and for every transition label */
export function vopDeviceCover(): Cover {
  if (coverMemo !== undefined) return coverMemo;
  const t0 = performance.now();
  interface Cand {
    input: VopDeviceInput;
    events: VopDeviceEvent[];
    end: string;
    label: string | undefined;
    plan: { steps: Step[] } | { unrealisable: string };
  }
  const cands: Cand[] = [];
  for (const input of [{ cardUp: false }, { cardUp: true }]) {
    for (const p of vopDeviceShortestPaths(input)) {
      const events = p.steps.slice(1).map((x) => x.event as VopDeviceEvent);
      const at = p.state as VopDeviceSnapshot;
      const prev = p.steps.length > 1 ? (p.steps[p.steps.length - 2]!.state as VopDeviceSnapshot) : undefined;
      const last = events[events.length - 1];
      cands.push({ input, events, end: snapKey(at), label: prev && last ? labelOf(prev, last) : undefined, plan: planPath(input, events) });
      for (const e of VOP_DEVICE_EVENTS) {
        if (!at.can(e)) continue;
        const ext = [...events, e];
        cands.push({ input, events: ext, end: snapKey(step1(at, e)), label: labelOf(at, e), plan: planPath(input, ext) });
      }
    }
  }
  cands.sort((a, b) => a.events.length - b.events.length);
  const chosen = new Map<string, Plan>();
  const byEnd = new Map<string, Cand>();
  const byLabel = new Map<string, Cand>();
  const unrealised = new Map<string, string>();
  const leftOut = new Map<string, number>();
  for (const c of cands) {
    if ('unrealisable' in c.plan) {
      leftOut.set(c.plan.unrealisable, (leftOut.get(c.plan.unrealisable) ?? 0) + 1);
      if (!unrealised.has(c.end)) unrealised.set(c.end, c.plan.unrealisable);
      continue;
    }
    const steps = c.plan.steps;
    const keep = (id: string): void => {
      const k = JSON.stringify([c.input, c.events]);
      const plan: Plan = chosen.get(k) ?? { input: c.input, pathEvents: c.events, steps, ids: [] };
      plan.ids.push(id);
      chosen.set(k, plan);
    };
    if (!byEnd.has(c.end)) (byEnd.set(c.end, c), keep(`snapshot ${c.end}`));
    if (c.label !== undefined && !byLabel.has(c.label)) (byLabel.set(c.label, c), keep(c.label));
  }
  for (const k of byEnd.keys()) unrealised.delete(k);
  const snapshots = new Set(cands.map((c) => c.end)).size;
  return (coverMemo = { plans: [...chosen.values()], snapshots, unrealisedSnapshots: unrealised, leftOut, candidates: cands.length, ms: performance.now() - t0 });
}

/** the declared transition an event takes, with the probe failure's cause (both causes are replayed) */
function labelOf(s: VopDeviceSnapshot, e: VopDeviceEvent): string | undefined {
  const t = takenTransition(vopDeviceMachine, s, e);
  return t === undefined ? undefined : e.type === 'CARD_PROBE_FAIL' ? `${t} (${e.cause})` : t;
}

// ---- replay ----------------------------------------------------------------------------------------------

const RUN_LIMIT = { maxSteps: 200_000, maxTimeNs: 40e9 };

interface Tally {
  readonly states: Set<string>;
  readonly transitions: Set<string>;
  /** wait states seen from inside the call, and calls where the card answered first */
  probes: number;
  probesRaced: number;
}

function expectOk(got: string, want: string, what: string): void {
  if (got !== want) throw new Error(`${what} gave ${got}, expected ${want}`);
}

function replay(impl: Implementation, plan: Plan, choices: readonly number[], tally: Tally): void {
  const cardUp = plan.input.cardUp ?? false;
  const opts = { dma: false, choices: choicesFrom(choices) };
  const w = cardUp ? bootedWorld(impl, opts) : new VopWorld(impl, impl.system!.createSystem({ trace: false, ...opts }));
  const sys = w.sys;
  const actor = startMachine(cardUp);
  tally.states.add(String(actor.getSnapshot().value));
  assertDevice(sys, actor.getSnapshot(), 'at open');
  let probe: Lever | undefined;
  plan.steps.forEach((st, n) => {
    const s0 = actor.getSnapshot();
    const where = `step ${n + 1} (${st.events.map(evName).join(' + ')}) from ${describe(s0)}`;
    try {
      if (st.breakProbe !== undefined) probe = breakProbe(sys, st.breakProbe);
      const deaf = st.deaf === true ? deafenCard(sys) : undefined;
      const seen = st.action.kind === 'configChange' || st.action.kind === 'close' ? probeWait(sys) : undefined;
      const t0 = sys.scheduler.now;
      act(w, st.action);
      const waited = sys.scheduler.now - t0;
      deaf?.undo();
      // the machine takes the step's events; the first of a blocking call's is its wait state
      for (const [k, e] of st.events.entries()) {
        const from = actor.getSnapshot();
        const t = takenTransition(vopDeviceMachine, from, e);
        if (t === undefined) throw new Error(`the machine refuses ${evName(e)} in ${describe(from)}`);
        actor.send(e);
        tally.transitions.add(t);
        tally.states.add(String(actor.getSnapshot().value));
        if (k === 0 && seen !== undefined && (actor.getSnapshot().value === 'removing' || actor.getSnapshot().value === 'configChanging')) {
          const inWait = seen();
          if (inWait === undefined || !isSettled(s0)) tally.probesRaced++;
          else {
            const d = diffDevice(inWait, expectedDevice(actor.getSnapshot()));
            if (d !== undefined) throw new Error(`inside the wait (${describe(actor.getSnapshot())}): ${d}`);
            tally.probes++;
          }
        }
      }
      if (st.action.kind === 'close' && st.action.outcome !== 'none') {
        const full = waited >= REMOVE_WAIT_NS;
        if (full !== (st.action.outcome === 'REMOVE_TIMEOUT')) throw new Error(`close waited ${waited / 1e9} s for ${st.action.outcome}`);
      }
      const want = expectedDevice(actor.getSnapshot());
      const ok = sys.scheduler.runUntil(() => diffDevice(observeDevice(sys), want) === undefined, RUN_LIMIT);
      if (!ok) throw new Error(`the system never shows ${describe(actor.getSnapshot())}: ${diffDevice(observeDevice(sys), want)}`);
      if (st.undoProbe === true) {
        probe?.undo();
        probe = undefined;
      }
      checkCalls(w, actor.getSnapshot(), 'after it');
    } catch (err) {
      throw new Error(`path ${plan.input.cardUp ? 'card up' : 'card down'} [${plan.pathEvents.map(evName).join(', ')}] (for ${plan.ids[0]}), ${where}: ${(err as Error).message}`);
    }
  });
  // then the card and the bottom half finish on their own
  sys.settle();
  settleMachine(actor, 'the end');
  assertDevice(sys, actor.getSnapshot(), `path [${plan.pathEvents.map(evName).join(', ')}] settled`);
  if (actor.getSnapshot().value !== 'closed') checkCalls(w, actor.getSnapshot(), `path [${plan.pathEvents.map(evName).join(', ')}] settled`);
}

function act(w: VopWorld, a: Action): void {
  const sys = w.sys;
  switch (a.kind) {
    case 'add':
      return expectOk(resultText(addValid(w)), 'ok 0', 'ADD_DEVICE');
    case 'addRefused':
      return expectOk(resultText(addBad(w, 'numVq5')), 'EINVAL', 'ADD_DEVICE with num_vq 5');
    case 'boot':
      return expectOk(resultText(sys.writeAttr(0, 'state', 'boot')), 'ok', 'state ← boot');
    case 'cardDown':
      return expectOk(resultText(sys.writeAttr(0, 'state', 'reset')), 'ok', 'state ← reset');
    case 'wait':
      return;
    case 'vdevReset':
      return cardDevice(sys).reset();
    case 'cardRemove':
      if (!cardDevice(sys).remove()) throw new Error('the card could not remove its bound device');
      return;
    case 'configChange':
      return expectOk(resultText(w.configChange(new Uint8Array(8).fill(0x5a))), a.outcome === 'GUEST_ACK' ? 'ok 1' : 'ok 0', 'CONFIG_CHANGE');
    case 'close':
      return expectOk(resultText(sys.vop.close(w.fd)), 'ok 0', 'close');
  }
}

function cardDevice(sys: MicSystem) {
  const d = sys.cardVirtio(0).find((x) => x.offset === ENTRY);
  if (d === undefined) throw new Error('the card holds no device for the entry');
  return d;
}

/** a snapshot key as "state{the context fields that tell it apart}" */
function shortSnapshot(key: string): string {
  const [value, c] = JSON.parse(key) as [string, Record<string, unknown>];
  return `${value}{status 0x${Number(c.status).toString(16)}, bound ${String(c.bound)}, resume ${String(c.resume)}, probeErrno ${String(c.probeErrno)}}`;
}

let reported = false;
/** once per process, as lifecycle's exhaustive properties do */
function report(text: string): void {
  if (reported) return;
  reported = true;
  process.stderr.write(`[vop.exhaustive] ${text}\n`);
}

export const vopExhaustive = defineProperty({
  id: 'vop.exhaustive',
  claim: 'every state and declared transition of the vop-device machine, by xstate/graph shortest paths over whole snapshots, replays on the system with the observed device, call verdicts and blocking-call outcomes the machine gives',
  source: 'model/machines/vop-device.ts; facts §5.4, §6.3–§6.5, §6.7',
  level: 'exhaustive',
  requires: ['system', 'memory'],
  runs: 2,
  build: (impl) =>
    fc.property(interleaving(40), (choices) => {
      const cover = vopDeviceCover();
      const tally: Tally = { states: new Set(), transitions: new Set(), probes: 0, probesRaced: 0 };
      const t0 = performance.now();
      for (const plan of cover.plans) replay(impl, plan, choices, tally);
      const ms = performance.now() - t0;
      noteCoverage(vopDeviceMachine, tally);
      const missing = VOP_DEVICE_STATES.filter((s) => !tally.states.has(s));
      if (missing.length > 0) throw new Error(`states never reached on the system: ${missing.join(', ')}`);
      const cov = coverage(declaredTransitions(vopDeviceMachine), tally.transitions, VOP_DEVICE_UNREACHABLE);
      const byWhy = new Map<string, string[]>();
      for (const [k, why] of cover.unrealisedSnapshots) byWhy.set(why, [...(byWhy.get(why) ?? []), shortSnapshot(k)]);
      const unrealised = [...byWhy].map(([why, ks]) => `\n    ${ks.length} snapshot(s) not replayed, ${why}: ${ks.join('; ')}`).join('');
      const leftOut = [...cover.leftOut].map(([why, n]) => `\n    ${n} candidate path(s) left out: ${why}`).join('');
      report(
        `vop-device: ${tally.states.size}/${VOP_DEVICE_STATES.length} states, ${cov.figure}, ` +
          `${cover.snapshots - cover.unrealisedSnapshots.size}/${cover.snapshots} whole snapshots; ${cover.plans.length} paths replayed ` +
          `(of ${cover.candidates} xstate/graph shortest paths and their one-event extensions, traversal ${cover.ms.toFixed(0)} ms, replay ${ms.toFixed(0)} ms), ` +
          `wait states seen from inside the call ${tally.probes} of ${tally.probes + tally.probesRaced}${cov.unreachableLines}${unrealised}${leftOut}`,
      );
    }),
});
