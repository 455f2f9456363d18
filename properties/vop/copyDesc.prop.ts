/**
 * Claim: COPY_DESC moves a chain as a byte stream: for any chains the card posts and any split of
 *   the caller's iovecs, each call moves min(iovec space, chain left) bytes — the readable bytes
 *   first, into the iovecs in order, then the iovec bytes into the writable part — out_len counts
 *   them, a chain not used up is resumed at the exact byte by the next call, the return value is
 *   0 (1 when a chain was fetched with no iovecs), a completed chain reaches the card with used
 *   length = the bytes written and exactly those bytes, `_mic_vring_info.avail_idx` (read through
 *   the read-only mmap) equals the chains the host has fetched and completed, and across vdev
 *   resets and card resets every buffer the card posted comes back exactly once: completed or
 *   detached, never both, never twice. With and without the DMA engine.
 * Source: facts §6.4, §6.5 COPY_DESC steps 1–5, §6.6; RING-06 (a chain is a byte stream whatever its
 *   descriptors), RING-15, RING-16, RING-19, RESET-02 (buffers detached only after the reset
 *   handshake: never completed too), RESET-03
 * Level: system
 */
import fc from 'fast-check';
import type { CardVirtioDevice, Implementation } from '../../model/contract.ts';
import { micRingBlockSize, micVringInfo, micVringInfoOffset } from '../../model/layout/vring.ts';
import { MIC_DP_SIZE } from '../../model/layout/device-page.ts';
import { PROT_READ } from '../../model/constants/vop.ts';
import { VIRTIO_RING_F_EVENT_IDX } from '../../model/constants/virtio.ts';
import { defineProperty } from '../harness.ts';
import { bootedWorld, DATA, type Iov, type VopWorld } from './world.ts';

interface ChainSpec {
  readonly readable: readonly number[];
  readonly writable: readonly number[];
  readonly misalign: number;
}

type Cmd =
  | { readonly kind: 'post'; readonly chain: ChainSpec }
  | { readonly kind: 'copy'; readonly iovs: readonly number[]; readonly update: boolean }
  | { readonly kind: 'vdevReset' }
  | { readonly kind: 'cardReset' };

const seg = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }) });
const chainArb: fc.Arbitrary<ChainSpec> = fc
  .record({ readable: fc.array(seg, { maxLength: 2 }), writable: fc.array(seg, { maxLength: 2 }), misalign: fc.constantFrom(0, 0, 1, 8, 63) })
  .filter((c) => c.readable.length + c.writable.length > 0);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('post' as const), chain: chainArb }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('copy' as const), iovs: fc.array(fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 6000 })), { maxLength: 4 }), update: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'vdevReset' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cardReset' as const }) },
);

/** one posted buffer as the oracle tracks it */
interface Posted {
  readonly token: number;
  readonly readable: Uint8Array;
  readonly room: number;
  /** the bytes the host should have written so far */
  written: number[];
  rOff: number;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const fillOf = (n: number, salt: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + salt * 17 + 5) & 0xff);

class Run {
  private readonly w: VopWorld;
  private dev: CardVirtioDevice;
  /** posted on the current ring, in avail order, not yet fetched by the host */
  private queued: Posted[] = [];
  /** the chain the host holds, in progress */
  private current: Posted | undefined;
  /** fetched, used up without update_used: never completed (they come back detached) */
  private stranded: Posted[] = [];
  private readonly outstanding = new Map<number, Posted>();
  private readonly finished = new Set<number>();
  /** chains fetched on the current ring (info.avail_idx after a completion) */
  private fetched = 0;
  private salt = 0;
  private readonly oldDevs: CardVirtioDevice[] = [];

  constructor(impl: Implementation, dma: boolean, private readonly num: number, eventIdx: boolean) {
    this.w = bootedWorld(impl, { dma });
    const r = this.w.add({ type: 3, numVq: 1, num, featureLen: 4, configLen: 0 }, eventIdx ? 1 << VIRTIO_RING_F_EVENT_IDX : 0);
    if (!('ok' in r)) throw new Error(`ADD_DEVICE refused: ${r.errno}`);
    this.w.sys.settle();
    this.dev = this.liveDevice('after ADD_DEVICE');
  }

