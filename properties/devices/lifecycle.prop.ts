/**
 * Claim: the devices survive the card's life. In the middle of console, net and block traffic,
 *   random OSPM suspend/resume, card resets (then a boot), host-initiated hot-remove and re-add of
 *   a device, card crashes (the daemon resets the card; the operator boots it), daemon restarts
 *   (every fd closed, every device added again) and injected DMA descriptor errors on the host's
 *   VOP channel come and go, and afterwards:
 *   - every block write acknowledged to the card is in the store: per sector, the writes (those a
 *     reset took away may or may not have landed), the reads that completed OK, and one final read
 *     of the store form a linearizable history (linearize.ts);
 *   - nothing is delivered twice: the net frames the card received are a subsequence of those the
 *     host sent (each at most once, in order), and the same for the frames the host received;
 *   - nothing hangs: after each event the card is online with all three devices live again within
 *     a bounded number of steps, and fresh console bytes, net frames and a block write/read sent
 *     after the last event all arrive intact.
 * Source: facts §4.2 (OSPM suspend/resume), §6.7 (hot-remove and reset), §8.6 (daemon state
 *   handling: reset after crashed), §7.5 (DMA errors); RESET-01 (a reset device starts over);
 *   BLK-07 (completed writes are kept); issue 10 ("lifecycle mixed in").
 * Level: system
 */
import fc from 'fast-check';
import type { BlkRequest, Implementation } from '../../model/contract.ts';
import { VIRTIO_ID_BLOCK, VIRTIO_ID_CONSOLE, VIRTIO_ID_NET } from '../../model/constants/virtio.ts';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_SECTOR_SIZE as SECTOR } from '../../model/layout/virtio-devices.ts';
import { MPSSD_POLL_NS } from '../../model/constants/lifecycle.ts';
import { defineProperty } from '../harness.ts';
import { journaled, journalKinds } from '../journal.ts';
import { linearizeDisk, type SectorOp } from './linearize.ts';
import { DevWorld } from './world.ts';

const SECTORS = 8;
/** virtual time any one recovery may take: a card boot is ~2.5 s, a suspend with its resets ~65 s */
const RECOVER_NS = 300e9;
const ETHERTYPE_EXPERIMENTAL = 0x88b5;

type Event =
  | { readonly kind: 'traffic'; readonly frames: number; readonly writes: number; readonly steps: number }
  | { readonly kind: 'suspendResume' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'crash' }
  | { readonly kind: 'hotRemove'; readonly type: number }
  | { readonly kind: 'daemonRestart' }
  | { readonly kind: 'dmaError'; readonly skip: number };

const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('traffic' as const), frames: fc.integer({ min: 0, max: 6 }), writes: fc.integer({ min: 0, max: 4 }), steps: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'suspendResume' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hotRemove' as const), type: fc.constantFrom(VIRTIO_ID_NET, VIRTIO_ID_BLOCK, VIRTIO_ID_CONSOLE) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'daemonRestart' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dmaError' as const), skip: fc.integer({ min: 0, max: 3 }) }) },
);

const TYPE_NAMES: Record<number, string> = { [VIRTIO_ID_NET]: 'net', [VIRTIO_ID_BLOCK]: 'block', [VIRTIO_ID_CONSOLE]: 'console' };

function eventText(e: Event): string {
  switch (e.kind) {
    case 'traffic':
      return `traffic: ${e.steps} steps, then ${e.frames} frame(s) each way and ${e.writes} block write(s)`;
    case 'hotRemove':
      return `hot-remove and re-add of the ${TYPE_NAMES[e.type] ?? e.type} device`;
    case 'dmaError':
      return `DMA descriptor error armed on ch 0 (skip ${e.skip})`;
    default:
      return e.kind;
  }
}

/** the events and the final phases, with the traffic counts when each began */
const lifecycleJournal = journalKinds({
  event: ([toCard, cardGot, fromCard, hostGot, submitted, completed], e) =>
    `${typeof e === 'string' ? e : eventText(e as Event)} | frames to card ${cardGot}/${toCard} received, from card ${hostGot}/${fromCard} received, block requests ${completed}/${submitted} completed`,
});
type LifecycleJournal = ReturnType<typeof lifecycleJournal>;

function tagged(tag: number): Uint8Array {
  const b = new Uint8Array(SECTOR);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < SECTOR; i += 4) dv.setUint32(i, tag);
  return b;
}

