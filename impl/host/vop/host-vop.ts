/**
 * The host side of virtio over PCIe for one card (facts §5.4, §6.2, §6.4, §6.5, §6.7): the host is
 * the virtio *device*. It owns the devices user space added, their bottom half (the card's used
 * rings, the card's reset request, poll wake-ups), the COPY_DESC walk under the vq mutexes,
 * CONFIG_CHANGE and hot-remove with their guest_ack waits, and the reset of every device when the
 * card stops. Everything the card writes is read once, checked, and never used to size an access.
 */
import type {
  DeviceRing, DeviceRingConfig, DmaChan, MemPort, RingError, Scheduler, Smpt, VopErrno,
} from '../../../model/contract.ts';
import {
  bootParam, configOffset, ctrlOffset, deviceCtrl, deviceDesc, guestFeaturesOffset, hostFeaturesOffset, MIC_DB_NONE,
  MIC_VIRTIO_CONFIG_CHANGED, MIC_VIRTIO_CONFIG_CHANGE_REMOVE, vqConfig, vqConfigOffset,
} from '../../../model/layout/device-page.ts';
import { descTableSize, micVringInfo, micVringInfoOffset, usedSize } from '../../../model/layout/vring.ts';
import { MIC_MAX_VRINGS, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from '../../../model/constants/virtio.ts';
import {
  VOP_CONFIG_ACK_POLLS, VOP_CONFIG_ACK_POLL_NS, VOP_INT_DMA_BUF_SIZE, VOP_REMOVE_ACK_POLLS, VOP_REMOVE_ACK_POLL_NS,
} from '../../../model/constants/vop.ts';
import { readOr, writeField } from '../../memory/fields.ts';
import { cardDoorbellOrNone, isCardDoorbell } from '../interrupts.ts';
import { addDeviceEntry, type SlotRecord } from './add-device.ts';
import { copyDesc, type CopyOutcome, type WalkDeps } from './copy-desc.ts';
import { dropChain, type HostVdev, type HostVq } from './vdev.ts';

export type { HostVdev } from './vdev.ts';

export interface VopDeps {
  readonly sched: Scheduler;
  readonly who: string;
  /** host RAM holding the device page, rings and bounce buffers */
  readonly mem: MemPort;
  readonly dp: number;
  /** zeroed host RAM; undefined = ENOMEM */
  readonly alloc: { alloc(size: number): number | undefined };
  readonly smpt: Smpt;
  /** the aperture: card memory, where the card's used rings and buffers live */
  readonly bar0: MemPort;
  nextDb(): number;
  onDoorbell(db: number, cb: () => void): void;
  sendIntr(db: number): void;
  /** the device side of a ring (impl/virtio) */
  createDeviceRing(cfg: DeviceRingConfig): DeviceRing | RingError;
  /** host DMA channel 0 of this card while it is usable, else undefined (CPU copies) */
  dmaChan(): DmaChan | undefined;
}

export class HostVop {
  readonly devices: HostVdev[] = [];
  /** every entry the host placed in the page, removed ones included (the slot walk's only input) */
  private readonly slots: SlotRecord[] = [];

  constructor(readonly d: VopDeps) {
    this.walk = {
      hostMem: d.mem,
      bar0: d.bar0,
      dmaChan: () => d.dmaChan(),
      ringOf: (v, q) => this.ringOf(v, q),
      notifyCard: (v) => {
        const db = readOr(d.mem, this.ctrlOf(v), deviceCtrl.fields.h2c_vdev_db, MIC_DB_NONE);
        if (isCardDoorbell(db)) d.sendIntr(db);
      },
      publishAvailIdx: (q, idx) => void writeField(d.mem, q.block + micVringInfoOffset(q.num), micVringInfo.fields.avail_idx, idx),
    };
  }

  /** the header checks of ADD_DEVICE's first copy (facts §6.5 step 1), plus type 1..127 [model choice] */
  static headerRefused(type: number, numVq: number, alignedSize: number, maxBlock: number): boolean {
    return alignedSize > maxBlock || numVq > MIC_MAX_VRINGS || type <= 0;
  }

  /** steps 3–7 of ADD_DEVICE on a checked desc block */
  addDesc(block: Uint8Array): { ok: true; vdev: HostVdev } | { errno: VopErrno } {
    const r = addDeviceEntry(
      { ...this.d, sendIntr: (db) => isCardDoorbell(db) && this.d.sendIntr(db) },
      this.slots,
      block,
      (dev) => this.postBottomHalf(dev),
    );
    if ('ok' in r) {
      this.devices.push(r.vdev);
      this.d.sched.trace.record(this.d.who, `add device type ${r.vdev.type} @${r.vdev.offset}`);
    }
    return r;
  }

  private entry(dev: HostVdev): number {
    return this.d.dp + dev.offset;
  }

  private ctrlOf(dev: HostVdev): number {
    return this.entry(dev) + ctrlOffset(dev.shape);
  }

  /** dd->type as the device page holds it now (the card can write it) */
  typeOf(dev: HostVdev): number {
    return readOr(this.d.mem, this.entry(dev), deviceDesc.fields.type, 0);
  }

  /** dd->status, written by the card */
  statusOf(dev: HostVdev): number {
    return readOr(this.d.mem, this.entry(dev), deviceDesc.fields.status, 0);
  }

  /** facts §6.4: the card's doorbell for this device; waits while an ioctl holds the vq mutexes */
  bottomHalf(dev: HostVdev): void {
    if (dev.removed) return;
    if (dev.busy > 0) {
      dev.bhPending = true;
      return;
    }
    const { mem } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrlOf(dev);
    if (readOr(mem, ctrl, c.used_address_updated, 0) !== 0) {
      for (const vq of dev.vqs) {
        const ua = readOr(mem, this.entry(dev) + vqConfigOffset(vq.index), vqConfig.fields.used_address, 0);
        // 0 is skipped (facts §6.4); so is a ring the card placed outside the aperture or unaligned (hostile card)
        const fits = ua !== 0 && ua % 4 === 0 && ua + usedSize(vq.num) <= this.d.bar0.size;
        if (!fits) continue;
        vq.usedAddr = ua;
        vq.ring = undefined;
        dropChain(vq);
      }
      writeField(mem, ctrl, c.used_address_updated, 0);
    }
    if (readOr(mem, ctrl, c.vdev_reset, 0) !== 0) this.resetOne(dev);
    dev.pollWake = true;
  }

  /** the device-reset part of the bottom half (facts §6.4 step 2), also run for every device at card stop */
  resetOne(dev: HostVdev): void {
    if (dev.removed) return;
    if (dev.busy > 0) {
      dev.resetPending = true;
      return;
    }
    const { mem } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrlOf(dev);
    writeField(mem, this.entry(dev), deviceDesc.fields.status, 0);
    writeField(mem, ctrl, c.vdev_reset, 0);
    writeField(mem, ctrl, c.host_ack, 1);
    for (const vq of dev.vqs) {
      writeField(mem, vq.block + micVringInfoOffset(vq.num), micVringInfo.fields.avail_idx, 0);
      vq.ring?.reset();
      // the card's used rings die with its driver; the host forgets them and touches no card ring
      // until the card hands new ones over
      vq.ring = undefined;
      vq.usedAddr = undefined;
      dropChain(vq);
    }
    dev.pollWake = true;
  }

  /** mic_virtio_reset_devices at every stop (facts §4.1) */
  resetDevices(): void {
    for (const dev of this.devices) this.resetOne(dev);
  }

  /** the vq mutexes: the bottom half and a stop's reset wait until the ioctl is done */
  withVqs<T>(dev: HostVdev, fn: () => T): T {
    dev.busy++;
    try {
      return fn();
    } finally {
      this.release(dev);
    }
  }

  /** unlock: what waited for the mutexes runs now (a stop's reset) or next (the bottom half) */
  private release(dev: HostVdev): void {
    dev.busy--;
    if (dev.busy !== 0) return;
    if (dev.resetPending) {
      dev.resetPending = false;
      this.resetOne(dev);
    }
    if (dev.bhPending) {
      dev.bhPending = false;
      this.postBottomHalf(dev);
    }
  }

  /** the bottom half as a scheduler event of the host VOP (event and label made once per device) */
  private postBottomHalf(dev: HostVdev): void {
    if (dev.bhFn === undefined) {
      dev.bhWhat = `vdev@${dev.offset} bh`;
      dev.bhFn = () => this.bottomHalf(dev);
    }
    this.d.sched.post(this.d.who, dev.bhWhat, dev.bhFn);
  }

  /** the device side of vq's ring once the card handed its used ring over (features read now) */
  private ringOf(dev: HostVdev, vq: HostVq): DeviceRing | RingError | undefined {
    if (vq.ring !== undefined) return vq.ring;
    if (vq.usedAddr === undefined) return undefined;
    const bits = this.negotiated(dev);
    const ring = this.d.createDeviceRing({
      num: vq.num,
      descAddr: vq.block,
      availAddr: vq.block + descTableSize(vq.num),
      usedAddr: vq.usedAddr,
      eventIdx: (bits & (1 << VIRTIO_RING_F_EVENT_IDX)) !== 0,
      indirect: (bits & (1 << VIRTIO_RING_F_INDIRECT_DESC)) !== 0,
      ringMem: this.d.mem,
      usedMem: this.d.bar0,
      bufMem: this.d.bar0,
    });
    if ('kind' in ring) return ring;
    vq.ring = ring;
    return ring;
  }

  /**
   * Ring features: bits 0..31 both offered (host bitmap) and accepted (guest bitmap). The Linux host
   * took the offered bits alone, which breaks when the card declines EVENT_IDX [README "Decisions"].
   */
  private negotiated(dev: HostVdev): number {
    const n = Math.min(dev.shape.featureLen, 4);
    const host = this.d.mem.read(this.entry(dev) + hostFeaturesOffset(dev.shape), n);
    const guest = this.d.mem.read(this.entry(dev) + guestFeaturesOffset(dev.shape), n);
    if (!(host instanceof Uint8Array) || !(guest instanceof Uint8Array)) return 0;
    let bits = 0;
    for (let i = 0; i < n; i++) bits |= (host[i]! & guest[i]!) << (8 * i);
    return bits;
  }

  /** what the COPY_DESC walk needs of this host, built once */
  private readonly walk: WalkDeps;

  /** COPY_DESC for vq `vrIdx` (bounds checked by the caller against the host's own num_vq), under the vq mutexes */
  copy(dev: HostVdev, vrIdx: number, user: MemPort, iovAddr: number, iovcnt: number, updateUsed: boolean): CopyOutcome {
    dev.busy++;
    try {
      return copyDesc(this.walk, dev, dev.vqs[vrIdx]!, user, iovAddr, iovcnt, updateUsed);
    } finally {
      this.release(dev);
    }
  }

  /** the card's config doorbell, if it registered a valid one */
  configDb(): number {
    return cardDoorbellOrNone(readOr(this.d.mem, this.d.dp, bootParam.fields.h2c_config_db, MIC_DB_NONE));
  }

  /**
   * vop_virtio_config_change: new config bytes, CONFIG_CHANGED, wait for guest_ack (100 × 100 ms).
   * 1 when acknowledged, 0 when the wait timed out; EIO without a config doorbell or once removed.
   * `sleep` runs the simulation for one poll interval (process context).
   */
  configChange(dev: HostVdev, bytes: Uint8Array, sleep: (ns: number) => void): { ok: true; value: number } | { errno: VopErrno } {
    const db = this.configDb();
    if (db === MIC_DB_NONE || this.typeOf(dev) === -1) return { errno: 'EIO' };
    const { mem } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrlOf(dev);
    return this.withVqs(dev, () => {
      mem.write(this.entry(dev) + configOffset(dev.shape), bytes);
      writeField(mem, ctrl, c.config_change, MIC_VIRTIO_CONFIG_CHANGED);
      this.d.sendIntr(db);
      const acked = this.waitAck(ctrl, VOP_CONFIG_ACK_POLLS, VOP_CONFIG_ACK_POLL_NS, sleep);
      writeField(mem, ctrl, c.config_change, 0);
      writeField(mem, ctrl, c.guest_ack, 0);
      return { ok: true as const, value: acked ? 1 : 0 };
    });
  }

  private waitAck(ctrl: number, polls: number, pollNs: number, sleep: (ns: number) => void): boolean {
    const acked = (): boolean => readOr(this.d.mem, ctrl, deviceCtrl.fields.guest_ack, 0) !== 0;
    for (let i = 0; i < polls; i++) {
      if (acked()) return true;
      sleep(pollNs);
    }
    return acked();
  }

  /**
   * Hot-remove (facts §6.7): DEV_REMOVE and the guest_ack wait (15 × 1 s) when the card has a config
   * doorbell, then the host frees the device and writes type −1. True when the card acknowledged.
   */
  remove(dev: HostVdev, sleep: (ns: number) => void): boolean {
    if (dev.removed) return false;
    const { mem } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrlOf(dev);
    writeField(mem, ctrl, c.config_change, MIC_VIRTIO_CONFIG_CHANGE_REMOVE);
    const db = this.configDb();
    let acked = false;
    if (db !== MIC_DB_NONE) {
      this.d.sendIntr(db);
      acked = this.waitAck(ctrl, VOP_REMOVE_ACK_POLLS, VOP_REMOVE_ACK_POLL_NS, sleep);
    }
    writeField(mem, ctrl, c.config_change, 0);
    writeField(mem, ctrl, c.guest_ack, 0);
    dev.removed = true;
    for (const vq of dev.vqs) {
      vq.ring = undefined;
      vq.usedAddr = undefined;
      dropChain(vq);
      this.d.smpt.unmap(vq.blockCardAddr, vq.blockSize);
      this.d.smpt.unmap(vq.bounceCardAddr, VOP_INT_DMA_BUF_SIZE);
    }
    writeField(mem, this.entry(dev), deviceDesc.fields.type, -1);
    const slot = this.slots.find((x) => x.offset === dev.offset);
    if (slot !== undefined) slot.free = true;
    const i = this.devices.indexOf(dev);
    if (i >= 0) this.devices.splice(i, 1);
    this.d.sched.trace.record(this.d.who, `remove device type ${dev.type} @${dev.offset}${acked ? '' : ' (no guest_ack)'}`);
    return acked;
  }

  /** the ring blocks in mmap order (facts §6.5 mmap) */
  ringBlocks(dev: HostVdev): readonly { addr: number; len: number }[] {
    return dev.vqs.map((vq) => ({ addr: vq.block, len: vq.blockSize }));
  }
}
