/**
 * Contract of the X100 DMA engine and the mic virtual bus (issue 3; facts §7). Types only.
 *
 * Two layers: the engine is hardware (registers at the real SBOX offsets, a descriptor ring in
 * memory, scheduler-driven steps); the bus gives each side's software a dmaengine-like client API.
 * Observers read registers only (DCR, DHPR, DTPR, DSTAT, DCHERR), never a model state.
 * Addresses given to the client API and written into descriptors are card physical addresses
 * (`cardAddr`): below 0x80_0000_0000 card GDDR, above it host memory through the SMPT window.
 */
import type { Platform } from './pcie.ts';

export type DmaSide = 'host' | 'card';

/** errno names as the Linux code returns them, plus a stable reason */
export type DmaErrno = 'EPERM' | 'EINVAL' | 'ENOMEM' | 'EBUSY' | 'EIO' | 'ENODEV' | 'ENOSPC';

export type DmaErrorReason =
  /** the other side owns the channel (facts §7.1) */
  | 'wrong-owner'
  /** channel number outside 0..7 */
  | 'bad-channel'
  /** address or length not a multiple of 64 (facts §6.6, §7.4) */
  | 'unaligned'
  /** memcpy of 0 bytes without flags (the Linux prep returns NULL) */
  | 'zero-length'
  /** an address outside the 40-bit space, or a range wrapping past its end */
  | 'bad-address'
  /** not enough free ring slots even after a cleanup */
  | 'no-slots'
  /** a prepared descriptor has not been submitted yet (the prep lock is held) */
  | 'prep-pending'
  /** the transaction was already submitted */
  | 'already-submitted'
  /** the channel is not set up (disabled) */
  | 'not-set-up'
  /** the channel is set up already, or claimed by another client */
  | 'in-use'
  /** DCHERR is set: the channel halted until it is re-initialised */
  | 'channel-halted'
  /** the channel is draining for teardown */
  | 'draining'
  /** the setup check found DCHERR or the quiesce bit set (facts §7.3: -EBUSY) */
  | 'setup-check'
  /** drain timed out (facts §7.3: -EIO) */
  | 'drain-failed'
  /** no bus device of that kind registered / no driver bound */
  | 'no-device'
  /** re-init requested on a channel that is not in error */
  | 'not-halted';

export interface DmaError {
  readonly kind: 'dma-error';
  readonly errno: DmaErrno;
  readonly reason: DmaErrorReason;
  readonly detail: string;
}

/** a channel's registers and its DCR bits, as observers see them (no side effects) */
export interface DmaChannelRegs {
  readonly channel: number;
  readonly dcar: number;
  readonly dhpr: number;
  readonly dtpr: number;
  readonly drarLo: number;
  readonly drarHi: number;
  readonly dstat: number;
  readonly dcherr: number;
  readonly dcherrmsk: number;
  /** DCR bit 2n+1 */
  readonly enabled: boolean;
  /** DCR bit 2n: 1 = host, 0 = card */
  readonly ownerHost: boolean;
}

/** a register access by the wrong side, refused and recorded by the hardware model */
export interface OwnershipViolation {
  readonly side: DmaSide;
  readonly channel: number;
  /** register name (DMA_CHANNEL_REGS field) or 'DCR' */
  readonly reg: string;
  readonly value: number;
}

/** names of the per-channel registers (fields of model/layout/dma.ts DMA_CHANNEL_REGS) */
export type DmaChanReg =
  | 'DCAR' | 'DHPR' | 'DTPR' | 'DAUX_LO' | 'DAUX_HI' | 'DRAR_LO' | 'DRAR_HI' | 'DITR'
  | 'DSTAT' | 'DSTATWB_LO' | 'DSTATWB_HI' | 'DCHERR' | 'DCHERRMSK';

/**
 * One side's path to the engine's registers: host software through BAR4, card software through its
 * MMIO window. The hardware refuses (and records) any access to a channel the side does not own.
 */
export interface DmaRegisterPort {
  readonly side: DmaSide;
  readChan(ch: number, reg: DmaChanReg): number | DmaError;
  writeChan(ch: number, reg: DmaChanReg, value: number): DmaError | undefined;
  readDcr(): number;
  /** bits of channels the side does not own are kept; changing them is a recorded violation */
  writeDcr(value: number): DmaError | undefined;
}

/** the DMA engine of one card */
export interface DmaEngine {
  readonly cardIndex: number;
  port(side: DmaSide): DmaRegisterPort;
  regs(ch: number): DmaChannelRegs;
  violations(): readonly OwnershipViolation[];
  /** descriptors consumed by channel ch since attach (all kinds, errors excluded) */
  consumed(ch: number): number;
  /** the scheduler agent name of channel ch's engine steps, e.g. "card0.dma.ch4" */
  agent(ch: number): string;
}

/** dma_status of dmaengine: DMA_COMPLETE, DMA_IN_PROGRESS, DMA_ERROR */
export type DmaStatus = 'complete' | 'in-progress' | 'error';

/** how a transaction ended, passed to its callback (dmaengine's callback_result) */
export type DmaResult = 'noerror' | 'aborted';

/** a prepared transaction (dma_async_tx_descriptor) */
export interface DmaTx {
  /** set before submit; runs exactly once when the transaction completes or is aborted */
  callback: ((result: DmaResult) => void) | undefined;
  /** assigns the cookie (> 0) and releases the prep lock */
  submit(): number | DmaError;
}

/** what the client sees of a channel's life (the software side of the machine's states) */
export type DmaChanPhase = 'disabled' | 'active' | 'draining' | 'halted';

