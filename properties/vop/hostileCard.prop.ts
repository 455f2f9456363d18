/**
 * Claim: with two virtio devices live on one card — A (console-like, type 3) and B (net-like,
 *   type 1), 2 queues of 16 each, B's entry right after A's — a card that rewrites any byte of A's
 *   device-page entry at any time (header type / num_vq / feature_len / config_len / status, the
 *   vq configs, the feature bitmaps and config space, every ctrl field, used_address_updated = 1
 *   with a used_address that is 0, unaligned, past or across the end of the aperture, or a page it
 *   never allocated, vdev_reset = 1) and rings A's host doorbell, interleaved with valid chains on
 *   A and host COPY_DESC / CONFIG_CHANGE / poll / mmap on A's file, never makes the host throw or
 *   work without bound (each command quiesces within a step and a virtual-time bound); every host
 *   BAR0 access lies inside the aperture, every host BAR0 write inside a used ring the card
 *   allocated, a used ring the card announced that can be one (non-zero, 4-aligned, all of it
 *   inside the aperture), or a writable buffer posted on A or B, and every read inside such a ring
 *   or a posted buffer; no byte of the device page outside A's entry changes (B's entry and the bootparam are
 *   not A's); and B keeps working: every chain posted on B arrives byte-exact in user memory,
 *   returns with used length = the bytes written and exactly those bytes, and nothing else comes
 *   back on B.
 *   The card is hostile, not suicidal: card memory is the card's, so a card that aims A at B's
 *   buffers or used rings, or asks the host to ring its own config or shutdown doorbell for A,
 *   wrecks B by itself, and no host can prevent that. So A's announced used rings avoid B's, A's
 *   h2c_vdev_db never names the card's shutdown, config or A doorbell (A's driver never takes
 *   buffers back, so stale A descriptors never alias a buffer later posted on B), and while A's
 *   sizing bytes are corrupted the card points h2c_config_db at B's doorbell for a CONFIG_CHANGE,
 *   so its own scan never walks a garbage entry list across B.
 *   A's descriptors and avail ring come from the card driver API here; wild ones written straight
 *   into A's ring block are vop.hostileRing's. ADD_DEVICE after the corruption is a unit test
 *   (impl/host/vop/vop.test.ts): the slot walk now steps by the host's own records.
 * Source: facts §5.3, §5.4, §6.2, §6.4, §6.5 (COPY_DESC, CONFIG_CHANGE, poll, mmap), §6.6, §6.7;
 *   DESIGN.md §6 "Hostile input"; issue 9 item 6
 * Level: hostile
 */
import fc from 'fast-check';
import type { Bar0Access, CardVirtioDevice, Implementation, MemPort, MicSystem, VopResult } from '../../model/contract.ts';
import {
  bootParam, configOffset, ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, guestFeaturesOffset, hostFeaturesOffset, MIC_DP_SIZE,
  totalDescSize, vqConfig, vqConfigOffset,
} from '../../model/layout/device-page.ts';
import { micRingBlockSize, usedSize, vringDesc } from '../../model/layout/vring.ts';
import { PROT_READ, PROT_WRITE } from '../../model/constants/vop.ts';
import { VIRTIO_RING_F_EVENT_IDX, VRING_DESC_F_WRITE } from '../../model/constants/virtio.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { journaled, journalKinds } from '../journal.ts';
import type { Layout } from '../../model/layout/table.ts';
import { DATA, HOLE, VopWorld, type Iov } from './world.ts';

const GIB = 2 ** 30;
/** card memory, and so the aperture: BAR0 decodes a power of two ≥ card memory (pcie contract) */
const APERTURE = 16 * GIB;
const NUM = 16;
const SPEC_A = { type: 3, numVq: 2, num: NUM, featureLen: 4, configLen: 8 } as const;
const SPEC_B = { type: 1, numVq: 2, num: NUM, featureLen: 4, configLen: 12 } as const;
const BLOCK = micRingBlockSize(NUM);
/** a page-aligned card region the card hands out to nobody: where a hostile card aims A's used rings */
const SCRATCH = 12 * GIB;
/** steps and virtual time one command may take (a CONFIG_CHANGE nobody acknowledges waits 100 × 100 ms) */
const STEP_LIMIT = 10_000;
const TIME_LIMIT_NS = 12_000_000_000;
/** user buffers: B's chains at DATA, A's at DATA_A */
const DATA_A = DATA + 0x80_0000;

