/**
 * Claim: no lost wakeup. A card driver that kicks only when the device asks for it and sleeps
 *   until interrupted, and a host device that sleeps until kicked and interrupts only when the
 *   driver asks for it, always finish all the work, for every interleaving, with and without
 *   VIRTIO_RING_F_EVENT_IDX. Every kick and interrupt decision equals the suppression rule restated
 *   here (flags without event index, the idx window with it), so suppressed kicks and interrupts
 *   are truly suppressed and required ones are sent; and what each side asks of the other is in
 *   memory once it asked (the NO_NOTIFY / NO_INTERRUPT flag set while it works and clear when it
 *   sleeps, or with event index the event at the index it has consumed up to).
 * Source: NOTIF-01, NOTIF-02, NOTIF-03, NOTIF-05, ORD-02
 * Level: component
 */
import fc from 'fast-check';
import type { Chain, Implementation, UsedOut } from '../../model/contract.ts';
import { VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY } from '../../model/constants/virtio.ts';
import { vringAvail, vringUsed, availUsedEventOffset, usedAvailEventOffset } from '../../model/layout/vring.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { journalKinds, type Journal } from '../journal.ts';
import { buildWorld, CARD_BUF, isRingError, u16 } from './world.ts';
import { queueSize, startIdx } from './traffic.ts';

interface WakeInput {
  readonly num: number;
  readonly eventIdx: boolean;
  readonly startIdx: number;
  readonly pins: boolean;
  readonly work: number;
  readonly choices: readonly number[];
}

const wakeInput: fc.Arbitrary<WakeInput> = fc.record({
  num: queueSize,
  eventIdx: fc.boolean(),
  startIdx,
  pins: fc.boolean(),
  work: fc.integer({ min: 1, max: 40 }),
  choices: interleaving(400),
});

const yes = (b: number): string => (b ? 'yes' : 'no');
/** what a side asked of the other when a decision was taken: the event index or the flags word */
const asked = (v: number, eventIdx: number, what: string): string => (eventIdx ? `${what}_event ${v}` : `flags 0x${v.toString(16)}`);

/** the two sides' actions: kick and interrupt decisions with the indices and requests they were taken on */
const wakeJournal = journalKinds({
  add: ([token, head]) => `driver adds token ${token} → head ${head}`,
  kick: ([kick, rule, oldIdx, newIdx, req, ev]) => `driver kick decision ${yes(kick)} (rule ${yes(rule)}), avail idx ${oldIdx} → ${newIdx}, device asked ${asked(req, ev, 'avail')}`,
  irqWake: () => 'driver woken by an interrupt: disables callbacks, reaps',
  reap: ([head, lastUsed]) => (head < 0 ? `driver finds no used entry (last used idx ${lastUsed})` : `driver reaps head ${head} (last used idx ${lastUsed})`),
  enableCallbacks: ([ok, lastUsed]) => `driver re-enables callbacks at used idx ${lastUsed}: ${ok ? 'nothing new, sleeps' : 'more came, reaps again'}`,
  kickWake: () => 'device woken by a kick: disables notifications, fetches',
  pop: ([head, lastAvail]) => (head < 0 ? `device finds nothing new (last avail idx ${lastAvail})` : `device fetches head ${head} (last avail idx ${lastAvail})`),
  push: ([head, irq, rule, oldIdx, newIdx, req, ev]) => `device pushes head ${head}, interrupt decision ${yes(irq)} (rule ${yes(rule)}), used idx ${oldIdx} → ${newIdx}, driver asked ${asked(req, ev, 'used')}`,
  enableNotify: ([ok, lastAvail]) => `device re-enables notifications at avail idx ${lastAvail}: ${ok ? 'more came, fetches again' : 'nothing new, sleeps'}`,
});
type WakeJournal = ReturnType<typeof wakeJournal>;

/** "does [old, new) mod 2^16 contain event?" — the event-index rule read as a window of indices */
const crosses = (event: number, oldIdx: number, newIdx: number): boolean => u16(event - oldIdx) < u16(newIdx - oldIdx);