  private liveDevice(where: string): CardVirtioDevice {
    const d = this.w.cardDevice();
    if (d === undefined || !d.live) throw new Error(`${where}: the card has no live device`);
    return d;
  }

  run(cmds: readonly Cmd[]): void {
    cmds.forEach((c, i) => {
      const where = `command ${i} (${c.kind})`;
      if (c.kind === 'post') this.post(c.chain, where);
      else if (c.kind === 'copy') this.copy(c.iovs, c.update, where);
      else if (c.kind === 'vdevReset') this.vdevReset(where);
      else this.cardReset(where);
      this.reap(where);
    });
    // the end: a reset takes back whatever is still out, then every buffer is accounted for
    this.vdevReset('final reset');
    const left = [...this.outstanding.keys()];
    if (left.length > 0) throw new Error(`buffers never came back: tokens ${left.join(', ')}`);
  }

  private post(c: ChainSpec, where: string): void {
    const readable = c.readable.map((n) => fillOf(n, ++this.salt));
    const token = this.dev.add(0, readable, c.writable, c.misalign);
    if (typeof token !== 'number') {
      if (token.reason === 'no-space' || token.reason === 'bad-request') return;
      throw new Error(`${where}: card add refused: ${token.reason} ${token.detail}`);
    }
    const all = new Uint8Array(sum(c.readable));
    let at = 0;
    for (const r of readable) {
      all.set(r, at);
      at += r.length;
    }
    const p: Posted = { token, readable: all, room: sum(c.writable), written: [], rOff: 0 };
    this.queued.push(p);
    this.outstanding.set(token, p);
    this.dev.kick(0);
    this.w.sys.settle();
  }

  private copy(iovLens: readonly number[], update: boolean, where: string): void {
    // the oracle first: which chain, how many bytes where
    let fetchedNow = false;
    let cur = this.current;
    const usedUp = (p: Posted): boolean => p.rOff === p.readable.length && p.written.length === p.room;
    if (cur === undefined || usedUp(cur)) {
      if (cur !== undefined) this.stranded.push(cur);
      cur = this.queued.shift();
      this.current = cur;
      if (cur !== undefined) {
        fetchedNow = true;
        this.fetched++;
      }
    }
    // user buffers back to back in DATA, each filled with known bytes
    const iovs: Iov[] = [];
    let base = DATA;
    const userBytes: Uint8Array[] = [];
    for (const len of iovLens) {
      const bytes = fillOf(len, ++this.salt);
      this.w.user.write(base, bytes);
      userBytes.push(bytes);
      iovs.push({ base, len });
      base += len + 64;
    }
    const expectRead: { at: number; bytes: Uint8Array }[] = [];
    let moved = 0;
    if (cur !== undefined) {
      for (let k = 0; k < iovs.length; k++) {
        const v = iovs[k]!;
        let off = 0;
        const r = Math.min(v.len, cur.readable.length - cur.rOff);
        if (r > 0) expectRead.push({ at: v.base, bytes: cur.readable.slice(cur.rOff, cur.rOff + r) });
        cur.rOff += r;
        off += r;
        const wn = Math.min(v.len - off, cur.room - cur.written.length);
        for (let j = 0; j < wn; j++) cur.written.push(userBytes[k]![off + j]!);
        off += wn;
        moved += off;
        if (off < v.len || usedUp(cur)) break;
      }
    }
    const { r, outLen } = this.w.copy(0, iovs, update);
    const expectRet = fetchedNow && iovs.length === 0 ? 1 : 0;
    if (!('ok' in r) || r.value !== expectRet) throw new Error(`${where}: COPY_DESC returned ${JSON.stringify(r)}, expected ${expectRet}`);
    if (outLen !== moved) throw new Error(`${where}: out_len ${outLen}, the chain model moved ${moved} bytes`);
    for (const e of expectRead) {
      const got = this.w.readUser(e.at, e.bytes.length);
      const bad = got.findIndex((b, i) => b !== e.bytes[i]);
      if (bad >= 0) throw new Error(`${where}: user byte ${bad} at 0x${e.at.toString(16)} is ${got[bad]}, the chain's readable byte is ${e.bytes[bad]}`);
    }
    if (cur !== undefined && moved > 0 && update) {
      this.current = undefined;
      this.completing.push(cur);
      this.w.sys.settle();
      this.checkAvailIdx(where);
    } else this.w.sys.settle();
  }

