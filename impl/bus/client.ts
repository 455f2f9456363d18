/**
 * The dmaengine-like client API of one side on one card (facts §7.5): channels, prep, submit,
 * cookies, issue_pending with the auto-issue level, tx_status with cleanup, a synchronous wait in
 * virtual time, callbacks run exactly once, setup and teardown (drain with a fence) as the
 * mic_x100_dma driver does them, plus re-initialisation of a halted channel (the driver has none).
 *
 * DECISION — unaligned sizes and addresses (issue 3 note): prepMemcpy REFUSES them. A source,
 * destination or length that is not a multiple of 64 returns the typed error
 * `{ errno: 'EINVAL', reason: 'unaligned' }` and changes nothing (no ring slot, no register write).
 * Why: the X100 engine only moves whole 64-byte lines (facts §7.4: MEMCOPY length is in 64-byte
 * units, addresses cache-line aligned) and the dmaengine device advertises copy_align = 2^6
 * (facts §7.5), so a prep that silently rounded would write bytes the caller did not ask for. Making
 * unaligned copies work is the caller's job, as the host VOP code does it (facts §6.6): round the
 * card address down and the length up to 64 and go through a 64-byte aligned bounce buffer, or
 * fall back to a CPU copy. A zero length with no flags is refused too (`reason: 'zero-length'`,
 * the Linux prep returns NULL); a zero length WITH flags emits only the fence/interrupt descriptors.
 *
 * Other choices: a prep while an earlier prep is not yet submitted is refused (`prep-pending`; in
 * Linux the prep lock would deadlock). STATUS destinations must be 8-byte aligned (one 64-bit write).
 * syncWait runs the scheduler, so it is for callers outside scheduler events (tests, the CLI, a
 * process-context task); code running inside an event polls txStatus or uses callbacks instead.
 * A host-to-host memcopy is not refused here: the engine refuses it with a channel error (facts §7.1).
 */
import type {
  DmaChan,
  DmaChanPhase,
  DmaChanStats,
  DmaClient,
  DmaError,
  DmaRegisterPort,
  DmaResult,
  DmaSide,
  DmaStatus,
  DmaTx,
  MemPort,
  Scheduler,
} from '../../model/contract.ts';
import * as K from '../../model/constants/dma.ts';
import { DRAR_HI_BITS } from '../../model/layout/dma.ts';
import * as Desc from '../dma/descriptor.ts';
import type { DescWords } from '../dma/descriptor.ts';
import { dmaError } from '../dma/errors.ts';
import { RingSlots } from '../dma/slots.ts';
// bound once: imported bindings are live getters under some loaders (tsx), too slow for the hot path
const { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, DMA_SYNC_WAIT_TIMEOUT_NS, MIC_DMA_ADDR_LIMIT, MIC_DMA_ALIGN, MIC_DMA_CARD_CHAN_FIRST, MIC_DMA_CHAN_QUIESCE, MIC_DMA_DCAR_IM0, MIC_DMA_DCAR_IM1, MIC_DMA_DESC_SIZE, MIC_DMA_DSTAT_COMPLETION_MASK, MIC_DMA_MAX_XFER_CARD, MIC_DMA_MAX_XFER_HOST, MIC_DMA_PENDING_LEVEL, MIC_DMA_PREP_EXTRA_SLOTS, MIC_DMA_SBOX_DRARHI_SYS_MASK, MIC_DMA_STATUS_SLOTS, MIC_MAX_DMA_CHAN, SMPT_PAGE_SHIFT, channelOwner, dcrEnableBit, dcrOwnerBit } = K;
const { encodeMemcopy, encodeStatus, encodeStatusWords, writeDescriptor } = Desc;

const TWO32 = 2 ** 32;

/** where one channel's ring and status buffer live, for the software and for the engine */
export interface ChannelMemory {
  /** the memory the driver writes descriptors into (host RAM or card GDDR) */
  readonly mem: MemPort;
  /** ring address in `mem` and as a card physical address (the SMPT window for host rings) */
  readonly ringAddr: number;
  readonly ringCardAddr: number;
  /** the 64-byte status buffer the fence/interrupt STATUS descriptors write (card physical address) */
  readonly statusCardAddr: number;
}

