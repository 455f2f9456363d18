/**
 * Claim: a card driver whose used-buffer callback re-enters its ring keeps every buffer accounted
 *   for exactly once. The driver sleeps until interrupted; its interrupt path disables callbacks,
 *   reaps one entry at a time and runs the buffer's callback, then re-enables callbacks and
 *   re-checks before it sleeps (NOTIF-05). From inside a callback the client adds new buffers
 *   (refill), kicks, reaps again (nested callbacks), disables and re-enables callbacks, or resets
 *   the device and detaches every buffer it still owns (RING-19), after which the interrupt path
 *   that was running must not touch the old ring again and the client goes on with a new one.
 *   Checked: every token is completed exactly once or detached exactly once, never both and never
 *   twice, and none is lost (a reset detaches what was added, published, fetched, or completed but
 *   not yet reaped); a reaped token carries the length the device pushed; inside each callback the
 *   ring's counters already agree with the client's model (its own head is free, numFree and
 *   inFlight count exactly the buffers out); and no interleaving leaves work pending with both
 *   sides asleep.
 * Source: RING-15, RING-19 (detach after reset), NOTIF-01, NOTIF-05; Linux virtio_ring.c
 *   (virtqueue_get_buf detaches before returning; drivers refill and kick from their callbacks,
 *   virtqueue_detach_unused_buf after reset); issue 13 item 2.
 * Level: component
 */
import fc from 'fast-check';
import type { Chain, Implementation, UsedOut } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { journalKinds } from '../journal.ts';
import { buildWorld, CARD_BUF, isRingError, type World } from './world.ts';
import { queueSize, startIdx } from './traffic.ts';

/** what a callback does after its checks */
type Act = 'none' | 'add' | 'kick' | 'reap' | 'toggle' | 'disable' | 'reset';

const actArb: fc.Arbitrary<Act> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('none' as const) },
  { weight: 3, arbitrary: fc.constant('add' as const) },
  { weight: 2, arbitrary: fc.constant('kick' as const) },
  { weight: 2, arbitrary: fc.constant('reap' as const) },
  { weight: 1, arbitrary: fc.constant('toggle' as const) },
  { weight: 1, arbitrary: fc.constant('disable' as const) },
  { weight: 1, arbitrary: fc.constant('reset' as const) },
);

interface ReentrantInput {
  readonly num: number;
  readonly eventIdx: boolean;
  readonly startIdx: number;
  readonly pins: boolean;
  readonly work: number;
  /** callback k does acts[k % length] */
  readonly acts: readonly Act[];
  readonly choices: readonly number[];
}

const input: fc.Arbitrary<ReentrantInput> = fc.record({
  num: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2, 4, 8) }, { weight: 1, arbitrary: queueSize }),
  eventIdx: fc.boolean(),
  startIdx,
  pins: fc.boolean(),
  work: fc.integer({ min: 1, max: 40 }),
  acts: fc.array(actArb, { minLength: 1, maxLength: 16 }),
  choices: interleaving(400),
});

interface Token {
  readonly token: number;
  /** the ring generation it was added to (a reset starts a new one) */
  readonly gen: number;
  /** buffers in its chain (1 or 2) */
  readonly descs: number;
  head: number;
  /** the length the device pushed (−1: not completed) */
  pushed: number;
  end: 'out' | 'completed' | 'detached';
}

