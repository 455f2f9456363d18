/**
 * The card's VOP transport (facts §5.4, §6.3, §6.7): scan the device page at probe and on every
 * h2c_config_db interrupt, bind each new device (its doorbell, the virtio probe of vdev.ts), take
 * config changes (guest_ack), take DEV_REMOVE (the reset handshake if the driver was up, then
 * guest_ack and type −1), and tear everything down at shutdown. The card is the virtio *driver*.
 */
import type { DriverRing, DriverRingConfig, MemPort, RegisterFile, RingError, Scheduler } from '../../../model/contract.ts';
import {
  ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, MIC_DB_NONE, MIC_DP_SIZE, MIC_VIRTIO_CONFIG_CHANGED, MIC_VIRTIO_CONFIG_CHANGE_REMOVE,
  totalDescSize, type DescShape,
} from '../../../model/layout/device-page.ts';
import { MIC_MAX_VRINGS, VIRTIO_CONFIG_S_DRIVER_OK } from '../../../model/constants/virtio.ts';
import { readOr, writeField } from '../../memory/fields.ts';
import type { CardDoorbells } from '../doorbells.ts';
import type { CardBufferHeap } from './buffers.ts';
import { CardVdev } from './vdev.ts';

export interface CardVopDeps {
  readonly sched: Scheduler;
  readonly who: string;
  readonly view: MemPort;
  readonly regs: RegisterFile;
  readonly doorbells: CardDoorbells;
  readonly heap: CardBufferHeap;
  allocCard(size: number): number | undefined;
  createDriverRing(cfg: DriverRingConfig): DriverRing | RingError;
  /** the OS generation: a reset or crash makes every pending step of an older one a no-op */
  alive(gen: number): boolean;
}

export class CardVop {
  /** bound devices by device-page offset */
  readonly bound = new Map<number, CardVdev>();
  /** the OS's drivers: offered each new device before its probe, so they hear it go live */
  onAdd: ((dev: CardVdev) => void) | undefined;

  constructor(
    private readonly d: CardVopDeps,
    private readonly dp: number,
    private readonly gen: number,
  ) {}

  /** vop_scan_devices: type 0 ends the list, −1 is skipped, entry sizes come from each header */
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

  private ctrl(offset: number, shape: DescShape): number {
    return this.dp + offset + ctrlOffset(shape);
  }

  /** add device: object, doorbell and irq, h2c_vdev_db, c2h_vdev_db read, register, ctrl.vdev */
  private add(offset: number, type: number, shape: DescShape): void {
    const { view } = this.d;
    const c = deviceCtrl.fields;
    const ctrl = this.ctrl(offset, shape);
    const c2hDb = readOr(view, ctrl, c.c2h_vdev_db, MIC_DB_NONE);
    let dev: CardVdev | undefined;
    const h2cDb = this.d.doorbells.request(() => dev?.interrupt(), offset);
    dev = new CardVdev(
      {
        sched: this.d.sched, who: this.d.who, view, regs: this.d.regs, heap: this.d.heap,
        allocCard: (n) => this.d.allocCard(n),
        createDriverRing: (cfg) => this.d.createDriverRing(cfg),
        alive: () => this.d.alive(this.gen),
      },
      this.dp, offset, type, shape, h2cDb, c2hDb,
      (v) => this.removeLocal(v),
    );
    this.bound.set(offset, dev);
    writeField(view, ctrl, c.h2c_vdev_db, h2cDb);
    writeField(view, ctrl, c.vdev, offset + 1);
    this.onAdd?.(dev);
    dev.probe();
  }

  /** a known device: CONFIG_CHANGED → config callback + guest_ack; DEV_REMOVE → removal (facts §6.5, §6.7) */
  private configChange(dev: CardVdev): void {
    const { view } = this.d;
    const c = deviceCtrl.fields;
    const change = readOr(view, dev.ctrl, c.config_change, 0);
    if (change === MIC_VIRTIO_CONFIG_CHANGED) {
      dev.configChanges++;
      writeField(view, dev.ctrl, c.guest_ack, 1);
      return;
    }
    if (change !== MIC_VIRTIO_CONFIG_CHANGE_REMOVE) return;
    this.unregister(dev, () => undefined);
  }

  /**
   * DEV_REMOVE's work on the card (facts §6.7): the reset handshake if the driver was up, then the
   * doorbell goes, h2c_vdev_db −1, guest_ack 1, and (VOP) type −1. `then` runs at the end.
   */
  private unregister(dev: CardVdev, then: () => void): void {
    const { view } = this.d;
    const c = deviceCtrl.fields;
    const wasUp = (dev.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0;
    this.bound.delete(dev.offset);
    dev.bound = false;
    const finish = (): void => {
      if (!this.d.alive(this.gen)) return;
      dev.unbindLocal();
      this.d.doorbells.free(dev.h2cDb, dev.offset);
      writeField(view, dev.ctrl, c.h2c_vdev_db, MIC_DB_NONE);
      writeField(view, dev.ctrl, c.guest_ack, 1);
      writeField(view, this.dp + dev.offset, deviceDesc.fields.type, -1);
      this.d.sched.trace.record(this.d.who, `device type ${dev.type} @${dev.offset} removed`);
      then();
    };
    if (wasUp) dev.resetHandshake(finish);
    else finish();
  }

  /**
   * The card removes a device by itself (its driver unbinds): it writes DEV_REMOVE into the ctrl
   * block, processes it as if the host had asked, then clears config_change and guest_ack (facts
   * §6.7, the teardown path, for one device).
   */
  removeLocal(dev: CardVdev): boolean {
    if (this.bound.get(dev.offset) !== dev) return false;
    const { view } = this.d;
    const c = deviceCtrl.fields;
    writeField(view, dev.ctrl, c.config_change, MIC_VIRTIO_CONFIG_CHANGE_REMOVE);
    this.unregister(dev, () => {
      writeField(view, dev.ctrl, c.config_change, 0);
      writeField(view, dev.ctrl, c.guest_ack, 0);
    });
    return true;
  }

  /** driver teardown at shutdown: every bound device is removed locally, status back to 0 */
  teardown(): void {
    for (const dev of [...this.bound.values()]) {
      writeField(this.d.view, this.dp + dev.offset, deviceDesc.fields.status, 0);
      this.bound.delete(dev.offset);
      dev.bound = false;
      dev.unbindLocal();
      this.d.doorbells.free(dev.h2cDb, dev.offset);
      writeField(this.d.view, dev.ctrl, deviceCtrl.fields.h2c_vdev_db, MIC_DB_NONE);
    }
  }

  /** the card died: nothing is live, nothing is written */
  drop(): void {
    const devs = [...this.bound.values()];
    this.bound.clear();
    for (const dev of devs) {
      dev.bound = false;
      dev.unbindLocal();
    }
  }

  devices(): CardVdev[] {
    return [...this.bound.values()].sort((a, b) => a.offset - b.offset);
  }
}
