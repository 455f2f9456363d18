/**
 * Numbers of the X100 DMA engine and its drivers (facts §7, §1.3, §1.5, §2).
 * Spelled as in drivers/dma/mic_x100_dma.{c,h} and include/linux/mic_bus.h where a name exists.
 */

/** facts §7.1: 8 channels, 0–3 host software, 4–7 card software */
export const MIC_DMA_NUM_CHAN = 8;
export const MIC_DMA_HOST_CHAN_FIRST = 0;
export const MIC_DMA_CARD_CHAN_FIRST = 4;
/** host and card each request up to 4 channels (MIC_MAX_DMA_CHAN) */
export const MIC_MAX_DMA_CHAN = 4;

export type DmaSide = 'host' | 'card';

/** the side whose software owns channel n (facts §7.1) */
export function channelOwner(ch: number): DmaSide {
  return ch < MIC_DMA_CARD_CHAN_FIRST ? 'host' : 'card';
}

/** facts §7.6: mbus device ids */
export const MBUS_DEV_DMA_HOST = 2;
export const MBUS_DEV_DMA_MIC = 3;
export const MBUS_DEV_ANY_ID = 0xffffffff;

/** facts §7.3: ring size in descriptors (128·1024 − 4) and bytes per descriptor */
export const MIC_DMA_DESC_RX_SIZE = 128 * 1024 - 4;
export const MIC_DMA_DESC_SIZE = 16;
/** DRAR_HI carries the ring size in 17 bits (facts §7.2) */
export const MIC_DMA_RING_SIZE_MAX = (1 << 17) - 1;
/** ring allocations and copies are 64-byte (cache line) aligned: copy_align = 2^6 (facts §7.5) */
export const MIC_DMA_ALIGN_SHIFT = 6;
export const MIC_DMA_ALIGN = 1 << MIC_DMA_ALIGN_SHIFT;
/** the channel's private status buffer (fence/interrupt STATUS writes go there): one L1 line */
export const MIC_DMA_STATUS_BUF_SIZE = 64;

/** facts §7.1 / §7.4: largest single memcopy descriptor per side */
export const MIC_DMA_MAX_XFER_HOST = (1 << 20) >> 1;
export const MIC_DMA_MAX_XFER_CARD = (1 << 20) - 64;
/** the 14-bit length field in 64-byte units: its largest encodable length is exactly 1 MiB − 64 */
export const MIC_DMA_LEN_UNITS_MAX = (1 << 14) - 1;

/** facts §7.5: auto-issue at submit when (pending descriptors − 1) > this level */
export const MIC_DMA_PENDING_LEVEL = 4;
/** prep reserves ceil(len / max) + 3 slots; prep_status needs 4 */
export const MIC_DMA_PREP_EXTRA_SLOTS = 3;
export const MIC_DMA_STATUS_SLOTS = 4;

/** facts §6.6: dma_sync_wait gives up after 5 s and returns DMA_ERROR */
export const DMA_SYNC_WAIT_TIMEOUT_NS = 5_000_000_000;

/** descriptor types (qw1 bits 63:60, facts §7.4) */
export const MIC_DMA_DESC_NOP = 0;
export const MIC_DMA_DESC_MEMCOPY = 1;
export const MIC_DMA_DESC_STATUS = 2;
export const MIC_DMA_DESC_GENERAL = 3;

/** DCAR interrupt mask bits: IM0 masks a card-owned channel, IM1 a host-owned one (facts §7.2) */
export const MIC_DMA_DCAR_IM0 = 1 << 24;
export const MIC_DMA_DCAR_IM1 = 1 << 25;

/** DSTAT: bits 16:0 completion count, 0x2000_0000 = channel quiesced (facts §7.2) */
export const MIC_DMA_DSTAT_COMPLETION_MASK = 0x1ffff;
export const MIC_DMA_CHAN_QUIESCE = 0x2000_0000;

/** DRAR_HI: host-owned channels set the system-memory flag and the SMPT entry (facts §7.2) */
export const MIC_DMA_SBOX_DRARHI_SYS_MASK = 1 << 26;

/** DCR as the driver implements it: bit 2n = owner (0 card, 1 host), bit 2n+1 = enable (facts §7.2) */
export const dcrOwnerBit = (ch: number): number => 1 << (2 * ch);
export const dcrEnableBit = (ch: number): number => 1 << (2 * ch + 1);
/**
 * DCR value after reset. The host never writes owner bits and the card only writes them for its own
 * channels (to 0 = card), so the hardware must come up with the host channels owned by the host.
 * [inferred from driver usage]
 */
export const MIC_DMA_DCR_RESET = 0x55;

/**
 * DCHERR values of the model (non-zero = channel error; the real encoding is not in the sources,
 * so these bits are ours). Several may be OR-ed when one descriptor breaks several rules.
 */
export const DCHERR_BAD_TYPE = 1 << 0;
export const DCHERR_MISALIGNED = 1 << 1;
export const DCHERR_BAD_LENGTH = 1 << 2;
export const DCHERR_ADDRESS = 1 << 3;
export const DCHERR_HOST_TO_HOST = 1 << 4;
export const DCHERR_HEAD_REWRITE = 1 << 5;
export const DCHERR_RING = 1 << 6;
/** an error injected through the fault point dma.ch<n>.descError */
export const DCHERR_INJECTED = 1 << 7;

/** card addresses at or above the SMPT window base reach host memory (facts §2); pcie owns the numbers */
export { SMPT_WINDOW_BASE, SMPT_PAGE_SHIFT, SMPT_PAGE_SIZE } from './pcie.ts';
/** descriptor addresses are 40 bits */
export const MIC_DMA_ADDR_LIMIT = 2 ** 40;

/** dmaengine prep flags (include/linux/dmaengine.h: DMA_PREP_INTERRUPT = 1 << 0, DMA_PREP_FENCE = 1 << 5) */
export const DMA_PREP_INTERRUPT = 1 << 0;
export const DMA_PREP_FENCE = 1 << 5;
