/**
 * Our mpssd's device part (facts §8.1–§8.4; issue 10 item 3), built only on the char device: per
 * card and device, open /dev/vop_virtio<N>, ADD_DEVICE with the desc block mpssd builds, map the
 * device page and ring blocks read-only, check each ring's magic, and run the device's loops.
 *
 * Lifecycle: a device stays added while the card resets, suspends, resumes or crashes: the host
 * resets it (status 0, info.avail_idx 0) and the card probes it again at its next boot, so the loops
 * only forget the chains they were in the middle of (the data they carry stays queued). `stop`
 * closes every fd (each close is a hot-remove); `start` adds them again (a daemon restart);
 * `restartDevice` does both for one device (a host-initiated hot-remove and re-add).
 *
 * Process context: `pump` issues calls that wait (COPY_DESC through DMA, close), so it runs
 * between scheduler steps, never inside an event (model/contract/vop.ts).
 */
import type {
  BlockBackend, DaemonCardConfig, DaemonDeviceStats, DeviceDaemon, MicSystem, VirtioDeviceSpec,
} from '../../model/contract.ts';
import { virtioBlkConfig, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_SECTOR_SIZE } from '../../model/layout/virtio-devices.ts';
import { POLLERR, POLLIN } from '../../model/constants/vop.ts';
import { BLOCK_DEVICE, CONSOLE_DEVICE, NET_DEVICE } from './devices.ts';
import { DaemonUser, descBlock, mmapLen } from './user.ts';
import { findEntry, liveEntries, RingView } from './ring-view.ts';
import type { DeviceLoop, LoopStats, Port } from './xfer.ts';
import { ConsoleLoop } from './console-loop.ts';
import { NetLoop } from './net-loop.ts';
import { BlockLoop, BLK_SEG_MAX } from './block-loop.ts';

/** the config space mpssd gives a disk (facts §8.2): capacity in sectors, seg_max, the rest 0 */
export function blockConfig(disk: BlockBackend, configLen: number): Uint8Array {
  const b = new Uint8Array(Math.max(configLen, virtioBlkConfig.size));
  const dv = new DataView(b.buffer);
  const f = virtioBlkConfig.fields;
  const capacity = Math.ceil(disk.sizeBytes / VIRTIO_BLK_SECTOR_SIZE);
  dv.setUint32(f.capacity.offset, capacity % 2 ** 32, true);
  dv.setUint32(f.capacity.offset + 4, Math.floor(capacity / 2 ** 32), true);
  dv.setUint32(f.seg_max.offset, BLK_SEG_MAX, true);
  return b.subarray(0, configLen);
}

export const blockFeatures = (disk: BlockBackend): number => (1 << VIRTIO_BLK_F_SEG_MAX) | (disk.readOnly ? 1 << VIRTIO_BLK_F_RO : 0);

interface Device {
  readonly card: number;
  readonly name: string;
  readonly spec: VirtioDeviceSpec;
  readonly features: number;
  readonly config: Uint8Array;
  readonly loop: DeviceLoop;
  port: Port | undefined;
  /** the device page offset of its entry, if known */
  entry: number | undefined;
  /** a poll said the card rang for it (or reset it) since the loop last ran */
  awake: boolean;
  /** poll says the device is gone (the card removed it) */
  gone: boolean;
  /** the last errno a call for it returned */
  lastErrno: string | undefined;
}

export class VopDaemon implements DeviceDaemon {
  private readonly user: DaemonUser;
  private readonly devs: Device[] = [];
  /** calls to pump that moved bytes, for figures */
  pumps = 0;

  constructor(
    private readonly sys: MicSystem,
    cards: readonly DaemonCardConfig[],
  ) {
    for (const c of cards) {
      const dev = (name: string, spec: VirtioDeviceSpec, loop: DeviceLoop, features = 0, config: Uint8Array = new Uint8Array(spec.configLen)): void =>
        void this.devs.push({ card: c.card, name, spec, features, config, loop, port: undefined, entry: undefined, awake: true, gone: false, lastErrno: undefined });
      if (c.console) dev('console', CONSOLE_DEVICE, new ConsoleLoop(c.console));
      if (c.net) dev('net', NET_DEVICE, new NetLoop(c.net));
      if (c.block) dev('block', BLOCK_DEVICE, new BlockLoop(c.block), blockFeatures(c.block), blockConfig(c.block, BLOCK_DEVICE.configLen));
    }
    this.user = new DaemonUser(sys, Math.max(1, this.devs.length));
  }

