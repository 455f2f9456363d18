/**
 * The BAR4 (MMIO) register map of the X100 at the real SBOX offsets (facts §1.2, §7.2), as one
 * table. Offsets are absolute BAR4 offsets (= SBOX offset + 0x10000); the card sees the same block at
 * physical 0x08_007C_0000 (facts §1.1). Arrays of registers (SPADs, SMPT entries, doorbells, DMA
 * channel blocks) are described once by base/stride/count and expanded into the table, so the
 * overlap check of defineLayout covers every register. The per-channel DMA register layout lives in
 * model/layout/dma.ts; here a channel block is an opaque 0x40-byte range.
 */
import { defineBits, defineLayout, type FieldSpec } from './table.ts';

/** size of the MMIO BAR and of the card's MMIO window: 128 KiB */
export const MMIO_SIZE = 0x20000;
/** SBOX base inside BAR4 */
export const SBOX_BASE = 0x10000;

/** single registers: SBOX offsets from facts §1.2 / §7.2 (POSTCODE is outside the SBOX) */
const SINGLE = {
  RGCR: 0x4010,
  SICR0: 0x9004,
  SICE0: 0x900c,
  SICC0: 0x9010,
  SIAC0: 0x9014,
  MSIXPBACR: 0x9084,
  DCR: 0xa280,
} as const;
export type SboxSingle = keyof typeof SINGLE;

export interface RegArray {
  /** absolute BAR4 offset of element 0 */
  readonly base: number;
  readonly stride: number;
  readonly count: number;
  /** bytes of one element (4 = a 32-bit register) */
  readonly size: number;
}

const arr = (sboxOffset: number, stride: number, count: number, size = 4): RegArray =>
  Object.freeze({ base: SBOX_BASE + sboxOffset, stride, count, size });

/** register arrays: SBOX offset, stride, count (facts §1.2, §1.4, §7.2) */
export const REG_ARRAYS = Object.freeze({
  /** system-memory page table entries (facts §2) */
  SMPT: arr(0x3100, 4, 32),
  /** MSI-X vector n → source bitmap (K1OM offsets, facts §1.2 note) */
  MXAR: arr(0x9044, 4, 16),
  /** host→card interrupt command registers, low dword of each 8-byte slot (facts §1.4) */
  APICICR: arr(0xa9d0, 8, 8, 8),
  /** 32-bit scratchpads shared by host and card (facts §3: SPAD0..15 used) */
  SPAD: arr(0xab20, 4, 16),
  /** "remote DMA status" registers used as extra doorbells: index db − 8 + 17 for db 8..15 (facts §1.4) */
  RDMASR: arr(0xb180, 4, 25),
  /** card→host doorbell request registers, one per host doorbell 0..3 (facts §1.5) */
  SDBIC: arr(0xcc90, 4, 4),
  /** DMA channel register blocks, 0x40 bytes each (facts §7.2; layout in model/layout/dma.ts) */
  DMA_CH: arr(0xa000, 0x40, 8, 0x40),
});
export type RegArrayName = keyof typeof REG_ARRAYS;

/** absolute BAR4 offset of element i of a register array; an index outside the array is our bug */
export function regOffset(name: RegArrayName, i: number): number {
  const a = REG_ARRAYS[name];
  if (!Number.isInteger(i) || i < 0 || i >= a.count) throw new RangeError(`${name}${i} does not exist (0..${a.count - 1})`);
  return a.base + a.stride * i;
}

/** an APICICR slot is 8 bytes: the destination APIC id is its high dword (facts §1.4) */
const APICICR_HI_OFFSET = 4;