const A_OFF = FIRST_ENTRY_OFFSET;
const A_TOTAL = totalDescSize(SPEC_A);
const B_OFF = A_OFF + A_TOTAL;
const A_CTRL = A_OFF + ctrlOffset(SPEC_A);
const ctrlAt = (f: keyof typeof deviceCtrl.fields): number => A_CTRL + deviceCtrl.fields[f].offset;
const vqAt = (vq: number, f: keyof typeof vqConfig.fields): number => A_OFF + vqConfigOffset(vq) + vqConfig.fields[f].offset;
/** A's bytes that size its entry (the card's own scan walks the list by them) */
const A_SIZING = [deviceDesc.fields.num_vq.offset, deviceDesc.fields.feature_len.offset, deviceDesc.fields.config_len.offset].map((o) => A_OFF + o);

/** offsets in A's entry worth aiming at, by name */
const NAMED: Record<string, number> = {
  type: A_OFF + deviceDesc.fields.type.offset,
  num_vq: A_OFF + deviceDesc.fields.num_vq.offset,
  feature_len: A_OFF + deviceDesc.fields.feature_len.offset,
  config_len: A_OFF + deviceDesc.fields.config_len.offset,
  status: A_OFF + deviceDesc.fields.status.offset,
  'vq0.address': vqAt(0, 'address'),
  'vq1.address+4': vqAt(1, 'address') + 4,
  'vq0.used_address': vqAt(0, 'used_address'),
  'vq1.used_address+1': vqAt(1, 'used_address') + 1,
  'vq0.used_address+5': vqAt(0, 'used_address') + 5,
  'vq0.num': vqAt(0, 'num'),
  'vq1.num+1': vqAt(1, 'num') + 1,
  host_features: A_OFF + hostFeaturesOffset(SPEC_A),
  'host_features+3': A_OFF + hostFeaturesOffset(SPEC_A) + 3,
  guest_features: A_OFF + guestFeaturesOffset(SPEC_A),
  'guest_features+3': A_OFF + guestFeaturesOffset(SPEC_A) + 3,
  config: A_OFF + configOffset(SPEC_A),
  vdev: ctrlAt('vdev'),
  config_change: ctrlAt('config_change'),
  vdev_reset: ctrlAt('vdev_reset'),
  guest_ack: ctrlAt('guest_ack'),
  host_ack: ctrlAt('host_ack'),
  used_address_updated: ctrlAt('used_address_updated'),
  c2h_vdev_db: ctrlAt('c2h_vdev_db'),
  h2c_vdev_db: ctrlAt('h2c_vdev_db'),
};

/** used_address values a hostile card announces for A (resolved against A's rings at run time) */
type UsedClass = 'zero' | 'unaligned' | 'pastEnd' | 'acrossEnd' | 'lastFit' | 'huge' | 'scratch' | 'own' | 'otherOwn';

type Cmd =
  | { readonly kind: 'bPost'; readonly vq: number; readonly readable: readonly number[]; readonly writable: readonly number[] }
  | { readonly kind: 'bCopy'; readonly vq: number; readonly cuts: readonly number[] }
  | { readonly kind: 'aPost'; readonly vq: number; readonly readable: readonly number[]; readonly writable: readonly number[] }
  | { readonly kind: 'aRound'; readonly vq: number; readonly readable: readonly number[]; readonly writable: readonly number[] }
  | { readonly kind: 'aCopy'; readonly vrIdx: number; readonly iovs: readonly { len: number; hole: boolean }[]; readonly update: boolean }
  | { readonly kind: 'aConfig'; readonly salt: number }
  | { readonly kind: 'aPoll' }
  | { readonly kind: 'aMmap'; readonly offset: number; readonly len: number; readonly write: boolean }
  | { readonly kind: 'poke'; readonly at: number; readonly value: number; readonly ring: boolean }
  | { readonly kind: 'usedAddr'; readonly vqs: readonly number[]; readonly cls: UsedClass; readonly k: number; readonly ring: boolean }
  | { readonly kind: 'vdevReset'; readonly ring: boolean }
  | { readonly kind: 'ring' }
  | { readonly kind: 'heal' };

