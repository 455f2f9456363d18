/**
 * The card OS's side of the device page (facts §5.4, §6.3, §6.7): scan, bind each new device
 * (doorbell, status, find_vqs with its own used rings and the used_address_updated handshake,
 * DRIVER_OK), react to DEV_REMOVE, and tear everything down at shutdown. The card is the virtio
 * *driver*. Waits are polls on virtual time, as in the drivers (100 ms × 100).
 */
import type { MemPort, RegisterFile, Scheduler } from '../../model/contract.ts';
import {
  ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, MIC_DB_NONE, MIC_DP_SIZE, MIC_MAGIC,
  MIC_VIRTIO_CONFIG_CHANGE_REMOVE, totalDescSize, vqConfig, vqConfigOffset, type DescShape,
} from '../../model/layout/device-page.ts';
import { availSize, descTableSize, micUsedRingSize, micVringInfo, micVringInfoOffset } from '../../model/layout/vring.ts';
import { MIC_MAX_VRINGS, VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK } from '../../model/constants/virtio.ts';
import { readField, readOr, writeField } from '../memory/fields.ts';
import { ringHost, type CardDoorbells } from './doorbells.ts';

export const HANDSHAKE_POLL_NS = 100_000_000;
export const HANDSHAKE_POLLS = 100;

export interface CardVdev {
  readonly offset: number;
  readonly type: number;
  readonly shape: DescShape;
  readonly h2cDb: number;
  readonly c2hDb: number;
  readonly usedRings: { cardAddr: number; len: number }[];
  live: boolean;
  failed: boolean;
}

export interface CardDevDeps {
  readonly sched: Scheduler;
  readonly who: string;
  readonly view: MemPort;
  readonly regs: RegisterFile;
  readonly doorbells: CardDoorbells;
  /** card RAM allocation (zeroed), undefined = out of memory */
  allocCard(size: number): number | undefined;
  /** the OS generation: a reset or crash makes every pending step of an older one a no-op */
  alive(gen: number): boolean;
}

export class CardDevices {
  readonly bound = new Map<number, CardVdev>();

  constructor(
    private readonly d: CardDevDeps,
    private readonly dp: number,
    private readonly gen: number,
  ) {}

  /** mic_scan_devices: type 0 ends the list, −1 is skipped, entry sizes come from each header */
  scan(): void {
    const { view } = this.d;
    const h = deviceDesc.fields;
    for (let off = FIRST_ENTRY_OFFSET; off + deviceDesc.size <= MIC_DP_SIZE; ) {
      const at = this.dp + off;
      const type = readOr(view, at, h.type, 0);
      if (type === 0) break;
      const shape: DescShape = { numVq: readOr(view, at, h.num_vq, 0), featureLen: readOr(view, at, h.feature_len, 0), configLen: readOr(view, at, h.config_len, 0) };
      const size = totalDescSize(shape);
      if (off + size > MIC_DP_SIZE) break;
      if (type !== -1) {
        const known = this.bound.get(off);
        if (known !== undefined) this.configChange(known);
        else if (shape.numVq <= MIC_MAX_VRINGS) this.add(off, type, shape);
      }
      off += size;
    }
  }

  private ctrl(dev: { offset: number; shape: DescShape }): number {
    return this.dp + dev.offset + ctrlOffset(dev.shape);
  }

  private setStatus(dev: CardVdev, status: number): void {
    writeField(this.d.view, this.dp + dev.offset, deviceDesc.fields.status, status);
    ringHost(this.d.regs, dev.c2hDb);
  }

  private add(offset: number, type: number, shape: DescShape): void {
    const { view } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrl({ offset, shape });
    const c2hDb = readOr(view, ctrl, c.c2h_vdev_db, MIC_DB_NONE);
    const h2cDb = this.d.doorbells.request(() => undefined);
    const dev: CardVdev = { offset, type, shape, h2cDb, c2hDb, usedRings: [], live: false, failed: false };
    this.bound.set(offset, dev);
    writeField(view, ctrl, c.h2c_vdev_db, h2cDb);
    writeField(view, ctrl, c.vdev, offset + 1);
    this.setStatus(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    // find_vqs (facts §6.3)
    for (let i = 0; i < shape.numVq; i++) {
      const vq = this.dp + offset + vqConfigOffset(i);
      const addr = readField(view, vq, vqConfig.fields.address);
      const num = readOr(view, vq, vqConfig.fields.num, 0);
      if (typeof addr !== 'number' || num === 0) return this.fail(dev);
      const magic = readField(view, addr + micVringInfoOffset(num), micVringInfo.fields.magic);
      if (magic !== ((MIC_MAGIC + type + i) >>> 0)) return this.fail(dev);
      view.fill(addr, descTableSize(num) + availSize(num), 0);
      const len = micUsedRingSize(num);
      const used = this.d.allocCard(len);
      if (used === undefined) return this.fail(dev);
      dev.usedRings.push({ cardAddr: used, len });
      writeField(view, vq, vqConfig.fields.used_address, used);
    }
    writeField(view, ctrl, c.used_address_updated, 1);
    ringHost(this.d.regs, c2hDb);
    let polls = 0;
    const wait = (): void => {
      if (!this.d.alive(this.gen) || this.bound.get(offset) !== dev) return;
      if (readOr(view, ctrl, c.used_address_updated, 1) === 0) {
        dev.live = true;
        this.setStatus(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
        this.d.sched.trace.record(this.d.who, `device type ${type} @${offset} live`);
        return;
      }
      if (++polls >= HANDSHAKE_POLLS) return this.fail(dev);
      this.d.sched.after(HANDSHAKE_POLL_NS, this.d.who, `used-address wait @${offset}`, wait);
    };
    this.d.sched.after(HANDSHAKE_POLL_NS, this.d.who, `used-address wait @${offset}`, wait);
  }

  private fail(dev: CardVdev): void {
    dev.failed = true;
    dev.live = false;
    this.d.sched.trace.record(this.d.who, `device @${dev.offset} failed`);
  }

  /** DEV_REMOVE from the host: unbind, acknowledge, give the slot up (facts §6.7) */
  private configChange(dev: CardVdev): void {
    const { view } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrl(dev);
    if (readOr(view, ctrl, c.config_change, 0) !== MIC_VIRTIO_CONFIG_CHANGE_REMOVE) return;
    this.unbind(dev);
    writeField(view, ctrl, c.guest_ack, 1);
  }

  private unbind(dev: CardVdev): void {
    dev.live = false;
    this.d.doorbells.free(dev.h2cDb);
    writeField(this.d.view, this.ctrl(dev), deviceCtrl.fields.h2c_vdev_db, MIC_DB_NONE);
    this.bound.delete(dev.offset);
  }

  /** driver teardown at shutdown: every bound device is removed locally, status back to 0 */
  teardown(): void {
    for (const dev of [...this.bound.values()]) {
      writeField(this.d.view, this.dp + dev.offset, deviceDesc.fields.status, 0);
      this.unbind(dev);
    }
  }

  /** the card died: nothing is live, nothing is written */
  drop(): void {
    for (const dev of this.bound.values()) dev.live = false;
    this.bound.clear();
  }
}
