/**
 * Boot and stop of the host driver (mic_boot.c; facts §3, §4.1, §4.2): reset, download and start,
 * stop, the shutdown and suspend requests to the card, the card's shutdown reports, and the OSPM
 * notifier. The state these move lives in MicHostDriver (struct mic_device); the operations are
 * long (a reset sleeps up to 46 s), so each is a chain of scheduler events holding `mic_mutex`.
 */
import type { LifecycleErrno } from '../../model/contract.ts';
import { BAR4, SPAD_INDEX, APICICR_SEND, RGCR_RESET, downloadInfoBits } from '../../model/layout/sbox.ts';
import { bootParam, MIC_DB_NONE } from '../../model/layout/device-page.ts';
import { getBits } from '../../model/layout/table.ts';
import { BOOTSTRAP_DOORBELL, BOOTSTRAP_VECTOR } from '../../model/constants/pcie.ts';
import { MIC_RESET_TO, MIC_SUSPEND_TIMEOUT_NS, RESET_POLL_NS, RESET_SETTLE_NS, statusName, type MicState, type MicStatus } from '../../model/constants/lifecycle.ts';
import { writeField } from '../memory/fields.ts';
import { bootParamInit } from './bootparam.ts';
import { loadCardOs } from './loader.ts';
import { cardDoorbellOrNone, type HostInterrupts } from './interrupts.ts';
import type { HostDriverDeps, MicHostDriver } from './driver.ts';

const FINAL_STATUSES: readonly MicStatus[] = ['crashed', 'halted', 'poweroff', 'restart'];

/** what boot reaches of the driver beyond its public members */
export interface BootInternals {
  readonly deps: HostDriverDeps;
  readonly intr: HostInterrupts;
  /** set_state: trace, store, and wake every state poller */
  setState(s: MicState): void;
  setShutdownStatus(s: MicStatus): void;
  /** the device page's card address into SPAD DPLO/DPHI */
  writeDpSpads(): void;
}

export class HostBoot {
  /** reset_wait: done after a reset completes; the PM wait re-arms it (see pmPrepare) */
  private resetWaiters: (() => void)[] = [];
  private readonly d: HostDriverDeps;
  private readonly intr: HostInterrupts;
  private readonly setState: (s: MicState) => void;
  private readonly setShutdownStatus: (s: MicStatus) => void;
  private readonly writeDpSpads: () => void;

  constructor(
    private readonly mdev: MicHostDriver,
    i: BootInternals,
  ) {
    this.d = i.deps;
    this.intr = i.intr;
    this.setState = i.setState;
    this.setShutdownStatus = i.setShutdownStatus;
    this.writeDpSpads = i.writeDpSpads;
  }

  private fwReady(): boolean {
    const v = this.mdev.regs.read32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
    return typeof v === 'number' && getBits(BigInt(v >>> 0), downloadInfoBits.fields.FW_READY) === 1n;
  }

  // ---- reset (facts §3.1) ----------------------------------------------------------------------

