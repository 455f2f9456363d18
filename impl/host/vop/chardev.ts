/**
 * /dev/vop_virtio<N> (facts §6.5): open files, the three ioctls with every argument check in the
 * kernel's order and errno, poll, the read-only mmap of the device page and ring blocks, and close
 * (hot-remove). User memory is the caller's MemPort: structures are read from it exactly as the
 * kernel copies them (ADD_DEVICE's header twice), and a check that fails changes nothing.
 *
 * Two layers, as in the contract: `ReferenceVopHost` is one card's host VOP (a VopHost, what a
 * plug-in may replace through SystemConfig.hostVop), `VopCharDev` the system's fd table over the
 * host VOP of every card.
 */
import { PAGE_SIZE } from '../../../model/layout/table.ts';
import type {
  LiveDevice, MemPort, VopCharDevice, VopErrno, VopHost, VopHostEnv, VopHostFactory, VopHostFile, VopResult, VopStats,
} from '../../../model/contract.ts';
import { alignedDescSize, deviceDesc, descSize, MIC_DP_SIZE, MIC_MAX_DESC_BLK_SIZE } from '../../../model/layout/device-page.ts';
import { micCopyDesc } from '../../../model/layout/vop-user.ts';
import { MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_CONFIG_CHANGE, MIC_VIRTIO_COPY_DESC, POLLERR, POLLIN, POLLNVAL, POLLOUT, PROT_WRITE } from '../../../model/constants/vop.ts';
import { HostVop } from './host-vop.ts';
import { createDeviceRing } from '../../virtio/ring/device.ts';
import { shapeOf } from './add-device.ts';
import { ReadOnlyRegions } from './mmap.ts';
import type { HostVdev } from './vdev.ts';

const CD = micCopyDesc.fields;

interface OpenFile {
  readonly user: MemPort;
  vdev: HostVdev | undefined;
}

/** the reference host VOP of one card: its devices, and the files user space opens on its node */
export class ReferenceVopHost implements VopHost {
  readonly vop: HostVop;
  /** the kernel's on-stack copy of mic_copy_desc */
  private readonly copyBuf = new Uint8Array(micCopyDesc.size);
  private readonly copyView = new DataView(this.copyBuf.buffer);

  constructor(private readonly env: VopHostEnv) {
    this.vop = new HostVop({
      sched: env.sched,
      who: env.who,
      mem: env.hostMem,
      dp: env.dp,
      alloc: env,
      smpt: env.smpt,
      bar0: env.bar0,
      nextDb: () => env.nextDb(),
      onDoorbell: (db, cb) => env.onDoorbell(db, cb),
      sendIntr: (db) => env.sendIntr(db),
      createDeviceRing,
      dmaChan: () => env.dmaChan(),
    });
  }

  open(user: MemPort): VopHostFile {
    const f: OpenFile = { user, vdev: undefined };
    return {
      ioctl: (cmd, arg) => this.ioctl(f, cmd, arg),
      poll: () => this.poll(f),
      mmap: (offset, len, prot) => this.mmap(f, offset, len, prot),
      release: () => this.release(f),
      stats: () => f.vdev?.statsView(),
    };
  }

  resetDevices(): void {
    this.vop.resetDevices();
  }

  devices(): readonly LiveDevice[] {
    return this.vop.devices.map((v) => ({ type: v.type, offset: v.offset, numVq: v.numVq }));
  }

  private ioctl(f: OpenFile, cmd: number, arg: number): VopResult {
    const vop = this.vop;
    switch (cmd) {
      case MIC_VIRTIO_ADD_DEVICE:
        return this.addDevice(f, vop, arg);
      case MIC_VIRTIO_COPY_DESC:
        return this.copyDesc(f, vop, arg);
      case MIC_VIRTIO_CONFIG_CHANGE:
        return this.configChange(f, vop, arg);
      default:
        return { errno: 'ENOIOCTLCMD' };
    }
  }

  /** vop_vdev_inited: a device added on this file and still in the page */
  private inited(f: OpenFile, vop: HostVop): VopErrno | undefined {
    const dev = f.vdev;
    if (dev === undefined) return 'EINVAL';
    const type = dev.removed ? -1 : vop.typeOf(dev);
    if (type === 0) return 'EINVAL';
    if (type === -1) return 'ENODEV';
    return undefined;
  }

  private addDevice(f: OpenFile, vop: HostVop, arg: number): VopResult {
    // one open file, one device [README "Decisions": EBUSY]
    if (f.vdev !== undefined) return { errno: 'EBUSY' };
    const head = f.user.read(arg, deviceDesc.size);
    if (!(head instanceof Uint8Array)) return { errno: 'EFAULT' };
    const shape = shapeOf(head);
    if (HostVop.headerRefused(shape.type, shape.numVq, alignedDescSize(shape), MIC_MAX_DESC_BLK_SIZE)) return { errno: 'EINVAL' };
    // memdup_user of the whole block: the header is read a second time and must not have changed
    const block = f.user.read(arg, descSize(shape));
    if (!(block instanceof Uint8Array)) return { errno: 'EFAULT' };
    for (let i = 0; i < deviceDesc.size; i++) if (block[i] !== head[i]) return { errno: 'EINVAL' };
    const r = vop.addDesc(block);
    if ('errno' in r) return r;
    f.vdev = r.vdev;
    return { ok: true, value: 0 };
  }