/** a transaction; once submitted (cookie ≠ 0) it is also its own record in the completion queue */
class TxImpl implements DmaTx {
  callback: ((result: DmaResult) => void) | undefined = undefined;
  cookie = 0;
  constructor(
    private readonly chan: ChanImpl,
    /** ring slot of the last descriptor of the transaction */
    readonly lastSlot: number,
  ) {}

  submit(): number | DmaError {
    return this.chan.submitTx(this);
  }
}

function u32(port: DmaRegisterPort, ch: number, reg: Parameters<DmaRegisterPort['readChan']>[1]): number {
  const v = port.readChan(ch, reg);
  // a client only touches channels of its own side; a refusal here is a bug of this file
  if (typeof v !== 'number') throw new Error(`client read of ${reg} refused: ${v.detail}`);
  return v;
}

/** ring index arithmetic modulo the ring size (facts §7.3) */
const dist = (from: number, to: number, size: number): number => (to - from + size) % size;

export class ChanImpl implements DmaChan {
  readonly maxXfer: number;
  /** software copies (struct mic_dma_chan) */
  private head = 0;
  private lastTail = 0;
  private issued = 0;
  private submitted = 0;
  private nextCookie = 1;
  /** every cookie below this is final (completed or aborted) */
  private doneBelow = 1;
  /** [first, last] cookie ranges aborted at a re-init or removal */
  private readonly aborted: [number, number][] = [];
  private queue: TxImpl[] = [];
  private qHead = 0;
  private prepPending: TxImpl | undefined;
  private drainCookie = 0;
  private draining = false;
  active = false;
  stats = { submitted: 0, completed: 0, aborted: 0 };
  private readonly words: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
  /** the cookie syncWait polls for, and its predicate (made once) */
  private waitCookie = 0;
  private readonly waitDone = (): boolean => this.txStatus(this.waitCookie) !== 'in-progress';
  /** pins of the ring's pages: the driver stores descriptors straight into its ring */
  private readonly slots: RingSlots;

  constructor(
    readonly channel: number,
    readonly side: DmaSide,
    readonly ringSize: number,
    private readonly port: DmaRegisterPort,
    private readonly cm: ChannelMemory,
    private readonly sched: Scheduler,
    private readonly hooks: { enableIrq(ch: number): void; disableIrq(ch: number): void },
  ) {
    this.maxXfer = side === 'host' ? MIC_DMA_MAX_XFER_HOST : MIC_DMA_MAX_XFER_CARD;
    this.slots = new RingSlots(cm.mem, cm.ringAddr, ringSize, true);
  }

  get phase(): DmaChanPhase {
    if (!this.active) return 'disabled';
    if (u32(this.port, this.channel, 'DCHERR') !== 0) return 'halted';
    return this.draining ? 'draining' : 'active';
  }

  // ---- setup / teardown (facts §7.3) -------------------------------------------------------

  private maskIntr(): void {
    const bit = this.side === 'host' ? MIC_DMA_DCAR_IM1 : MIC_DMA_DCAR_IM0;
    this.port.writeChan(this.channel, 'DCAR', u32(this.port, this.channel, 'DCAR') | bit);
  }

  private unmaskIntr(): void {
    const bit = this.side === 'host' ? MIC_DMA_DCAR_IM1 : MIC_DMA_DCAR_IM0;
    this.port.writeChan(this.channel, 'DCAR', u32(this.port, this.channel, 'DCAR') & ~bit);
  }

  private setEnabled(on: boolean): void {
    const dcr = this.port.readDcr();
    this.port.writeDcr(on ? dcr | dcrEnableBit(this.channel) : dcr & ~dcrEnableBit(this.channel));
  }

  /** the card owns 4–7 and writes its owner bit (0 = card); the host never writes owner bits */
  private setOwner(): void {
    if (this.side !== 'card') return;
    this.port.writeDcr(this.port.readDcr() & ~dcrOwnerBit(this.channel));
  }

