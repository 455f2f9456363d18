/**
 * Split-ring byte layout (requirements §4.1, RING-04/13/15, LEG-02) and the MIC ring block
 * (facts §5.3, §6.2). Fixed-size parts are tables; parts that depend on the queue size are
 * functions of `num`. Sizes follow Linux `vring_size` / `vring_init` (errata 5.1).
 */
import { defineLayout, alignUp } from './table.ts';

/** struct vring_desc: 16 bytes, table of num entries, align 16 */
export const vringDesc = defineLayout('vring_desc', { size: 16, align: 16 }, {
  addr: { offset: 0, type: 'u64', doc: 'bus address of the buffer (card physical on MIC)' },
  len: { offset: 8, type: 'u32' },
  flags: { offset: 12, type: 'u16', doc: 'NEXT=1 WRITE=2 INDIRECT=4' },
  next: { offset: 14, type: 'u16', doc: 'meaningful only with NEXT (RING-09)' },
});

/** struct vring_avail header; ring[num] of le16 follows, then used_event */
export const vringAvail = defineLayout('vring_avail', { size: 4, align: 2 }, {
  flags: { offset: 0, type: 'u16', doc: 'VRING_AVAIL_F_NO_INTERRUPT' },
  idx: { offset: 2, type: 'u16', doc: 'free-running count of published heads' },
});

/** one avail ring slot */
export const vringAvailSlot = defineLayout('vring_avail.ring[]', { size: 2 }, {
  head: { offset: 0, type: 'u16' },
});

/** struct vring_used_elem */
export const vringUsedElem = defineLayout('vring_used_elem', { size: 8 }, {
  id: { offset: 0, type: 'u32', doc: 'head of the returned chain' },
  len: { offset: 4, type: 'u32', doc: 'bytes written into the writable part' },
});

/** struct vring_used header; ring[num] of vring_used_elem follows, then avail_event */
export const vringUsed = defineLayout('vring_used', { size: 4, align: 4 }, {
  flags: { offset: 0, type: 'u16', doc: 'VRING_USED_F_NO_NOTIFY' },
  idx: { offset: 2, type: 'u16', doc: 'free-running count of returned chains' },
});

/** alignment of the three areas (RING-02) */
export const VRING_DESC_ALIGN = 16;
export const VRING_AVAIL_ALIGN = 2;
export const VRING_USED_ALIGN = 4;

/** offset of avail.ring[i] from the avail base */
export const availSlotOffset = (i: number): number => vringAvail.size + vringAvailSlot.size * i;
/** offset of used_event (the driver's interrupt threshold) from the avail base */
export const availUsedEventOffset = (num: number): number => vringAvail.size + vringAvailSlot.size * num;
/** 6 + 2·num (RING-02) */
export const availSize = (num: number): number => availUsedEventOffset(num) + 2;

/** offset of used.ring[i] from the used base */
export const usedElemOffset = (i: number): number => vringUsed.size + vringUsedElem.size * i;
/** offset of avail_event (the device's kick threshold) from the used base */
export const usedAvailEventOffset = (num: number): number => vringUsed.size + vringUsedElem.size * num;
/** 6 + 8·num (RING-02) */
export const usedSize = (num: number): number => usedAvailEventOffset(num) + 2;

/** 16·num (RING-02) */
export const descTableSize = (num: number): number => vringDesc.size * num;

/** offsets of the three areas in the legacy contiguous layout (Linux vring_init) */
export interface VringOffsets {
  readonly desc: number;
  readonly avail: number;
  readonly usedEvent: number;
  readonly used: number;
  readonly availEvent: number;
}

export function vringInit(num: number, align: number): VringOffsets {
  const avail = descTableSize(num);
  const used = alignUp(avail + availSize(num), align);
  return { desc: 0, avail, usedEvent: avail + availUsedEventOffset(num), used, availEvent: used + usedAvailEventOffset(num) };
}

/** Linux vring_size(num, align): used offset + 6 + 8·num (errata 5.1; LEG-02) */
export const vringSize = (num: number, align: number): number => vringInit(num, align).used + usedSize(num);

/** struct _mic_vring_info, placed right after the vring (facts §6.2) */
export const micVringInfo = defineLayout('_mic_vring_info', { size: 8, align: 4 }, {
  avail_idx: { offset: 0, type: 'u16', doc: "host VRINGH last_avail_idx, read by mpssd" },
  magic: { offset: 4, type: 'u32', doc: 'MIC_MAGIC + device type + vq index' },
});

/**
 * Offset of `_mic_vring_info` in the ring block. The legacy era places it at vring_size
 * (5126 for 128 entries, so `magic` is misaligned); the 2020 fix rounds up to 8 (5128).
 */
export const micVringInfoOffset = (num: number, era: 'legacy' | 'fixed' = 'legacy'): number =>
  era === 'legacy' ? vringSize(num, 4096) : alignUp(vringSize(num, 4096), 8);

/** per-vq host ring block: PAGE_ALIGN(vring_size(num, 4096) + sizeof info) (facts §6.2; 8192 for 128) */
export const micRingBlockSize = (num: number): number => alignUp(vringSize(num, 4096) + micVringInfo.size, 4096);

/** card-allocated used ring: PAGE_ALIGN(6 + 8·num) (facts §6.2) */
export const micUsedRingSize = (num: number): number => alignUp(usedSize(num), 4096);