function run(impl: Implementation, input: WakeInput, journal: WakeJournal): string | undefined {
  const w = buildWorld(impl, { num: input.num, eventIdx: input.eventIdx, indirect: false, startIdx: input.startIdx, pins: input.pins });
  const { drv, dev, hostRam, cardRam } = w;
  const choice = choicesFrom(input.choices);
  const usedFlags = w.cardUsed + vringUsed.fields.flags.offset;
  const availEvent = w.cardUsed + usedAvailEventOffset(input.num);
  const availFlags = w.hostAvail + vringAvail.fields.flags.offset;
  const usedEvent = w.hostAvail + availUsedEventOffset(input.num);
  const rd16 = (p: { read16(a: number): number | object }, a: number): number => {
    const v = p.read16(a);
    if (typeof v !== 'number') throw new Error(`oracle read faulted at ${a}`);
    return v;
  };

  // what each side asks of the other must be in memory once it asked: without event index the
  // flag (NOTIF-01/03), with it the event index at the position it has consumed up to (NOTIF-02)
  const deviceAsked = (quiet: boolean): string | undefined => {
    if (input.eventIdx) {
      if (quiet) return undefined;
      const ev = rd16(cardRam, availEvent);
      return ev === dev.lastAvailIdx ? undefined : `device re-enabled kicks but avail_event is ${ev}, not its last avail idx ${dev.lastAvailIdx}`;
    }
    const set = (rd16(cardRam, usedFlags) & VRING_USED_F_NO_NOTIFY) !== 0;
    return set === quiet ? undefined : `device ${quiet ? 'disabled' : 're-enabled'} kicks but VRING_USED_F_NO_NOTIFY is ${set ? 'set' : 'clear'}`;
  };
  const driverAsked = (quiet: boolean): string | undefined => {
    if (input.eventIdx) {
      if (quiet) return undefined;
      const ev = rd16(hostRam, usedEvent);
      return ev === drv.lastUsedIdx ? undefined : `driver re-enabled interrupts but used_event is ${ev}, not its last used idx ${drv.lastUsedIdx}`;
    }
    const set = (rd16(hostRam, availFlags) & VRING_AVAIL_F_NO_INTERRUPT) !== 0;
    return set === quiet ? undefined : `driver ${quiet ? 'disabled' : 're-enabled'} interrupts but VRING_AVAIL_F_NO_INTERRUPT is ${set ? 'set' : 'clear'}`;
  };

  let added = 0;
  let reaped = 0;
  let unkicked = 0;
  let lastKickIdx = input.startIdx;
  let lastIrqUsed = input.startIdx;
  // a kick or an interrupt is a sticky signal (an eventfd / a doorbell): it wakes the side when it sleeps
  let kickPending = false;
  let irqPending = false;
  let device: 'asleep' | 'running' | 'enabling' = 'asleep';
  let driver: 'asleep' | 'reaping' | 'enabling' = 'asleep';
  const chain: Chain = dev.newChain();
  const out: UsedOut = { head: 0, len: 0, token: 0 };
  const seg = [{ addr: CARD_BUF, len: 8 }];
  const none: never[] = [];

  const ev = input.eventIdx ? 1 : 0;
  const driverAdd = (): string | undefined => {
    const h = drv.add(none, seg, added);
    if (isRingError(h)) return `driver add failed: ${h.code} ${h.detail}`;
    journal.rec('add', added, h);
    added++;
    unkicked++;
    return undefined;
  };

  const driverKick = (): string | undefined => {
    const newIdx = u16(lastKickIdx + unkicked);
    // the device's request, read before the driver decides (the device does not run meanwhile)
    const req = rd16(cardRam, input.eventIdx ? availEvent : usedFlags);
    const expect = input.eventIdx ? crosses(req, lastKickIdx, newIdx) : (req & VRING_USED_F_NO_NOTIFY) === 0;
    const kick = drv.kickPrepare();
    journal.rec('kick', kick ? 1 : 0, expect ? 1 : 0, lastKickIdx, newIdx, req, ev);
    if (kick !== expect) return `kick decision ${kick}, rule says ${expect} (event idx ${input.eventIdx}, old ${lastKickIdx}, new ${newIdx})`;
    lastKickIdx = newIdx;
    unkicked = 0;
    if (kick) kickPending = true;
    return undefined;
  };

  // the driver's interrupt path, one step at a time: reap what is there, then re-enable interrupts
  // and only then decide to sleep (the re-check is what NOTIF-05 requires)
  const driverStep = (): string | undefined => {
    if (driver === 'asleep') {
      irqPending = false;
      journal.rec('irqWake');
      drv.disableCallbacks();
      driver = 'reaping';
      return driverAsked(true);
    }
    if (driver === 'reaping') {
      const r = drv.reap(out);
      if (isRingError(r)) return `driver reap failed: ${r.code} ${r.detail}`;
      journal.rec('reap', r ? out.head : -1, drv.lastUsedIdx);
      if (r) reaped++;
      else driver = 'enabling';
      return undefined;
    }
    const sleeps = drv.enableCallbacks();
    journal.rec('enableCallbacks', sleeps ? 1 : 0, drv.lastUsedIdx);
    if (sleeps) {
      driver = 'asleep';
      return driverAsked(false);
    }
    drv.disableCallbacks();
    driver = 'reaping';
    return undefined;
  };

  // the device's worker, one step at a time: fetch and complete, then re-enable kicks and re-check
  const deviceStep = (): string | undefined => {
    if (device === 'asleep') {
      kickPending = false;
      journal.rec('kickWake');
      dev.disableNotify();
      device = 'running';
      return deviceAsked(true);
    }
    if (device === 'running') {
      const r = dev.pop(chain);
      if (isRingError(r)) return `device pop failed: ${r.code} ${r.detail}`;
      journal.rec('pop', r ? chain.head : -1, dev.lastAvailIdx);
      if (!r) {
        device = 'enabling';
        return undefined;
      }
      const e = dev.push(chain.head, 0);
      if (e) return `device push failed: ${e.code}`;
      const newUsed = dev.usedIdx;
      const req = rd16(hostRam, input.eventIdx ? usedEvent : availFlags);
      const expect = input.eventIdx ? crosses(req, lastIrqUsed, newUsed) : (req & VRING_AVAIL_F_NO_INTERRUPT) === 0;
      const irq = dev.needNotify();
      journal.rec('push', chain.head, irq ? 1 : 0, expect ? 1 : 0, lastIrqUsed, newUsed, req, ev);
      if (irq !== expect) return `interrupt decision ${irq}, rule says ${expect} (event idx ${input.eventIdx}, old ${lastIrqUsed}, new ${newUsed})`;
      lastIrqUsed = newUsed;
      if (irq) irqPending = true;
      return undefined;
    }
    const more = dev.enableNotify();
    journal.rec('enableNotify', more ? 1 : 0, dev.lastAvailIdx);
    if (more) {
      dev.disableNotify();
      device = 'running';
      return undefined;
    }
    device = 'asleep';
    return deviceAsked(false);
  };

  const limit = 12 * input.work + 100;
  for (let step = 0; step < limit; step++) {
    const acts: (() => string | undefined)[] = [];
    if (added < input.work && drv.numFree > 0) acts.push(driverAdd);
    if (unkicked > 0) acts.push(driverKick);
    if (driver !== 'asleep' || irqPending) acts.push(driverStep);
    if (device !== 'asleep' || kickPending) acts.push(deviceStep);
    if (acts.length === 0) break;
    const e = acts[acts.length === 1 ? 0 : choice.choose(acts.length)]!();
    if (e) return e;
  }
  if (reaped !== input.work) {
    return `lost wakeup: ${input.work} requests, ${added} added, ${reaped} completed; both sides asleep (device ${device}, kick pending ${kickPending}, driver ${driver}, irq pending ${irqPending})`;
  }
  return undefined;
}

export const noLostWakeup = defineProperty({
  id: 'ring.noLostWakeup',
  claim: 'with suppression honoured on both sides no interleaving leaves work pending with both sides asleep; kick and interrupt decisions follow the flags / event-index rule',
  source: 'NOTIF-01, NOTIF-02, NOTIF-03, NOTIF-05, ORD-02',
  level: 'component',
  requires: ['memory', 'ring'],
  runs: 300,
  build: (impl) =>
    fc.property(wakeInput, (input) => {
      const journal = wakeJournal();
      const e = journal.guard(() => run(impl, input, journal));
      if (e) throw journal.error(e);
      return true;
    }),
});
