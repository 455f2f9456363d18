/**
 * The X100 DMA engine as hardware (facts §7): 8 channels with their register blocks at SBOX +
 * 0xA000 + 0x40·n, the global DCR at SBOX + 0xA280, descriptor rings in memory read through the
 * card's physical address space (GDDR below 0x80_0000_0000, host memory through the SMPT window
 * above it). A channel consumes one descriptor per scheduler event of its own agent, so copies
 * interleave with every other agent; a bad descriptor sets DCHERR and halts the channel until its
 * ring is programmed again.
 *
 * Ownership: host software reaches the registers through port('host'), card software through
 * port('card'); a port refuses, and records, any access to a channel of the other side (facts §7.1).
 * Raw BAR4 accesses (regs.read32/write32) carry no origin and are not checked.
 */
import type {
  DmaChanReg,
  DmaChannelRegs,
  DmaEngine,
  DmaError,
  DmaRegisterPort,
  DmaSide,
  FaultPoint,
  MemPort,
  OwnershipViolation,
  PcieEndpoint,
  Scheduler,
} from '../../model/contract.ts';
import { BAR4 } from '../../model/layout/sbox.ts';
import { DMA_CHANNEL_REGS, DMA_CHANNEL_STRIDE, DRAR_HI_BITS } from '../../model/layout/dma.ts';
import * as K from '../../model/constants/dma.ts';
import { hostDmaBit } from '../../model/constants/pcie.ts';
import * as Desc from './descriptor.ts';
import type { CopyProgress, DescWords } from './descriptor.ts';
import { dmaError } from './errors.ts';
import { RingSlots } from './slots.ts';
// bound once: imported bindings are live getters under some loaders (tsx), too slow for the hot path
const { DCHERR_HEAD_REWRITE, DCHERR_INJECTED, DCHERR_RING, MIC_DMA_CHAN_QUIESCE, MIC_DMA_DCAR_IM0, MIC_DMA_DCAR_IM1, MIC_DMA_DCR_RESET, MIC_DMA_DESC_SIZE, MIC_DMA_DSTAT_COMPLETION_MASK, MIC_DMA_NUM_CHAN, SMPT_PAGE_SIZE, SMPT_WINDOW_BASE, channelOwner, dcrEnableBit, dcrOwnerBit } = K;
const { EXEC_MORE, executeDescriptor } = Desc;

const R = DMA_CHANNEL_REGS.fields;
const TWO32 = 2 ** 32;

function field(word: number, f: { lsb: number; width: number }): number {
  return Math.floor(word / 2 ** f.lsb) % 2 ** f.width;
}

/** one channel's hardware state; registers are the truth, mirrored into the register file for peek() */
class ChannelHw {
  dcar = 0;
  dhpr = 0;
  dtpr = 0;
  drarLo = 0;
  drarHi = 0;
  dcherr = 0;
  dcherrmsk = 0;
  aux = new Uint32Array(6);
  /** decoded from DRAR: card physical address of slot 0 and the slot count (0 = not programmed) */
  ringAddr = 0;
  ringSize = 0;
  /** pins of the ring's pages (made when the ring is programmed) */
  slots: RingSlots | undefined = undefined;
  scheduled = false;
  /** an interrupt raised while masked, delivered at unmask (the mask/unmask ack erratum relies on it) */
  intrLatched = false;
  consumed = 0;
  /** bytes of the memcopy at the tail already moved */
  readonly progress: CopyProgress = { off: 0 };
  readonly agent: string;
  readonly base: number;
  /** the fault points, resolved once: a step asks two handles, no lookup by name */
  readonly faultDesc: FaultPoint;
  readonly faultStall: FaultPoint;
  /** register file offsets of the registers a step mirrors */
  readonly dhprAt: number;
  readonly dtprAt: number;
  readonly dstatAt: number;
  /** the step closure, made once: no allocation per step */
  step: () => void = () => {};