  start(): readonly string[] {
    const errors: string[] = [];
    for (const d of this.devs) {
      if (d.port !== undefined) continue;
      const e = this.add(d);
      if (e !== undefined) errors.push(e);
    }
    return errors;
  }

  private add(d: Device): string | undefined {
    const what = `mic${d.card} ${d.name}`;
    const fd = this.user.open(d.card);
    if (typeof fd === 'string') return `${what}: open /dev/vop_virtio${d.card}: ${fd}`;
    // the entries live before ADD_DEVICE, seen through a device of ours already on this card
    const other = this.devs.find((o) => o !== d && o.card === d.card && o.port !== undefined);
    const before = other === undefined ? [] : liveEntries(other.port!.ring.view);
    const slot = this.user.takeSlot();
    const fail = (e: string): string => {
      this.user.close(fd);
      this.user.giveSlot(slot);
      return `${what}: ${e}`;
    };
    const r = this.user.addDevice(fd, slot, descBlock(d.spec, d.features, d.config));
    if (!('ok' in r)) return fail(`ADD_DEVICE: ${r.errno}`);
    const view = this.user.mmap(fd, mmapLen(d.spec));
    if (typeof view === 'string') return fail(`mmap: ${view}`);
    const taken = new Set([...before, ...this.devs.filter((o) => o !== d && o.card === d.card && o.entry !== undefined).map((o) => o.entry!)]);
    const entry = findEntry(view, d.spec, taken);
    const ring = new RingView(view, d.spec, entry);
    for (let vq = 0; vq < d.spec.numVq; vq++) if (!ring.magicOk(vq)) return fail(`vring ${vq}: bad magic`);
    d.entry = entry;
    d.port = { user: this.user, fd, slot, ring, noteErrno: (e) => void (d.lastErrno = e) };
    d.awake = true;
    d.gone = false;
    d.loop.drop();
    return undefined;
  }

  private remove(d: Device): void {
    const p = d.port;
    if (p === undefined) return;
    d.port = undefined;
    d.entry = undefined;
    d.loop.drop();
    this.user.close(p.fd);
    this.user.giveSlot(p.slot);
  }

  stop(): void {
    for (const d of this.devs) this.remove(d);
  }

  /** host-initiated hot-remove of one device and its re-add (close, then open + ADD_DEVICE); errors as start's */
  restartDevice(card: number, type: number): readonly string[] {
    const out: string[] = [];
    for (const d of this.devs) {
      if (d.card !== card || d.spec.type !== type) continue;
      this.remove(d);
      const e = this.add(d);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  private live(d: Device): Port | undefined {
    return d.gone ? undefined : d.port;
  }

  /** read the poll state of every fd; true when some loop has something to do now */
  wants(): boolean {
    let any = false;
    for (const d of this.devs) {
      const p = this.live(d);
      if (p === undefined) continue;
      const ev = this.sys.vop.poll(p.fd);
      if ((ev & POLLERR) !== 0) d.gone = true;
      else if ((ev & POLLIN) !== 0) d.awake = true;
      if (d.awake || d.loop.wantsToSend(p)) any = true;
    }
    return any;
  }

  /** run the loops of the devices that have something to do (see `wants`) */
  pumpDue(): boolean {
    let moved = false;
    for (const d of this.devs) {
      const p = this.live(d);
      if (p === undefined || !(d.awake || d.loop.wantsToSend(p))) continue;
      // a loop that moved may have more (it stops after a burst): look again next time
      d.awake = d.loop.pump(p);
      if (d.awake) moved = true;
    }
    if (moved) this.pumps++;
    return moved;
  }

  pump(): boolean {
    for (const d of this.devs) d.awake = true;
    this.wants();
    return this.pumpDue();
  }

  /** the device-page offset the daemon took for its device of `type` on `card` (for observers) */
  entryOf(card: number, type: number): number | undefined {
    return this.devs.find((d) => d.card === card && d.spec.type === type)?.entry;
  }

  stats(card: number): readonly DaemonDeviceStats[] {
    return this.devs
      .filter((d) => d.card === card)
      .map((d) => {
        const s: LoopStats = d.loop.stats;
        const base = { type: d.spec.type, fd: d.port?.fd, toCard: s.toCard, fromCard: s.fromCard, refused: s.refused };
        return d.lastErrno === undefined ? base : { ...base, lastErrno: d.lastErrno };
      });
  }
}
