/**
 * The legacy host PCIe driver for one card (facts §3, §4.1, §4.2): probe, reset, boot, stop,
 * shutdown, suspend, the OSPM notifier, and the card's shutdown reports through the device page and
 * the shutdown doorbell. State lives in fields, as in struct mic_device; long operations (a reset
 * sleeps up to 46 s) are chains of scheduler events holding `mic_mutex`.
 */
import type { LifecycleErrno, MemPort, PcieEndpoint, RegisterFile, Scheduler, Smpt, TimerId } from '../../model/contract.ts';
import { BAR4, REG_ARRAYS, SPAD_INDEX, APICICR_SEND, RGCR_RESET, downloadInfoBits } from '../../model/layout/sbox.ts';
import { bootParam, MIC_DB_NONE, MIC_DP_SIZE } from '../../model/layout/device-page.ts';
import { barOffset, configHeader, MEM_BAR_FLAG_MASK } from '../../model/layout/config-space.ts';
import { getBits } from '../../model/layout/table.ts';
import { PCI_VENDOR_INTEL, X100_DEVICE_IDS, HOST_SRC_DOORBELL_COUNT, HOST_SRC_ENABLE_MASK, BOOTSTRAP_DOORBELL, BOOTSTRAP_VECTOR, CARD_DOORBELL_COUNT } from '../../model/constants/pcie.ts';
import {
  DEFAULT_BOOTMODE, DEFAULT_FIRMWARE, MIC_RESET_TO, MIC_SUSPEND_TIMEOUT_NS, RESET_POLL_NS, RESET_SETTLE_NS,
  statusName, type MicState, type MicStatus,
} from '../../model/constants/lifecycle.ts';
import { hostSendIntr } from '../pcie/index.ts';
import { SimMutex } from './mutex.ts';
import { HostAllocator } from './alloc.ts';
import { bootParamInit } from './bootparam.ts';
import { readOr, writeField } from '../memory/fields.ts';
import { loadCardOs, type FirmwareStore } from './loader.ts';
import { HostVop } from './vop.ts';

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
}

const FINAL_STATUSES: readonly MicStatus[] = ['crashed', 'halted', 'poweroff', 'restart'];

