/**
 * ADD_DEVICE's work in the device page (facts §5.4, §6.5 steps 3–7), given a desc block the char
 * device already copied in and checked (header size and num_vq): the vq sizes, the slot search,
 * the entry written with type 0, ring blocks and bounce buffers allocated and mapped for the card,
 * the host doorbell, and the real type written last.
 */
import type { MemPort, Smpt, VopErrno } from '../../../model/contract.ts';
import {
  bootParam, ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, MIC_DB_NONE, MIC_DP_SIZE, MIC_MAGIC, descSize, totalDescSize, vqConfig, vqConfigOffset,
  type DescShape,
} from '../../../model/layout/device-page.ts';
import { micRingBlockSize, micVringInfo, micVringInfoOffset } from '../../../model/layout/vring.ts';
import { MIC_MAX_VRING_ENTRIES } from '../../../model/constants/virtio.ts';
import { VOP_INT_DMA_BUF_SIZE } from '../../../model/constants/vop.ts';
import { readOr, writeField } from '../../memory/fields.ts';
import { HostVdev, newVq, type HostVq } from './vdev.ts';

export interface AddDeps {
  readonly mem: MemPort;
  readonly dp: number;
  readonly alloc: { alloc(size: number): number | undefined };
  readonly smpt: Smpt;
  nextDb(): number;
  onDoorbell(db: number, cb: () => void): void;
  sendIntr(db: number): void;
}

/** the header fields of a desc block */
export function shapeOf(block: Uint8Array): DescShape & { type: number } {
  const h = deviceDesc.fields;
  return { type: (block[h.type.offset]! << 24) >> 24, numVq: block[h.num_vq.offset]!, featureLen: block[h.feature_len.offset]!, configLen: block[h.config_len.offset]! };
}

/** vqconfig[i].num of a desc block (u16 LE) */
export const vqNumOf = (block: Uint8Array, i: number): number => {
  const at = vqConfigOffset(i) + vqConfig.fields.num.offset;
  return block[at]! | (block[at + 1]! << 8);
};

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** an entry the host placed in the device page: where, how many bytes, and whether it was removed */
export interface SlotRecord {
  readonly offset: number;
  readonly total: number;
  free: boolean;
}

/**
 * facts §5.4: walk while offset < 4096 − total(new), stepping by each entry's total size; the end of
 * the list or a removed entry is the slot. The walk steps by the host's own record of each entry,
 * never by header bytes the card can rewrite, and a removed slot is taken again only by an entry
 * of exactly its size, so the card's header walk still finds every entry behind it (README
 * "Decisions": the kernel walked the page and reused any removed slot).
 */
function findSlot(slots: readonly SlotRecord[], newTotal: number): number | undefined {
  for (let off = FIRST_ENTRY_OFFSET; off < MIC_DP_SIZE - newTotal; ) {
    const s = slots.find((x) => x.offset === off);
    if (s === undefined) return off;
    if (s.free && s.total === newTotal) return off;
    off += s.total;
  }
  return undefined;
}

/**
 * vop_virtio_add_device. Nothing is written before every check passed; the checks that need no
 * allocation come first. A vq size must be a power of two 1..128 (RING-01; the Linux code checked
 * only the upper bound: README "Decisions").
 */
export function addDeviceEntry(d: AddDeps, slots: SlotRecord[], block: Uint8Array, onBottomHalf: (dev: HostVdev) => void): { ok: true; vdev: HostVdev } | { errno: VopErrno } {
  const { mem, dp } = d;
  const shape = shapeOf(block);
  for (let i = 0; i < shape.numVq; i++) {
    const num = vqNumOf(block, i);
    if (num > MIC_MAX_VRING_ENTRIES) return { errno: 'EINVAL' };
    if (!isPow2(num)) return { errno: 'EINVAL' };
  }
  const total = totalDescSize(shape);
  const offset = findSlot(slots, total);
  if (offset === undefined) return { errno: 'EINVAL' };
  // allocations before any byte of the page changes, so ENOMEM leaves the page as it was
  const vqs: HostVq[] = [];
  for (let i = 0; i < shape.numVq; i++) {
    const num = vqNumOf(block, i);
    const size = micRingBlockSize(num);
    const ring = d.alloc.alloc(size);
    const bounce = d.alloc.alloc(VOP_INT_DMA_BUF_SIZE);
    if (ring === undefined || bounce === undefined) return { errno: 'ENOMEM' };
    const ringCard = d.smpt.map(ring, size);
    const bounceCard = d.smpt.map(bounce, VOP_INT_DMA_BUF_SIZE);
    if (typeof ringCard !== 'number' || typeof bounceCard !== 'number') return { errno: 'ENOMEM' };
    writeField(mem, ring + micVringInfoOffset(num), micVringInfo.fields.magic, MIC_MAGIC + shape.type + i);
    vqs.push(newVq(i, num, ring, ringCard, size, bounce, bounceCard));
  }
  const at = dp + offset;
  // the whole desc with type 0 first; ctrl zeroed with both doorbells −1; the real type last (facts §5.4)
  mem.fill(at, total, 0);
  // the copy carries type 0 itself: writing the caller's type and clearing it after would show the
  // card a typed, incomplete entry between the two stores
  const body = block.slice(0, descSize(shape));
  body[deviceDesc.fields.type.offset] = 0;
  mem.write(at, body);
  const ctrl = at + ctrlOffset(shape);
  writeField(mem, ctrl, deviceCtrl.fields.c2h_vdev_db, MIC_DB_NONE);
  writeField(mem, ctrl, deviceCtrl.fields.h2c_vdev_db, MIC_DB_NONE);
  for (const vq of vqs) writeField(mem, at + vqConfigOffset(vq.index), vqConfig.fields.address, vq.blockCardAddr);
  const c2hDb = d.nextDb();
  const vdev = new HostVdev(shape.type, offset, shape, vqs, c2hDb);
  d.onDoorbell(c2hDb, () => onBottomHalf(vdev));
  writeField(mem, ctrl, deviceCtrl.fields.c2h_vdev_db, c2hDb);
  writeField(mem, at, deviceDesc.fields.type, shape.type);
  const reused = slots.find((x) => x.offset === offset);
  if (reused !== undefined) reused.free = false;
  else slots.push({ offset, total, free: false });
  const cfgDb = readOr(mem, dp, bootParam.fields.h2c_config_db, MIC_DB_NONE);
  if (cfgDb !== MIC_DB_NONE) d.sendIntr(cfgDb);
  return { ok: true, vdev };
}