  constructor(
    readonly n: number,
    cardName: string,
    sched: Scheduler,
  ) {
    this.agent = `${cardName}.dma.ch${n}`;
    this.base = BAR4.DMA_CH(n);
    this.dhprAt = this.base + R.DHPR.offset;
    this.dtprAt = this.base + R.DTPR.offset;
    this.dstatAt = this.base + R.DSTAT.offset;
    const faults = sched.faults;
    faults.declare(`dma.ch${n}.descError`, `channel ${n} treats its next descriptor as bad (DCHERR, halt)`);
    faults.declare(`dma.ch${n}.stall`, `channel ${n} stops consuming descriptors until its ring is reprogrammed`);
    this.faultDesc = faults.point(`dma.ch${n}.descError`);
    this.faultStall = faults.point(`dma.ch${n}.stall`);
  }
}

export class DmaEngineImpl implements DmaEngine {
  private dcr = MIC_DMA_DCR_RESET;
  private readonly chans: ChannelHw[] = [];
  private readonly violationLog: OwnershipViolation[] = [];
  private readonly ports: Record<DmaSide, DmaRegisterPort>;
  private readonly words: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
  private readonly fetch = new Uint8Array(MIC_DMA_DESC_SIZE);
  private readonly fetchView = new DataView(this.fetch.buffer);
  private readonly mem: MemPort;

  constructor(
    private readonly ep: PcieEndpoint,
    private readonly sched: Scheduler,
    readonly cardIndex: number,
  ) {
    const cardName = `card${cardIndex}`;
    this.mem = ep.cardView;
    for (let n = 0; n < MIC_DMA_NUM_CHAN; n++) {
      const ch = new ChannelHw(n, cardName, sched);
      ch.step = () => this.step(ch);
      this.chans.push(ch);
      this.mirror(ch);
    }
    ep.regs.poke(BAR4.DCR, this.dcr);
    // raw BAR4 path: no origin known, no ownership check
    ep.regs.hook(BAR4.DMA_CH(0), MIC_DMA_NUM_CHAN * DMA_CHANNEL_STRIDE, {
      read: (off) => this.readReg(this.chans[(off - BAR4.DMA_CH(0)) >> 6]!, (off - BAR4.DMA_CH(0)) & 63),
      // the register file stores the written value first; writeReg then pokes what the hardware holds
      write: (off, value) => {
        this.writeReg(this.chans[(off - BAR4.DMA_CH(0)) >> 6]!, (off - BAR4.DMA_CH(0)) & 63, value >>> 0);
      },
    });
    ep.regs.hook(BAR4.DCR, 4, {
      read: () => this.dcr,
      write: (_off, value) => {
        this.setDcr(value >>> 0);
      },
    });
    this.ports = { host: this.makePort('host'), card: this.makePort('card') };
  }

  port(side: DmaSide): DmaRegisterPort {
    return this.ports[side];
  }

  agent(ch: number): string {
    return this.chans[ch]?.agent ?? `card${this.cardIndex}.dma.ch?`;
  }

  consumed(ch: number): number {
    return this.chans[ch]?.consumed ?? 0;
  }

  violations(): readonly OwnershipViolation[] {
    return this.violationLog;
  }

  regs(n: number): DmaChannelRegs {
    const ch = this.chans[n];
    if (ch === undefined) throw new RangeError(`DMA channel ${n} does not exist`);
    return {
      channel: n,
      dcar: ch.dcar,
      dhpr: ch.dhpr,
      dtpr: ch.dtpr,
      drarLo: ch.drarLo,
      drarHi: ch.drarHi,
      dstat: this.dstat(ch),
      dcherr: ch.dcherr,
      dcherrmsk: ch.dcherrmsk,
      enabled: (this.dcr & dcrEnableBit(n)) !== 0,
      ownerHost: (this.dcr & dcrOwnerBit(n)) !== 0,
    };
  }

  // ---- ports ---------------------------------------------------------------------------------

