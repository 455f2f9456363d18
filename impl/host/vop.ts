/**
 * The host side of virtio over PCIe, as much as the lifecycle needs (facts §5.3, §5.4, §6.2, §6.4,
 * §6.5 ADD_DEVICE): the host is the virtio *device*. ADD_DEVICE places an entry in the device page
 * (slot search of §5.4), allocates the ring blocks in host RAM and maps them for the card; the
 * device doorbell's bottom half takes the card's used ring addresses (`used_address_updated`) and
 * acknowledges a card reset (`vdev_reset`). Ring traffic (COPY_DESC) is the virtio layer's.
 */
import type { LifecycleErrno, MemPort, Scheduler, Smpt, VirtioDeviceSpec } from '../../model/contract.ts';
import {
  alignedDescSize, ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET,
  MIC_DB_NONE, MIC_DP_SIZE, MIC_MAGIC, MIC_MAX_DESC_BLK_SIZE, totalDescSize, vqConfig, vqConfigOffset, bootParam,
} from '../../model/layout/device-page.ts';
import { micRingBlockSize, micVringInfo, micVringInfoOffset, usedSize } from '../../model/layout/vring.ts';
import { MIC_MAX_VRINGS, MIC_MAX_VRING_ENTRIES } from '../../model/constants/virtio.ts';
import { readOr, writeField } from '../memory/fields.ts';
import type { HostAllocator } from './alloc.ts';

export interface HostVdev {
  readonly type: number;
  /** entry offset in the device page */
  readonly offset: number;
  readonly spec: VirtioDeviceSpec;
  readonly ringBlocks: readonly number[];
  readonly c2hDb: number;
  /** card addresses of the used rings the card published (aperture offsets) */
  usedRings: number[];
}

export interface VopDeps {
  readonly sched: Scheduler;
  readonly who: string;
  /** host RAM holding the device page and rings */
  readonly mem: MemPort;
  readonly dp: number;
  readonly alloc: HostAllocator;
  readonly smpt: Smpt;
  /** the aperture: the only way to card memory, where the card's used rings live (written by ring traffic, never while the card is not online) */
  readonly bar0: MemPort;
  nextDb(): number;
  onDoorbell(db: number, cb: () => void): void;
  sendIntr(db: number): void;
}

const isU8 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xff;

/**
 * The desc header fields are u8 in C (type s8, facts §5.3) and vqconfig.num a u16: a C caller cannot
 * pass -1, 1.5 or 300. Our API takes JS numbers, so a value its C field could not hold is EINVAL
 * rather than truncated. [model choice]
 */
function specFieldsFit(spec: VirtioDeviceSpec): boolean {
  return isU8(spec.type) && isU8(spec.numVq) && isU8(spec.featureLen) && isU8(spec.configLen) && Number.isInteger(spec.num) && spec.num >= 0 && spec.num <= 0xffff;
}

export class HostVop {
  readonly devices: HostVdev[] = [];

  constructor(private readonly d: VopDeps) {}