/** a channel handed to one client (dma_chan + the mic_dma operations) */
export interface DmaChan {
  readonly channel: number;
  readonly side: DmaSide;
  /** largest memcopy descriptor on this side (host 512 KiB, card 1 MiB − 64) */
  readonly maxXfer: number;
  readonly ringSize: number;
  readonly phase: DmaChanPhase;
  prepMemcpy(dst: number, src: number, len: number, flags: number): DmaTx | DmaError;
  /** prep_dma_imm_data: one STATUS descriptor writing `value` (64 bits) to dst */
  prepStatus(dst: number, value: bigint, flags: number): DmaTx | DmaError;
  prepInterrupt(flags: number): DmaTx | DmaError;
  issuePending(): void;
  /** polls: runs the cleanup when the cookie is not known complete (facts §7.5) */
  txStatus(cookie: number): DmaStatus;
  /** dma_sync_wait: issue pending, then poll while virtual time runs, up to timeoutNs (default 5 s) */
  syncWait(cookie: number, timeoutNs?: number): DmaStatus;
  /** re-initialise a halted channel: abort its outstanding transactions, setup sequence again */
  reinit(): DmaError | undefined;
  /** teardown, first half: submit the drain fence (nothing else may be submitted afterwards) */
  beginRelease(): DmaError | undefined;
  /** teardown, second half: if the drain fence completed, disable and mask; true when released */
  pollRelease(): boolean;
  /** whole teardown: drain with a fence and wait (timeout → EIO), disable, mask */
  release(timeoutNs?: number): DmaError | undefined;
}

/** counts a client keeps for observers */
export interface DmaChanStats {
  readonly submitted: number;
  readonly completed: number;
  readonly aborted: number;
}

/** one side's dmaengine-like API on one card */
export interface DmaClient {
  readonly side: DmaSide;
  readonly cardIndex: number;
  /** dma_request_channel + alloc_chan_resources: claim a channel of this side and set it up */
  requestChannel(channel?: number): DmaChan | DmaError;
  stats(channel: number): DmaChanStats;
  /** the phase of channel n as the client keeps it (disabled if never requested) */
  phase(channel: number): DmaChanPhase;
}

/** mic virtual bus (facts §7.6) */
export interface MbusDevice {
  /** MBUS_DEV_DMA_HOST (2) or MBUS_DEV_DMA_MIC (3) */
  readonly id: number;
  readonly cardIndex: number;
  readonly side: DmaSide;
  readonly name: string;
}

export interface MbusDriver {
  readonly name: string;
  /** device ids it binds to (MBUS_DEV_ANY_ID matches all) */
  readonly idTable: readonly number[];
  probe(dev: MbusDevice): DmaError | undefined;
  remove(dev: MbusDevice): void;
}

export interface MicBus {
  registerDevice(dev: MbusDevice): void;
  unregisterDevice(dev: MbusDevice): void;
  registerDriver(drv: MbusDriver): void;
  devices(): readonly MbusDevice[];
  /** driver name bound to the device, if any */
  boundDriver(dev: MbusDevice): string | undefined;
}

export interface DmaAttachOptions {
  /** descriptors per ring (default MIC_DMA_DESC_RX_SIZE, the hardware size 131068); 8..131071: below 8 the prep reserve (MIC_DMA_PREP_EXTRA_SLOTS) and the status slots leave no room, refused with EINVAL */
  readonly ringSize?: number;
  /**
   * host physical base of the memory the host DMA driver allocates rings and status buffers from
   * (default: 64 MiB below the top of host memory); mapped through the SMPT
   */
  readonly hostAllocBase?: number;
  /** card physical base for the card DMA driver's rings and status buffers (default: 64 MiB below the top of GDDR) */
  readonly cardAllocBase?: number;
  /**
   * Called after every store a client makes into its channel's descriptor ring and after every
   * register write it makes, before the next one (DESIGN.md §3, the finest granularity): the engine
   * runs at the same time on the real bus, so each call is a point where it could look. A
   * publication oracle checks there that what the engine would read is complete. Setting it routes
   * every descriptor store through a probe (no pinned fast path); unset (the default), runs stay
   * cheap. The callback must not call the client.
   */
  readonly publications?: (point: DmaPublication) => void;
}

/**
 * a point where the engine may look (DmaAttachOptions.publications), with the channel's registers
 * as the engine holds them at that point (DTPR, DHPR, DRAR: what an oracle needs to know which slots
 * the engine may read)
 */
export type DmaPublication =
  /** a client's store into the descriptor ring of its channel: card physical address, bytes */
  | { readonly kind: 'ring-store'; readonly side: DmaSide; readonly channel: number; readonly addr: number; readonly len: number; readonly regs: DmaChannelRegs }
  /** a client's register write, after it reached the engine (DHPR announces descriptors, DRAR_HI programs the ring) */
  | { readonly kind: 'register'; readonly side: DmaSide; readonly channel: number; readonly reg: DmaChanReg; readonly value: number; readonly regs: DmaChannelRegs };

/** what attachDma wires on one card */
export interface DmaCard {
  readonly engine: DmaEngine;
  readonly bus: MicBus;
  readonly host: DmaClient;
  readonly card: DmaClient;
  /** [base, base+len) of host / card memory the DMA drivers allocated (rings + status buffers) */
  readonly hostAlloc: { readonly base: number; readonly len: number };
  readonly cardAlloc: { readonly base: number; readonly len: number };
}

export interface DmaComponents {
  /** the engine + bus devices (host registers MBUS_DEV_DMA_HOST, card MBUS_DEV_DMA_MIC) + bound DMA drivers */
  attachDma(platform: Platform, cardIndex?: number, opts?: DmaAttachOptions): DmaCard | DmaError;
}