  private copyDesc(f: OpenFile, vop: HostVop, arg: number): VopResult {
    const bad = this.inited(f, vop);
    if (bad !== undefined) return { errno: bad };
    const dev = f.vdev!;
    // copy_from_user of the whole struct: one access, which faults as a whole
    if (f.user.readInto(arg, this.copyBuf) !== undefined) return { errno: 'EFAULT' };
    const dv = this.copyView;
    // a user pointer above 2^53 cannot name mapped memory: it faults like one in a hole
    const iov = dv.getUint32(CD.iov.offset, true) + dv.getUint32(CD.iov.offset + 4, true) * 2 ** 32;
    const iovcnt = dv.getUint32(CD.iovcnt.offset, true);
    const vrIdx = dv.getUint8(CD.vr_idx.offset);
    const updateUsed = dv.getUint8(CD.update_used.offset) !== 0;
    // bounded by the host's own num_vq: the header byte in the page is the card's to overwrite
    if (vrIdx >= dev.numVq) return { errno: 'EINVAL' };
    if (vop.statusOf(dev) === 0) return { errno: 'ENODEV' };
    const out = vop.copy(dev, vrIdx, f.user, iov, iovcnt, updateUsed);
    if (typeof out.ret === 'string') return { errno: out.ret };
    // only out_len is written back, and only on success
    if (f.user.write32(arg + CD.out_len.offset, out.outLen) !== undefined) return { errno: 'EFAULT' };
    return { ok: true, value: out.ret };
  }

  private configChange(f: OpenFile, vop: HostVop, arg: number): VopResult {
    const bad = this.inited(f, vop);
    if (bad !== undefined) return { errno: bad };
    const dev = f.vdev!;
    // config_len as the host sized the entry, not as the card may have rewritten it
    const bytes = f.user.read(arg, dev.shape.configLen);
    if (!(bytes instanceof Uint8Array)) return { errno: 'EFAULT' };
    return vop.configChange(dev, bytes, (ns) => this.env.sleep(ns));
  }

  private poll(f: OpenFile): number {
    const vop = this.vop;
    if (this.inited(f, vop) !== undefined) return POLLERR;
    const dev = f.vdev!;
    if (!dev.pollWake) return 0;
    dev.pollWake = false;
    return POLLIN | POLLOUT;
  }

  private mmap(f: OpenFile, offset: number, len: number, prot: number): { ok: true; view: MemPort } | { errno: VopErrno } {
    const vop = this.vop;
    const bad = this.inited(f, vop);
    if (bad !== undefined) return { errno: bad };
    if ((prot & PROT_WRITE) !== 0) return { errno: 'EACCES' };
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(len) || offset < 0 || len <= 0 || offset % PAGE_SIZE !== 0) return { errno: 'EINVAL' };
    // mmap(2) maps whole pages
    len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
    // vop_query_offset: the device page at 0, then each ring block right after the previous one
    const regions: { off: number; addr: number; len: number }[] = [{ off: 0, addr: this.env.dp, len: MIC_DP_SIZE }];
    let start = MIC_DP_SIZE;
    for (const b of vop.ringBlocks(f.vdev!)) {
      regions.push({ off: start, addr: b.addr, len: b.len });
      start += b.len;
    }
    const pieces: { base: number; addr: number; len: number }[] = [];
    for (let at = offset; at < offset + len; ) {
      const r = regions.find((x) => x.off === at);
      if (r === undefined || at + r.len > offset + len) return { errno: 'EINVAL' };
      pieces.push({ base: at - offset, addr: r.addr, len: r.len });
      at += r.len;
    }
    return { ok: true, view: new ReadOnlyRegions(`vop_virtio${this.env.card} mmap@${offset}`, len, this.env.hostMem, pieces) };
  }

  /** the last close: a device on the file is hot-removed (facts §6.7) */
  private release(f: OpenFile): VopResult {
    if (f.vdev !== undefined && !f.vdev.removed) this.vop.remove(f.vdev, (ns) => this.env.sleep(ns));
    return { ok: true, value: 0 };
  }
}

export const referenceVopHost: VopHostFactory = (env) => new ReferenceVopHost(env);

/** /dev/vop_virtio<N> of every card: the system's open files, each on its card's host VOP */
export class VopCharDev implements VopCharDevice {
  private readonly files = new Map<number, VopHostFile>();
  private nextFd = 3;

  /** `hostOf(card)`: the host VOP of card N, undefined if there is no such card */
  constructor(private readonly hostOf: (card: number) => VopHost | undefined) {}

  open(card: number, user: MemPort): { ok: true; fd: number } | { errno: VopErrno } {
    const host = this.hostOf(card);
    if (host === undefined) return { errno: 'ENODEV' };
    const fd = this.nextFd++;
    this.files.set(fd, host.open(user));
    return { ok: true, fd };
  }

  ioctl(fd: number, cmd: number, arg: number): VopResult {
    const f = this.files.get(fd);
    if (f === undefined) return { errno: 'EBADF' };
    return f.ioctl(cmd, arg);
  }

  poll(fd: number): number {
    const f = this.files.get(fd);
    if (f === undefined) return POLLNVAL;
    return f.poll();
  }

  mmap(fd: number, offset: number, len: number, prot: number): { ok: true; view: MemPort } | { errno: VopErrno } {
    const f = this.files.get(fd);
    if (f === undefined) return { errno: 'EBADF' };
    return f.mmap(offset, len, prot);
  }

  close(fd: number): VopResult {
    const f = this.files.get(fd);
    if (f === undefined) return { errno: 'EBADF' };
    this.files.delete(fd);
    return f.release();
  }

  stats(fd: number): VopStats | undefined {
    return this.files.get(fd)?.stats();
  }
}