const seg = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }) });
const segs = fc.array(seg, { maxLength: 2 });
const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 0x10, 0x7f, 0x80, 0xfe, 0xff));
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('bPost' as const), vq: fc.integer({ min: 0, max: 1 }), readable: segs, writable: segs }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('bCopy' as const), vq: fc.integer({ min: 0, max: 1 }), cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('aPost' as const), vq: fc.integer({ min: 0, max: 1 }), readable: segs, writable: segs }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('aRound' as const), vq: fc.integer({ min: 0, max: 1 }), readable: segs, writable: segs }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('aCopy' as const),
      vrIdx: fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
      iovs: fc.array(fc.record({ len: fc.integer({ min: 0, max: 700 }), hole: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }), { maxLength: 3 }),
      update: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('aConfig' as const), salt: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'aPoll' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('aMmap' as const),
      offset: fc.constantFrom(0, MIC_DP_SIZE, MIC_DP_SIZE + BLOCK, MIC_DP_SIZE + 2 * BLOCK, 100, 2 * MIC_DP_SIZE),
      len: fc.constantFrom(1, MIC_DP_SIZE, BLOCK, MIC_DP_SIZE + BLOCK, MIC_DP_SIZE + 2 * BLOCK, MIC_DP_SIZE + 3 * BLOCK),
      write: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('poke' as const),
      at: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...Object.values(NAMED)) },
        { weight: 2, arbitrary: fc.integer({ min: A_OFF, max: A_OFF + deviceDesc.size - 1 }) },
        { weight: 2, arbitrary: fc.integer({ min: A_OFF, max: A_OFF + A_TOTAL - 1 }) },
      ),
      value: byteArb,
      ring: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('usedAddr' as const),
      vqs: fc.constantFrom([0], [1], [0, 1]),
      cls: fc.constantFrom<UsedClass>('zero', 'unaligned', 'pastEnd', 'acrossEnd', 'lastFit', 'huge', 'scratch', 'own', 'otherOwn'),
      k: fc.integer({ min: 0, max: 15 }),
      ring: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('vdevReset' as const), ring: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'ring' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'heal' as const }) },
);

/** the field of A's entry at device-page offset `at` (where a hostile write lands), by name */
function fieldOfA(at: number): string {
  const rel = at - A_OFF;
  const inside = (base: number, layout: Layout, prefix: string): string | undefined => {
    const f = layout.list.find((x) => rel >= base + x.offset && rel < base + x.offset + x.size);
    return f === undefined ? undefined : `${prefix}${f.name}${rel > base + f.offset ? `+${rel - base - f.offset}` : ''}`;
  };
  const span = (name: string, base: number, len: number): string | undefined => (rel >= base && rel < base + len ? `${name}+${rel - base}` : undefined);
  return (
    inside(0, deviceDesc, '') ??
    inside(vqConfigOffset(0), vqConfig, 'vq0.') ??
    inside(vqConfigOffset(1), vqConfig, 'vq1.') ??
    span('host_features', hostFeaturesOffset(SPEC_A), SPEC_A.featureLen) ??
    span('guest_features', guestFeaturesOffset(SPEC_A), SPEC_A.featureLen) ??
    span('config', configOffset(SPEC_A), SPEC_A.configLen) ??
    inside(ctrlOffset(SPEC_A), deviceCtrl, 'ctrl.') ??
    `entry+${rel}`
  );
}

const lens = (xs: readonly number[]): string => `[${xs.join(', ')}]`;
/** a command as a failure lists it: the hostile action and what it aims at */
function describeCmd(c: Cmd): string {
  const ring = (r: boolean): string => (r ? ', rings A' : '');
  switch (c.kind) {
    case 'poke':
      return `card writes 0x${c.value.toString(16)} to A's ${fieldOfA(c.at)} (page byte ${c.at})${ring(c.ring)}`;
    case 'usedAddr':
      return `card announces used_address class ${c.cls} (k ${c.k}) for A vq ${c.vqs.join(' and ')}, sets used_address_updated${ring(c.ring)}`;
    case 'vdevReset':
      return `card sets A's vdev_reset${ring(c.ring)}`;
    case 'ring':
      return "card rings A's host doorbell";
    case 'heal':
      return "card restores A's header and status";
    case 'bPost':
    case 'aPost':
    case 'aRound':
      return `${c.kind} on ${c.kind === 'bPost' ? 'B' : 'A'} vq ${c.vq}: readable ${lens(c.readable)}, writable ${lens(c.writable)}`;
    case 'bCopy':
      return `COPY_DESC on B vq ${c.vq} (cuts ${lens(c.cuts.map((x) => Math.round(x * 100) / 100))})`;
    case 'aCopy':
      return `COPY_DESC on A vr ${c.vrIdx}: iovecs ${c.iovs.map((v) => `${v.len}${v.hole ? ' (hole)' : ''}`).join(', ') || 'none'}, update_used ${c.update}`;
    case 'aConfig':
      return `CONFIG_CHANGE on A (salt ${c.salt})`;
    case 'aPoll':
      return "poll on A's file";
    case 'aMmap':
      return `mmap of A's file at ${c.offset}, ${c.len} bytes${c.write ? ', PROT_WRITE' : ''}`;
  }
}