  /** mic_dma_chan_set_desc_ring */
  private programRing(): void {
    const a = this.cm.ringCardAddr;
    const B = DRAR_HI_BITS.fields;
    let hi = (this.ringSize & Number(B.size.mask)) << B.size.lsb;
    const hiBits = Math.floor(a / TWO32);
    if (this.side === 'card') {
      hi |= hiBits & Number(B.addrHi.mask);
    } else {
      hi |= MIC_DMA_SBOX_DRARHI_SYS_MASK;
      hi |= (Math.floor(a / 2 ** SMPT_PAGE_SHIFT) & Number(B.smptEntry.mask)) << B.smptEntry.lsb;
      hi |= hiBits & 3;
    }
    this.port.writeChan(this.channel, 'DRAR_LO', a % TWO32);
    this.port.writeChan(this.channel, 'DRAR_HI', hi >>> 0);
  }

  /** mic_dma_chan_setup + mic_dma_check_chan */
  setup(): DmaError | undefined {
    this.setOwner();
    this.setEnabled(false);
    this.maskIntr();
    this.port.writeChan(this.channel, 'DCHERRMSK', 0);
    this.programRing();
    this.lastTail = u32(this.port, this.channel, 'DTPR');
    this.head = this.lastTail;
    // the driver zeroes `issued`; we start issued = submitted = head so the first DHPR write is new
    this.issued = this.head;
    this.submitted = this.head;
    this.unmaskIntr();
    this.setEnabled(true);
    if (u32(this.port, this.channel, 'DCHERR') !== 0 || (u32(this.port, this.channel, 'DSTAT') & MIC_DMA_CHAN_QUIESCE) !== 0) {
      this.setEnabled(false);
      this.maskIntr();
      // a re-init that fails leaves the channel as torn down as a release does
      this.hooks.disableIrq(this.channel);
      return dmaError('EBUSY', 'setup-check', `channel ${this.channel}: DCHERR or quiesce set after enable`);
    }
    this.active = true;
    this.draining = false;
    this.hooks.enableIrq(this.channel);
    return undefined;
  }

  shutdown(): void {
    this.setEnabled(false);
    this.maskIntr();
    this.hooks.disableIrq(this.channel);
    this.active = false;
    this.draining = false;
    this.prepPending = undefined;
  }

  reinit(): DmaError | undefined {
    if (!this.active) return dmaError('ENODEV', 'not-set-up', `channel ${this.channel} is not set up`);
    if (u32(this.port, this.channel, 'DCHERR') === 0) return dmaError('EINVAL', 'not-halted', `channel ${this.channel} is not in error`);
    this.abortOutstanding();
    this.active = false;
    return this.setup();
  }

  beginRelease(): DmaError | undefined {
    const e = this.usable();
    if (e) return e;
    const tx = this.prep(0, 0, 0, DMA_PREP_FENCE, 0n, false);
    if (!(tx instanceof TxImpl)) return tx;
    const cookie = this.submitTx(tx);
    if (typeof cookie !== 'number') return cookie;
    this.drainCookie = cookie;
    this.draining = true;
    this.issuePending();
    return undefined;
  }

  pollRelease(): boolean {
    if (!this.active) return true;
    if (!this.draining) return false;
    if (this.txStatus(this.drainCookie) !== 'complete') return false;
    this.shutdown();
    return true;
  }

  release(timeoutNs: number = DMA_SYNC_WAIT_TIMEOUT_NS): DmaError | undefined {
    if (!this.active) return dmaError('ENODEV', 'not-set-up', `channel ${this.channel} is not set up`);
    if (!this.draining) {
      const e = this.beginRelease();
      if (e && e.reason !== 'channel-halted') return e;
      if (e) {
        // a halted channel cannot drain: the wait would time out (facts §7.3: -EIO), disable anyway
        this.abortOutstanding();
        this.shutdown();
        return dmaError('EIO', 'drain-failed', `channel ${this.channel} is halted (DCHERR set)`);
      }
    }
    const st = this.syncWait(this.drainCookie, timeoutNs);
    if (st !== 'complete') {
      this.abortOutstanding();
      this.shutdown();
      return dmaError('EIO', 'drain-failed', `channel ${this.channel}: drain did not complete`);
    }
    this.shutdown();
    return undefined;
  }

