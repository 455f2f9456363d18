/**
 * Our mpssd's card-management part (facts §4.2 legacy reaction, §8.1, §8.6): add the virtio devices,
 * boot on start, handle a card shutdown (poll shutdown_status once a second, up to 60 times, then
 * reset), boot again after a `restart` report and after a resume (boot-on-resume is remembered on
 * `suspending`, which the daemon answers by writing `suspend`). Devices stay in the device page
 * across resets (the host resets them; the card finds them again at its next boot). [model choice:
 * legacy mpssd killed and re-forked its device child around a reset]
 *
 * The daemon is woken by sysfs notifications on `state` and re-reads the attribute 1 ms later (the
 * poll wake-up latency), so its own 1 s timers never tie with the kernel's at the same instant.
 */
import type { AttrResult, Scheduler, VirtioDeviceSpec } from '../../model/contract.ts';
import { mpssdCmdline } from './cmdline.ts';
import { MPSSD_POLL_NS, MPSSD_SHUTDOWN_POLLS, type StateVerb } from '../../model/constants/lifecycle.ts';

export const DAEMON_WAKE_NS = 1_000_000;
/** the reset helper polls `state` once a second up to 120 s (facts §8.6) */
export const MPSSD_RESET_POLLS = 120;

export interface DaemonDeps {
  readonly sched: Scheduler;
  readonly who: string;
  /** the card id N of micN (the command line's address derives from it, facts §8.5) */
  readonly cardId: number;
  readState(): string;
  readStatus(): string;
  writeState(verb: StateVerb, done: (r: AttrResult) => void): void;
  /** a sysfs write of a string attribute (the daemon sets `cmdline`) */
  writeAttr(name: string, value: string, done: (r: AttrResult) => void): void;
  addDevice(spec: VirtioDeviceSpec): { ok: true; offset: number } | { errno: string };
  onStateChange(fn: () => void): void;
}

const FINAL = ['halted', 'poweroff', 'restart', 'crashed'];

export class Mpssd {
  mode: 'stopped' | 'watching' | 'awaitingStatus' | 'resetting' = 'stopped';
  bootOnResume = false;
  restart = false;
  readonly writes: StateVerb[] = [];
  readonly added: { offset: number; spec: VirtioDeviceSpec }[] = [];
  private wakePending = false;

  constructor(private readonly d: DaemonDeps) {
    d.onStateChange(() => this.notify());
  }

  start(devices: readonly VirtioDeviceSpec[]): void {
    // facts §8.1: the command line is set per card before the init thread boots it
    this.d.writeAttr('cmdline', mpssdCmdline(this.d.cardId), (r) => {
      if (!('ok' in r)) this.d.sched.trace.record(this.d.who, `write cmdline: ${r.errno}`);
    });
    for (const spec of devices) {
      const r = this.d.addDevice(spec);
      if ('ok' in r) this.added.push({ offset: r.offset, spec });
      else this.d.sched.trace.record(this.d.who, `ADD_DEVICE type ${spec.type}: ${r.errno}`);
    }
    this.mode = 'watching';
    if (this.d.readState() === 'offline') this.write('boot');
  }

  private write(verb: StateVerb): void {
    this.writes.push(verb);
    this.d.sched.trace.record(this.d.who, `write state ${verb}`);
    this.d.writeState(verb, () => undefined);
  }

  private notify(): void {
    if (this.wakePending || this.mode === 'stopped') return;
    this.wakePending = true;
    this.d.sched.after(DAEMON_WAKE_NS, this.d.who, 'state wake', () => {
      this.wakePending = false;
      if (this.mode === 'watching') this.onState(this.d.readState());
    });
  }

  private onState(state: string): void {
    if (state === 'suspending') {
      this.bootOnResume = true;
      this.write('suspend');
      this.awaitStatus();
    } else if (state === 'shutting_down') {
      this.awaitStatus();
    } else if (state === 'offline' && this.bootOnResume) {
      this.bootOnResume = false;
      this.write('boot');
    }
  }

  private awaitStatus(): void {
    this.mode = 'awaitingStatus';
    let polls = 0;
    const poll = (): void => {
      const status = this.d.readStatus();
      if (FINAL.includes(status)) {
        if (status === 'restart') this.restart = true;
        return this.reset();
      }
      if (++polls >= MPSSD_SHUTDOWN_POLLS) {
        this.d.sched.after(MPSSD_POLL_NS, this.d.who, 'shutdown wait over', () => this.reset());
        return;
      }
      this.d.sched.after(MPSSD_POLL_NS, this.d.who, 'poll shutdown_status', poll);
    };
    poll();
  }

  private reset(): void {
    this.mode = 'resetting';
    this.write('reset');
    let polls = 0;
    const check = (): void => {
      const s = this.d.readState();
      if (s === 'offline' || s === 'suspended' || s === 'reset_failed') {
        this.mode = 'watching';
        if (s === 'offline' && (this.restart || this.bootOnResume)) {
          this.restart = false;
          this.bootOnResume = false;
          this.write('boot');
        }
        return;
      }
      if (++polls >= MPSSD_RESET_POLLS) {
        this.mode = 'watching';
        return;
      }
      this.d.sched.after(MPSSD_POLL_NS, this.d.who, 'poll state', check);
    };
    check();
  }
}
