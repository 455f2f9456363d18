/**
 * One planned COPY_DESC transfer and what its outcome means to a device loop (facts §6.5 COPY_DESC):
 * the iovecs are planned once; a call that stops early because a DMA wait failed (a positive
 * return, out_len counts what arrived) leaves the chain held at that byte, so the next attempt
 * carries on with the rest of the same plan. Calls that fail with an errno report no out_len; the
 * plan is then retried from where it stood [model choice: the reference fails those before moving
 * a byte — a halted channel refuses the first prep — except for faults only a hostile ring causes].
 */
import type { VopErrno } from '../../model/contract.ts';
import type { DaemonUser, Iov } from './user.ts';
import type { RingView } from './ring-view.ts';

/** what a loop needs to issue calls for one device */
export interface Port {
  readonly user: DaemonUser;
  readonly fd: number;
  /** base of the device's slot of user memory */
  readonly slot: number;
  readonly ring: RingView;
  /** a call failed with this errno (kept for the device's stats) */
  noteErrno(e: VopErrno): void;
}

/**
 * - done: every planned byte moved (completed into the used ring when asked)
 * - short: the chain ended first; with update_used it was completed with what moved
 * - none: no chain to take (none posted, or the card's used ring is not handed over yet)
 * - retry: a DMA wait failed part-way; the chain is held, call again later
 * - down: ENODEV, the device is reset or gone: the held chain is dropped
 * - error: another errno (its value in `errno`), retry later
 */
export type Step = 'done' | 'short' | 'none' | 'retry' | 'down' | 'error';

export class Xfer {
  /** bytes moved so far, over every attempt */
  done = 0;
  readonly total: number;
  errno: VopErrno | undefined;

  constructor(
    readonly vr: number,
    readonly segs: readonly Iov[],
    readonly updateUsed: boolean,
  ) {
    let t = 0;
    for (const s of segs) t += s.len;
    this.total = t;
  }

  /** the iovecs of what is left of the plan */
  private rest(): Iov[] {
    if (this.done === 0) return this.segs as Iov[];
    const out: Iov[] = [];
    let skip = this.done;
    for (const s of this.segs) {
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      out.push({ base: s.base + skip, len: s.len - skip });
      skip = 0;
    }
    return out;
  }

  step(p: Port): Step {
    const { r, outLen } = p.user.copy(p.fd, p.slot, this.vr, this.rest(), this.updateUsed);
    if (!('ok' in r)) {
      this.errno = r.errno;
      p.noteErrno(r.errno);
      return r.errno === 'ENODEV' ? 'down' : 'error';
    }
    this.done += outLen;
    if (r.value > 1) return 'retry';
    if (this.done >= this.total) return 'done';
    return outLen === 0 ? 'none' : 'short';
  }
}

/** counters a loop keeps (DaemonDeviceStats without type and fd) */
export interface LoopStats {
  toCard: number;
  fromCard: number;
  refused: number;
}

/** a device's loops (facts §8.4) */
export interface DeviceLoop {
  readonly stats: LoopStats;
  /** do everything possible now without waiting; true when bytes moved */
  pump(p: Port): boolean;
  /** host → card work is waiting and the card has a buffer posted for it */
  wantsToSend(p: Port): boolean;
  /** the device was reset, removed or re-added: forget the chains in progress (their data stays queued) */
  drop(): void;
}

/** chains a loop handles per direction in one pump (bounded work per call) */
export const BURST = 64;