  /** used by release paths and bus removal: every outstanding transaction ends as aborted */
  abortOutstanding(): void {
    this.prepPending = undefined;
    if (this.nextCookie > this.doneBelow) this.aborted.push([this.doneBelow, this.nextCookie - 1]);
    this.doneBelow = this.nextCookie;
    const pending = this.queue.slice(this.qHead);
    this.queue = [];
    this.qHead = 0;
    for (const r of pending) this.finish(r, 'aborted');
    this.head = this.lastTail = this.issued = this.submitted = u32(this.port, this.channel, 'DTPR');
  }

  // ---- prep / submit / issue (facts §7.5) --------------------------------------------------

  private usable(): DmaError | undefined {
    if (!this.active) return dmaError('ENODEV', 'not-set-up', `channel ${this.channel} is not set up`);
    if (u32(this.port, this.channel, 'DCHERR') !== 0) return dmaError('EIO', 'channel-halted', `channel ${this.channel} halted (DCHERR set); re-initialise it`);
    if (this.draining) return dmaError('EBUSY', 'draining', `channel ${this.channel} is draining for teardown`);
    if (this.prepPending !== undefined) return dmaError('EBUSY', 'prep-pending', `channel ${this.channel}: submit the prepared transaction first`);
    return undefined;
  }

  private freeSlots(): number {
    return (this.lastTail - this.head - 1 + this.ringSize) % this.ringSize;
  }

  /** mic_dma_avail_desc_ring_space: clean up once when short */
  private reserve(n: number): DmaError | undefined {
    if (this.freeSlots() < n) this.cleanup();
    if (this.freeSlots() < n) return dmaError('ENOMEM', 'no-slots', `channel ${this.channel}: ${n} ring slots needed, ${this.freeSlots()} free`);
    return undefined;
  }

  private put(): void {
    const s = this.slots;
    if (!s.store(this.head, this.words) && !(s.pin(this.head) && s.store(this.head, this.words))) {
      writeDescriptor(this.cm.mem, this.cm.ringAddr + this.head * MIC_DMA_DESC_SIZE, this.words);
    }
    this.head = this.head + 1 === this.ringSize ? 0 : this.head + 1;
  }

  /** one prep: optional STATUS(value → dst), memcopies of ≤ maxXfer, then fence / doubled interrupt status */
  private prep(dst: number, src: number, len: number, flags: number, value: bigint, withStatus: boolean): TxImpl | DmaError {
    const copies = len === 0 ? 0 : Math.ceil(len / this.maxXfer);
    const need = withStatus ? MIC_DMA_STATUS_SLOTS : copies + MIC_DMA_PREP_EXTRA_SLOTS;
    const e = this.reserve(need);
    if (e) return e;
    const w = this.words;
    if (withStatus) {
      encodeStatus(w, dst, value, false);
      this.put();
    }
    for (let off = 0; off < len; off += this.maxXfer) {
      encodeMemcopy(w, dst + off, src + off, Math.min(this.maxXfer, len - off));
      this.put();
    }
    if (flags & DMA_PREP_FENCE) {
      encodeStatusWords(w, this.cm.statusCardAddr, 0, 0, false);
      this.put();
    }
    if (flags & DMA_PREP_INTERRUPT) {
      // hardware quirk: a status needs to be doubled, the second one interrupts (facts §7.5)
      encodeStatusWords(w, this.cm.statusCardAddr, 0, 0, false);
      this.put();
      encodeStatusWords(w, this.cm.statusCardAddr, 0, 0, true);
      this.put();
    }
    const tx = new TxImpl(this, this.head === 0 ? this.ringSize - 1 : this.head - 1);
    this.prepPending = tx;
    return tx;
  }

  private checkRange(addr: number, len: number, what: string): DmaError | undefined {
    if (!Number.isSafeInteger(addr) || addr < 0 || addr + len > MIC_DMA_ADDR_LIMIT) {
      return dmaError('EINVAL', 'bad-address', `${what} 0x${addr.toString(16)}+${len} is outside the 40-bit card address space`);
    }
    return undefined;
  }