/** absolute BAR4 offsets of the single registers, plus POSTCODE */
export const BAR4 = Object.freeze({
  size: MMIO_SIZE,
  SBOX_BASE,
  /** firmware post code, read-only debug register outside the SBOX (facts §1.2) */
  POSTCODE: 0x242c,
  RGCR: SBOX_BASE + SINGLE.RGCR,
  SICR0: SBOX_BASE + SINGLE.SICR0,
  SICE0: SBOX_BASE + SINGLE.SICE0,
  SICC0: SBOX_BASE + SINGLE.SICC0,
  SIAC0: SBOX_BASE + SINGLE.SIAC0,
  MSIXPBACR: SBOX_BASE + SINGLE.MSIXPBACR,
  DCR: SBOX_BASE + SINGLE.DCR,
  SMPT: (i: number): number => regOffset('SMPT', i),
  MXAR: (n: number): number => regOffset('MXAR', n),
  /** low dword; the high dword (destination APIC id) is APICICR_HI */
  APICICR: (db: number): number => regOffset('APICICR', db),
  APICICR_HI: (db: number): number => regOffset('APICICR', db) + APICICR_HI_OFFSET,
  SPAD: (i: number): number => regOffset('SPAD', i),
  RDMASR: (r: number): number => regOffset('RDMASR', r),
  SDBIC: (db: number): number => regOffset('SDBIC', db),
  DMA_CH: (n: number): number => regOffset('DMA_CH', n),
});

function specs(): Record<string, FieldSpec> {
  const out: Record<string, FieldSpec> = { POSTCODE: { offset: BAR4.POSTCODE, type: 'u32', doc: 'firmware post code' } };
  for (const [name, off] of Object.entries(SINGLE)) out[name] = { offset: SBOX_BASE + off, type: 'u32' };
  for (const [name, a] of Object.entries(REG_ARRAYS)) {
    for (let i = 0; i < a.count; i++) {
      const offset = a.base + a.stride * i;
      if (name === 'APICICR') {
        out[`APICICR${i}`] = { offset, type: 'u32', doc: 'low dword: vector 7:0, send bit 13' };
        out[`APICICR${i}_HI`] = { offset: offset + APICICR_HI_OFFSET, type: 'u32', doc: 'high dword: destination APIC id' };
      } else if (a.size === 4) {
        out[`${name}${name === 'SMPT' ? String(i).padStart(2, '0') : i}`] = { offset, type: 'u32' };
      } else {
        out[`${name}${i}`] = { offset, type: 'bytes', size: a.size };
      }
    }
  }
  return out;
}

/** the whole BAR4 map as a checked table (names as in the facts: SMPT00..SMPT31, SPAD0..15 …) */
export const bar4Layout = defineLayout('bar4', { size: MMIO_SIZE }, specs());

// ---- register bit fields -------------------------------------------------------------------------

/** SDBICn: writing DBREQ (bit 31) rings host doorbell n (facts §1.5) */
export const sdbicBits = defineBits('SDBIC', 32, { DBREQ: { lsb: 31, width: 1, doc: 'doorbell request' } });
export const SDBIC_DBREQ = 0x8000_0000;

/** APICICRn low dword (facts §1.4) */
export const apicicrBits = defineBits('APICICR', 32, {
  VECTOR: { lsb: 0, width: 8, doc: 'interrupt vector (229 for the bootstrap interrupt)' },
  SEND: { lsb: 13, width: 1, doc: '"send ICR": writing 1 sends the interrupt' },
});
export const APICICR_SEND = 1 << 13;

/** SMPT entry register: (host_dma_addr >> 34) << 2 | no-snoop (facts §2) */
export const smptRegBits = defineBits('SMPT', 32, {
  NO_SNOOP: { lsb: 0, width: 1, doc: 'driver always writes 0 = snoop on' },
  RESERVED: { lsb: 1, width: 1 },
  PAGE: { lsb: 2, width: 30, doc: 'host address bits 63:34' },
});

/** RGCR: host sets bit 0 to reset the card (facts §3.1) */
export const rgcrBits = defineBits('RGCR', 32, { RESET: { lsb: 0, width: 1 } });
export const RGCR_RESET = 1;

/** scratchpad indices with a meaning (facts §3) */
export const SPAD_INDEX = Object.freeze({ DOWNLOAD_INFO: 2, FW_SIZE: 5, DPLO: 14, DPHI: 15 });

/** SPAD2 = DOWNLOAD_INFO (facts §3) */
export const downloadInfoBits = defineBits('SPAD2', 32, {
  FW_READY: { lsb: 0, width: 1, doc: 'bootstrap ready for download' },
  APIC_ID: { lsb: 1, width: 9, doc: 'BSP APIC id' },
  BOOT_ADDR: { lsb: 12, width: 20, doc: 'download address bits 31:12' },
});