  private makePort(side: DmaSide): DmaRegisterPort {
    const check = (ch: number, reg: string, value: number): DmaError | undefined => {
      if (!Number.isInteger(ch) || ch < 0 || ch >= MIC_DMA_NUM_CHAN) return dmaError('EINVAL', 'bad-channel', `channel ${ch} does not exist`);
      if (channelOwner(ch) !== side) {
        this.violationLog.push({ side, channel: ch, reg, value });
        this.sched.trace.record(this.chans[ch]!.agent, `ownership violation: ${side} ${reg}`);
        return dmaError('EPERM', 'wrong-owner', `${side} software may not access ${reg} of channel ${ch} (owned by ${channelOwner(ch)})`);
      }
      return undefined;
    };
    // the channels this side may touch; an access to any other number goes through check() for its error
    const own = this.chans.map((c) => channelOwner(c.n) === side);
    return {
      side,
      readChan: (ch, reg) => {
        const c = this.chans[ch];
        if (c !== undefined && own[ch] === true) return this.readNamed(c, reg);
        return check(ch, reg, 0) ?? this.readReg(this.chans[ch]!, R[reg].offset);
      },
      writeChan: (ch, reg, value) => {
        const c = this.chans[ch];
        if (c === undefined || own[ch] !== true) {
          const e = check(ch, reg, value);
          if (e) return e;
        }
        if (reg === 'DHPR') this.writeDoorbell(this.chans[ch]!, value >>> 0);
        else this.writeReg(this.chans[ch]!, R[reg].offset, value >>> 0);
        return undefined;
      },
      readDcr: () => this.dcr,
      writeDcr: (value) => {
        let foreign = 0;
        for (let n = 0; n < MIC_DMA_NUM_CHAN; n++) if (channelOwner(n) !== side) foreign |= dcrOwnerBit(n) | dcrEnableBit(n);
        const v = value >>> 0;
        if (((v ^ this.dcr) & foreign) !== 0) {
          const first = [...Array(MIC_DMA_NUM_CHAN).keys()].find((n) => ((v ^ this.dcr) & (dcrOwnerBit(n) | dcrEnableBit(n)) & foreign) !== 0)!;
          this.violationLog.push({ side, channel: first, reg: 'DCR', value: v });
          this.sched.trace.record(this.chans[first]!.agent, `ownership violation: ${side} DCR`);
          return dmaError('EPERM', 'wrong-owner', `${side} software may not change the DCR bits of channel ${first}`);
        }
        this.setDcr(((v & ~foreign) | (this.dcr & foreign)) >>> 0);
        return undefined;
      },
    };
  }

  // ---- registers -----------------------------------------------------------------------------

  private dstat(ch: ChannelHw): number {
    const quiesced = (this.dcr & dcrEnableBit(ch.n)) === 0 || ch.dcherr !== 0;
    return ((ch.dtpr & MIC_DMA_DSTAT_COMPLETION_MASK) | (quiesced ? MIC_DMA_CHAN_QUIESCE : 0)) >>> 0;
  }

  /** the registers software polls on the hot path by name (same values as readReg at their offsets) */
  private readNamed(ch: ChannelHw, reg: DmaChanReg): number {
    switch (reg) {
      case 'DSTAT': return this.dstat(ch);
      case 'DCHERR': return ch.dcherr;
      case 'DTPR': return ch.dtpr;
      default: return this.readReg(ch, R[reg].offset);
    }
  }

  private readReg(ch: ChannelHw, off: number): number {
    switch (off) {
      case R.DCAR.offset: return ch.dcar;
      case R.DHPR.offset: return ch.dhpr;
      case R.DTPR.offset: return ch.dtpr;
      case R.DRAR_LO.offset: return ch.drarLo;
      case R.DRAR_HI.offset: return ch.drarHi;
      case R.DSTAT.offset: return this.dstat(ch);
      case R.DCHERR.offset: return ch.dcherr;
      case R.DCHERRMSK.offset: return ch.dcherrmsk;
      case R.DAUX_LO.offset: return ch.aux[0]!;
      case R.DAUX_HI.offset: return ch.aux[1]!;
      case R.DITR.offset: return ch.aux[2]!;
      case R.DSTATWB_LO.offset: return ch.aux[3]!;
      case R.DSTATWB_HI.offset: return ch.aux[4]!;
      default: return 0;
    }
  }