/** the driver's, its callbacks' and the device's actions, with the heads and tokens they acted on */
const reentrantJournal = journalKinds({
  add: ([token, head, descs, gen]) => (head < 0 ? `add of token ${token} (${descs} buffers) refused` : `driver adds token ${token} → head ${head} (${descs} buffer(s), ring ${gen})`),
  kick: ([kick]) => `driver kicks: ${kick ? 'notifies' : 'suppressed'}`,
  reset: ([gen, back]) => `device reset from a callback: ${back} token(s) detached, ring ${gen} → ${gen + 1}`,
  reap: ([head, token, len, depth]) => (head === -2 ? `driver reap fails (ring error, depth ${depth})` : head < 0 ? `driver finds no used entry (depth ${depth})` : `driver reaps head ${head}, token ${token}, len ${len} (depth ${depth})`),
  callback: ([token, depth], act) => `callback of token ${token} (depth ${depth}) does ${String(act)}`,
  irqWake: () => 'driver woken by an interrupt: disables callbacks',
  enableCallbacks: ([ok]) => `driver re-enables callbacks: ${ok ? 'sleeps' : 'more came, reaps again'}`,
  kickWake: () => 'device woken by a kick: disables notifications',
  pop: ([head, token]) => (head < 0 ? 'device finds nothing new' : `device fetches head ${head} (token ${token})`),
  push: ([head, token, len, irq]) => `device pushes head ${head} (token ${token}), len ${len}, interrupt ${irq ? 'sent' : 'suppressed'}`,
  enableNotify: ([more]) => `device re-enables notifications: ${more ? 'more came, fetches again' : 'sleeps'}`,
});
type ReentrantJournal = ReturnType<typeof reentrantJournal>;

