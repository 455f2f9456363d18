/**
 * The card's virtio console driver (hvc0; facts §8.2, §8.3; CON-01, CON-02): no multiport, so two
 * queues: vq0 receive (host → card, device-writable buffers the driver keeps posted) and vq1
 * transmit (card → host, device-readable). Receive buffers are the size of mpssd's (4096 bytes).
 */
import { VIRTIO_ID_CONSOLE } from '../../../model/constants/virtio.ts';
import { BoundDriver, isError } from './bound.ts';
import type { DriverUpcalls } from './upcalls.ts';

export const CONSOLE_RX_VQ = 0;
export const CONSOLE_TX_VQ = 1;
/** receive and transmit chunk size: mpssd's one buffer per direction (facts §8.4) */
export const CONSOLE_BUF = 4096;
/** receive buffers kept posted (the ring's 128 entries) */
const RX_POSTED = 128;
const RX_LENS: readonly number[] = Object.freeze([CONSOLE_BUF]);
const NOTHING: readonly Uint8Array[] = Object.freeze([]);
const NO_LENS: readonly number[] = Object.freeze([]);

export class ConsoleDriver extends BoundDriver {
  /** transmit token → bytes it carries */
  private readonly tx = new Map<number, number>();
  pending = 0;

  constructor(private readonly up: DriverUpcalls) {
    super(VIRTIO_ID_CONSOLE, 2);
  }

  protected onLive(): void {
    this.tx.clear();
    this.pending = 0;
    const dev = this.dev!;
    for (let i = dev.inFlight(CONSOLE_RX_VQ); i < RX_POSTED; i++) if (isError(dev.add(CONSOLE_RX_VQ, NOTHING, RX_LENS))) break;
    dev.kick(CONSOLE_RX_VQ);
    this.up.consoleLive();
  }

  protected onInterrupt(): void {
    const dev = this.dev;
    if (dev === undefined || !dev.live) return;
    const rx = this.reap(CONSOLE_RX_VQ);
    // each buffer goes back before its bytes go up, so the host always finds room
    for (let i = 0; i < rx.length; i++) dev.add(CONSOLE_RX_VQ, NOTHING, RX_LENS);
    if (rx.length > 0) dev.kick(CONSOLE_RX_VQ);
    for (let i = 0; i < rx.length; i++) {
      const w = rx[i]!.written;
      if (w.length > 0) this.up.consoleInput(w);
    }
    if (this.reapTx() > 0) this.up.consoleDrained();
  }

  private reapTx(): number {
    const done = this.reap(CONSOLE_TX_VQ);
    for (let i = 0; i < done.length; i++) {
      const t = done[i]!.token;
      this.pending -= this.tx.get(t) ?? 0;
      this.tx.delete(t);
    }
    return done.length;
  }

  /** queue bytes in chunks of CONSOLE_BUF; how many were taken */
  write(bytes: Uint8Array): number {
    const dev = this.dev;
    if (dev === undefined || !dev.live) return 0;
    this.reapTx();
    let taken = 0;
    while (taken < bytes.length) {
      const n = Math.min(CONSOLE_BUF, bytes.length - taken);
      const t = dev.add(CONSOLE_TX_VQ, [bytes.subarray(taken, taken + n)], NO_LENS);
      if (isError(t)) break;
      this.tx.set(t, n);
      this.pending += n;
      taken += n;
    }
    if (taken > 0) dev.kick(CONSOLE_TX_VQ);
    return taken;
  }

  protected onDown(detached: readonly number[]): void {
    let lost = 0;
    for (const t of detached) lost += this.tx.get(t) ?? 0;
    this.tx.clear();
    this.pending = 0;
    if (lost > 0) this.up.lostConsole(lost);
  }
}
