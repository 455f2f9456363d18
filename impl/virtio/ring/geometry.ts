/** Ring geometry shared by both sides: field offsets, flag bits and checks (RING-01, RING-02). */
import type { RingError, RingPlacement } from '../../../model/contract.ts';
import {
  VIRTQUEUE_MAX_SIZE, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT,
  VRING_AVAIL_F_NO_INTERRUPT, VRING_USED_F_NO_NOTIFY, VRING_MAX_CHAIN_BYTES,
} from '../../../model/constants/virtio.ts';
import {
  VRING_DESC_ALIGN, VRING_AVAIL_ALIGN, VRING_USED_ALIGN,
  vringDesc, vringAvailSlot, vringUsedElem, vringAvail, vringUsed, availSlotOffset, usedElemOffset,
} from '../../../model/layout/vring.ts';
import { ringError } from './errors.ts';

/**
 * model/layout/vring.ts offsets as plain numbers for the per-descriptor paths of both sides. Each
 * side destructures them into its own module consts: an imported binding read in the hot loop
 * measured ~5-10% slower (bench ring.roundtrip) than a local const.
 */
export const RING_OFFSETS = Object.freeze({
  D_ADDR: vringDesc.fields.addr.offset,
  D_LEN: vringDesc.fields.len.offset,
  D_FLAGS: vringDesc.fields.flags.offset,
  D_NEXT: vringDesc.fields.next.offset,
  DESC: vringDesc.size,
  SLOT: vringAvailSlot.size,
  ELEM: vringUsedElem.size,
  E_ID: vringUsedElem.fields.id.offset,
  E_LEN: vringUsedElem.fields.len.offset,
  /** offsets from the avail base: flags, idx, ring[0] */
  A_FLAGS: vringAvail.fields.flags.offset,
  A_IDX: vringAvail.fields.idx.offset,
  A_RING: availSlotOffset(0),
  /** offsets from the used base: flags, idx, ring[0] */
  U_FLAGS: vringUsed.fields.flags.offset,
  U_IDX: vringUsed.fields.idx.offset,
  U_RING: usedElemOffset(0),
});

/** the flag bits and limits both sides test on their hot paths, destructured like RING_OFFSETS */
export const RING_BITS = Object.freeze({
  F_NEXT: VRING_DESC_F_NEXT,
  F_WRITE: VRING_DESC_F_WRITE,
  F_INDIRECT: VRING_DESC_F_INDIRECT,
  MAX_CHAIN_BYTES: VRING_MAX_CHAIN_BYTES,
  USED_F_NO_NOTIFY: VRING_USED_F_NO_NOTIFY,
  AVAIL_F_NO_INTERRUPT: VRING_AVAIL_F_NO_INTERRUPT,
});

/**
 * Split rings need a power-of-two size in 1..32768 (RING-01). MIC's ADD_DEVICE checks only
 * num <= 128 (facts §6.5); we refuse non-powers of two instead of computing slots with a mask
 * that would alias.
 */
export function checkQueueSize(num: number, max: number = VIRTQUEUE_MAX_SIZE): RingError | undefined {
  if (!Number.isInteger(num) || num < 1 || num > max || (num & (num - 1)) !== 0) {
    return ringError('queue-size', `queue size ${num} is not a power of two in 1..${max}`);
  }
  return undefined;
}

export function checkPlacement(p: RingPlacement): RingError | undefined {
  const qs = checkQueueSize(p.num);
  if (qs) return qs;
  const bad = (a: number, al: number): boolean => !Number.isSafeInteger(a) || a < 0 || a % al !== 0;
  if (bad(p.descAddr, VRING_DESC_ALIGN)) return ringError('area-misaligned', `desc table at ${p.descAddr} not aligned to ${VRING_DESC_ALIGN}`);
  if (bad(p.availAddr, VRING_AVAIL_ALIGN)) return ringError('area-misaligned', `avail ring at ${p.availAddr} not aligned to ${VRING_AVAIL_ALIGN}`);
  if (bad(p.usedAddr, VRING_USED_ALIGN)) return ringError('area-misaligned', `used ring at ${p.usedAddr} not aligned to ${VRING_USED_ALIGN}`);
  if (p.startIdx !== undefined && (!Number.isInteger(p.startIdx) || p.startIdx < 0 || p.startIdx > 0xffff)) {
    return ringError('bad-request', `startIdx ${p.startIdx} is not a u16`);
  }
  return undefined;
}

/** vring_need_event: does moving an index from old to new pass event? (NOTIF-02, Linux virtio_ring.h) */
export function needEvent(event: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}
