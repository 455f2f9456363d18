/**
 * The console's loops (facts §8.4 console, §8.3 ring roles; CON-01): one 4096-byte buffer per
 * direction. Queue 0 carries host → card bytes: when the backend has bytes and the card posted a
 * receive buffer, one COPY_DESC with update_used puts up to 4096 bytes in it (a smaller buffer
 * takes what fits, the rest waits for the next). Queue 1 carries card → host bytes: every chain the
 * card posted is read whole, in pieces of 4096, completing it with the last piece, and each piece
 * goes to the backend in order. [model choice: mpssd completes a chain after its first 4096 bytes
 * and loses the rest; we size the reads from the descriptor table and lose nothing]
 */
import type { ConsoleBackend } from '../../model/contract.ts';
import { SLOT_DATA } from './user.ts';
import { BURST, Xfer, type DeviceLoop, type LoopStats, type Port } from './xfer.ts';

export const CONSOLE_BUF = 4096;
const TX = SLOT_DATA;
const RX = SLOT_DATA + CONSOLE_BUF;

export class ConsoleLoop implements DeviceLoop {
  readonly stats: LoopStats = { toCard: 0, fromCard: 0, refused: 0 };
  /** bytes taken from the backend, not yet completed to the card */
  private out: Uint8Array | undefined;
  private h2c: Xfer | undefined;
  private c2h: Xfer | undefined;
  /** bytes of the current card → host chain not yet planned */
  private c2hLeft = 0;
  private readonly rxBuf = new Uint8Array(CONSOLE_BUF);

  constructor(private readonly backend: ConsoleBackend) {}

  private hasOut(): boolean {
    while (this.out === undefined || this.out.length === 0) {
      const b = this.backend.take();
      if (b === undefined) {
        this.out = undefined;
        return false;
      }
      this.out = b;
    }
    return true;
  }

  wantsToSend(p: Port): boolean {
    return this.h2c !== undefined || (this.hasOut() && p.ring.ready() && p.ring.pending(0));
  }

  drop(): void {
    this.h2c = undefined;
    this.c2h = undefined;
    this.c2hLeft = 0;
  }

  pump(p: Port): boolean {
    if (!p.ring.ready()) {
      this.drop();
      return false;
    }
    const a = this.toCard(p);
    const b = this.fromCard(p);
    return a || b;
  }

  private toCard(p: Port): boolean {
    let moved = false;
    for (let n = 0; n < BURST; n++) {
      if (this.h2c === undefined) {
        if (!this.hasOut() || !p.ring.pending(0)) return moved;
        const len = Math.min(this.out!.length, CONSOLE_BUF);
        p.user.mem.write(p.slot + TX, this.out!.subarray(0, len));
        this.h2c = new Xfer(0, [{ base: p.slot + TX, len }], true);
      }
      const x = this.h2c;
      const before = x.done;
      const st = x.step(p);
      if (x.done > before) moved = true;
      if (st === 'done' || st === 'short') {
        this.out = this.out!.subarray(x.done);
        this.stats.toCard += x.done;
        this.h2c = undefined;
        continue;
      }
      // the bytes of a chain a reset took away are sent again after the card's next probe
      if (st === 'none' || st === 'down') this.h2c = undefined;
      return moved;
    }
    return moved;
  }

  private fromCard(p: Port): boolean {
    let moved = false;
    for (let n = 0; n < BURST; n++) {
      if (this.c2h === undefined) {
        if (this.c2hLeft === 0) {
          if (!p.ring.pending(1)) return moved;
          const shape = p.ring.shape(1);
          // a chain we cannot size: one buffer, as mpssd reads it
          this.c2hLeft = shape !== undefined && shape.readable > 0 ? shape.readable : CONSOLE_BUF;
        }
        const len = Math.min(this.c2hLeft, CONSOLE_BUF);
        this.c2h = new Xfer(1, [{ base: p.slot + RX, len }], len === this.c2hLeft);
      }
      const x = this.c2h;
      const st = x.step(p);
      if (st === 'done' || st === 'short') {
        moved = true;
        const got = this.rxBuf.subarray(0, x.done);
        p.user.mem.readInto(p.slot + RX, got);
        this.backend.put(got.slice());
        this.stats.fromCard += x.done;
        this.c2hLeft = st === 'done' ? this.c2hLeft - x.done : 0;
        this.c2h = undefined;
        continue;
      }
      if (st === 'retry') return true;
      if (st === 'none' || st === 'down') this.drop();
      return moved;
    }
    return moved;
  }
}
