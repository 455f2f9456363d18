/**
 * Numbers of the X100 as a PCIe endpoint (facts §1.1, §1.3–1.5, §2). Register offsets live in
 * model/layout/sbox.ts and the config header in model/layout/config-space.ts; this file holds the
 * identities, counts and bit numbers those tables and the code around them need.
 */

/** PCI vendor id of Intel (facts §1.1) */
export const PCI_VENDOR_INTEL = 0x8086;

/** the 15 device ids of the X100 family (facts §1.1, host/mic_x100.h) */
export const X100_DEVICE_IDS: readonly number[] = Object.freeze([
  0x2250, 0x2251, 0x2252, 0x2253, 0x2254, 0x2255, 0x2256, 0x2257, 0x2258, 0x2259, 0x225a, 0x225b, 0x225c, 0x225d,
  0x225e,
]);

/** PCI revision id = silicon stepping (facts §1.1; sysfs `stepping` prints these names) */
export const STEPPING = Object.freeze({ A0: 0x00, B0: 0x10, B1: 0x11, C0: 0x20 });
export type SteppingName = keyof typeof STEPPING;

/** sysfs `stepping` string for a revision id ("??" for anything else, facts §1.1) */
export function steppingName(revision: number): SteppingName | '??' {
  for (const [name, rev] of Object.entries(STEPPING)) if (rev === revision) return name as SteppingName;
  return '??';
}

/**
 * PCI class code (base class 0x0B "processor", subclass 0x40 "co-processor", prog-if 0) — how
 * lspci lists Xeon Phi cards. [model choice: the class is not in the facts]
 */
export const PCI_CLASS_PROCESSOR = 0x0b;
export const PCI_SUBCLASS_COPROCESSOR = 0x40;
export const PCI_PROG_IF = 0x00;

/** default card GDDR size of a simulated card: 16 GiB (the task's platform default) */
export const DEFAULT_CARD_MEMORY_BYTES = 16 * 2 ** 30;
/** default host physical address space: 64 GiB */
export const DEFAULT_HOST_MEMORY_BYTES = 64 * 2 ** 30;
/** at most 256 cards per host (MIC_MAX_NUM_DEVS, facts §1.1) */
export const MIC_MAX_NUM_DEVS = 256;

/** the card sees the MMIO block (BAR4 contents) at this physical address (facts §1.1, card/mic_x100.h) */
export const CARD_MMIO_BASE = 0x08_007c_0000;

/** the card's physical address space ends with the SMPT window: 2^40 bytes in all */
export const CARD_ADDRESS_SPACE_BYTES = 2 ** 40;

// ---- SMPT (facts §2) ---------------------------------------------------------------------------

export const SMPT_NUM_ENTRIES = 32;
/** each entry maps 2^34 bytes = 16 GiB */
export const SMPT_PAGE_SHIFT = 34;
export const SMPT_PAGE_SIZE = 2 ** SMPT_PAGE_SHIFT;
/** card-side window base 0x80_0000_0000 (512 GiB); never 0, which is why 0 can be mic_map's error value */
export const SMPT_WINDOW_BASE = 0x80_0000_0000;
export const SMPT_WINDOW_SIZE = SMPT_NUM_ENTRIES * SMPT_PAGE_SIZE;
/** mic_map's error value (facts §2) */
export const SMPT_MAP_ERROR = 0;

// ---- host interrupt sources: bit numbers in SICR0 / SICE0 / SICC0 / SIAC0 (facts §1.3) ----------

export const HOST_SRC_DOORBELL_FIRST = 0;
export const HOST_SRC_DOORBELL_COUNT = 4;
export const HOST_SRC_DMA_FIRST = 8;
export const HOST_SRC_DMA_COUNT = 8;
export const HOST_SRC_ERROR = 30;
/** MIC_NUM_OFFSETS: offsets tracked by the host interrupt code */
export const MIC_NUM_OFFSETS = 32;
/** bits the host driver ORs into SICE0: doorbells 0xF and DMA 0xFF00 (facts §1.3) */
export const HOST_SRC_ENABLE_MASK = 0x0000_ff0f;

/** the host-interrupt source bit of card→host doorbell db (0..3) */
export const hostDoorbellBit = (db: number): number => HOST_SRC_DOORBELL_FIRST + db;
/** the host-interrupt source bit of DMA channel n (0..7) */
export const hostDmaBit = (channel: number): number => HOST_SRC_DMA_FIRST + channel;

// ---- card IRQs (facts §1.4, §1.5) ---------------------------------------------------------------

/** host→card doorbells: 8 through APICICR0..7 plus 8 through RDMASR */
export const CARD_DOORBELL_COUNT = 16;
export const CARD_SBOX_DOORBELL_COUNT = 8;
/** card IRQ of doorbell db is 26 + db */
export const CARD_DOORBELL_IRQ_BASE = 26;
/** host doorbell db >= 8 writes RDMASR index db − 8 + 17; RDMASR index r raises card irq 17 + r */
export const RDMASR_DOORBELL_INDEX_BASE = 17;
export const RDMASR_IRQ_BASE = 17;
/** doorbell used for the bootstrap interrupt (APICICR7) and its vector (facts §1.4) */
export const BOOTSTRAP_DOORBELL = 7;
export const BOOTSTRAP_VECTOR = 229;
/** card DMA channels n raise card irq n (facts §1.5) */
export const cardDmaIrq = (channel: number): number => channel;
export const cardDoorbellIrq = (db: number): number => CARD_DOORBELL_IRQ_BASE + db;
/** the card IRQ numbers that exist: DMA 0..7 and doorbells 26..41 */
export const CARD_IRQ_MAX = CARD_DOORBELL_IRQ_BASE + CARD_DOORBELL_COUNT - 1;