  private writeReg(ch: ChannelHw, off: number, v: number): void {
    switch (off) {
      case R.DCAR.offset: {
        ch.dcar = v;
        if (ch.intrLatched && !this.intrMasked(ch)) {
          ch.intrLatched = false;
          this.raise(ch);
        }
        break;
      }
      case R.DHPR.offset: {
        this.writeDoorbell(ch, v);
        return;
      }
      case R.DRAR_LO.offset: ch.drarLo = v; break;
      case R.DRAR_HI.offset: this.programRing(ch, v); break;
      case R.DCHERRMSK.offset: ch.dcherrmsk = v; break;
      case R.DAUX_LO.offset: ch.aux[0] = v; break;
      case R.DAUX_HI.offset: ch.aux[1] = v; break;
      case R.DITR.offset: ch.aux[2] = v; break;
      case R.DSTATWB_LO.offset: ch.aux[3] = v; break;
      case R.DSTATWB_HI.offset: ch.aux[4] = v; break;
      // DTPR, DSTAT and DCHERR belong to the hardware: software writes are ignored
      default: break;
    }
    this.mirror(ch);
  }

  /** the doorbell of the hot path: only DHPR can have changed (fail() mirrors the rest) */
  private writeDoorbell(ch: ChannelHw, v: number): void {
    this.writeHead(ch, v);
    this.ep.regs.poke(ch.dhprAt, ch.dhpr);
  }

  private setDcr(v: number): void {
    const old = this.dcr;
    this.dcr = v & 0xffff;
    this.ep.regs.poke(BAR4.DCR, this.dcr);
    for (const ch of this.chans) {
      const en = dcrEnableBit(ch.n);
      if ((old & en) === 0 && (this.dcr & en) !== 0) this.kick(ch);
      this.mirror(ch);
    }
  }

  /**
   * DRAR_HI completes the ring address: host-owned rings are in system memory through SMPT entry
   * `smptEntry` (facts §7.2, mic_dma_chan_set_desc_ring). Programming the ring re-initialises the
   * channel: the error clears and the head is set to the tail (an empty ring), so the next head
   * the driver writes is a new value; the tail is kept (the driver reads DTPR after this).
   */
  private programRing(ch: ChannelHw, v: number): void {
    const B = DRAR_HI_BITS.fields;
    ch.drarHi = v;
    const size = field(v, B.size);
    if (field(v, B.sysMem) === 1) {
      ch.ringAddr = SMPT_WINDOW_BASE + field(v, B.smptEntry) * SMPT_PAGE_SIZE + (field(v, B.addrHi) & 3) * TWO32 + ch.drarLo;
    } else {
      ch.ringAddr = field(v, B.addrHi) * TWO32 + ch.drarLo;
    }
    ch.ringSize = size;
    ch.slots = size > 0 ? new RingSlots(this.mem, ch.ringAddr, size, false) : undefined;
    if (ch.dtpr >= size) ch.dtpr = 0;
    ch.dhpr = ch.dtpr;
    ch.progress.off = 0;
    ch.dcherr = 0;
    ch.intrLatched = false;
    this.sched.trace.record(ch.agent, 'ring programmed');
  }

  private writeHead(ch: ChannelHw, v: number): void {
    if (ch.dcherr !== 0) return;
    // writing the same head twice is a hardware error (facts §7.5, the issue_pending guard)
    if (v === ch.dhpr || ch.ringSize === 0 || v >= ch.ringSize) {
      this.fail(ch, v === ch.dhpr ? DCHERR_HEAD_REWRITE : DCHERR_RING);
      return;
    }
    ch.dhpr = v;
    this.kick(ch);
  }

  /** after a step only the tail and DSTAT change */
  private mirrorTail(ch: ChannelHw): void {
    const r = this.ep.regs;
    r.poke(ch.dtprAt, ch.dtpr);
    r.poke(ch.dstatAt, this.dstat(ch));
  }