  /** mic_reset: caller holds the mutex; `done` runs after success or reset_failed */
  private reset(done: () => void): void {
    const { regs, who } = this.mdev;
    regs.write32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO), 0);
    const rgcr = regs.read32(BAR4.RGCR);
    regs.write32(BAR4.RGCR, (typeof rgcr === 'number' ? rgcr : 0) | RGCR_RESET);
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
        this.d.sched.after(RESET_POLL_NS, who, 'reset failed', () => {
          this.setState('reset_failed');
          finish();
        });
        return;
      }
      this.d.sched.after(RESET_POLL_NS, who, 'reset poll', poll);
    };
    this.d.sched.after(RESET_SETTLE_NS, who, 'reset settle', poll);
  }

  /** mic_stop */
  stop(force: boolean, done?: () => void): void {
    const mdev = this.mdev;
    mdev.mutex.lock('stop', (unlock) => {
      if (mdev.state === 'offline' && !force) {
        unlock();
        done?.();
        return;
      }
      for (const h of mdev.hooks.stopping) h();
      mdev.vop.resetDevices();
      bootParamInit(this.d.hostMemory, mdev.dp, mdev.shutdownDb);
      this.reset(() => {
        if (mdev.state !== 'reset_failed') {
          this.setShutdownStatus('nop');
          if (mdev.state !== 'suspended') this.setState('offline');
        }
        unlock();
        done?.();
      });
    });
  }

  // ---- boot (facts §3.2) -----------------------------------------------------------------------

  /** mic_start; `done` gets undefined on success or the errno */
  start(done: (rc: LifecycleErrno | undefined) => void): void {
    const mdev = this.mdev;
    mdev.mutex.lock('start', (unlock) => {
      const retry = (): void => {
        if (mdev.state !== 'offline') {
          unlock();
          return done('EINVAL');
        }
        if (!this.fwReady()) {
          this.reset(retry);
          return;
        }
        const r = loadCardOs({
          regs: mdev.regs,
          bar0: this.d.bar0,
          apertureLen: mdev.apertureLen,
          firmware: this.d.firmware,
          firmwareName: mdev.firmware,
          ramdiskName: mdev.ramdisk,
          bootmode: mdev.bootmode,
          cmdline: mdev.cmdline,
        });
        if ('errno' in r) {
          unlock();
          return done(r.errno);
        }
        // some steppings lose SMPT and MSI mapping registers across a reset (facts §1.3)
        this.d.smpt.restore();
        this.intr.restoreMsiMap();
        this.intr.enable();
        this.writeDpSpads();
        for (const h of mdev.hooks.started) h();
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
    const { regs } = this.mdev;
    const spad2 = regs.read32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
    const apicId = typeof spad2 === 'number' ? Number(getBits(BigInt(spad2 >>> 0), downloadInfoBits.fields.APIC_ID)) : 0;
    regs.write32(BAR4.APICICR_HI(BOOTSTRAP_DOORBELL), apicId);
    regs.write32(BAR4.APICICR(BOOTSTRAP_DOORBELL), BOOTSTRAP_VECTOR | APICICR_SEND);
  }

  // ---- shutdown / suspend requests (facts §4.1) ------------------------------------------------

  /** mic_shutdown and mic_suspend: ask the card OS through shutdown_card and its doorbell */
  requestCardShutdown(from: MicState, to: MicState, done: () => void): void {
    const mdev = this.mdev;
    // a card doorbell out of range is treated as "none registered" (facts §4.1, hostile card)
    const db = cardDoorbellOrNone(mdev.bootparamField('h2c_shutdown_db'));
    mdev.mutex.lock(to, (unlock) => {
      if (mdev.state === from && db !== MIC_DB_NONE) {
        writeField(this.d.hostMemory, mdev.dp, bootParam.fields.shutdown_card, 1);
        this.intr.sendIntr(db);
        this.setState(to);
      }
      unlock();
      done();
    });
  }

  /** schedule_work(reset_trigger_work) */
  resetTrigger(): void {
    this.d.sched.post(this.mdev.who, 'reset work', () => this.stop(false));
  }

  // ---- card reports (facts §4.1) ---------------------------------------------------------------

  /** mic_shutdown_db: the card rang the shutdown doorbell; a final status schedules the work */
  shutdownIsr(): void {
    const v = statusName(this.mdev.bootparamField('shutdown_status'));
    if (v !== undefined && FINAL_STATUSES.includes(v)) this.d.sched.post(this.mdev.who, 'shutdown work', () => this.shutdownWork());
  }

  private shutdownWork(): void {
    const mdev = this.mdev;
    mdev.mutex.lock('shutdown work', (unlock) => {
      const v = statusName(mdev.bootparamField('shutdown_status'));
      // the report may have been wiped by a bootparam re-init before the work ran: nothing to copy
      if (v !== undefined && FINAL_STATUSES.includes(v)) {
        this.setShutdownStatus(v);
        writeField(this.d.hostMemory, mdev.dp, bootParam.fields.shutdown_status, 0);
        if (mdev.state !== 'shutting_down' && mdev.state !== 'suspended') this.setState('shutting_down');
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
    const mdev = this.mdev;
    mdev.mutex.lock('pm prepare', (unlock) => {
      const s = mdev.state;
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
        if (mdev.pmTimer !== undefined) this.d.sched.cancel(mdev.pmTimer);
        mdev.pmTimer = undefined;
        done();
      };
      this.resetWaiters.push(waiter);
      const t = this.d.sched.after(MIC_SUSPEND_TIMEOUT_NS, mdev.who, 'pm suspend timeout', () => {
        mdev.pmTimer = undefined;
        if (settled) return;
        settled = true;
        this.resetWaiters = this.resetWaiters.filter((w) => w !== waiter);
        const forced = (): void => this.stop(true, done);
        if (s === 'online') {
          mdev.mutex.lock('pm timeout', (u) => {
            this.setState('suspended');
            u();
            forced();
          });
        } else forced();
      });
      mdev.pmTimer = typeof t === 'number' ? t : undefined;
    });
  }

  /** mic_complete_resume */
  pmComplete(done: () => void): void {
    const mdev = this.mdev;
    if (mdev.state !== 'suspended') return done();
    const toOffline = (): void =>
      mdev.mutex.lock('resume', (unlock) => {
        this.setState('offline');
        unlock();
        done();
      });
    if (!this.fwReady()) this.stop(true, toOffline);
    else toOffline();
  }
}