  prepMemcpy(dst: number, src: number, len: number, flags: number): DmaTx | DmaError {
    const e = this.usable();
    if (e) return e;
    if (!Number.isSafeInteger(len) || len < 0) return dmaError('EINVAL', 'bad-address', `length ${len} is not a byte count`);
    if (len === 0 && (flags & (DMA_PREP_FENCE | DMA_PREP_INTERRUPT)) === 0) return dmaError('EINVAL', 'zero-length', 'memcpy of 0 bytes without flags');
    const r = this.checkRange(dst, len, 'destination') ?? this.checkRange(src, len, 'source');
    if (r) return r;
    // all three are safe non-negative integers here: their low bits are those of ToUint32 (no float modulo)
    if ((((dst >>> 0) | (src >>> 0) | len) & (MIC_DMA_ALIGN - 1)) !== 0) {
      return dmaError('EINVAL', 'unaligned', `dst 0x${dst.toString(16)}, src 0x${src.toString(16)}, len ${len}: all must be multiples of ${MIC_DMA_ALIGN}`);
    }
    return this.prep(dst, src, len, flags, 0n, false);
  }

  prepStatus(dst: number, value: bigint, flags: number): DmaTx | DmaError {
    const e = this.usable();
    if (e) return e;
    const r = this.checkRange(dst, 8, 'status destination');
    if (r) return r;
    if (dst % 8 !== 0) return dmaError('EINVAL', 'unaligned', `status destination 0x${dst.toString(16)} must be 8-byte aligned`);
    return this.prep(dst, 0, 0, flags, BigInt.asUintN(64, value), true);
  }

  prepInterrupt(flags: number): DmaTx | DmaError {
    return this.prepMemcpy(0, 0, 0, flags);
  }

  submitTx(tx: TxImpl): number | DmaError {
    if (tx.cookie !== 0 || this.prepPending !== tx) return dmaError('EINVAL', 'already-submitted', 'transaction already submitted or no longer valid');
    const cookie = this.nextCookie++;
    tx.cookie = cookie;
    this.submitted = this.head;
    this.prepPending = undefined;
    this.queue.push(tx);
    this.stats.submitted++;
    // mic_dma_update_pending: ring_count(issued, submitted) > mic_dma_pending_level
    if (dist(this.issued, this.submitted, this.ringSize) - 1 > MIC_DMA_PENDING_LEVEL) this.issuePending();
    return cookie;
  }

  issuePending(): void {
    if (!this.active || this.issued === this.submitted) return;
    this.issued = this.submitted;
    this.port.writeChan(this.channel, 'DHPR', this.issued);
  }

  // ---- completion ---------------------------------------------------------------------------

  private finish(r: TxImpl, result: DmaResult): void {
    if (result === 'noerror') this.stats.completed++;
    else this.stats.aborted++;
    const cb = r.callback;
    r.callback = undefined;
    if (cb) cb(result);
  }

