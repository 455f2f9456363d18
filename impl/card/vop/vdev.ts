/**
 * One virtio device as the card's VOP transport binds it (facts §6.3): the MIC virtio_config_ops
 * (features into 32 bits, config bounded by config_len, status writes that ring c2h_vdev_db, the
 * reset handshake, find_vqs with card-allocated used rings and the used_address_updated handshake)
 * and the small virtio-device API card drivers use (add / kick / reap per queue).
 */
import type {
  CardCompletion, CardVirtioDevice, CardVirtioError, CardVirtioEvents, DriverRing, DriverRingConfig, MemPort, RegisterFile, RingError, Scheduler, UsedOut,
} from '../../../model/contract.ts';
import {
  configOffset, ctrlOffset, deviceCtrl, deviceDesc, guestFeaturesOffset, hostFeaturesOffset, MIC_MAGIC, vqConfig, vqConfigOffset, type DescShape,
} from '../../../model/layout/device-page.ts';
import { descTableSize, micUsedRingSize, micVringInfo, micVringInfoOffset } from '../../../model/layout/vring.ts';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK, VIRTIO_CONFIG_S_DRIVER as DRIVER, VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK, VIRTIO_CONFIG_S_FAILED, VIRTIO_RING_F_EVENT_IDX,
} from '../../../model/constants/virtio.ts';
import { VOP_CARD_HANDSHAKE_POLLS, VOP_CARD_HANDSHAKE_POLL_NS } from '../../../model/constants/vop.ts';
import { readField, readOr, writeField } from '../../memory/fields.ts';
import { ringHost } from '../doorbells.ts';
import type { CardBufferHeap } from './buffers.ts';

export interface CardVdevDeps {
  readonly sched: Scheduler;
  readonly who: string;
  /** the card's physical address space: GDDR and the SMPT window onto host memory */
  readonly view: MemPort;
  readonly regs: RegisterFile;
  readonly heap: CardBufferHeap;
  /** card RAM for used rings (zeroed), undefined = out of memory */
  allocCard(size: number): number | undefined;
  createDriverRing(cfg: DriverRingConfig): DriverRing | RingError;
  /** this OS generation is still running */
  alive(): boolean;
}

/** ring features the generic card driver can use: event index, not indirect tables (no pool) */
const DRIVER_RING_FEATURES = 1 << VIRTIO_RING_F_EVENT_IDX;
/** ring and transport bits 24..31 other than those are declined; device bits 0..23 are the device's */
const DEVICE_BITS = (1 << 24) - 1;

interface Posted {
  readonly segs: { addr: number; len: number; write: boolean }[];
}

/** the segment list of a direction with no buffers */
const NO_SEGS: readonly { addr: number; len: number }[] = Object.freeze([]);

/** the storage of every empty `written` (zero bytes: nothing can be stored in it) */
const NO_BYTES = new ArrayBuffer(0);

const err = (reason: CardVirtioError['reason'], detail: string): CardVirtioError => ({ kind: 'card-virtio-error', reason, detail });

export class CardVdev implements CardVirtioDevice {
  live = false;
  failed = false;
  /** why the last probe failed: EIO (vring magic), ENODEV (used-address handshake timed out), ENOMEM */
  failure: 'EIO' | 'ENODEV' | 'ENOMEM' | undefined;
  features = 0;
  configChanges = 0;
  readonly usedRings: { cardAddr: number; len: number }[] = [];
  private rings: DriverRing[] = [];
  private posted: Map<number, Posted>[] = [];
  private done: CardCompletion[][] = [];
  private detachedTokens: number[] = [];
  private nextToken = 1;
  /** bumped by every probe and reset: a wait of an older probe does nothing */
  private epoch = 0;
  private readonly out: UsedOut = { head: 0, len: 0, token: 0 };
  /** replaced, never edited, on (un)subscribe: a firing loop keeps the array it started with */
  private listeners: readonly CardVirtioEvents[] = [];

  constructor(
    private readonly d: CardVdevDeps,
    private readonly dp: number,
    readonly offset: number,
    readonly type: number,
    readonly shape: DescShape,
    readonly h2cDb: number,
    readonly c2hDb: number,
    private readonly removeSelf: (dev: CardVdev) => boolean,
  ) {}

  /** still bound by the transport (false once removed) */
  bound = true;

  remove(): boolean {
    return this.removeSelf(this);
  }