/** host→card doorbells: 0..7 (APICICR) and 8..15 (RDMASR), facts §1.4/§1.5 */
export const isCardDoorbell = (db: number): boolean => Number.isInteger(db) && db >= 0 && db < CARD_DOORBELL_COUNT;
/** a card-written doorbell field: itself when valid, else MIC_DB_NONE */
export const cardDoorbellOrNone = (db: number): number => (isCardDoorbell(db) ? db : MIC_DB_NONE);

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
  vop!: HostVop;
  /** reset_wait: done after a reset completes; the PM wait re-arms it (see pmPrepare) */
  private resetWaiters: (() => void)[] = [];
  /** the pending PM suspend timeout, if any (the system's settle leaves it pending) */
  pmTimer: TimerId | undefined;
  private nextDbIdx = 0;
  /**
   * mic_msi_map: the software copy of MXAR0..15 (vector → source bits, facts §1.3), programmed as
   * sources get a handler and re-programmed at every boot, because some steppings lose the
   * registers across a card reset (facts §1.3, §3.2 step 8).
   */
  readonly msiMap: number[] = new Array<number>(REG_ARRAYS.MXAR.count).fill(0);
  private readonly dbCallbacks: (() => void)[][] = [];
  private readonly stateListeners: ((s: MicState) => void)[] = [];
  private probed = false;
  /** card start / stop notifications (the system registers the DMA mbus device on them, facts §7.6) */
  readonly hooks = { started: [] as (() => void)[], stopping: [] as (() => void)[] };

  constructor(private readonly d: HostDriverDeps) {
    this.who = `host.mic${d.ep.index}`;
    this.mutex = new SimMutex(d.sched, this.who);
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
    for (let db = 0; db < HOST_SRC_DOORBELL_COUNT; db++) this.dbCallbacks.push([]);
    const dp = this.d.alloc.alloc(MIC_DP_SIZE);
    if (dp === undefined) return 'ENOMEM';
    const cardAddr = this.d.smpt.map(dp, MIC_DP_SIZE);
    if (typeof cardAddr !== 'number') return 'ENOMEM';
    this.dp = dp;
    this.dpCardAddr = cardAddr;
    this.shutdownDb = this.nextDb();
    this.onDoorbell(this.shutdownDb, () => this.shutdownIsr());
    bootParamInit(this.d.hostMemory, dp, this.shutdownDb);
    this.vop = new HostVop({
      sched: this.d.sched,
      who: this.who,
      mem: this.d.hostMemory,
      dp,
      alloc: this.d.alloc,
      smpt: this.d.smpt,
      bar0: this.d.bar0,
      nextDb: () => this.nextDb(),
      onDoorbell: (db, cb) => this.onDoorbell(db, cb),
      sendIntr: (db) => this.sendIntr(db),
    });
    this.writeDpSpads();
    ep.onHostInterrupt((bits) => this.interrupt(bits));
    this.enableInterrupts();
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

  nextDb(): number {
    // mic_next_db: round robin over the 4 host doorbells (facts §1.3)
    const db = this.nextDbIdx % HOST_SRC_DOORBELL_COUNT;
    this.nextDbIdx++;
    return db;
  }

  onDoorbell(db: number, cb: () => void): void {
    const list = this.dbCallbacks[db];
    if (list === undefined) return;
    if (list.length === 0) this.mapSource(db);
    list.push(cb);
  }

  /**
   * A source's first handler takes a whole free vector and that vector's MXAR gets the source bit
   * (facts §1.3, MSI-X). Later handlers of the same doorbell share its vector: one handler list per
   * doorbell source, so the four doorbells never run out of the 16 vectors. [model choice: the
   * kernel takes a new vector per request and fails with ENOSPC when none is free]
   */
  private mapSource(source: number): void {
    const vector = this.msiMap.indexOf(0);
    if (vector < 0) return;
    this.msiMap[vector] = 1 << source;
    this.programMsiMap(vector, 1 << source);
  }

  /** program_msi_to_src_map: read-modify-write of MXAR<vector>, setting the bits */
  private programMsiMap(vector: number, bits: number): void {
    const cur = this.regs.read32(BAR4.MXAR(vector));
    this.regs.write32(BAR4.MXAR(vector), ((typeof cur === 'number' ? cur : 0) | bits) >>> 0);
  }

  /** mic_intr_restore (facts §3.2 step 8) */
  private restoreMsiMap(): void {
    this.msiMap.forEach((bits, vector) => {
      if (bits !== 0) this.programMsiMap(vector, bits);
    });
  }

  onStateChange(fn: (s: MicState) => void): void {
    this.stateListeners.push(fn);
  }

  private enableInterrupts(): void {
    this.regs.write32(BAR4.SICE0, HOST_SRC_ENABLE_MASK);
  }

  /**
   * MSI path: ack by writing the cause back, then dispatch the doorbell callbacks (facts §1.3).
   * Only the doorbell bits are ours: the DMA channel bits belong to the DMA driver's handler.
   */
  private interrupt(bits: number): void {
    const mine = bits & ((1 << HOST_SRC_DOORBELL_COUNT) - 1);
    if (mine === 0) return;
    this.regs.write32(BAR4.SICR0, mine);
    for (let db = 0; db < HOST_SRC_DOORBELL_COUNT; db++) {
      if ((bits & (1 << db)) !== 0) for (const cb of this.dbCallbacks[db]!) cb();
    }
  }

  /**
   * send_intr (facts §1.4): APICICR for db < 8, RDMASR above (the pcie layer's helper). Every db the
   * host rings was read from the device page, i.e. written by the untrusted card: one outside the
   * card's 16 doorbells is "no doorbell" and rings nothing (DESIGN.md §6).
   */
  sendIntr(db: number): void {
    if (!isCardDoorbell(db)) {
      this.d.sched.trace.record(this.who, `doorbell ${db} is not a card doorbell: not rung`);
      return;
    }
    hostSendIntr(this.regs, db);
  }

  private writeDpSpads(): void {
    this.regs.write32(BAR4.SPAD(SPAD_INDEX.DPLO), this.dpCardAddr % 2 ** 32);
    this.regs.write32(BAR4.SPAD(SPAD_INDEX.DPHI), Math.floor(this.dpCardAddr / 2 ** 32));
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

  private fwReady(): boolean {
    const v = this.regs.read32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
    return typeof v === 'number' && getBits(BigInt(v >>> 0), downloadInfoBits.fields.FW_READY) === 1n;
  }

  // ---- reset (facts §3.1) ----------------------------------------------------------------------

  /** mic_reset: caller holds the mutex; `done` runs after success or reset_failed */
  private reset(done: () => void): void {
    this.regs.write32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO), 0);
    const rgcr = this.regs.read32(BAR4.RGCR);
    this.regs.write32(BAR4.RGCR, (typeof rgcr === 'number' ? rgcr : 0) | RGCR_RESET);
    let polls = 0;
    const finish = (): void => {
      const waiters = this.resetWaiters;
      this.resetWaiters = [];
      for (const w of waiters) w();
      done();
    };
    const poll = (): void => {
      if (this.fwReady()) return finish();
      polls++;
      if (polls >= MIC_RESET_TO) {
        this.d.sched.after(RESET_POLL_NS, this.who, 'reset failed', () => {
          this.setState('reset_failed');
          finish();
        });
        return;
      }
      this.d.sched.after(RESET_POLL_NS, this.who, 'reset poll', poll);
    };
    this.d.sched.after(RESET_SETTLE_NS, this.who, 'reset settle', poll);
  }

  /** mic_stop */
  stop(force: boolean, done?: () => void): void {
    this.mutex.lock('stop', (unlock) => {
      if (this.state === 'offline' && !force) {
        unlock();
        done?.();
        return;
      }
      for (const h of this.hooks.stopping) h();
      this.vop.resetDevices();
      bootParamInit(this.d.hostMemory, this.dp, this.shutdownDb);
      this.reset(() => {
        if (this.state !== 'reset_failed') {
          this.setShutdownStatus('nop');
          if (this.state !== 'suspended') this.setState('offline');
        }
        unlock();
        done?.();
      });
    });
  }

  // ---- boot (facts §3.2) -----------------------------------------------------------------------

  /** mic_start; `done` gets undefined on success or the errno */
  start(done: (rc: LifecycleErrno | undefined) => void): void {
    this.mutex.lock('start', (unlock) => {
      const retry = (): void => {
        if (this.state !== 'offline') {
          unlock();
          return done('EINVAL');
        }
        if (!this.fwReady()) {
          this.reset(retry);
          return;
        }
        const r = loadCardOs({
          regs: this.regs,
          bar0: this.d.bar0,
          apertureLen: this.apertureLen,
          firmware: this.d.firmware,
          firmwareName: this.firmware,
          ramdiskName: this.ramdisk,
          bootmode: this.bootmode,
          cmdline: this.cmdline,
        });
        if ('errno' in r) {
          unlock();
          return done(r.errno);
        }
        // some steppings lose SMPT and MSI mapping registers across a reset (facts §1.3)
        this.d.smpt.restore();
        this.restoreMsiMap();
        this.enableInterrupts();
        this.writeDpSpads();
        for (const h of this.hooks.started) h();
        this.sendBootstrapInterrupt();
        this.setState('online');
        unlock();
        done(undefined);
      };
      retry();
    });
  }

  /** facts §1.4: APIC id from SPAD2 bits 9:1 to APICICR7 high dword, then vector 229 | send */
  private sendBootstrapInterrupt(): void {
    const spad2 = this.regs.read32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
    const apicId = typeof spad2 === 'number' ? Number(getBits(BigInt(spad2 >>> 0), downloadInfoBits.fields.APIC_ID)) : 0;
    this.regs.write32(BAR4.APICICR_HI(BOOTSTRAP_DOORBELL), apicId);
    this.regs.write32(BAR4.APICICR(BOOTSTRAP_DOORBELL), BOOTSTRAP_VECTOR | APICICR_SEND);
  }

  // ---- shutdown / suspend requests (facts §4.1) ------------------------------------------------

  private requestCardShutdown(from: MicState, to: MicState, done: () => void): void {
    // a card doorbell out of range is treated as "none registered" (facts §4.1, hostile card)
    const db = cardDoorbellOrNone(this.bootparamField('h2c_shutdown_db'));
    this.mutex.lock(to, (unlock) => {
      if (this.state === from && db !== MIC_DB_NONE) {
        writeField(this.d.hostMemory, this.dp, bootParam.fields.shutdown_card, 1);
        this.sendIntr(db);
        this.setState(to);
      }
      unlock();
      done();
    });
  }

  shutdown(done: () => void): void {
    this.requestCardShutdown('online', 'shutting_down', done);
  }

  suspend(done: () => void): void {
    this.requestCardShutdown('suspending', 'suspended', done);
  }

  /** schedule_work(reset_trigger_work) */
  resetTrigger(): void {
    this.d.sched.post(this.who, 'reset work', () => this.stop(false));
  }

  // ---- card reports (facts §4.1) ---------------------------------------------------------------

  private shutdownIsr(): void {
    const v = statusName(this.bootparamField('shutdown_status'));
    if (v !== undefined && FINAL_STATUSES.includes(v)) this.d.sched.post(this.who, 'shutdown work', () => this.shutdownWork());
  }

  private shutdownWork(): void {
    this.mutex.lock('shutdown work', (unlock) => {
      const v = statusName(this.bootparamField('shutdown_status'));
      // the report may have been wiped by a bootparam re-init before the work ran: nothing to copy
      if (v !== undefined && FINAL_STATUSES.includes(v)) {
        this.setShutdownStatus(v);
        writeField(this.d.hostMemory, this.dp, bootParam.fields.shutdown_status, 0);
        if (this.state !== 'shutting_down' && this.state !== 'suspended') this.setState('shutting_down');
      }
      unlock();
    });
  }

  // ---- OSPM (facts §4.2) -----------------------------------------------------------------------

  /**
   * mic_prepare_suspend. `done` runs when the notifier returns. The wait is for a reset completing
   * after the notifier started (the kernel's complete_all would leave reset_wait done from any earlier
   * reset and skip the wait; we model the intended 60 s wait). [model choice]
   */
  pmPrepare(done: () => void): void {
    this.mutex.lock('pm prepare', (unlock) => {
      const s = this.state;
      if (s === 'offline') {
        this.setState('suspended');
        unlock();
        return done();
      }
      if (s !== 'online' && s !== 'shutting_down') {
        unlock();
        return done();
      }
      this.setState(s === 'online' ? 'suspending' : 'suspended');
      unlock();
      let settled = false;
      const waiter = (): void => {
        if (settled) return;
        settled = true;
        if (this.pmTimer !== undefined) this.d.sched.cancel(this.pmTimer);
        this.pmTimer = undefined;
        done();
      };
      this.resetWaiters.push(waiter);
      const t = this.d.sched.after(MIC_SUSPEND_TIMEOUT_NS, this.who, 'pm suspend timeout', () => {
        this.pmTimer = undefined;
        if (settled) return;
        settled = true;
        this.resetWaiters = this.resetWaiters.filter((w) => w !== waiter);
        const forced = (): void => this.stop(true, done);
        if (s === 'online') {
          this.mutex.lock('pm timeout', (u) => {
            this.setState('suspended');
            u();
            forced();
          });
        } else forced();
      });
      this.pmTimer = typeof t === 'number' ? t : undefined;
    });
  }

  /** mic_complete_resume */
  pmComplete(done: () => void): void {
    if (this.state !== 'suspended') return done();
    const toOffline = (): void =>
      this.mutex.lock('resume', (unlock) => {
        this.setState('offline');
        unlock();
        done();
      });
    if (!this.fwReady()) this.stop(true, toOffline);
    else toOffline();
  }

  get isProbed(): boolean {
    return this.probed;
  }
}
