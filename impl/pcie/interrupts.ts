/**
 * Interrupt delivery in both directions (facts §1.3–1.5), as scheduler events so that when a
 * delivery happens relative to other agents is a scheduler choice.
 *
 * Host side: SICR0 holds the cause bits, SICE0 the enables (write 1 to set), SICC0 clears enables
 * (write 1 to clear; reads 0), SIAC0 selects sources whose cause clears itself at delivery (the
 * MSI-X auto-clear). The host acks by writing the cause bits back to SICR0. "Exactly once" means:
 * one delivery per pending→delivered transition of a bit. A bit raised while it is already pending
 * (delivered or not) is the same cause bit and coalesces; after the ack, a new raise is a new
 * transition. Nothing is delivered while masked or while no handler is registered; such bits stay
 * pending and are delivered once enabled and handled.
 *
 * Card side: one request flag per irq (like a local APIC's request register); raising an irq that
 * is already requested coalesces, delivery clears the flag. There is no card-side mask: the card
 * driver's ack is a no-op (facts §1.5).
 */
import type { RegisterFile, Scheduler } from '../../model/contract.ts';
import { BAR4 } from '../../model/layout/sbox.ts';
import { CARD_IRQ_MAX, MIC_NUM_OFFSETS } from '../../model/constants/pcie.ts';

type Handlers<T> = Set<(x: T) => void>;

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

export class HostInterrupts {
  /** bits handed to a handler and not yet acked (or auto-cleared) */
  private delivered = 0;
  private queued = false;
  private readonly handlers: Handlers<number> = new Set();
  private readonly who: string;
  /** the delivery event, made once (an interrupt per doorbell is the hot path) */
  private readonly deliverFn = (): void => this.deliver();

  constructor(
    private readonly regs: RegisterFile,
    private readonly sched: Scheduler,
    cardName: string,
  ) {
    this.who = `${cardName}.irq.host`;
    // SICR0: write the pending bits back to ack them (facts §1.3 "Ack")
    regs.hook(BAR4.SICR0, 4, {
      write: (off, value, old) => {
        regs.poke(off, old & ~value);
        this.delivered = (this.delivered & ~value) >>> 0;
        this.schedule();
      },
    });
    // SICE0: OR bits into the enables
    regs.hook(BAR4.SICE0, 4, {
      write: (off, value, old) => {
        regs.poke(off, old | value);
        this.schedule();
      },
    });
    // SICC0: clear enable bits; the register itself reads 0
    regs.hook(BAR4.SICC0, 4, {
      write: (_off, value) => {
        regs.poke(BAR4.SICE0, regs.peek(BAR4.SICE0) & ~value);
        return false;
      },
    });
  }

  get cause(): number {
    return this.regs.peek(BAR4.SICR0);
  }

  get enable(): number {
    return this.regs.peek(BAR4.SICE0);
  }

  raise(bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit >= MIC_NUM_OFFSETS) throw new RangeError(`host interrupt source ${bit} does not exist`);
    this.regs.poke(BAR4.SICR0, this.cause | (1 << bit));
    this.schedule();
  }

  on(handler: (causeBits: number) => void): () => void {
    const h = (x: number): void => handler(x);
    this.handlers.add(h);
    this.schedule();
    return () => {
      this.handlers.delete(h);
    };
  }

  /** bits that a delivery event would hand out now */
  private deliverable(): number {
    return (this.cause & this.enable & ~this.delivered) >>> 0;
  }

  private schedule(): void {
    if (this.queued || this.handlers.size === 0 || this.deliverable() === 0) return;
    this.queued = true;
    this.sched.post(this.who, 'host-irq', this.deliverFn);
  }

  private deliver(): void {
    this.queued = false;
    // recomputed now: a bit masked or acked since the event was posted is not delivered
    const bits = this.deliverable();
    if (bits === 0 || this.handlers.size === 0) return;
    this.delivered = (this.delivered | bits) >>> 0;
    const autoClear = (bits & this.regs.peek(BAR4.SIAC0)) >>> 0;
    if (autoClear !== 0) {
      this.regs.poke(BAR4.SICR0, this.cause & ~autoClear);
      this.delivered = (this.delivered & ~autoClear) >>> 0;
    }
    if (this.sched.trace.enabled) this.sched.trace.record(this.who, `deliver ${hex(bits)}`);
    // a Set iterates entries added during the loop too; handlers only add at setup
    for (const h of this.handlers) h(bits);
    this.schedule();
  }
}

export class CardIrqs {
  private readonly requested = new Uint8Array(CARD_IRQ_MAX + 1);
  private readonly posted = new Uint8Array(CARD_IRQ_MAX + 1);
  private readonly handlers: Handlers<number> = new Set();
  /** per irq, its agent name and delivery event, made on first use (no string or closure per raise) */
  private readonly whos: (string | undefined)[] = new Array<string | undefined>(CARD_IRQ_MAX + 1);
  private readonly deliverFns: ((() => void) | undefined)[] = new Array<(() => void) | undefined>(CARD_IRQ_MAX + 1);

  constructor(
    private readonly sched: Scheduler,
    private readonly cardName: string,
  ) {}

  raise(irq: number): void {
    if (!Number.isInteger(irq) || irq < 0 || irq > CARD_IRQ_MAX) throw new RangeError(`card irq ${irq} does not exist`);
    if (this.requested[irq] === 1) {
      this.sched.trace.record(this.who(irq), 'coalesced');
      return;
    }
    this.requested[irq] = 1;
    this.schedule(irq);
  }

  /** is the irq raised and not yet delivered (for observers and properties) */
  pending(irq: number): boolean {
    return this.requested[irq] === 1;
  }

  on(handler: (irq: number) => void): () => void {
    const h = (x: number): void => handler(x);
    this.handlers.add(h);
    for (let irq = 0; irq <= CARD_IRQ_MAX; irq++) if (this.requested[irq] === 1) this.schedule(irq);
    return () => {
      this.handlers.delete(h);
    };
  }

  private who(irq: number): string {
    return (this.whos[irq] ??= `${this.cardName}.irq.${irq}`);
  }

  private schedule(irq: number): void {
    if (this.posted[irq] === 1 || this.handlers.size === 0) return;
    this.posted[irq] = 1;
    this.sched.post(this.who(irq), 'card-irq', (this.deliverFns[irq] ??= () => this.deliver(irq)));
  }

  private deliver(irq: number): void {
    this.posted[irq] = 0;
    if (this.requested[irq] !== 1 || this.handlers.size === 0) return;
    this.requested[irq] = 0;
    // the handlers as they are now (one added by a handler runs from the next delivery on); with
    // one handler, the usual case, that is the first entry, without copying the set
    if (this.handlers.size === 1) {
      for (const h of this.handlers) {
        h(irq);
        break;
      }
    } else for (const h of [...this.handlers]) h(irq);
  }
}