const hostileJournal = journalKinds({
  cmd: ([i], c) => `command ${i}: ${describeCmd(c as Cmd)}`,
  finalCopy: ([vq]) => `final COPY_DESC of what is still posted on B vq ${vq}`,
});
type HostileJournal = ReturnType<typeof hostileJournal>;

/** a violation of the claim (as opposed to a throw of the implementation, reported as such) */
class Violation extends Error {}

interface Win {
  readonly addr: number;
  readonly len: number;
}

interface BChain {
  readonly token: number;
  readonly readable: Uint8Array;
  readonly room: number;
}

interface BDone {
  readonly token: number;
  readonly written: Uint8Array;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const fillOf = (n: number, salt: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 167 + salt * 29 + 11) & 0xff);
const s8 = (b: number): number => (b << 24) >> 24;
const show = (c: Cmd): string => JSON.stringify(c);
const inside = (a: { addr: number; len: number }, w: Win): boolean => a.addr >= w.addr && a.addr + a.len <= w.addr + w.len;

class Run {
  private readonly sys: MicSystem;
  private readonly w: VopWorld;
  private readonly fdA: number;
  private readonly fdB: number;
  private readonly devA: CardVirtioDevice;
  private readonly devB: CardVirtioDevice;
  /** the host's doorbell for A, and the card doorbells A must never be pointed at */
  private readonly c2hA: number;
  private readonly h2cB: number;
  private readonly configDb: number;
  private readonly forbiddenH2c: ReadonlySet<number>;
  /** A's sizing bytes as the host wrote them */
  private readonly sizing: readonly number[];
  /** the device page outside A's entry must stay exactly this */
  private readonly pageRef: Uint8Array;
  /** A's used rings as the card first handed them over (honest, in card memory) */
  private readonly ownUsed: readonly number[];
  private readonly mapA: MemPort;
  private readonly mapB: MemPort;
  /** what the host may touch: used rings the card announced that can be one, buffers posted on A or B */
  private readonly usedGrants: Win[] = [];
  private readonly writable: Win[] = [];
  private readonly any: Win[] = [];
  private readonly seen = new Set<string>();
  private bar0Seen: number;
  /** B's oracle per vq: posted and not yet copied (avail order), copied and not yet reaped */
  private readonly bQueued: BChain[][] = [[], []];
  private readonly bCompleting: BDone[][] = [[], []];
  private salt = 0;

  constructor(impl: Implementation, dma: boolean, eventIdx: boolean, choices: readonly number[], private readonly journal: HostileJournal) {
    const sys = impl.system!.createSystem({ trace: false, dma, cardMemoryBytes: APERTURE, choices: choicesFrom(choices) });
    this.sys = sys;
    const r = sys.writeAttr(0, 'state', 'boot');
    if (!('ok' in r)) throw new Error(`boot refused: ${r.errno}`);
    sys.settle();
    if (sys.observe.state(0) !== 'online') throw new Error(`card is ${sys.observe.state(0)} after boot`);
    this.w = new VopWorld(impl, sys);
    this.fdA = this.w.fd;
    this.fdB = this.w.open();
    const features = eventIdx ? 1 << VIRTIO_RING_F_EVENT_IDX : 0;
    for (const [spec, fd] of [[SPEC_A, this.fdA], [SPEC_B, this.fdB]] as const) {
      const a = this.w.add(spec, features, fd);
      if (!('ok' in a)) throw new Error(`ADD_DEVICE type ${spec.type} refused: ${a.errno}`);
    }
    sys.settle();
    const live = (off: number, type: number): CardVirtioDevice => {
      const d = this.w.cardDevice(off);
      if (d === undefined || !d.live || d.type !== type) throw new Error(`no live type ${type} device at ${off} on the card`);
      return d;
    };
    this.devA = live(A_OFF, SPEC_A.type);
    this.devB = live(B_OFF, SPEC_B.type);
    const page = sys.observe.devicePage(0);
    const pageU64 = (off: number): number => new DataView(page.buffer, page.byteOffset).getUint32(off, true) + new DataView(page.buffer, page.byteOffset).getUint32(off + 4, true) * 2 ** 32;
    this.c2hA = s8(page[ctrlAt('c2h_vdev_db')]!);
    this.h2cB = s8(page[B_OFF + ctrlOffset(SPEC_B) + deviceCtrl.fields.h2c_vdev_db.offset]!);
    this.configDb = s8(page[bootParam.fields.h2c_config_db.offset]!);
    // the card's doorbells that are not B's: shutdown, config and A's own (facts §5.1, §6.3)
    this.forbiddenH2c = new Set([s8(page[bootParam.fields.h2c_shutdown_db.offset]!), this.configDb, s8(page[ctrlAt('h2c_vdev_db')]!)]);
    this.sizing = A_SIZING.map((o) => page[o]!);
    this.ownUsed = [0, 1].map((vq) => pageU64(vqAt(vq, 'used_address')));
    // A's driver never takes buffers back: the card withholds A's notification doorbell
    sys.hostileCard(0, { kind: 'dpByte', offset: ctrlAt('h2c_vdev_db'), value: 0xff });
    sys.settle();
    this.pageRef = sys.observe.devicePage(0);
    const map = (fd: number): MemPort => {
      const m = sys.vop.mmap(fd, 0, MIC_DP_SIZE + 2 * BLOCK, PROT_READ);
      if (!('ok' in m)) throw new Error(`mmap of fd ${fd} refused: ${m.errno}`);
      return m.view;
    };
    this.mapA = map(this.fdA);
    this.mapB = map(this.fdB);
    this.bar0Seen = sys.observe.bar0Accesses(0).length;
  }