  /** completed by the host, not yet reaped by the card */
  private completing: Posted[] = [];

  private checkAvailIdx(where: string): void {
    const m = this.w.sys.vop.mmap(this.w.fd, 0, MIC_DP_SIZE + micRingBlockSize(this.num), PROT_READ);
    if (!('ok' in m)) throw new Error(`${where}: mmap of the device page and ring 0 refused: ${m.errno}`);
    const v = m.view.read16(MIC_DP_SIZE + micVringInfoOffset(this.num) + micVringInfo.fields.avail_idx.offset);
    if (v !== (this.fetched & 0xffff)) throw new Error(`${where}: _mic_vring_info.avail_idx is ${String(v)}, the host has fetched ${this.fetched} chains`);
  }

  private reap(where: string): void {
    const done = this.dev.reap(0);
    if (!Array.isArray(done)) {
      if ('reason' in done && done.reason === 'not-live') return;
      throw new Error(`${where}: reap failed: ${JSON.stringify(done)}`);
    }
    for (const c of done) {
      const p = this.outstanding.get(c.token);
      if (p === undefined) throw new Error(`${where}: token ${c.token} completed ${this.finished.has(c.token) ? 'twice' : 'but was never posted'}`);
      const i = this.completing.indexOf(p);
      if (i < 0) throw new Error(`${where}: token ${c.token} completed, but the host was never asked to complete it`);
      this.completing.splice(i, 1);
      if (c.len !== p.written.length) throw new Error(`${where}: token ${c.token} used len ${c.len}, the host wrote ${p.written.length} bytes (RING-16)`);
      const bad = p.written.findIndex((b, k) => c.written[k] !== b);
      if (bad >= 0) throw new Error(`${where}: token ${c.token} writable byte ${bad} is ${c.written[bad]}, the caller wrote ${p.written[bad]}`);
      this.outstanding.delete(c.token);
      this.finished.add(c.token);
    }
  }

  /** take back what the driver detached; each must be outstanding and not completed */
  private takeDetached(dev: CardVirtioDevice, where: string): void {
    for (const t of dev.takeDetached()) {
      if (!this.outstanding.has(t)) throw new Error(`${where}: token ${t} detached ${this.finished.has(t) ? 'after it came back' : 'but never posted'}`);
      this.outstanding.delete(t);
      this.finished.add(t);
    }
  }

  private forgetRing(): void {
    this.queued = [];
    this.current = undefined;
    this.stranded = [];
    this.completing = [];
    this.fetched = 0;
  }

  private vdevReset(where: string): void {
    this.reap(where);
    this.dev.reset();
    this.w.sys.settle();
    this.takeDetached(this.dev, where);
    this.forgetRing();
    this.dev = this.liveDevice(`${where}: after the vdev reset`);
  }

  private cardReset(where: string): void {
    this.reap(where);
    const old = this.dev;
    this.oldDevs.push(old);
    for (const verb of ['reset', 'boot']) {
      const r = this.w.sys.writeAttr(0, 'state', verb);
      if (!('ok' in r)) throw new Error(`${where}: state ${verb} refused: ${r.errno}`);
      this.w.sys.settle();
    }
    this.takeDetached(old, where);
    this.forgetRing();
    this.dev = this.liveDevice(`${where}: after the card came back`);
  }
}

export const vopCopyDesc = defineProperty({
  id: 'vop.copyDesc',
  claim: 'COPY_DESC moves chains as byte streams in the documented order, resumes partial chains at the byte, completes with the bytes written, and every posted buffer comes back exactly once across resets',
  source: 'facts §6.4, §6.5 COPY_DESC, §6.6; RING-06, RING-15, RING-16, RING-19, RESET-02, RESET-03',
  level: 'system',
  requires: ['system', 'memory'],
  runs: 25,
  build: (impl) =>
    fc.property(
      fc.boolean(),
      fc.constantFrom(4, 16, 128),
      fc.boolean(),
      fc.array(cmdArb, { minLength: 1, maxLength: 30 }),
      (dma, num, eventIdx, cmds) => {
        new Run(impl, dma, num, eventIdx).run(cmds);
      },
    ),
});