  /** mic_dma_cleanup: complete every transaction whose last slot the hardware has passed */
  /**
   * Completes what the engine finished. Re-entrant: a callback may poll, submit, issue or release,
   * which runs cleanup again; so each record is measured against the current `lastTail`, which moves
   * past the record before its callback runs, and the tail only ever moves forward.
   */
  cleanup(): void {
    if (!this.active) return;
    const tail = u32(this.port, this.channel, 'DSTAT') & MIC_DMA_DSTAT_COMPLETION_MASK;
    const start = this.lastTail;
    while (this.qHead < this.queue.length) {
      const r = this.queue[this.qHead]!;
      if (dist(this.lastTail, r.lastSlot, this.ringSize) >= dist(this.lastTail, tail, this.ringSize)) break;
      this.qHead++;
      this.doneBelow = r.cookie + 1;
      this.lastTail = (r.lastSlot + 1) % this.ringSize;
      this.finish(r, 'noerror');
      // released from the callback: the teardown settled every record
      if (!this.active) return;
    }
    if (this.qHead > 64 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    if (dist(start, tail, this.ringSize) > dist(start, this.lastTail, this.ringSize)) this.lastTail = tail;
  }

  private isAborted(cookie: number): boolean {
    for (let i = 0; i < this.aborted.length; i++) {
      const r = this.aborted[i]!;
      if (cookie >= r[0] && cookie <= r[1]) return true;
    }
    return false;
  }

  private statusOf(cookie: number): DmaStatus | undefined {
    if (!Number.isInteger(cookie) || cookie < 1 || cookie >= this.nextCookie) return 'error';
    if (cookie < this.doneBelow) return this.isAborted(cookie) ? 'error' : 'complete';
    return undefined;
  }

  txStatus(cookie: number): DmaStatus {
    const s = this.statusOf(cookie);
    if (s !== undefined) return s;
    this.cleanup();
    return this.statusOf(cookie) ?? 'in-progress';
  }

  syncWait(cookie: number, timeoutNs: number = DMA_SYNC_WAIT_TIMEOUT_NS): DmaStatus {
    this.issuePending();
    const deadline = this.sched.now + timeoutNs;
    // the predicate is made once (a closure per wait costs an allocation and, under tsx, a name
    // definition); the cookie it polls is a field, saved and restored around a wait nested in a
    // completion callback, even one that throws
    const outer = this.waitCookie;
    this.waitCookie = cookie;
    let finished: boolean;
    try {
      finished = this.sched.runUntil(this.waitDone, { maxTimeNs: timeoutNs });
    } finally {
      this.waitCookie = outer;
    }
    if (finished) return this.txStatus(cookie);
    // nothing left to run before the deadline: the poll loop spins until it expires (facts §6.6)
    if (this.sched.now < deadline) this.sched.runFor(deadline - this.sched.now);
    const s = this.txStatus(cookie);
    return s === 'in-progress' ? 'error' : s;
  }

  statsView(): DmaChanStats {
    return { ...this.stats };
  }
}

/** one side's client: the channels of that side on one card */
export class DmaClientImpl implements DmaClient {
  bound = false;
  private readonly chans: (ChanImpl | undefined)[] = [];

  constructor(
    readonly side: DmaSide,
    readonly cardIndex: number,
    private readonly make: (ch: number) => ChanImpl,
  ) {}

  private first(): number {
    return this.side === 'host' ? 0 : MIC_DMA_CARD_CHAN_FIRST;
  }

  private chan(n: number): ChanImpl {
    let c = this.chans[n];
    if (c === undefined) {
      c = this.make(n);
      this.chans[n] = c;
    }
    return c;
  }

  requestChannel(channel?: number): DmaChan | DmaError {
    if (!this.bound) return dmaError('ENODEV', 'no-device', `no ${this.side} DMA device bound on card ${this.cardIndex}`);
    let n = channel;
    if (n !== undefined) {
      if (!Number.isInteger(n) || n < 0 || n >= 2 * MIC_MAX_DMA_CHAN) return dmaError('EINVAL', 'bad-channel', `channel ${n} does not exist`);
      // host channels are DMA_PRIVATE to the host driver, card channels belong to the card (facts §7.1)
      if (channelOwner(n) !== this.side) return dmaError('EPERM', 'wrong-owner', `channel ${n} belongs to the ${channelOwner(n)} side`);
      if (this.chans[n]?.active) return dmaError('EBUSY', 'in-use', `channel ${n} is already requested`);
    } else {
      for (let i = this.first(); i < this.first() + MIC_MAX_DMA_CHAN; i++) {
        if (!this.chans[i]?.active) {
          n = i;
          break;
        }
      }
      if (n === undefined) return dmaError('EBUSY', 'in-use', `all ${this.side} channels are requested`);
    }
    const c = this.chan(n);
    const e = c.setup();
    if (e) return e;
    return c;
  }

  stats(channel: number): DmaChanStats {
    return this.chans[channel]?.statsView() ?? { submitted: 0, completed: 0, aborted: 0 };
  }

  phase(channel: number): DmaChanPhase {
    return this.chans[channel]?.phase ?? 'disabled';
  }

  /** interrupt thread of channel n: run its cleanup */
  onChannelInterrupt(n: number): void {
    this.chans[n]?.cleanup();
  }

  /** bus removal: every channel aborts its outstanding work and is disabled */
  unbind(): void {
    for (const c of this.chans) {
      if (c?.active) {
        c.abortOutstanding();
        c.shutdown();
      }
    }
    this.bound = false;
  }
}
