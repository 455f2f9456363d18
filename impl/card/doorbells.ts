/**
 * Card doorbells (facts §1.5): 16 host→card doorbells, irq 26 + db; the card driver allocates the
 * doorbell with the lowest usage count (ties → lowest index) and rings the host with DBREQ on SDBIC.
 */
import type { RegisterFile } from '../../model/contract.ts';
import { BAR4, SDBIC_DBREQ } from '../../model/layout/sbox.ts';
import { CARD_DOORBELL_COUNT, CARD_DOORBELL_IRQ_BASE, HOST_SRC_DOORBELL_COUNT } from '../../model/constants/pcie.ts';

export class CardDoorbells {
  private readonly usage = new Array<number>(CARD_DOORBELL_COUNT).fill(0);
  private readonly handlers = new Map<number, () => void>();

  /** mic_next_card_db + request_card_irq */
  request(handler: () => void): number {
    let best = 0;
    for (let db = 1; db < CARD_DOORBELL_COUNT; db++) if (this.usage[db]! < this.usage[best]!) best = db;
    this.usage[best]!++;
    this.handlers.set(best, handler);
    return best;
  }

  free(db: number): void {
    if (this.usage[db] !== undefined && this.usage[db]! > 0) this.usage[db]!--;
    this.handlers.delete(db);
  }

  /** an irq from the platform; true if a handler took it */
  dispatch(irq: number): boolean {
    const h = this.handlers.get(irq - CARD_DOORBELL_IRQ_BASE);
    if (h === undefined) return false;
    h();
    return true;
  }

  clear(): void {
    this.usage.fill(0);
    this.handlers.clear();
  }
}

/** card → host doorbell; doorbells the host does not have are ignored (facts §1.5) */
export function ringHost(regs: RegisterFile, db: number): void {
  if (Number.isInteger(db) && db >= 0 && db < HOST_SRC_DOORBELL_COUNT) regs.write32(BAR4.SDBIC(db), SDBIC_DBREQ);
}
