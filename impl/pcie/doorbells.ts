/**
 * Doorbells both ways (facts §1.4, §1.5), as behaviour of the SBOX registers:
 *  - card→host: writing DBREQ (bit 31) to SDBIC<db> (db 0..3) raises host source bit db in SICR0;
 *    DBREQ is a command bit and does not stay set.
 *  - host→card: writing APICICR<db> (db 0..7) with "send" (bit 13) raises card irq 26+db; the send
 *    bit clears itself, the vector stays (the bootstrap ROM reads 229 from APICICR7).
 *  - host→card: any write to RDMASR<r> with r = db−8+17 (db 8..15) raises card irq 17+r = 26+db.
 * Plus the two send helpers exactly as the drivers do them, for the layers above.
 */
import type { RegisterFile } from '../../model/contract.ts';
import { APICICR_SEND, BAR4, REG_ARRAYS, SDBIC_DBREQ } from '../../model/layout/sbox.ts';
import {
  CARD_DOORBELL_IRQ_BASE,
  CARD_SBOX_DOORBELL_COUNT,
  HOST_SRC_DOORBELL_COUNT,
  RDMASR_DOORBELL_INDEX_BASE,
  RDMASR_IRQ_BASE,
  hostDoorbellBit,
} from '../../model/constants/pcie.ts';

export interface DoorbellTargets {
  raiseHostSource(bit: number): void;
  raiseCardIrq(irq: number): void;
}

export function installDoorbells(regs: RegisterFile, to: DoorbellTargets): void {
  for (let db = 0; db < REG_ARRAYS.SDBIC.count; db++) {
    regs.hook(BAR4.SDBIC(db), 4, {
      write: (off, value) => {
        regs.poke(off, value & ~SDBIC_DBREQ);
        if ((value & SDBIC_DBREQ) !== 0) to.raiseHostSource(hostDoorbellBit(db));
      },
    });
  }
  for (let db = 0; db < REG_ARRAYS.APICICR.count; db++) {
    regs.hook(BAR4.APICICR(db), 4, {
      write: (off, value) => {
        regs.poke(off, value & ~APICICR_SEND);
        if ((value & APICICR_SEND) !== 0) to.raiseCardIrq(CARD_DOORBELL_IRQ_BASE + db);
      },
    });
  }
  for (let r = RDMASR_DOORBELL_INDEX_BASE; r < REG_ARRAYS.RDMASR.count; r++) {
    regs.hook(BAR4.RDMASR(r), 4, { write: () => to.raiseCardIrq(RDMASR_IRQ_BASE + r) });
  }
}

/** host `send_intr(db)` (facts §1.4): APICICR read-modify-write for db < 8, RDMASR write above */
export function hostSendIntr(regs: RegisterFile, db: number): void {
  if (db < CARD_SBOX_DOORBELL_COUNT) {
    const off = BAR4.APICICR(db);
    const cur = regs.read32(off);
    regs.write32(off, (typeof cur === 'number' ? cur : 0) | APICICR_SEND);
  } else {
    regs.write32(BAR4.RDMASR(db - CARD_SBOX_DOORBELL_COUNT + RDMASR_DOORBELL_INDEX_BASE), 0);
  }
}

/** card `send_intr(db)` (facts §1.5): DBREQ to SDBIC<db>; the card driver ignores db beyond the host's doorbells */
export function cardSendIntr(regs: RegisterFile, db: number): void {
  if (!Number.isInteger(db) || db < 0 || db >= HOST_SRC_DOORBELL_COUNT) return;
  regs.write32(BAR4.SDBIC(db), SDBIC_DBREQ);
}