function valueOf(bytes: Uint8Array, at: number): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, SECTOR);
  const t = dv.getUint32(0);
  for (let i = 4; i < SECTOR; i += 4) if (dv.getUint32(i) !== t) return `torn@${at}`;
  return t === 0 ? 'init' : `w${t}`;
}

function frame(k: number, src: Uint8Array, len: number): Uint8Array {
  const f = new Uint8Array(len);
  f.fill(0xff, 0, 6);
  f.set(src.subarray(0, 6), 6);
  f[12] = ETHERTYPE_EXPERIMENTAL >> 8;
  f[13] = ETHERTYPE_EXPERIMENTAL & 0xff;
  new DataView(f.buffer).setUint32(14, k);
  for (let i = 18; i < len; i++) f[i] = (k + i) & 0xff;
  return f;
}

/** the frames `got` are a subsequence of `sent` (by number), each intact: nothing twice, nothing out of order */
function subsequence(dir: string, got: readonly Uint8Array[], sent: readonly Uint8Array[]): void {
  let j = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    while (j < sent.length && !same(sent[j]!, g)) j++;
    if (j === sent.length) throw new Error(`${dir}: frame ${i} received (number ${g.length >= 18 ? new DataView(g.buffer, g.byteOffset).getUint32(14) : '?'}) is a repeat, out of order or damaged`);
    j++;
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** the run's world and books: one method per event, the checks at the end */
class LifecycleRig {
  readonly w: DevWorld;
  readonly hostMac = new Uint8Array([2, 0, 0, 0, 0, 0xfe]);
  readonly cardGot: Uint8Array[] = [];
  readonly toCard: Uint8Array[] = [];
  readonly fromCard: Uint8Array[] = [];
  k = 0;
  clock = 0;
  tag = 1;
  readonly bySector = new Map<number, SectorOp[]>();
  writes = 0;
  // every block request the driver took: completed once, or handed back through detached(), never both
  readonly submitted = new Set<number>();
  readonly completed = new Set<number>();

  constructor(
    impl: Implementation,
    private readonly journal: LifecycleJournal,
  ) {
    this.w = new DevWorld(impl, { dma: true, sectors: SECTORS });
    const s = this.w.services;
    s.console.shell = false;
    if (s.console.shell !== false) throw new Error('the console shell cannot be turned off');
    this.recover('start');
    s.net.onFrame((f) => this.cardGot.push(f.slice()));
  }

  private get s() {
    return this.w.services;
  }

  private allLive(): boolean {
    const s = this.s;
    return this.w.sys.observe.state(0) === 'online' && s.console.live && s.net.live && s.blk.live;
  }

  recover(what: string): void {
    const s = this.s;
    if (!this.w.run(() => this.allLive(), 3_000_000, RECOVER_NS)) {
      throw new Error(`after ${what} the card did not come back with its devices (state ${this.w.sys.observe.state(0)}, console ${s.console.live}, net ${s.net.live}, blk ${s.blk.live})`);
    }
  }

  note(e: Event | string): void {
    this.journal.recObj('event', e, this.toCard.length, this.cardGot.length, this.fromCard.length, this.w.net.fromCard.length, this.submitted.size, this.completed.size);
  }

  private record(sector: number, op: SectorOp): void {
    this.bySector.set(sector, [...(this.bySector.get(sector) ?? []), op]);
  }

  private finish(id: number | undefined, what: string): void {
    if (id === undefined) return;
    if (this.completed.has(id)) throw new Error(`${what} completed twice`);
    this.completed.add(id);
  }

  write(sector: number): void {
    const t = this.tag++;
    const invoke = this.clock++;
    const op = { kind: 'write' as const, value: `w${t}`, invoke, complete: undefined as number | undefined, label: `write w${t} to ${sector}` };
    this.record(sector, op);
    const req: BlkRequest = { type: 'out', sector, data: tagged(t) };
    let rid: number | undefined;
    const id = this.s.blk.submit(req, (c) => {
      this.finish(rid, op.label);
      // acknowledged: from now on the store must keep it (or a later write)
      if (c.status === VIRTIO_BLK_S_OK) op.complete = this.clock++;
    });
    if (typeof id === 'number') {
      rid = id;
      this.submitted.add(id);
      this.writes++;
    }
    this.s.blk.kick();
  }

  read(sector: number, then: (ok: boolean) => void): void {
    const invoke = this.clock++;
    let rid: number | undefined;
    const id = this.s.blk.submit({ type: 'in', sector, sectors: 1 }, (c) => {
      this.finish(rid, `read of ${sector} at ${invoke}`);
      if (c.status === VIRTIO_BLK_S_OK) this.record(sector, { kind: 'read', value: valueOf(c.data, 0), invoke, complete: this.clock++, label: `read of ${sector} at ${invoke}` });
      then(c.status === VIRTIO_BLK_S_OK);
    });
    if (typeof id !== 'number') then(false);
    else {
      rid = id;
      this.submitted.add(id);
    }
    this.s.blk.kick();
  }

  /** time first, then new traffic: what is queued now is still in flight when the next event hits */
  traffic(e: Extract<Event, { kind: 'traffic' }>): void {
    const { w, s } = this;
    w.run(() => false, e.steps);
    for (let i = 0; i < e.frames; i++) {
      const f = frame(this.k++, this.hostMac, 60 + ((this.k * 97) % 1400));
      this.toCard.push(f);
      w.net.toCard.push(f);
      const g = frame(this.k++, s.net.mac, 60 + ((this.k * 131) % 1400));
      if (s.net.send(g)) this.fromCard.push(g);
    }
    for (let i = 0; i < e.writes; i++) this.write((this.k + i * 3) % SECTORS);
    if (e.writes > 0) this.read(this.k % SECTORS, () => undefined);
  }

  suspendResume(): void {
    const sys = this.w.sys;
    const r = sys.pmSuspend();
    if (!('ok' in r)) throw new Error(`pmSuspend refused: ${r.errno}`);
    // the resume is issued once the host is asleep (the predicate latches: run may ask it again)
    let resumed = false;
    if (!this.w.run(() => resumed || (resumed = 'ok' in sys.pmResume()), 3_000_000)) throw new Error('the host never finished suspending');
    this.recover('suspend/resume');
  }

  reset(): void {
    const sys = this.w.sys;
    sys.writeAttr(0, 'state', 'reset');
    if (!this.w.run(() => sys.observe.state(0) === 'offline', 3_000_000)) throw new Error(`the card never got to offline after a reset (${sys.observe.state(0)})`);
    sys.writeAttr(0, 'state', 'boot');
    this.recover('a reset and a boot');
  }

  crash(): void {
    const sys = this.w.sys;
    sys.cardPanic(0);
    // the daemon sees crashed and resets the card (facts §8.6); the operator boots it again
    if (!this.w.run(() => sys.observe.state(0) === 'offline', 3_000_000)) throw new Error(`the daemon never reset the crashed card (${sys.observe.state(0)})`);
    // the daemon's reset helper polls the state once a second (facts §8.6): an operator who
    // boots before it saw `offline` keeps it polling, deaf to a suspend, for two minutes
    this.w.wait(MPSSD_POLL_NS + 1);
    sys.writeAttr(0, 'state', 'boot');
    this.recover('a crash');
  }

  hotRemove(type: number): void {
    const errs = this.w.daemon.restartDevice(0, type);
    if (errs.length > 0) throw new Error(`hot-remove and re-add of type ${type}: ${errs.join('; ')}`);
    this.recover(`a hot-remove of device type ${type}`);
  }

  daemonRestart(what = 'a daemon restart'): void {
    this.w.daemon.stop();
    const errs = this.w.daemon.start();
    if (errs.length > 0) throw new Error(`${what}: ${errs.join('; ')}`);
    this.recover(what);
  }

  dmaError(skip: number): void {
    this.w.sys.scheduler.faults.arm('dma.ch0.descError', { skip, times: 1 });
  }

  apply(e: Event): void {
    this.note(e);
    switch (e.kind) {
      case 'traffic':
        return this.traffic(e);
      case 'suspendResume':
        return this.suspendResume();
      case 'reset':
        return this.reset();
      case 'crash':
        return this.crash();
      case 'hotRemove':
        return this.hotRemove(e.type);
      case 'daemonRestart':
        return this.daemonRestart();
      case 'dmaError':
        return this.dmaError(e.skip);
    }
  }

  /** fresh traffic after the last event arrives whole: console both ways, a frame both ways, a block write and read */
  resumes(): void {
    const { w, s } = this;
    const marker = new TextEncoder().encode(`resume-${this.k}`);
    const typedAt = w.console.printed.length;
    const heard: number[] = [];
    s.console.onInput((b) => heard.push(...b));
    w.console.typing.push(marker);
    const said = new TextEncoder().encode(`card-${this.k}`);
    const took = s.console.write(said);
    const fIn = frame(this.k++, this.hostMac, 200);
    const fOut = frame(this.k++, s.net.mac, 300);
    this.toCard.push(fIn);
    w.net.toCard.push(fIn);
    const sentOut = s.net.send(fOut);
    if (sentOut) this.fromCard.push(fOut);
    this.write(0);
    let lastRead: boolean | undefined;
    const arrived = (): { cin: boolean; cout: boolean; fin: boolean; fout: boolean } => ({
      cin: heard.length >= marker.length,
      cout: w.console.printed.length - typedAt >= took,
      fin: this.cardGot.some((f) => same(f, fIn)),
      fout: !sentOut || w.net.fromCard.some((f) => same(f, fOut)),
    });
    const resumed = w.run(() => {
      if (lastRead === undefined && this.writes > 0 && this.bySector.get(0)!.at(-1)!.complete !== undefined) {
        lastRead = false;
        this.read(0, (ok) => void (lastRead = ok));
      }
      const a = arrived();
      return lastRead === true && a.cin && a.cout && a.fin && a.fout;
    }, 3_000_000, RECOVER_NS);
    if (!resumed) {
      const a = arrived();
      throw new Error(
        `after the last event the devices did not resume: console in ${heard.length}/${marker.length}, console out ${w.console.printed.length - typedAt}/${took}, ` +
          `frame to card ${a.fin}, frame from card ${a.fout}, block read ${lastRead}`,
      );
    }
    if (!same(new Uint8Array(heard.slice(-marker.length)), marker)) throw new Error('the console bytes typed after the last event arrived damaged');
    if (took !== said.length || !same(new Uint8Array(w.console.printed.slice(-took)), said)) throw new Error('the console bytes the card wrote after the last event arrived damaged');
  }

  /** exactly once: each request the driver took was completed or detached, never both, none lost */
  exactlyOnce(): void {
    const detached = this.s.detached().blk;
    for (const id of detached) {
      if (!this.submitted.has(id)) throw new Error(`detached() names block request ${id}, which was never submitted`);
      if (this.completed.has(id)) throw new Error(`block request ${id} was both completed and detached`);
    }
    const lost = [...this.submitted].filter((id) => !this.completed.has(id) && !detached.includes(id));
    if (lost.length > 0) throw new Error(`block requests neither completed nor detached: ${lost.join(', ')}`);
    subsequence('host → card net', this.cardGot, this.toCard);
    subsequence('card → host net', this.w.net.fromCard, this.fromCard);
  }

  /** the store at the end is one more read of every sector; every sector's history must be linearizable */
  storeKeepsAcknowledged(): void {
    const end = this.clock++;
    for (let sct = 0; sct < SECTORS; sct++) this.record(sct, { kind: 'read', value: valueOf(this.w.disk.bytes, sct * SECTOR), invoke: end, complete: end, label: `the store at the end, sector ${sct}` });
    const r = linearizeDisk(() => 'init', this.bySector);
    if (!r.ok) {
      const lines = this.bySector.get(r.sector)!.map((o) => `  ${o.label}: ${o.kind} ${o.value} [${o.invoke}, ${o.complete ?? '∞'}]`).join('\n');
      throw new Error(`sector ${r.sector}: an acknowledged write is missing from the store or a read saw what was never written (${r.result.ok ? '' : r.result.why})\n${lines}`);
    }
  }
}

function check(impl: Implementation, events: readonly Event[], journal: LifecycleJournal): void {
  const rig = new LifecycleRig(impl, journal);
  for (const e of events) rig.apply(e);
  rig.w.sys.scheduler.faults.disarm('dma.ch0.descError');
  rig.note('recovery after the last event');
  rig.recover('the last event');
  // and every run ends with a daemon restart: the devices must come back from that too
  rig.note('the final daemon restart');
  rig.daemonRestart('the final daemon restart');
  rig.note('fresh traffic after the last event');
  rig.resumes();
  rig.note('the final checks');
  rig.exactlyOnce();
  rig.storeKeepsAcknowledged();
}

export const devicesLifecycle = defineProperty({
  id: 'devices.lifecycle',
  claim: 'across suspend/resume, reset, crash, hot-remove, daemon restart and DMA errors, acknowledged writes persist, nothing is delivered twice and the devices resume',
  source: 'RESET-01, BLK-07; facts §4.2, §6.7, §7.5, §8.6',
  level: 'system',
  requires: ['system', 'daemon'],
  runs: 30,
  build: (impl) =>
    fc.property(fc.array(eventArb, { minLength: 1, maxLength: 8 }), journaled(lifecycleJournal, (journal, events) => {
      check(impl, events, journal);
      return true;
    })),
});