  run(cmds: readonly Cmd[]): void {
    cmds.forEach((c, i) => {
      this.journal.recObj('cmd', c, i);
      this.step(c, `command ${i} ${show(c)}`);
    });
    // B still works at the end: everything still posted on it goes through
    for (let vq = 0; vq < 2; vq++) {
      while (this.bQueued[vq]!.length > 0) {
        this.journal.rec('finalCopy', vq);
        this.step({ kind: 'bCopy', vq, cuts: [] }, `final copy of B vq ${vq}`);
      }
    }
  }

  private step(c: Cmd, where: string): void {
    const t0 = this.sys.scheduler.now;
    try {
      this.apply(c, where);
      this.settle(where);
    } catch (e) {
      if (e instanceof Violation) throw e;
      throw new Violation(`${where}: the implementation threw: ${(e as Error)?.stack ?? String(e)}`);
    }
    const dt = this.sys.scheduler.now - t0;
    if (dt > TIME_LIMIT_NS) throw new Violation(`${where}: took ${dt / 1e9} s of virtual time (bound ${TIME_LIMIT_NS / 1e9} s)`);
    this.check(where);
  }

  /** run to quiescence one step at a time within the step bound */
  private settle(where: string): void {
    const sched = this.sys.scheduler;
    for (let n = 0; sched.pending() > 0; n++) {
      if (n >= STEP_LIMIT) throw new Violation(`${where}: no quiescence after ${STEP_LIMIT} steps (unbounded work)`);
      sched.step();
    }
    this.sys.settle();
  }

  private hostile(offset: number, value: number): void {
    if (offset === ctrlAt('h2c_vdev_db') && this.forbiddenH2c.has(s8(value))) value = 0xff;
    this.sys.hostileCard(0, { kind: 'dpByte', offset, value: value & 0xff });
  }

  private ringA(): void {
    this.sys.hostileCard(0, { kind: 'ringHost', db: this.c2hA });
  }