function run(impl: Implementation, x: ReentrantInput, journal: ReentrantJournal): string | undefined {
  const choice = choicesFrom(x.choices);
  const cfg = { num: x.num, eventIdx: x.eventIdx, indirect: false, startIdx: x.startIdx, pins: x.pins };
  let w: World = buildWorld(impl, cfg);
  let gen = 0;
  let chain: Chain = w.dev.newChain();
  const tokens: Token[] = [];
  const byHead = new Map<number, Token>();
  let held: Token[] = [];
  let added = 0;
  let unkicked = 0;
  let kickPending = false;
  let irqPending = false;
  let device: 'asleep' | 'running' | 'enabling' = 'asleep';
  let driver: 'asleep' | 'reaping' | 'enabling' = 'asleep';
  let calls = 0;
  const out: UsedOut = { head: 0, len: 0, token: 0 };
  let failure: string | undefined;
  const fail = (m: string): void => {
    journal.freeze();
    failure ??= m;
  };
  const outNow = (): Token[] => tokens.filter((t) => t.gen === gen && t.end === 'out');

  /** every third buffer is a chain of two (when the queue holds two) */
  const descsOf = (k: number): number => (x.num >= 2 && k % 3 === 2 ? 2 : 1);
  const canAdd = (): boolean => added < x.work && w.drv.numFree >= descsOf(added);
  const add = (): void => {
    if (!canAdd()) return;
    const descs = descsOf(added);
    const token = added;
    const bufs = Array.from({ length: descs }, (_, k) => ({ addr: CARD_BUF + token * 64 + k * 16, len: 8 }));
    const h = w.drv.add([], bufs, token);
    journal.rec('add', token, isRingError(h) ? -1 : h, descs, gen);
    if (isRingError(h)) return fail(`add of token ${token} (${descs} buffers, ${w.drv.numFree} free) failed: ${h.code} ${h.detail}`);
    if (byHead.has(h)) return fail(`add of token ${token} got head ${h}, still out with token ${byHead.get(h)!.token}`);
    const t: Token = { token, gen, descs, head: h, pushed: -1, end: 'out' };
    tokens.push(t);
    byHead.set(h, t);
    added++;
    unkicked++;
  };

  const kick = (): void => {
    const k = w.drv.kickPrepare();
    journal.rec('kick', k ? 1 : 0);
    if (k) kickPending = true;
    unkicked = 0;
  };

  /** device reset from inside a callback: every buffer the driver still owns comes back once, then a new ring */
  const reset = (): void => {
    w.dev.reset();
    const back = new Set<number>();
    for (let t = w.drv.detachUnused(); t !== -1; t = w.drv.detachUnused()) {
      const rec = tokens[t];
      if (rec === undefined || rec.gen !== gen) return fail(`detachUnused gave back token ${t}, which was never added to this ring`);
      if (rec.end === 'completed') return fail(`detachUnused gave back token ${t}, which was already completed: both`);
      if (back.has(t)) return fail(`detachUnused gave back token ${t} twice`);
      if (back.size > x.num) return fail(`detachUnused gave back more than ${x.num} tokens`);
      back.add(t);
      rec.end = 'detached';
    }
    journal.rec('reset', gen, back.size);
    const lost = outNow();
    if (lost.length > 0) return fail(`after the reset, detachUnused did not give back tokens ${lost.map((t) => `${t.token} (${t.pushed >= 0 ? 'completed, not yet reaped' : 'not completed'})`).join(', ')}: neither completed nor detached`);
    if (w.drv.inFlight !== 0 || w.drv.numFree !== x.num) return fail(`after detaching everything: inFlight ${w.drv.inFlight}, numFree ${w.drv.numFree} of ${x.num}`);
    // the old ring is gone (del_vqs); probe again with a new one
    w = buildWorld(impl, cfg);
    chain = w.dev.newChain();
    gen++;
    byHead.clear();
    held = [];
    unkicked = 0;
    kickPending = false;
    irqPending = false;
    device = 'asleep';
    driver = 'asleep';
  };

  /** take one used entry and run its callback; false: nothing there (or the ring was reset meanwhile) */
  const reapOne = (depth: number): boolean => {
    const myGen = gen;
    const r = w.drv.reap(out);
    if (isRingError(r) || !r) journal.rec('reap', r ? -2 : -1, 0, 0, depth);
    else journal.rec('reap', out.head, out.token, out.len, depth);
    if (isRingError(r)) {
      fail(`reap failed on an honest device: ${r.code} ${r.detail}`);
      return false;
    }
    if (!r) return false;
    const t = byHead.get(out.head);
    if (t === undefined || t.token !== out.token) {
      fail(`reap gave head ${out.head} token ${out.token}, which is not out on this ring`);
      return false;
    }
    if (t.end !== 'out') fail(`token ${t.token} reaped again after it was ${t.end}`);
    if (t.pushed < 0) fail(`token ${t.token} reaped before the device completed it`);
    if (out.len !== t.pushed) fail(`token ${t.token} reaped with len ${out.len}, the device pushed ${t.pushed}`);
    t.end = 'completed';
    byHead.delete(t.head);
    callback(t, depth);
    return gen === myGen;
  };

  const callback = (t: Token, depth: number): void => {
    // the ring's state as the callback sees it: already past this buffer
    const mine = outNow();
    const descs = mine.reduce((a, r) => a + r.descs, 0);
    if (w.drv.writableBytes(t.head) !== -1) fail(`in token ${t.token}'s callback its head ${t.head} is still in flight`);
    if (w.drv.inFlight !== mine.length) fail(`in token ${t.token}'s callback inFlight is ${w.drv.inFlight}, ${mine.length} buffers are out`);
    if (w.drv.numFree !== x.num - descs) fail(`in token ${t.token}'s callback numFree is ${w.drv.numFree}, ${x.num - descs} descriptors are free`);
    if (failure !== undefined) return;
    const act = x.acts[calls++ % x.acts.length]!;
    journal.recObj('callback', act, t.token, depth);
    switch (act) {
      case 'none':
        return;
      case 'add':
        add();
        add();
        return;
      case 'kick':
        kick();
        return;
      case 'reap':
        if (depth < 2) reapOne(depth + 1);
        return;
      case 'toggle':
        w.drv.disableCallbacks();
        w.drv.enableCallbacks();
        return;
      case 'disable':
        w.drv.disableCallbacks();
        return;
      case 'reset':
        reset();
        return;
    }
  };

  // the driver's interrupt path, one step at a time (NOTIF-05: re-enable, re-check, then sleep)
  const driverStep = (): void => {
    if (driver === 'asleep') {
      irqPending = false;
      journal.rec('irqWake');
      w.drv.disableCallbacks();
      driver = 'reaping';
      return;
    }
    if (driver === 'reaping') {
      const myGen = gen;
      if (!reapOne(0) && gen === myGen) driver = 'enabling';
      return;
    }
    const sleeps = w.drv.enableCallbacks();
    journal.rec('enableCallbacks', sleeps ? 1 : 0);
    if (sleeps) {
      driver = 'asleep';
      return;
    }
    w.drv.disableCallbacks();
    driver = 'reaping';
  };

  // the device: fetch, complete in any order, re-enable kicks and re-check before it sleeps
  const deviceStep = (): void => {
    if (device === 'asleep') {
      kickPending = false;
      journal.rec('kickWake');
      w.dev.disableNotify();
      device = 'running';
      return;
    }
    if (device === 'running') {
      if (held.length > 0 && choice.choose(2) === 0) {
        const t = held.splice(choice.choose(held.length), 1)[0]!;
        const len = choice.choose(8 * t.descs + 1);
        const e = w.dev.push(t.head, len);
        if (e) return fail(`device push of token ${t.token} failed: ${e.code} ${e.detail}`);
        t.pushed = len;
        const irq = w.dev.needNotify();
        journal.rec('push', t.head, t.token, len, irq ? 1 : 0);
        if (irq) irqPending = true;
        return;
      }
      const r = w.dev.pop(chain);
      if (isRingError(r)) return fail(`device pop failed: ${r.code} ${r.detail}`);
      journal.rec('pop', r ? chain.head : -1, r ? (byHead.get(chain.head)?.token ?? -1) : -1);
      if (r) {
        const t = byHead.get(chain.head);
        if (t === undefined || t.end !== 'out' || t.pushed >= 0 || held.includes(t)) return fail(`device fetched head ${chain.head}, not a published buffer waiting`);
        held.push(t);
        return;
      }
      if (held.length === 0) device = 'enabling';
      return;
    }
    const more = w.dev.enableNotify();
    journal.rec('enableNotify', more ? 1 : 0);
    if (more) {
      w.dev.disableNotify();
      device = 'running';
      return;
    }
    device = 'asleep';
  };

  const limit = 30 * x.work + 200;
  for (let step = 0; step < limit && failure === undefined; step++) {
    const acts: (() => void)[] = [];
    if (canAdd()) acts.push(add);
    if (unkicked > 0) acts.push(kick);
    if (driver !== 'asleep' || irqPending) acts.push(driverStep);
    if (device !== 'asleep' || kickPending) acts.push(deviceStep);
    if (acts.length === 0) break;
    acts[acts.length === 1 ? 0 : choice.choose(acts.length)]!();
  }
  if (failure !== undefined) return failure;
  const open = tokens.filter((t) => t.end === 'out');
  if (added < x.work || open.length > 0) {
    return `lost wakeup: ${x.work} buffers, ${added} added, ${open.length} still out (${open.map((t) => t.token).join(',')}); device ${device}, kick pending ${kickPending}, driver ${driver}, irq pending ${irqPending}`;
  }
  return undefined;
}

export const ringReentrant = defineProperty({
  id: 'ring.traffic.reentrant',
  claim: 'a driver whose callbacks add, kick, reap, toggle callbacks and reset from inside: every token completes or detaches exactly once, callbacks see the ring already past their buffer, no lost wakeup',
  source: 'RING-15, RING-19, NOTIF-01, NOTIF-05; Linux virtio_ring.c; issue 13 item 2',
  level: 'component',
  requires: ['memory', 'ring'],
  runs: 150,
  build: (impl) =>
    fc.property(input, (x) => {
      const journal = reentrantJournal();
      const e = journal.guard(() => run(impl, x, journal));
      if (e) throw journal.error(e);
      return true;
    }),
});
