/**
 * A minimal host user process for the card drivers' unit tests: it opens /dev/vop_virtio<N> with an
 * address space of its own, adds devices with a desc block (as mpssd builds it, through the device
 * page tables) and moves bytes with COPY_DESC over iovecs it lays out in its memory (facts §6.5,
 * §8.3). Test support only: the real host daemon is impl/daemon/.
 */
import type { MemPort, MicSystem, VirtioDeviceSpec, VopResult } from '../../model/contract.ts';
import { deviceDesc, descSize, hostFeaturesOffset, vqConfig, vqConfigOffset } from '../../model/layout/device-page.ts';
import { iovec, micCopyDesc } from '../../model/layout/vop-user.ts';
import { MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_COPY_DESC } from '../../model/constants/vop.ts';
import { createSparseMemory } from '../memory/index.ts';

const DESC_AT = 0;
const COPY_AT = 0x1000;
const IOV_AT = 0x2000;
/** user buffers start here */
export const USER_DATA = 0x10000;
const USER_SIZE = 0x100000 + USER_DATA;

/** the devices as mpssd offers them (facts §8.2; config_len as impl/daemon/devices.ts) */
export const CONSOLE: VirtioDeviceSpec = { type: 3, numVq: 2, num: 128, featureLen: 4, configLen: 12 };
export const NET: VirtioDeviceSpec = { type: 1, numVq: 2, num: 128, featureLen: 4, configLen: 12 };
export const BLOCK: VirtioDeviceSpec = { type: 2, numVq: 1, num: 128, featureLen: 4, configLen: 60 };

/** the desc block of ADD_DEVICE: header, vqconfigs with num, host feature bitmap, config bytes */
export function descBlock(spec: VirtioDeviceSpec, features = 0, config?: Uint8Array): Uint8Array {
  const shape = { numVq: spec.numVq, featureLen: spec.featureLen, configLen: spec.configLen };
  const b = new Uint8Array(descSize(shape));
  const dv = new DataView(b.buffer);
  const h = deviceDesc.fields;
  b[h.type.offset] = spec.type;
  b[h.num_vq.offset] = spec.numVq;
  b[h.feature_len.offset] = spec.featureLen;
  b[h.config_len.offset] = spec.configLen;
  for (let i = 0; i < spec.numVq; i++) dv.setUint16(vqConfigOffset(i) + vqConfig.fields.num.offset, spec.num, true);
  for (let i = 0; i < Math.min(4, spec.featureLen); i++) b[hostFeaturesOffset(shape) + i] = (features >>> (8 * i)) & 0xff;
  if (config) b.set(config.subarray(0, spec.configLen), descSize(shape) - spec.configLen);
  return b;
}

export class HostUser {
  readonly mem: MemPort;

  constructor(
    readonly sys: MicSystem,
    readonly card = 0,
  ) {
    this.mem = createSparseMemory(USER_SIZE, 'test-user');
  }

  /** open + ADD_DEVICE; the fd */
  add(spec: VirtioDeviceSpec, features = 0, config?: Uint8Array): number {
    const o = this.sys.vop.open(this.card, this.mem);
    if (!('ok' in o)) throw new Error(`open: ${o.errno}`);
    this.mem.write(DESC_AT, descBlock(spec, features, config));
    const r = this.sys.vop.ioctl(o.fd, MIC_VIRTIO_ADD_DEVICE, DESC_AT);
    if (!('ok' in r)) throw new Error(`ADD_DEVICE: ${r.errno}`);
    return o.fd;
  }

  /** COPY_DESC over `lens` bytes of iovecs laid out from USER_DATA (or at the bases given) */
  copy(fd: number, vr: number, iovs: readonly { base: number; len: number }[], updateUsed: boolean): { r: VopResult; outLen: number } {
    iovs.forEach((v, i) => {
      this.mem.write64(IOV_AT + i * iovec.size + iovec.fields.iov_base.offset, v.base);
      this.mem.write64(IOV_AT + i * iovec.size + iovec.fields.iov_len.offset, v.len);
    });
    const f = micCopyDesc.fields;
    this.mem.write64(COPY_AT + f.iov.offset, IOV_AT);
    this.mem.write32(COPY_AT + f.iovcnt.offset, iovs.length);
    this.mem.write8(COPY_AT + f.vr_idx.offset, vr);
    this.mem.write8(COPY_AT + f.update_used.offset, updateUsed ? 1 : 0);
    this.mem.write32(COPY_AT + f.out_len.offset, 0);
    const r = this.sys.vop.ioctl(fd, MIC_VIRTIO_COPY_DESC, COPY_AT);
    const out = this.mem.read32(COPY_AT + f.out_len.offset);
    return { r, outLen: typeof out === 'number' ? out : -1 };
  }

  /** send `bytes` into the next card buffer of vr (one chain), completing it */
  put(fd: number, vr: number, bytes: Uint8Array): number {
    this.mem.write(USER_DATA, bytes);
    const { r, outLen } = this.copy(fd, vr, [{ base: USER_DATA, len: bytes.length }], true);
    if (!('ok' in r)) throw new Error(`COPY_DESC: ${r.errno}`);
    return outLen;
  }

  /** take the next card buffer of vr (up to `max` bytes), completing it; undefined when none is available */
  take(fd: number, vr: number, max = 0x11000): Uint8Array | undefined {
    const { r, outLen } = this.copy(fd, vr, [{ base: USER_DATA, len: max }], true);
    if (!('ok' in r)) throw new Error(`COPY_DESC: ${r.errno}`);
    return outLen === 0 ? undefined : this.read(USER_DATA, outLen);
  }

  read(addr: number, len: number): Uint8Array {
    const b = this.mem.read(addr, len);
    if (!(b instanceof Uint8Array)) throw new Error('user read faulted');
    return b;
  }
}