  get numVq(): number {
    return this.shape.numVq;
  }

  private get entry(): number {
    return this.dp + this.offset;
  }

  get ctrl(): number {
    return this.entry + ctrlOffset(this.shape);
  }

  get status(): number {
    return readOr(this.d.view, this.entry, deviceDesc.fields.status, 0);
  }

  /** set_status: 0 is ignored (reset has its own path); the byte, then c2h_vdev_db */
  private setStatus(status: number): void {
    if (status === 0) return;
    writeField(this.d.view, this.entry, deviceDesc.fields.status, status);
    ringHost(this.d.regs, this.c2hDb);
  }

  /** get_features: up to min(feature_len, 8) bytes accumulated into 32 bits (facts §6.3) */
  private hostFeatures(): number {
    const n = Math.min(this.shape.featureLen, 8);
    let bits = 0;
    for (let i = 0; i < n; i++) {
      const b = this.d.view.read8(this.entry + hostFeaturesOffset(this.shape) + i);
      // bits 32..63 are read and lost: the accumulator is 32 bits wide (facts §6.3)
      if (i < 4 && typeof b === 'number') bits |= b << (8 * i);
    }
    return bits >>> 0;
  }

  /** finalize_features: zero the guest bitmap, then a bit for each accepted feature */
  private finalizeFeatures(accepted: number): void {
    const at = this.entry + guestFeaturesOffset(this.shape);
    this.d.view.fill(at, this.shape.featureLen, 0);
    for (let i = 0; i < Math.min(this.shape.featureLen, 4); i++) this.d.view.write8(at + i, (accepted >>> (8 * i)) & 0xff);
  }

