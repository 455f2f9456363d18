/**
 * Card doorbells (facts §1.5): 16 host→card doorbells, irq 26 + db; the card driver allocates the
 * doorbell with the lowest usage count (ties → lowest index) and rings the host with DBREQ on SDBIC.
 * Past 16 requesters doorbells are shared: each keeps a list of handlers and an interrupt runs them
 * all (a shared irq; each handler checks whether the work is its own, as the shutdown ISR reads
 * shutdown_card). A handler is freed by the data it was requested with (mic_free_card_irq(cookie,
 * data)), so freeing one user of a shared doorbell leaves the others in place.
 */
import type { RegisterFile } from '../../model/contract.ts';
import { BAR4, SDBIC_DBREQ } from '../../model/layout/sbox.ts';
import { CARD_DOORBELL_COUNT, CARD_DOORBELL_IRQ_BASE, HOST_SRC_DOORBELL_COUNT } from '../../model/constants/pcie.ts';

interface Registration {
  readonly handler: () => void;
  readonly data: unknown;
}

export class CardDoorbells {
  private readonly usage = new Array<number>(CARD_DOORBELL_COUNT).fill(0);
  private readonly handlers: Registration[][] = Array.from({ length: CARD_DOORBELL_COUNT }, () => []);

  /** mic_next_card_db + request_card_irq; `data` identifies the registration for free() */
  request(handler: () => void, data?: unknown): number {
    let best = 0;
    for (let db = 1; db < CARD_DOORBELL_COUNT; db++) if (this.usage[db]! < this.usage[best]!) best = db;
    this.usage[best]!++;
    this.handlers[best]!.push({ handler, data });
    return best;
  }

  /** mic_free_card_irq: the registration of `data` on db (the first one when several share it) */
  free(db: number, data?: unknown): void {
    const list = this.handlers[db];
    if (list === undefined) return;
    const i = list.findIndex((r) => r.data === data);
    if (i < 0) return;
    list.splice(i, 1);
    if (this.usage[db]! > 0) this.usage[db]!--;
  }

  /** an irq from the platform: every handler of its doorbell runs; true if there was one */
  dispatch(irq: number): boolean {
    const list = this.handlers[irq - CARD_DOORBELL_IRQ_BASE];
    if (list === undefined || list.length === 0) return false;
    // a handler may free its own registration (or another's) while the list is walked
    const now = list.length === 1 ? list : [...list];
    for (const r of now) r.handler();
    return true;
  }

  /** registrations per doorbell (usage counts), for tests */
  counts(): readonly number[] {
    return [...this.usage];
  }

  clear(): void {
    this.usage.fill(0);
    for (const l of this.handlers) l.length = 0;
  }
}

/** card → host doorbell; doorbells the host does not have are ignored (facts §1.5) */
export function ringHost(regs: RegisterFile, db: number): void {
  if (Number.isInteger(db) && db >= 0 && db < HOST_SRC_DOORBELL_COUNT) regs.write32(BAR4.SDBIC(db), SDBIC_DBREQ);
}
