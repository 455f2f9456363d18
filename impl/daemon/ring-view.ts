/**
 * What the daemon reads through its read-only mmap (facts §6.5 mmap, §8.3): its entry's status byte
 * in the device page, and per ring `avail->idx`, `_mic_vring_info.avail_idx` and magic, and the
 * descriptor chain at the next slot the host will take (mpssd's block loop walks it to size its
 * iovecs). Everything here is the card's to write: reads are advisory, bounded, and a fault or
 * nonsense reads as "nothing there"; the kernel's COPY_DESC is what validates the ring.
 */
import type { MemPort, VirtioDeviceSpec } from '../../model/contract.ts';
import { deviceDesc, FIRST_ENTRY_OFFSET, MIC_DP_SIZE, totalDescSize, vqConfig, vqConfigOffset } from '../../model/layout/device-page.ts';
import { descTableSize, micRingBlockSize, micVringInfo, micVringInfoOffset, vringAvail, vringAvailSlot, vringDesc } from '../../model/layout/vring.ts';
import { MIC_MAGIC, VIRTIO_CONFIG_S_DRIVER_OK, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from '../../model/constants/virtio.ts';

const D = vringDesc.fields;
const num = (v: number | object): number => (typeof v === 'number' ? v : -1);

/** the bytes of one chain: device-readable (card → host) then device-writable (host → card) */
export interface ChainShape {
  readonly readable: number;
  readonly writable: number;
}

/** the offsets of the live entries (type > 0) of a device page, in the card's walk order (facts §5.4) */
export function liveEntries(view: MemPort): number[] {
  const h = deviceDesc.fields;
  const out: number[] = [];
  for (let off = FIRST_ENTRY_OFFSET; off + deviceDesc.size <= MIC_DP_SIZE; ) {
    const type = (num(view.read8(off + h.type.offset)) << 24) >> 24;
    if (type === 0) break;
    if (type > 0) out.push(off);
    const shape = { numVq: num(view.read8(off + h.num_vq.offset)), featureLen: num(view.read8(off + h.feature_len.offset)), configLen: num(view.read8(off + h.config_len.offset)) };
    off += totalDescSize(shape);
  }
  return out;
}

/**
 * The device-page offset of the entry ADD_DEVICE just made for `spec` (user space is told no offset):
 * an entry of its type and shape that is not in `taken` (our other devices' entries, and every
 * entry that was live before the call when we could look), preferring one the card has not touched
 * yet (status 0), else the last (the slot search appends). [model choice: exact when the daemon
 * already had a device on the card; otherwise a guess that can only be wrong when another process
 * added a device of the same type, and it only gates when the loops look]
 */
export function findEntry(view: MemPort, spec: VirtioDeviceSpec, taken: ReadonlySet<number>): number | undefined {
  const h = deviceDesc.fields;
  let best: number | undefined;
  for (const off of liveEntries(view)) {
    const same = num(view.read8(off + h.type.offset)) === spec.type && num(view.read8(off + h.num_vq.offset)) === spec.numVq
      && num(view.read8(off + h.feature_len.offset)) === spec.featureLen && num(view.read8(off + h.config_len.offset)) === spec.configLen
      && num(view.read16(off + vqConfigOffset(0) + vqConfig.fields.num.offset)) === spec.num;
    if (same && !taken.has(off) && (best === undefined || num(view.read8(off + h.status.offset)) === 0)) best = off;
  }
  return best;
}

export class RingView {
  private readonly block: number;
  private readonly availIdxAt: number;
  private readonly infoAt: number;
  private readonly mask: number;

  constructor(
    readonly view: MemPort,
    readonly spec: VirtioDeviceSpec,
    /** our entry in the device page, if we could tell which it is */
    readonly entry: number | undefined,
  ) {
    this.block = micRingBlockSize(spec.num);
    this.availIdxAt = descTableSize(spec.num) + vringAvail.fields.idx.offset;
    this.infoAt = micVringInfoOffset(spec.num);
    this.mask = spec.num - 1;
  }

  private base(vq: number): number {
    return MIC_DP_SIZE + vq * this.block;
  }

  /** the card's driver is up (DRIVER_OK); unknown entry: assume so and let COPY_DESC tell */
  ready(): boolean {
    if (this.entry === undefined) return true;
    const s = this.view.read8(this.entry + deviceDesc.fields.status.offset);
    return typeof s === 'number' && (s & VIRTIO_CONFIG_S_DRIVER_OK) !== 0;
  }

  /** `_mic_vring_info.magic` is 0xC0FFEE00 + type + vq (mpssd asserts it) */
  magicOk(vq: number): boolean {
    return this.view.read32(this.base(vq) + this.infoAt + micVringInfo.fields.magic.offset) === ((MIC_MAGIC + this.spec.type + vq) >>> 0);
  }

  /** the host's next avail index (info.avail_idx, written after each completed chain) */
  hostIdx(vq: number): number {
    return num(this.view.read16(this.base(vq) + this.infoAt + micVringInfo.fields.avail_idx.offset));
  }

  /** the card posted a buffer the host has not completed: avail->idx ≠ info.avail_idx (facts §8.3) */
  pending(vq: number): boolean {
    const avail = this.view.read16(this.base(vq) + this.availIdxAt);
    return typeof avail === 'number' && avail !== this.hostIdx(vq);
  }

  /**
   * the chain at the host's next slot, as the descriptor table says now; undefined when it is not a
   * plain chain (indirect, readable after writable, a loop, a fault)
   */
  shape(vq: number): ChainShape | undefined {
    const idx = this.hostIdx(vq);
    if (idx < 0) return undefined;
    const base = this.base(vq);
    const slotAt = base + descTableSize(this.spec.num) + vringAvail.size + vringAvailSlot.size * (idx & this.mask);
    let i = num(this.view.read16(slotAt));
    let readable = 0;
    let writable = 0;
    for (let n = 0; n < this.spec.num; n++) {
      if (i < 0 || i > this.mask) return undefined;
      const at = base + i * vringDesc.size;
      const len = num(this.view.read32(at + D.len.offset));
      const flags = num(this.view.read16(at + D.flags.offset));
      if (len < 0 || flags < 0 || (flags & VRING_DESC_F_INDIRECT) !== 0) return undefined;
      if ((flags & VRING_DESC_F_WRITE) !== 0) writable += len;
      else if (writable > 0) return undefined;
      else readable += len;
      if ((flags & VRING_DESC_F_NEXT) === 0) return { readable, writable };
      i = num(this.view.read16(at + D.next.offset));
    }
    return undefined;
  }
}