  private apply(c: Cmd, where: string): void {
    switch (c.kind) {
      case 'bPost':
        return this.bPost(c.vq, c.readable, c.writable, where);
      case 'bCopy':
        return this.bCopy(c.vq, c.cuts, where);
      case 'aPost':
        return this.aPost(c.vq, c.readable, c.writable);
      case 'aRound':
        // normal traffic on A: a valid chain, then the host takes it whole and completes it
        this.aPost(c.vq, c.readable, c.writable);
        this.settle(where);
        this.result(where, this.w.copy(c.vq, [{ base: DATA_A, len: 8192 }], true, { fd: this.fdA }).r);
        return;
      case 'aCopy': {
        let base = DATA_A;
        const iovs: Iov[] = c.iovs.map((v) => {
          const iov = { base: v.hole ? HOLE : base, len: v.len };
          base += v.len + 64;
          return iov;
        });
        this.result(where, this.w.copy(c.vrIdx, iovs, c.update, { fd: this.fdA }).r);
        return;
      }
      case 'aConfig': {
        // the card keeps its own scan off a garbage entry list: config doorbell → B's device doorbell
        const page = this.sys.observe.devicePage(0);
        const garbled = A_SIZING.some((o, i) => page[o] !== this.sizing[i]);
        if (garbled) this.sys.hostileCard(0, { kind: 'dpByte', offset: bootParam.fields.h2c_config_db.offset, value: this.h2cB & 0xff });
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => 0x80 | ((i * 7 + c.salt) & 0x7f));
        const r = this.w.configChange(bytes, this.fdA);
        if (garbled) this.sys.hostileCard(0, { kind: 'dpByte', offset: bootParam.fields.h2c_config_db.offset, value: this.configDb & 0xff });
        this.result(where, r);
        return;
      }
      case 'aPoll': {
        const p = this.sys.vop.poll(this.fdA);
        if (!Number.isInteger(p)) throw new Violation(`${where}: poll returned ${String(p)}`);
        return;
      }
      case 'aMmap': {
        const m = this.sys.vop.mmap(this.fdA, c.offset, c.len, PROT_READ | (c.write ? PROT_WRITE : 0));
        if (!('ok' in m) && !('errno' in m)) throw new Violation(`${where}: mmap returned ${JSON.stringify(m)}`);
        if ('ok' in m) {
          if (c.write) throw new Violation(`${where}: a PROT_WRITE mapping was granted (facts §6.5 mmap: EACCES)`);
          m.view.read(0, Math.min(m.view.size, MIC_DP_SIZE));
        }
        return;
      }
      case 'poke':
        this.hostile(c.at, c.value);
        if (c.ring) this.ringA();
        return;
      case 'usedAddr': {
        for (const vq of c.vqs) {
          const ua = this.usedValue(c.cls, vq, c.k);
          for (let i = 0; i < 8; i++) this.hostile(vqAt(vq, 'used_address') + i, Number((ua >> BigInt(8 * i)) & 0xffn));
        }
        this.hostile(ctrlAt('used_address_updated'), 1);
        if (c.ring) this.ringA();
        return;
      }
      case 'vdevReset':
        this.hostile(ctrlAt('vdev_reset'), 1);
        if (c.ring) this.ringA();
        return;
      case 'ring':
        this.ringA();
        return;
      case 'heal':
        // the card puts A's header back as the host wrote it and says DRIVER_OK again
        A_SIZING.forEach((o, i) => this.hostile(o, this.sizing[i]!));
        this.hostile(NAMED.type!, SPEC_A.type);
        this.hostile(NAMED.status!, 7);
        return;
    }
  }

  /** the card driver posts a valid chain on A and kicks (the only way into A's ring the contract has) */
  private aPost(vq: number, readable: readonly number[], writable: readonly number[]): void {
    if (readable.length + writable.length === 0) return;
    const t = this.devA.add(vq, readable.map((n) => fillOf(n, ++this.salt)), writable);
    if (typeof t === 'number') this.devA.kick(vq);
    this.noteDescs(this.mapA);
  }

  /** a used_address of class `cls` for A's vq (u64) */
  private usedValue(cls: UsedClass, vq: number, k: number): bigint {
    // the highest 4-aligned address where a used ring still ends inside the aperture
    const lastFit = Math.floor((APERTURE - usedSize(NUM)) / 4) * 4;
    switch (cls) {
      case 'zero':
        return 0n;
      case 'unaligned':
        return BigInt(this.ownUsed[vq]! + 1 + (k % 3));
      case 'pastEnd':
        return BigInt(APERTURE + 4 * k);
      case 'acrossEnd':
        return BigInt(lastFit + 4 * (1 + k));
      case 'lastFit':
        return BigInt(lastFit);
      case 'huge':
        return (1n << 63n) + BigInt(4096 * k);
      case 'scratch':
        return BigInt(SCRATCH + 4096 * k + 64 * vq);
      case 'own':
        return BigInt(this.ownUsed[vq]!);
      case 'otherOwn':
        return BigInt(this.ownUsed[1 - vq]!);
    }
  }

  /** an ioctl's outcome must be a value: a non-negative number or an errno name */
  private result(where: string, r: VopResult): void {
    const ok = ('ok' in r && Number.isInteger(r.value) && r.value >= 0) || ('errno' in r && typeof r.errno === 'string');
    if (!ok) throw new Violation(`${where}: ioctl returned ${JSON.stringify(r)}`);
  }

  /** every descriptor in a device's two tables (the card wrote them; the host may use each buffer) */
  private noteDescs(map: MemPort): void {
    for (let vq = 0; vq < 2; vq++) {
      for (let i = 0; i < NUM; i++) {
        const at = MIC_DP_SIZE + vq * BLOCK + i * vringDesc.size;
        const lo = map.read32(at + vringDesc.fields.addr.offset);
        const hi = map.read32(at + vringDesc.fields.addr.offset + 4);
        const len = map.read32(at + vringDesc.fields.len.offset);
        const flags = map.read16(at + vringDesc.fields.flags.offset);
        if (typeof lo !== 'number' || typeof hi !== 'number' || typeof len !== 'number' || typeof flags !== 'number' || len === 0) continue;
        const win = { addr: hi * 2 ** 32 + lo, len };
        const key = `${win.addr}:${len}:${flags & VRING_DESC_F_WRITE}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        this.any.push(win);
        if ((flags & VRING_DESC_F_WRITE) !== 0) this.writable.push(win);
      }
    }
  }

  /** a used ring the host may adopt from what A's vq configs say now: non-zero, 4-aligned, inside the aperture */
  private noteUsedGrants(): void {
    const page = this.sys.observe.devicePage(0);
    const dv = new DataView(page.buffer, page.byteOffset);
    for (let vq = 0; vq < 2; vq++) {
      const ua = dv.getUint32(vqAt(vq, 'used_address'), true) + dv.getUint32(vqAt(vq, 'used_address') + 4, true) * 2 ** 32;
      if (ua !== 0 && ua % 4 === 0 && ua + usedSize(NUM) <= APERTURE && !this.usedGrants.some((g) => g.addr === ua)) this.usedGrants.push({ addr: ua, len: usedSize(NUM) });
    }
  }

  private bPost(vq: number, readableLens: readonly number[], writable: readonly number[], where: string): void {
    if (readableLens.length + writable.length === 0) return;
    const readable = readableLens.map((n) => fillOf(n, ++this.salt));
    const token = this.devB.add(vq, readable, writable);
    if (typeof token !== 'number') {
      if (token.reason === 'no-space' || token.reason === 'no-memory') return;
      throw new Violation(`${where}: B's card driver refused a buffer: ${token.reason} ${token.detail}`);
    }
    const all = new Uint8Array(sum(readableLens));
    let at = 0;
    for (const r of readable) {
      all.set(r, at);
      at += r.length;
    }
    this.bQueued[vq]!.push({ token, readable: all, room: sum(writable) });
    this.devB.kick(vq);
    this.noteDescs(this.mapB);
  }

  /** COPY_DESC on B with iovecs covering the next chain exactly, update_used: it must all go through */
  private bCopy(vq: number, cuts: readonly number[], where: string): void {
    const chain = this.bQueued[vq]!.shift();
    const total = chain === undefined ? 0 : chain.readable.length + chain.room;
    const points = [...new Set(cuts.map((f) => Math.floor(f * total)))].filter((p) => p > 0 && p < total).sort((a, b) => a - b);
    const lens = chain === undefined ? [64] : [...points, total].map((p, i, xs) => p - (i === 0 ? 0 : xs[i - 1]!));
    const user = fillOf(sum(lens), ++this.salt);
    const iovs: Iov[] = [];
    let base = DATA;
    let off = 0;
    for (const len of lens) {
      this.w.user.write(base, user.subarray(off, off + len));
      iovs.push({ base, len });
      base += len + 64;
      off += len;
    }
    const { r, outLen } = this.w.copy(vq, iovs, true, { fd: this.fdB });
    if (!('ok' in r) || r.value !== 0) throw new Violation(`${where}: COPY_DESC on B vq ${vq} returned ${JSON.stringify(r)}, expected 0`);
    if (outLen !== total) throw new Violation(`${where}: COPY_DESC on B vq ${vq} moved ${outLen} bytes, the chain holds ${total}`);
    if (chain === undefined) return;
    // the readable bytes, in order, at the front of the iovecs
    const got = new Uint8Array(chain.readable.length);
    let k = 0;
    for (const v of iovs) {
      const n = Math.min(v.len, got.length - k);
      if (n <= 0) break;
      got.set(this.w.readUser(v.base, n), k);
      k += n;
    }
    const bad = got.findIndex((b, i) => b !== chain.readable[i]);
    if (bad >= 0) throw new Violation(`${where}: B vq ${vq} readable byte ${bad} arrived as ${got[bad]}, the card wrote ${chain.readable[bad]}`);
    this.bCompleting[vq]!.push({ token: chain.token, written: user.slice(chain.readable.length) });
  }

  private reapB(where: string): void {
    for (let vq = 0; vq < 2; vq++) {
      const done = this.devB.reap(vq);
      if (!Array.isArray(done)) throw new Violation(`${where}: B's reap on vq ${vq} failed: ${JSON.stringify(done)}`);
      for (const c of done) {
        const list = this.bCompleting[vq]!;
        const i = list.findIndex((d) => d.token === c.token);
        if (i < 0) throw new Violation(`${where}: B vq ${vq} got token ${c.token} back, which the host was never asked to complete`);
        const want = list[i]!;
        list.splice(i, 1);
        if (c.len !== want.written.length) throw new Violation(`${where}: B vq ${vq} token ${c.token} used len ${c.len}, the host wrote ${want.written.length}`);
        const bad = want.written.findIndex((b, j) => c.written[j] !== b);
        if (bad >= 0) throw new Violation(`${where}: B vq ${vq} token ${c.token} writable byte ${bad} is ${c.written[bad]}, the user wrote ${want.written[bad]}`);
      }
      if (this.bCompleting[vq]!.length > 0) throw new Violation(`${where}: B vq ${vq} tokens ${this.bCompleting[vq]!.map((d) => d.token).join(', ')} were completed by the host but never came back`);
    }
  }

  private check(where: string): void {
    const { observe } = this.sys;
    if (observe.state(0) !== 'online') throw new Violation(`${where}: the card is ${observe.state(0)}, not online`);
    if (!this.devB.live) throw new Violation(`${where}: B is no longer live on the card`);
    this.noteUsedGrants();
    // the device page outside A's entry: nobody but A's card was touched, and the card wrote nothing there
    const page = observe.devicePage(0);
    for (let i = 0; i < MIC_DP_SIZE; i++) {
      if (i >= A_OFF && i < A_OFF + A_TOTAL) continue;
      if (page[i] !== this.pageRef[i]) {
        const what = i >= B_OFF && i < B_OFF + totalDescSize(SPEC_B) ? `B's entry +${i - B_OFF}` : i < FIRST_ENTRY_OFFSET ? 'the bootparam' : 'past the entries';
        throw new Violation(`${where}: device page byte ${i} (${what}) changed 0x${this.pageRef[i]!.toString(16)} → 0x${page[i]!.toString(16)}`);
      }
    }
    // every host BAR0 access since the last check
    const log = observe.bar0Accesses(0);
    const rings = observe.cardRings(0).map((r) => ({ addr: r.cardAddr, len: r.len }));
    for (; this.bar0Seen < log.length; this.bar0Seen++) {
      const a: Bar0Access = log[this.bar0Seen]!;
      const what = `host BAR0 ${a.write ? 'write' : 'read'} [0x${a.addr.toString(16)}, +${a.len}) while ${a.state}`;
      if (!(a.addr >= 0 && a.len >= 0 && a.addr + a.len <= APERTURE)) throw new Violation(`${where}: ${what} outside the ${APERTURE / GIB} GiB aperture`);
      const granted = a.write ? [...rings, ...this.usedGrants, ...this.writable] : [...rings, ...this.usedGrants, ...this.any];
      if (!granted.some((g) => inside(a, g))) {
        throw new Violation(`${where}: ${what} lies in no ${a.write ? 'used ring the card allocated or announced (non-zero, 4-aligned, inside the aperture) nor writable' : 'used ring nor'} buffer posted on A or B`);
      }
    }
    this.reapB(where);
  }
}

export const vopHostileCard = defineProperty({
  id: 'vop.hostileCard',
  claim: "a card rewriting A's device-page entry and ringing A's doorbell never makes the host throw, loop, touch BAR0 outside the used rings and buffers granted, change the page outside A's entry, or disturb device B's traffic",
  source: 'facts §5.3, §5.4, §6.2, §6.4, §6.5, §6.6, §6.7; DESIGN.md §6 "Hostile input"; issue 9 item 6',
  level: 'hostile',
  requires: ['system', 'memory'],
  runs: 150,
  build: (impl) =>
    fc.property(fc.boolean(), fc.boolean(), fc.array(cmdArb, { minLength: 1, maxLength: 40, size: 'max' }), interleaving(50), journaled(hostileJournal, (journal, dma, eventIdx, cmds, choices) => {
      new Run(impl, dma, eventIdx, choices, journal).run(cmds);
    })),
});
