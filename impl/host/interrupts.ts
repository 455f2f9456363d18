/**
 * The host driver's interrupts (mic_intr.c, with the X100 interrupt ops of mic_x100.c): doorbell
 * allocation, the per-doorbell callbacks, the MSI-X vector → source map (MXAR) and its restore after
 * a reset, the ISR that acks and dispatches, and send_intr towards the card (facts §1.3, §1.4).
 */
import type { RegisterFile, Scheduler } from '../../model/contract.ts';
import { BAR4, REG_ARRAYS } from '../../model/layout/sbox.ts';
import { MIC_DB_NONE } from '../../model/layout/device-page.ts';
import { HOST_SRC_DOORBELL_COUNT, HOST_SRC_ENABLE_MASK, CARD_DOORBELL_COUNT } from '../../model/constants/pcie.ts';
import { hostSendIntr } from '../pcie/index.ts';

/** host→card doorbells: 0..7 (APICICR) and 8..15 (RDMASR), facts §1.4/§1.5 */
export const isCardDoorbell = (db: number): boolean => Number.isInteger(db) && db >= 0 && db < CARD_DOORBELL_COUNT;
/** a card-written doorbell field: itself when valid, else MIC_DB_NONE */
export const cardDoorbellOrNone = (db: number): number => (isCardDoorbell(db) ? db : MIC_DB_NONE);

export interface HostInterruptsDeps {
  readonly sched: Scheduler;
  readonly who: string;
  /** BAR4 as the driver uses it */
  readonly regs: RegisterFile;
}

export class HostInterrupts {
  /**
   * mic_msi_map: the software copy of MXAR0..15 (vector → source bits, facts §1.3), programmed as
   * sources get a handler and re-programmed at every boot, because some steppings lose the
   * registers across a card reset (facts §1.3, §3.2 step 8).
   */
  readonly msiMap: number[] = new Array<number>(REG_ARRAYS.MXAR.count).fill(0);
  private readonly dbCallbacks: (() => void)[][] = [];
  private nextDbIdx = 0;

  constructor(private readonly d: HostInterruptsDeps) {}

  /** mic_setup_callbacks: one handler list per host doorbell source (until then no handler is taken) */
  setupCallbacks(): void {
    for (let db = 0; db < HOST_SRC_DOORBELL_COUNT; db++) this.dbCallbacks.push([]);
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
    const cur = this.d.regs.read32(BAR4.MXAR(vector));
    this.d.regs.write32(BAR4.MXAR(vector), ((typeof cur === 'number' ? cur : 0) | bits) >>> 0);
  }

  /** mic_intr_restore (facts §3.2 step 8) */
  restoreMsiMap(): void {
    this.msiMap.forEach((bits, vector) => {
      if (bits !== 0) this.programMsiMap(vector, bits);
    });
  }

  /** enable_interrupts: the host doorbell sources in SICE0 */
  enable(): void {
    this.d.regs.write32(BAR4.SICE0, HOST_SRC_ENABLE_MASK);
  }

  /**
   * MSI path: ack by writing the cause back, then dispatch the doorbell callbacks (facts §1.3).
   * Only the doorbell bits are ours: the DMA channel bits belong to the DMA driver's handler.
   */
  interrupt(bits: number): void {
    const mine = bits & ((1 << HOST_SRC_DOORBELL_COUNT) - 1);
    if (mine === 0) return;
    this.d.regs.write32(BAR4.SICR0, mine);
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
      this.d.sched.trace.record(this.d.who, `doorbell ${db} is not a card doorbell: not rung`);
      return;
    }
    hostSendIntr(this.d.regs, db);
  }
}
