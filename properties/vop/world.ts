/**
 * The VOP properties' world: a system with one card booted, a user process whose address space has
 * holes (so every bad pointer is a real fault), and helpers that lay ioctl arguments out in that
 * memory through the byte tables, exactly as a C caller would.
 */
import type { CardVirtioDevice, Implementation, MemPort, MicSystem, VirtioDeviceSpec, VopResult } from '../../model/contract.ts';
import { deviceDesc, descSize, vqConfig, vqConfigOffset, hostFeaturesOffset } from '../../model/layout/device-page.ts';
import { iovec, micCopyDesc } from '../../model/layout/vop-user.ts';
import { MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_CONFIG_CHANGE, MIC_VIRTIO_COPY_DESC } from '../../model/constants/vop.ts';

/** the user address space: 1 TiB with two mapped areas and holes everywhere else */
export const USER_SIZE = 2 ** 40;
/** where the world puts ioctl structures (mic_copy_desc, desc blocks, iovec arrays) */
export const ARGS = 0x10_0000;
export const ARGS_LEN = 0x10_0000;
/** user buffers */
export const DATA = 0x100_0000;
export const DATA_LEN = 0x100_0000;
/** an address in a hole */
export const HOLE = 0x80_0000_0000;

const DESC_AT = ARGS;
const COPY_AT = ARGS + 0x1000;
const IOV_AT = ARGS + 0x2000;
const CONFIG_AT = ARGS + 0x8000;

export interface Iov {
  readonly base: number;
  readonly len: number;
}

/** the desc block mpssd builds: header, vqconfigs with num, feature bitmaps, config bytes */
export function descBlock(spec: VirtioDeviceSpec, features = 0, config?: Uint8Array): Uint8Array {
  const shape = { numVq: spec.numVq, featureLen: spec.featureLen, configLen: spec.configLen };
  const b = new Uint8Array(descSize(shape));
  const h = deviceDesc.fields;
  b[h.type.offset] = spec.type & 0xff;
  b[h.num_vq.offset] = spec.numVq & 0xff;
  b[h.feature_len.offset] = spec.featureLen & 0xff;
  b[h.config_len.offset] = spec.configLen & 0xff;
  const dv = new DataView(b.buffer);
  for (let i = 0; i < spec.numVq; i++) dv.setUint16(vqConfigOffset(i) + vqConfig.fields.num.offset, spec.num & 0xffff, true);
  for (let i = 0; i < Math.min(4, spec.featureLen); i++) b[hostFeaturesOffset(shape) + i] = (features >>> (8 * i)) & 0xff;
  if (config) b.set(config.subarray(0, spec.configLen), descSize(shape) - spec.configLen);
  return b;
}

export class VopWorld {
  readonly user: MemPort;
  readonly backing: MemPort;
  fd: number;

  constructor(
    readonly impl: Implementation,
    readonly sys: MicSystem,
  ) {
    const mem = impl.memory!;
    this.backing = mem.createSparseMemory(ARGS_LEN + DATA_LEN, 'user-ram');
    const view = mem.createWindowedView(USER_SIZE, 'user');
    view.map({ base: ARGS, len: ARGS_LEN, port: this.backing, target: 0, label: 'args' });
    view.map({ base: DATA, len: DATA_LEN, port: this.backing, target: ARGS_LEN, label: 'data' });
    this.user = view;
    this.fd = this.open();
  }

  open(): number {
    const r = this.sys.vop.open(0, this.user);
    if (!('ok' in r)) throw new Error(`open /dev/vop_virtio0 failed: ${r.errno}`);
    return r.fd;
  }

  /** ADD_DEVICE with the block at `at` (default: the world's desc slot) */
  addBlock(block: Uint8Array, fd = this.fd, at = DESC_AT): VopResult {
    if (at >= ARGS && at + block.length <= ARGS + ARGS_LEN) this.user.write(at, block);
    return this.sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE, at);
  }

  add(spec: VirtioDeviceSpec, features = 0, fd = this.fd): VopResult {
    return this.addBlock(descBlock(spec, features), fd);
  }

  /** lay out iovecs and a mic_copy_desc, COPY_DESC, and read out_len back */
  copy(vrIdx: number, iovs: readonly Iov[], updateUsed: boolean, opts: { fd?: number; iovAt?: number; copyAt?: number; iovcnt?: number } = {}): { r: VopResult; outLen: number } {
    const iovAt = opts.iovAt ?? IOV_AT;
    const copyAt = opts.copyAt ?? COPY_AT;
    iovs.forEach((v, i) => {
      this.user.write64(iovAt + i * iovec.size + iovec.fields.iov_base.offset, v.base);
      this.user.write64(iovAt + i * iovec.size + iovec.fields.iov_len.offset, v.len);
    });
    const f = micCopyDesc.fields;
    this.user.write64(copyAt + f.iov.offset, iovAt);
    this.user.write32(copyAt + f.iovcnt.offset, opts.iovcnt ?? iovs.length);
    this.user.write8(copyAt + f.vr_idx.offset, vrIdx);
    this.user.write8(copyAt + f.update_used.offset, updateUsed ? 1 : 0);
    this.user.write32(copyAt + f.out_len.offset, 0xdead);
    const r = this.sys.vop.ioctl(opts.fd ?? this.fd, MIC_VIRTIO_COPY_DESC, copyAt);
    const out = this.user.read32(copyAt + f.out_len.offset);
    return { r, outLen: typeof out === 'number' ? out : -1 };
  }

  configChange(bytes: Uint8Array, fd = this.fd): VopResult {
    this.user.write(CONFIG_AT, bytes);
    return this.sys.vop.ioctl(fd, MIC_VIRTIO_CONFIG_CHANGE, CONFIG_AT);
  }

  /** the card-side device at `offset` (or the first) */
  cardDevice(offset?: number): CardVirtioDevice | undefined {
    const devs = this.sys.cardVirtio(0);
    return offset === undefined ? devs[0] : devs.find((d) => d.offset === offset);
  }

  readUser(addr: number, len: number): Uint8Array {
    const r = this.user.read(addr, len);
    if (!(r instanceof Uint8Array)) throw new Error(`user read [0x${addr.toString(16)}, +${len}) faulted`);
    return r;
  }
}

/** a system with card 0 online (no daemon: the test is user space) */
export function bootedWorld(impl: Implementation, opts: { dma: boolean; choices?: import('../../model/contract.ts').ChoiceSource; accessLogs?: boolean }): VopWorld {
  const sys = impl.system!.createSystem({
    trace: false,
    dma: opts.dma,
    ...(opts.choices ? { choices: opts.choices } : {}),
    ...(opts.accessLogs !== undefined ? { accessLogs: opts.accessLogs } : {}),
  });
  const r = sys.writeAttr(0, 'state', 'boot');
  if (!('ok' in r)) throw new Error(`boot refused: ${r.errno}`);
  sys.settle();
  if (sys.observe.state(0) !== 'online') throw new Error(`card is ${sys.observe.state(0)} after boot`);
  return new VopWorld(impl, sys);
}