  addDevice(spec: VirtioDeviceSpec): { ok: true; offset: number } | { errno: LifecycleErrno } {
    const { mem, dp } = this.d;
    // user input: refused before anything is touched (facts §6.5 steps 1 and 3)
    if (!specFieldsFit(spec)) return { errno: 'EINVAL' };
    const shape = { numVq: spec.numVq, featureLen: spec.featureLen, configLen: spec.configLen };
    if (alignedDescSize(shape) > MIC_MAX_DESC_BLK_SIZE || spec.numVq > MIC_MAX_VRINGS || spec.type <= 0 || spec.type > 127) return { errno: 'EINVAL' };
    if (spec.num > MIC_MAX_VRING_ENTRIES) return { errno: 'EINVAL' };
    const offset = this.findSlot(totalDescSize(shape));
    if (offset === undefined) return { errno: 'EINVAL' };
    const at = dp + offset;
    // the whole desc with type 0 first; the real type is written last (facts §5.4)
    mem.fill(at, totalDescSize(shape), 0);
    const h = deviceDesc.fields;
    writeField(mem, at, h.type, 0);
    writeField(mem, at, h.num_vq, spec.numVq);
    writeField(mem, at, h.feature_len, spec.featureLen);
    writeField(mem, at, h.config_len, spec.configLen);
    const ctrl = at + ctrlOffset(shape);
    writeField(mem, ctrl, deviceCtrl.fields.c2h_vdev_db, MIC_DB_NONE);
    writeField(mem, ctrl, deviceCtrl.fields.h2c_vdev_db, MIC_DB_NONE);
    const ringBlocks: number[] = [];
    for (let i = 0; i < spec.numVq; i++) {
      const size = micRingBlockSize(spec.num);
      const block = this.d.alloc.alloc(size);
      if (block === undefined) return { errno: 'ENOMEM' };
      writeField(mem, block + micVringInfoOffset(spec.num), micVringInfo.fields.magic, MIC_MAGIC + spec.type + i);
      const cardAddr = this.d.smpt.map(block, size);
      if (typeof cardAddr !== 'number') return { errno: 'ENOMEM' };
      const vq = at + vqConfigOffset(i);
      writeField(mem, vq, vqConfig.fields.address, cardAddr);
      writeField(mem, vq, vqConfig.fields.num, spec.num);
      ringBlocks.push(block);
    }
    const c2hDb = this.d.nextDb();
    const dev: HostVdev = { type: spec.type, offset, spec, ringBlocks, c2hDb, usedRings: [] };
    this.d.onDoorbell(c2hDb, () => this.d.sched.post(this.d.who, `vdev@${offset} bh`, () => this.bottomHalf(dev)));
    writeField(mem, ctrl, deviceCtrl.fields.c2h_vdev_db, c2hDb);
    writeField(mem, at, h.type, spec.type);
    this.devices.push(dev);
    const cfgDb = readOr(mem, dp, bootParam.fields.h2c_config_db, MIC_DB_NONE);
    if (cfgDb !== MIC_DB_NONE) this.d.sendIntr(cfgDb);
    this.d.sched.trace.record(this.d.who, `add device type ${spec.type} @${offset}`);
    return { ok: true, offset };
  }

  /** facts §5.4: walk while offset < 4096 − total(new), stepping by each entry's size; type 0 or −1 is free */
  private findSlot(newTotal: number): number | undefined {
    const { mem, dp } = this.d;
    const h = deviceDesc.fields;
    for (let off = FIRST_ENTRY_OFFSET; off < MIC_DP_SIZE - newTotal; ) {
      const type = readOr(mem, dp + off, h.type, 0);
      if (type === 0 || type === -1) return off;
      off += totalDescSize({ numVq: readOr(mem, dp + off, h.num_vq, 0), featureLen: readOr(mem, dp + off, h.feature_len, 0), configLen: readOr(mem, dp + off, h.config_len, 0) });
    }
    return undefined;
  }

  private ctrlOf(dev: HostVdev): number {
    return this.d.dp + dev.offset + ctrlOffset(dev.spec);
  }

  /** facts §6.4: used-address update, then card reset acknowledgement */
  private bottomHalf(dev: HostVdev): void {
    const { mem } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrlOf(dev);
    if (readOr(mem, ctrl, c.used_address_updated, 0) !== 0) {
      const used: number[] = [];
      for (let i = 0; i < dev.spec.numVq; i++) {
        const ua = readOr(mem, this.d.dp + dev.offset + vqConfigOffset(i), vqConfig.fields.used_address, 0);
        // 0 is skipped (facts §6.4); so is a ring the card placed outside the aperture (hostile card)
        if (ua !== 0 && ua + usedSize(dev.spec.num) <= this.d.bar0.size) used.push(ua);
      }
      dev.usedRings = used;
      writeField(mem, ctrl, c.used_address_updated, 0);
    }
    if (readOr(mem, ctrl, c.vdev_reset, 0) !== 0) this.resetOne(dev);
  }

  private resetOne(dev: HostVdev): void {
    const { mem } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrlOf(dev);
    writeField(mem, this.d.dp + dev.offset, deviceDesc.fields.status, 0);
    writeField(mem, ctrl, c.vdev_reset, 0);
    writeField(mem, ctrl, c.host_ack, 1);
    for (let i = 0; i < dev.ringBlocks.length; i++) writeField(mem, dev.ringBlocks[i]! + micVringInfoOffset(dev.spec.num), micVringInfo.fields.avail_idx, 0);
    // the card's used rings die with its OS; the host forgets them and touches no card ring
    dev.usedRings = [];
  }

  /** mic_virtio_reset_devices at every stop (facts §4.1) */
  resetDevices(): void {
    for (const dev of this.devices) this.resetOne(dev);
  }
}
