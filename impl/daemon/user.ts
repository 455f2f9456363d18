/**
 * The daemon's own process: one user address space shared by every device it serves (a sparse RAM
 * behind a windowed view, so an address outside the areas it laid out faults as it would in C) and
 * the system-call helpers mpssd has (facts §6.5, §8.3): open, ADD_DEVICE with a desc block built
 * through the byte tables, COPY_DESC with `mic_copy_desc` and the iovec array laid out in this
 * memory, the read-only mmap of the device page and ring blocks.
 */
import type { MemPort, MicSystem, VirtioDeviceSpec, VopErrno, VopResult } from '../../model/contract.ts';
import { deviceDesc, descSize, hostFeaturesOffset, MIC_DP_SIZE, vqConfig, vqConfigOffset } from '../../model/layout/device-page.ts';
import { iovec, micCopyDesc } from '../../model/layout/vop-user.ts';
import { micRingBlockSize } from '../../model/layout/vring.ts';
import { MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_COPY_DESC, PROT_READ } from '../../model/constants/vop.ts';
import { SparseMemoryImpl, WindowedViewImpl } from '../memory/index.ts';

/** one iovec: a user buffer */
export interface Iov {
  readonly base: number;
  readonly len: number;
}

/** a COPY_DESC outcome: the call's result and out_len (0 when the call failed) */
export interface CopyResult {
  readonly r: VopResult;
  readonly outLen: number;
}

/** every device gets a slot of this many bytes of user memory (its arguments and buffers) */
export const SLOT_BYTES = 16 * 2 ** 20;
/** where the first slot starts; below it nothing is mapped (a NULL pointer faults) */
const FIRST_SLOT = SLOT_BYTES;
/** inside a slot: the desc block, mic_copy_desc, the iovec array, then the buffers */
const DESC_AT = 0;
const COPY_AT = 0x400;
const IOV_AT = 0x800;
const IOV_MAX = 128;
/** the first byte of a slot's buffers (page aligned) */
export const SLOT_DATA = 0x1000;

const CD = micCopyDesc.fields;
const IOV_BASE = iovec.fields.iov_base.offset;
const IOV_LEN = iovec.fields.iov_len.offset;

/**
 * a 64-bit little-endian store of a non-negative safe integer as two 32-bit halves: the same bytes
 * as write64, without the BigInt it takes a number through (three of these per COPY_DESC)
 */
function put64(m: MemPort, at: number, v: number): void {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    m.write32(at, v >>> 0);
    m.write32(at + 4, Math.floor(v / 2 ** 32));
  } else m.write64(at, v);
}

/** the desc block mpssd builds (facts §8.2): header, vqconfigs with num, host features, config bytes */
export function descBlock(spec: VirtioDeviceSpec, features: number, config: Uint8Array): Uint8Array {
  const b = new Uint8Array(descSize(spec));
  const h = deviceDesc.fields;
  b[h.type.offset] = spec.type & 0xff;
  b[h.num_vq.offset] = spec.numVq;
  b[h.feature_len.offset] = spec.featureLen;
  b[h.config_len.offset] = spec.configLen;
  const dv = new DataView(b.buffer);
  for (let i = 0; i < spec.numVq; i++) dv.setUint16(vqConfigOffset(i) + vqConfig.fields.num.offset, spec.num, true);
  const feat = hostFeaturesOffset(spec);
  for (let i = 0; i < Math.min(4, spec.featureLen); i++) b[feat + i] = (features >>> (8 * i)) & 0xff;
  b.set(config.subarray(0, spec.configLen), descSize(spec) - spec.configLen);
  return b;
}

/** what mpssd maps per device: the device page and every ring block (facts §8.3) */
export const mmapLen = (spec: VirtioDeviceSpec): number => MIC_DP_SIZE + spec.numVq * micRingBlockSize(spec.num);

/** the daemon's address space and its calls into the char device */
export class DaemonUser {
  readonly mem: MemPort;
  private readonly free: number[] = [];
  private nextSlot = 0;

  constructor(
    private readonly sys: MicSystem,
    readonly slots: number,
  ) {
    const ram = new SparseMemoryImpl(slots * SLOT_BYTES, 'mpssd.ram');
    const view = new WindowedViewImpl(FIRST_SLOT + slots * SLOT_BYTES, 'mpssd');
    view.map({ base: FIRST_SLOT, len: slots * SLOT_BYTES, port: ram, target: 0, label: 'heap' });
    this.mem = view;
  }

  /** a slot's base address (a device's private arguments and buffers) */
  takeSlot(): number {
    const i = this.free.pop() ?? this.nextSlot++;
    if (i >= this.slots) throw new Error(`mpssd: more than ${this.slots} devices`);
    return FIRST_SLOT + i * SLOT_BYTES;
  }

  giveSlot(base: number): void {
    this.free.push((base - FIRST_SLOT) / SLOT_BYTES);
  }

  open(card: number): number | VopErrno {
    const r = this.sys.vop.open(card, this.mem);
    return 'ok' in r ? r.fd : r.errno;
  }

  addDevice(fd: number, slot: number, block: Uint8Array): VopResult {
    this.mem.write(slot + DESC_AT, block);
    return this.sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE, slot + DESC_AT);
  }

  mmap(fd: number, len: number): MemPort | VopErrno {
    const r = this.sys.vop.mmap(fd, 0, len, PROT_READ);
    return 'ok' in r ? r.view : r.errno;
  }

  /** COPY_DESC on vring `vr` over `iovs` (laid out in the slot), out_len read back */
  copy(fd: number, slot: number, vr: number, iovs: readonly Iov[], updateUsed: boolean): CopyResult {
    const m = this.mem;
    const n = Math.min(iovs.length, IOV_MAX);
    for (let i = 0; i < n; i++) {
      const at = slot + IOV_AT + i * iovec.size;
      put64(m, at + IOV_BASE, iovs[i]!.base);
      put64(m, at + IOV_LEN, iovs[i]!.len);
    }
    const arg = slot + COPY_AT;
    put64(m, arg + CD.iov.offset, slot + IOV_AT);
    m.write32(arg + CD.iovcnt.offset, n);
    m.write8(arg + CD.vr_idx.offset, vr);
    m.write8(arg + CD.update_used.offset, updateUsed ? 1 : 0);
    m.write32(arg + CD.out_len.offset, 0);
    const r = this.sys.vop.ioctl(fd, MIC_VIRTIO_COPY_DESC, arg);
    if (!('ok' in r)) return { r, outLen: 0 };
    const out = m.read32(arg + CD.out_len.offset);
    return { r, outLen: typeof out === 'number' ? out : 0 };
  }

  close(fd: number): VopResult {
    return this.sys.vop.close(fd);
  }
}
