/**
 * The legacy host PCIe driver for one card (mic_main.c; facts §1.1, §3, §5): the device state,
 * probe (BAR sizing, device page, doorbells, interrupts), and the public face of the lifecycle.
 * State lives in fields, as in struct mic_device. The long operations (reset, boot, stop, shutdown,
 * suspend, OSPM) are in boot.ts, the doorbells and MSI-X map in interrupts.ts.
 */
import type { DmaChan, VopHost, VopHostFactory, LifecycleErrno, MemPort, PcieEndpoint, RegisterFile, Scheduler, Smpt, TimerId } from '../../model/contract.ts';
import { BAR4, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { bootParam, MIC_DP_SIZE } from '../../model/layout/device-page.ts';
import { barOffset, configHeader, MEM_BAR_FLAG_MASK } from '../../model/layout/config-space.ts';
import { PCI_VENDOR_INTEL, X100_DEVICE_IDS } from '../../model/constants/pcie.ts';
import { DEFAULT_BOOTMODE, DEFAULT_FIRMWARE, type MicState, type MicStatus } from '../../model/constants/lifecycle.ts';
import { SimMutex } from './mutex.ts';
import { HostAllocator } from './alloc.ts';
import { bootParamInit } from './bootparam.ts';
import { readOr } from '../memory/fields.ts';
import type { FirmwareStore } from './loader.ts';
import { referenceVopHost } from './vop/index.ts';
import { HostInterrupts } from './interrupts.ts';
import { HostBoot } from './boot.ts';

export { isCardDoorbell, cardDoorbellOrNone } from './interrupts.ts';

export interface HostDriverDeps {
  readonly sched: Scheduler;
  readonly ep: PcieEndpoint;
  readonly smpt: Smpt;
  readonly hostMemory: MemPort;
  readonly alloc: HostAllocator;
  readonly firmware: FirmwareStore;
  /** the aperture as the driver uses it (the system may wrap it to observe accesses) */
  readonly bar0: MemPort;
  /** BAR4 as the driver uses it (default ep.regs; the system may wrap it to observe writes) */
  readonly regs?: RegisterFile;
  /** host DMA channel 0 of this card for VOP copies, while it is usable (default: none, CPU copies) */
  readonly dmaChan?: () => DmaChan | undefined;
  /** the host VOP to run (default the reference's) */
  readonly hostVop?: VopHostFactory;
  /** process context: let `ns` of virtual time pass (what a blocking call's wait does) */
  readonly sleep?: (ns: number) => void;
}

export class MicHostDriver {
  state: MicState = 'offline';
  shutdownStatus: MicStatus = 'nop';
  cmdline: string | null = null;
  firmware: string | null = DEFAULT_FIRMWARE;
  ramdisk: string | null = null;
  bootmode: string | null = DEFAULT_BOOTMODE;
  /** card kernel addresses of `__log_buf` and `log_buf_len` (facts §4.5, §8.1); 0 until written */
  logBufAddr = 0n;
  logBufLen = 0n;
  readonly who: string;
  readonly mutex: SimMutex;
  /** device page: host RAM address and the card-visible (SMPT) address */
  dp = 0;
  dpCardAddr = 0;
  apertureLen = 0;
  shutdownDb = 0;
  /** the host side of VOP for this card (the reference's, or a plug-in's: HostDriverDeps.hostVop) */
  vop!: VopHost;
  /** the pending PM suspend timeout, if any (the system's settle leaves it pending) */
  pmTimer: TimerId | undefined;
  /** mic_msi_map: the software copy of MXAR0..15 (see HostInterrupts) */
  readonly msiMap: number[];
  private readonly intr: HostInterrupts;
  private readonly boot: HostBoot;
  private readonly stateListeners: ((s: MicState) => void)[] = [];
  private probed = false;
  /** card start / stop notifications (the system registers the DMA mbus device on them, facts §7.6) */
  readonly hooks = { started: [] as (() => void)[], stopping: [] as (() => void)[] };

  constructor(private readonly d: HostDriverDeps) {
    this.who = `host.mic${d.ep.index}`;
    this.mutex = new SimMutex(d.sched, this.who);
    this.intr = new HostInterrupts({ sched: d.sched, who: this.who, regs: this.regs });
    this.msiMap = this.intr.msiMap;
    this.boot = new HostBoot(this, {
      deps: d,
      intr: this.intr,
      setState: (s) => this.setState(s),
      setShutdownStatus: (s) => this.setShutdownStatus(s),
      writeDpSpads: () => this.writeDpSpads(),
    });
  }

  get regs(): RegisterFile {
    return this.d.regs ?? this.d.ep.regs;
  }

  // ---- probe (facts §1.1, §5) ------------------------------------------------------------------

  probe(): LifecycleErrno | undefined {
    const { ep } = this.d;
    const id = ep.configRead32(configHeader.fields.vendorId.offset);
    if (typeof id !== 'number') return 'EIO';
    // one dword read returns both ids; each sits at its table offset within it
    const vendorId = (id >>> (8 * configHeader.fields.vendorId.offset)) & 0xffff;
    const deviceId = (id >>> (8 * configHeader.fields.deviceId.offset)) & 0xffff;
    if (vendorId !== PCI_VENDOR_INTEL || !X100_DEVICE_IDS.includes(deviceId)) return 'ENODEV';
    this.apertureLen = this.sizeBar0();
    if (this.apertureLen === 0) return 'ENODEV';
    this.intr.setupCallbacks();
    const dp = this.d.alloc.alloc(MIC_DP_SIZE);
    if (dp === undefined) return 'ENOMEM';
    const cardAddr = this.d.smpt.map(dp, MIC_DP_SIZE);
    if (typeof cardAddr !== 'number') return 'ENOMEM';
    this.dp = dp;
    this.dpCardAddr = cardAddr;
    this.shutdownDb = this.nextDb();
    this.onDoorbell(this.shutdownDb, () => this.boot.shutdownIsr());
    bootParamInit(this.d.hostMemory, dp, this.shutdownDb);
    const hostVop = this.d.hostVop ?? referenceVopHost;
    this.vop = hostVop({
      card: ep.index,
      sched: this.d.sched,
      who: this.who,
      hostMem: this.d.hostMemory,
      dp,
      bar0: this.d.bar0,
      smpt: this.d.smpt,
      alloc: (size) => this.d.alloc.alloc(size),
      nextDb: () => this.nextDb(),
      onDoorbell: (db, cb) => this.onDoorbell(db, cb),
      sendIntr: (db) => this.sendIntr(db),
      dmaChan: () => this.d.dmaChan?.(),
      sleep: (ns) => this.d.sleep?.(ns),
    });
    this.writeDpSpads();
    ep.onHostInterrupt((bits) => this.intr.interrupt(bits));
    this.intr.enable();
    this.probed = true;
    this.d.sched.trace.record(this.who, `probe dp=0x${dp.toString(16)} card=0x${cardAddr.toString(16)}`);
    return undefined;
  }

  /** BAR sizing of the 64-bit aperture BAR (all ones, read back, restore) */
  private sizeBar0(): number {
    const { ep } = this.d;
    const lo = barOffset(0);
    const hi = barOffset(1);
    const oldLo = ep.configRead32(lo);
    const oldHi = ep.configRead32(hi);
    if (typeof oldLo !== 'number' || typeof oldHi !== 'number') return 0;
    ep.configWrite32(lo, 0xffffffff);
    ep.configWrite32(hi, 0xffffffff);
    const mLo = ep.configRead32(lo);
    const mHi = ep.configRead32(hi);
    ep.configWrite32(lo, oldLo);
    ep.configWrite32(hi, oldHi);
    if (typeof mLo !== 'number' || typeof mHi !== 'number') return 0;
    const mask = BigInt(mHi >>> 0) * 2n ** 32n + BigInt((mLo & ~MEM_BAR_FLAG_MASK) >>> 0);
    const size = Number((~mask & (2n ** 64n - 1n)) + 1n);
    return Number.isSafeInteger(size) ? size : 0;
  }

  private writeDpSpads(): void {
    this.regs.write32(BAR4.SPAD(SPAD_INDEX.DPLO), this.dpCardAddr % 2 ** 32);
    this.regs.write32(BAR4.SPAD(SPAD_INDEX.DPHI), Math.floor(this.dpCardAddr / 2 ** 32));
  }

  // ---- doorbells (interrupts.ts) ---------------------------------------------------------------

  /** mic_next_db: round robin over the host doorbells */
  nextDb(): number {
    return this.intr.nextDb();
  }

  /** a handler for host doorbell `db`; its first handler maps the source to an MSI-X vector */
  onDoorbell(db: number, cb: () => void): void {
    this.intr.onDoorbell(db, cb);
  }

  /** send_intr: ring card doorbell `db` (a db outside the card's 16 rings nothing) */
  sendIntr(db: number): void {
    this.intr.sendIntr(db);
  }

  // ---- state ------------------------------------------------------------------------------------

  onStateChange(fn: (s: MicState) => void): void {
    this.stateListeners.push(fn);
  }

  private setState(s: MicState): void {
    if (this.state !== s) this.d.sched.trace.record(this.who, `state ${this.state} → ${s}`);
    this.state = s;
    // sysfs_notify: every set_state wakes pollers, even when the value is unchanged
    for (const fn of this.stateListeners) fn(s);
  }

  private setShutdownStatus(s: MicStatus): void {
    this.shutdownStatus = s;
    for (const fn of this.stateListeners) fn(this.state);
  }

  bootparamField(name: keyof typeof bootParam.fields): number {
    return readOr(this.d.hostMemory, this.dp, bootParam.fields[name], 0);
  }

  // ---- boot and stop (boot.ts) -----------------------------------------------------------------

  /** mic_stop */
  stop(force: boolean, done?: () => void): void {
    this.boot.stop(force, done);
  }

  /** mic_start; `done` gets undefined on success or the errno */
  start(done: (rc: LifecycleErrno | undefined) => void): void {
    this.boot.start(done);
  }

  shutdown(done: () => void): void {
    this.boot.requestCardShutdown('online', 'shutting_down', done);
  }

  suspend(done: () => void): void {
    this.boot.requestCardShutdown('suspending', 'suspended', done);
  }

  /** schedule_work(reset_trigger_work) */
  resetTrigger(): void {
    this.boot.resetTrigger();
  }

  /** mic_prepare_suspend (the OSPM notifier); `done` runs when the notifier returns */
  pmPrepare(done: () => void): void {
    this.boot.pmPrepare(done);
  }

  /** mic_complete_resume */
  pmComplete(done: () => void): void {
    this.boot.pmComplete(done);
  }

  get isProbed(): boolean {
    return this.probed;
  }
}
