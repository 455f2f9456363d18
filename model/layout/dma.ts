/**
 * Byte and bit layouts of the X100 DMA engine (facts §7.2, §7.4): the per-channel register block
 * (base SBOX + 0xA000 + 0x40·n), the descriptor (16 bytes: qw0, qw1; type in qw1 bits 63:60) and
 * the bitfields of each descriptor type and of DRAR_HI. The SBOX base offsets of the channel blocks
 * and of DCR are pcie's (model/layout/sbox.ts); the block's inner offsets are here.
 */
import { defineBits, defineLayout } from './table.ts';

/** one channel's register block: 0x40 bytes of 32-bit registers */
export const DMA_CHANNEL_REGS = defineLayout('mic_dma_channel_regs', { size: 0x40 }, {
  DCAR: { offset: 0x00, type: 'u32', doc: 'channel attributes; bit 24 IM0 (card-owned mask), bit 25 IM1 (host-owned mask)' },
  DHPR: { offset: 0x04, type: 'u32', doc: 'head: index of the next free slot, written by software' },
  DTPR: { offset: 0x08, type: 'u32', doc: 'tail: next slot the hardware consumes' },
  DAUX_LO: { offset: 0x0c, type: 'u32', doc: 'not used upstream' },
  DAUX_HI: { offset: 0x10, type: 'u32', doc: 'not used upstream' },
  DRAR_LO: { offset: 0x14, type: 'u32', doc: 'ring address bits 31:0' },
  DRAR_HI: { offset: 0x18, type: 'u32', doc: 'ring address high bits, ring size, system-memory flag, SMPT entry' },
  DITR: { offset: 0x1c, type: 'u32', doc: 'not used' },
  DSTAT: { offset: 0x20, type: 'u32', doc: 'bits 16:0 completion count; bits 31:28 engine status (0x2000_0000 quiesced)' },
  DSTATWB_LO: { offset: 0x24, type: 'u32', doc: 'not used upstream' },
  DSTATWB_HI: { offset: 0x28, type: 'u32', doc: 'not used upstream' },
  DCHERR: { offset: 0x2c, type: 'u32', doc: 'non-zero = channel error' },
  DCHERRMSK: { offset: 0x30, type: 'u32', doc: 'error interrupt mask (driver writes 0)' },
});

/** stride between channel blocks */
export const DMA_CHANNEL_STRIDE = 0x40;

/** DRAR_HI (facts §7.2; mic_dma_chan_set_desc_ring) */
export const DRAR_HI_BITS = defineBits('DRAR_HI', 32, {
  /** card-owned: ring address bits 35:32 (host-owned use only bits 1:0 = address bits 33:32) */
  addrHi: { lsb: 0, width: 4, doc: 'ring address bits 35:32 (host-owned: only 33:32 in bits 1:0)' },
  size: { lsb: 4, width: 17, doc: 'ring size in descriptors' },
  smptEntry: { lsb: 21, width: 5, doc: 'host-owned: SMPT entry number (card address >> 34) & 0x1f' },
  sysMem: { lsb: 26, width: 1, doc: 'host-owned: ring lives in system memory' },
});

/** DSTAT */
export const DSTAT_BITS = defineBits('DSTAT', 32, {
  completion: { lsb: 0, width: 17, doc: 'hardware completion count = next index to be completed' },
  status: { lsb: 28, width: 4, doc: 'engine status; 0x2 (= 0x2000_0000) quiesced' },
});

/** a descriptor: two little-endian quadwords */
export const DMA_DESC = defineLayout('mic_dma_desc', { size: 16 }, {
  qw0: { offset: 0, type: 'u64' },
  qw1: { offset: 8, type: 'u64' },
});

/** qw1 bits common to every type */
export const DESC_QW1_COMMON = defineBits('mic_dma_desc.qw1', 64, {
  type: { lsb: 60, width: 4, doc: 'NOP 0, MEMCOPY 1, STATUS 2, GENERAL 3' },
});

export const MEMCOPY_QW0 = defineBits('memcopy.qw0', 64, {
  sap: { lsb: 0, width: 40, doc: 'source address' },
  index: { lsb: 40, width: 3 },
  length: { lsb: 46, width: 14, doc: 'length in 64-byte units' },
});

export const MEMCOPY_QW1 = defineBits('memcopy.qw1', 64, {
  dap: { lsb: 0, width: 40, doc: 'destination address' },
  twb: { lsb: 55, width: 1 },
  intr: { lsb: 56, width: 1, doc: 'raise the channel interrupt when done' },
  c: { lsb: 57, width: 1 },
  co: { lsb: 58, width: 1 },
  ecy: { lsb: 59, width: 1 },
  type: { lsb: 60, width: 4 },
});

export const STATUS_QW0 = defineBits('status.qw0', 64, {
  data: { lsb: 0, width: 64, doc: '64-bit value written to dap' },
});

export const STATUS_QW1 = defineBits('status.qw1', 64, {
  dap: { lsb: 0, width: 40, doc: 'destination address' },
  intr: { lsb: 59, width: 1, doc: 'raise the channel interrupt after the write' },
  type: { lsb: 60, width: 4 },
});

export const GENERAL_QW0 = defineBits('general.qw0', 64, {
  data: { lsb: 0, width: 32, doc: '32-bit value written to dap' },
});

export const GENERAL_QW1 = defineBits('general.qw1', 64, {
  dap: { lsb: 0, width: 40, doc: 'destination address' },
  type: { lsb: 60, width: 4 },
});

/**
 * 32-bit views of the same fields, for the engine's hot path (it decodes with read32): the word
 * index within the descriptor (0 = qw0 low, 1 = qw0 high, 2 = qw1 low, 3 = qw1 high) and the bit
 * position within that word. Derived from the 64-bit tables above, so they cannot drift apart.
 */
export interface WordField {
  readonly word: number;
  readonly lsb: number;
  readonly width: number;
}

function wordOf(qw: 0 | 1, f: { lsb: number; width: number }): WordField {
  const half = f.lsb >= 32 ? 1 : 0;
  const lsb = f.lsb - 32 * half;
  if (lsb + f.width > 32) throw new Error(`field at bit ${f.lsb} width ${f.width} crosses a 32-bit word`);
  return Object.freeze({ word: qw * 2 + half, lsb, width: f.width });
}

export const DESC_WORDS = Object.freeze({
  type: wordOf(1, DESC_QW1_COMMON.fields.type),
  memcopyLength: wordOf(0, MEMCOPY_QW0.fields.length),
  memcopyIntr: wordOf(1, MEMCOPY_QW1.fields.intr),
  statusIntr: wordOf(1, STATUS_QW1.fields.intr),
  /** 40-bit addresses: bits 31:0 in the low word, bits 39:32 in the low 8 bits of the high word */
  addrHiWidth: MEMCOPY_QW0.fields.sap.width - 32,
});