  private mirror(ch: ChannelHw): void {
    const r = this.ep.regs;
    r.poke(ch.base + R.DCAR.offset, ch.dcar);
    r.poke(ch.base + R.DHPR.offset, ch.dhpr);
    r.poke(ch.base + R.DTPR.offset, ch.dtpr);
    r.poke(ch.base + R.DSTAT.offset, this.dstat(ch));
    r.poke(ch.base + R.DCHERR.offset, ch.dcherr);
  }

  // ---- the engine ----------------------------------------------------------------------------

  private kick(ch: ChannelHw): void {
    if (ch.scheduled || ch.dcherr !== 0 || ch.dtpr === ch.dhpr || (this.dcr & dcrEnableBit(ch.n)) === 0) return;
    ch.scheduled = true;
    this.sched.post(ch.agent, 'step', ch.step);
  }

  private step(ch: ChannelHw): void {
    ch.scheduled = false;
    if (ch.dcherr !== 0 || ch.dtpr === ch.dhpr || (this.dcr & dcrEnableBit(ch.n)) === 0) return;
    if (ch.faultStall.hit()) return;
    if (ch.faultDesc.hit()) {
      this.fail(ch, DCHERR_INJECTED);
      return;
    }
    const m = this.mem;
    const w = this.words;
    // the slot's page pinned, or one checked 16-byte fetch decoded as four little-endian words
    const slots = ch.slots;
    if (slots === undefined || !slots.read(ch.dtpr, w)) {
      if (m.readInto(ch.ringAddr + ch.dtpr * MIC_DMA_DESC_SIZE, this.fetch) !== undefined) {
        this.fail(ch, DCHERR_RING);
        return;
      }
      const f = this.fetchView;
      w.w0 = f.getUint32(0, true);
      w.w1 = f.getUint32(4, true);
      w.w2 = f.getUint32(8, true);
      w.w3 = f.getUint32(12, true);
      // non-zero bytes prove the page is allocated: pinning it allocates nothing (slots.ts)
      if ((w.w0 | w.w1 | w.w2 | w.w3) !== 0) slots?.pin(ch.dtpr);
    }
    const r = executeDescriptor(m, w, ch.progress);
    if (r < 0) {
      ch.progress.off = 0;
      this.fail(ch, -r);
      return;
    }
    if (r === EXEC_MORE) {
      this.kick(ch);
      return;
    }
    ch.dtpr = ch.dtpr + 1 === ch.ringSize ? 0 : ch.dtpr + 1;
    ch.consumed++;
    this.mirrorTail(ch);
    if (r === 1) this.interrupt(ch);
    this.kick(ch);
  }

  private fail(ch: ChannelHw, code: number): void {
    ch.dcherr = (ch.dcherr | code) >>> 0;
    this.mirror(ch);
    this.sched.trace.record(ch.agent, `DCHERR 0x${code.toString(16)} at slot ${ch.dtpr}`);
    // DCHERRMSK = 0 (what the driver writes) lets the error reach the channel's interrupt line
    if (ch.dcherrmsk === 0) this.interrupt(ch);
  }

  private ownerIsHost(ch: ChannelHw): boolean {
    return (this.dcr & dcrOwnerBit(ch.n)) !== 0;
  }

  private intrMasked(ch: ChannelHw): boolean {
    return (ch.dcar & (this.ownerIsHost(ch) ? MIC_DMA_DCAR_IM1 : MIC_DMA_DCAR_IM0)) !== 0;
  }

  private interrupt(ch: ChannelHw): void {
    if (this.intrMasked(ch)) {
      ch.intrLatched = true;
      return;
    }
    this.raise(ch);
  }

  /** host-owned: SICR0 source 8 + n (facts §1.3); card-owned: card irq n (facts §1.5) */
  private raise(ch: ChannelHw): void {
    if (this.ownerIsHost(ch)) this.ep.raiseHostSource(hostDmaBit(ch.n));
    else this.ep.raiseCardIrq(ch.n);
  }
}