  readConfig(offset: number, len: number): Uint8Array {
    const cl = this.shape.configLen;
    if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len <= 0 || offset + len > cl) return new Uint8Array(0);
    const r = this.d.view.read(this.entry + configOffset(this.shape) + offset, len);
    return r instanceof Uint8Array ? r : new Uint8Array(0);
  }

  /** the virtio core's probe: ACKNOWLEDGE, DRIVER, features, find_vqs, then DRIVER_OK after the handshake */
  probe(): void {
    const epoch = ++this.epoch;
    this.live = false;
    this.failed = false;
    this.failure = undefined;
    this.setStatus(ACK);
    this.setStatus(ACK | DRIVER);
    this.features = this.hostFeatures() & (DEVICE_BITS | DRIVER_RING_FEATURES);
    this.finalizeFeatures(this.features);
    const why = this.findVqs();
    if (why !== undefined) return this.fail(why);
    const { view } = this.d;
    writeField(view, this.ctrl, deviceCtrl.fields.used_address_updated, 1);
    ringHost(this.d.regs, this.c2hDb);
    this.poll(epoch, () => readOr(view, this.ctrl, deviceCtrl.fields.used_address_updated, 1) === 0, 'used-address wait', (ok) => {
      if (!ok) return this.fail('ENODEV');
      this.live = true;
      this.setStatus(ACK | DRIVER | DRIVER_OK);
      this.d.sched.trace.record(this.d.who, `device type ${this.type} @${this.offset} live`);
      const ls = this.listeners;
      for (let i = 0; i < ls.length; i++) ls[i]!.live?.();
    });
  }

  /** find_vqs (facts §6.3): map, zero, check the magic, own used ring, its address into vqconfig */
  private findVqs(): 'EIO' | 'ENOMEM' | undefined {
    const { view } = this.d;
    this.rings = [];
    this.posted = [];
    this.done = [];
    for (let i = 0; i < this.shape.numVq; i++) {
      const vq = this.entry + vqConfigOffset(i);
      const addr = readField(view, vq, vqConfig.fields.address);
      const num = readOr(view, vq, vqConfig.fields.num, 0);
      if (typeof addr !== 'number' || num === 0) return 'EIO';
      const magic = readField(view, addr + micVringInfoOffset(num), micVringInfo.fields.magic);
      if (magic !== ((MIC_MAGIC + this.type + i) >>> 0)) return 'EIO';
      const len = micUsedRingSize(num);
      const used = this.d.allocCard(len);
      if (used === undefined) return 'ENOMEM';
      this.usedRings.push({ cardAddr: used, len });
      const ring = this.d.createDriverRing({
        num, descAddr: addr, availAddr: addr + descTableSize(num), usedAddr: used, mem: view,
        eventIdx: (this.features & DRIVER_RING_FEATURES) !== 0, indirect: false,
      });
      if ('kind' in ring) return 'EIO';
      writeField(view, vq, vqConfig.fields.used_address, used);
      this.rings.push(ring);
      this.posted.push(new Map());
      this.done.push([]);
    }
    return undefined;
  }

  /** a probe that fails ends with FAILED added to the status (virtio core), which rings the host */
  private fail(why: 'EIO' | 'ENODEV' | 'ENOMEM'): void {
    this.failed = true;
    this.failure = why;
    this.live = false;
    this.setStatus(this.status | VIRTIO_CONFIG_S_FAILED);
    this.d.sched.trace.record(this.d.who, `device @${this.offset} failed (${why})`);
  }

  /** poll a condition every 100 ms, up to 100 times (facts §6.3); `then(false)` on timeout */
  private poll(epoch: number, cond: () => boolean, what: string, then: (ok: boolean) => void): void {
    let polls = 0;
    const tick = (): void => {
      if (!this.d.alive() || epoch !== this.epoch) return;
      if (cond()) return then(true);
      if (++polls >= VOP_CARD_HANDSHAKE_POLLS) return then(false);
      this.d.sched.after(VOP_CARD_HANDSHAKE_POLL_NS, this.d.who, `${what} @${this.offset}`, tick);
    };
    this.d.sched.after(VOP_CARD_HANDSHAKE_POLL_NS, this.d.who, `${what} @${this.offset}`, tick);
  }

  /**
   * The reset handshake (facts §6.3): host_ack 0, vdev_reset 1, ring; poll host_ack; status 0 even on
   * timeout. Buffers in flight are detached (their tokens in `takeDetached`), never completed.
   * `then` runs after the status is 0.
   */
  resetHandshake(then: () => void): void {
    const epoch = ++this.epoch;
    this.live = false;
    this.detachAll();
    this.fireDown(false);
    const { view } = this.d;
    const c = deviceCtrl.fields;
    writeField(view, this.ctrl, c.host_ack, 0);
    writeField(view, this.ctrl, c.vdev_reset, 1);
    ringHost(this.d.regs, this.c2hDb);
    this.poll(epoch, () => readOr(view, this.ctrl, c.host_ack, 0) !== 0, 'reset wait', () => {
      writeField(view, this.entry, deviceDesc.fields.status, 0);
      then();
    });
  }

  reset(): void {
    if (this.failed && this.rings.length === 0) return this.probe();
    this.resetHandshake(() => this.probe());
  }

  /** the card driver forgets every buffer (reset, removal): tokens kept for whoever posted them */
  private detachAll(): void {
    for (const m of this.posted) {
      for (const [token, p] of m) {
        this.detachedTokens.push(token);
        for (const s of p.segs) this.d.heap.release(s.addr, s.len);
      }
      m.clear();
    }
    for (const q of this.done) q.length = 0;
    this.rings = [];
  }

  takeDetached(): number[] {
    const t = this.detachedTokens;
    this.detachedTokens = [];
    return t;
  }

  /** the device interrupt (h2c_vdev_db): run every vq's callback (collect what the host returned) */
  interrupt(): void {
    for (let i = 0; i < this.rings.length; i++) this.collect(i);
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.interrupt?.();
  }

  listen(events: CardVirtioEvents): () => void {
    this.listeners = [...this.listeners, events];
    return () => {
      this.listeners = this.listeners.filter((e) => e !== events);
    };
  }

  private fireDown(gone: boolean): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.down?.(gone);
  }

  private collect(vq: number): CardVirtioError | undefined {
    const ring = this.rings[vq]!;
    const posted = this.posted[vq]!;
    for (;;) {
      const r = ring.reap(this.out);
      if (r === false) return undefined;
      if (r !== true) return err('ring-error', `${r.code}: ${r.detail}`);
      const p = posted.get(this.out.token);
      if (p === undefined) continue;
      posted.delete(this.out.token);
      const segs = p.segs;
      let room = 0;
      for (let i = 0; i < segs.length; i++) if (segs[i]!.write) room += segs[i]!.len;
      const got = Math.min(this.out.len, room);
      // a completion with nothing written (the common readable-only case) gets a view of one shared
      // empty buffer: `new Uint8Array(0)` allocates an ArrayBuffer, ~0.2 µs per completion in V8
      const written = got === 0 ? new Uint8Array(NO_BYTES) : new Uint8Array(got);
      let at = 0;
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i]!;
        if (!s.write) continue;
        if (at >= written.length) break;
        const n = Math.min(s.len, written.length - at);
        // straight into `written` (no copy of its own); a read that faults leaves its part zero
        const part = written.subarray(at, at + n);
        if (this.d.view.readInto(s.addr, part) !== undefined) part.fill(0);
        at += n;
      }
      for (const s of p.segs) this.d.heap.release(s.addr, s.len);
      const c: CardCompletion = { token: this.out.token, len: this.out.len, written };
      // a queue emptied by reap becomes a one-element array (a push would reserve room for 17)
      const q = this.done[vq]!;
      if (q.length === 0) this.done[vq] = [c];
      else q.push(c);
    }
  }

  private queue(vq: number): DriverRing | CardVirtioError {
    if (!this.live) return err('not-live', `device @${this.offset} is not live`);
    const ring = this.rings[vq];
    return ring ?? err('no-queue', `device @${this.offset} has no queue ${vq}`);
  }

  add(vq: number, readable: readonly Uint8Array[], writable: readonly number[], misalign = 0): number | CardVirtioError {
    const ring = this.queue(vq);
    if ('kind' in ring) return ring;
    // plain loops, no closures or filter/map: this runs once per buffer the card posts. `segs` holds
    // the readable records, then the writable ones; the ring reads its segments during add only, so
    // each direction's list is a part of it (the whole of it when the other direction is empty)
    const nr = readable.length;
    // sized up front (a push onto [] reserves room for 17); `k` records are filled in
    const segs: Posted['segs'] = new Array(nr + writable.length);
    let k = 0;
    for (let i = 0; i < nr; i++) {
      const bytes = readable[i]!;
      const addr = this.d.heap.alloc(bytes.length, misalign);
      if (addr === undefined) return this.undoAdd(segs, k, err('no-memory', 'card buffer heap exhausted'));
      segs[k++] = { addr, len: bytes.length, write: false };
      this.d.view.write(addr, bytes);
    }
    for (let i = 0; i < writable.length; i++) {
      const len = writable[i]!;
      if (!Number.isSafeInteger(len) || len < 0) return this.undoAdd(segs, k, err('bad-request', `writable length ${len}`));
      const addr = this.d.heap.alloc(len, misalign);
      if (addr === undefined) return this.undoAdd(segs, k, err('no-memory', 'card buffer heap exhausted'));
      segs[k++] = { addr, len, write: true };
    }
    const rd = nr === segs.length ? segs : nr === 0 ? NO_SEGS : segs.slice(0, nr);
    const wr = nr === 0 ? segs : nr === segs.length ? NO_SEGS : segs.slice(nr);
    const token = this.nextToken++;
    const r = ring.add(rd, wr, token);
    if (typeof r !== 'number') {
      return this.undoAdd(segs, k, err(r.code === 'no-space' ? 'no-space' : r.code === 'bad-request' ? 'bad-request' : 'ring-error', `${r.code}: ${r.detail}`));
    }
    this.posted[vq]!.set(token, { segs });
    return token;
  }

  /** a refused add gives the buffers it took (the first n records) back to the heap */
  private undoAdd(segs: Posted['segs'], n: number, e: CardVirtioError): CardVirtioError {
    for (let i = 0; i < n; i++) this.d.heap.release(segs[i]!.addr, segs[i]!.len);
    return e;
  }

  kick(vq: number): boolean {
    const ring = this.queue(vq);
    if ('kind' in ring) return false;
    if (!ring.kickPrepare()) return false;
    ringHost(this.d.regs, this.c2hDb);
    return true;
  }

  reap(vq: number): readonly CardCompletion[] | CardVirtioError {
    const ring = this.queue(vq);
    if ('kind' in ring) return ring;
    const e = this.collect(vq);
    const out = this.done[vq]!;
    this.done[vq] = [];
    return e ?? out;
  }

  inFlight(vq: number): number {
    return this.posted[vq]?.size ?? 0;
  }

  /** the driver is gone (unbind, crash): nothing is live, buffers are forgotten */
  unbindLocal(): void {
    this.epoch++;
    this.live = false;
    this.detachAll();
    this.fireDown(true);
  }
}
