/**
 * ADD_DEVICE for callers that hold a device spec rather than user memory (our mpssd inside the
 * simulation, `MicSystem.addDevice`): the spec becomes the desc block mpssd would build, written
 * into a small address space of the caller's, and goes through the card's char device like any
 * ioctl. The file stays open: closing it would remove the device (facts §6.5).
 */
import type { LifecycleErrno, MemPort, VirtioDeviceSpec, VopHost, VopHostFile } from '../../../model/contract.ts';
import { deviceDesc, descSize, vqConfig, vqConfigOffset } from '../../../model/layout/device-page.ts';
import { MIC_VIRTIO_ADD_DEVICE } from '../../../model/constants/vop.ts';

const isU8 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= 0xff;

/**
 * The desc header fields are u8 in C (type s8, facts §5.3) and vqconfig.num a u16: a C caller cannot
 * pass -1, 1.5 or 300. The spec API takes JS numbers, so a value its C field could not hold is EINVAL
 * rather than truncated. [model choice]
 */
function specFieldsFit(spec: VirtioDeviceSpec): boolean {
  return isU8(spec.type) && isU8(spec.numVq) && isU8(spec.featureLen) && isU8(spec.configLen) && Number.isInteger(spec.num) && spec.num >= 0 && spec.num <= 0xffff;
}

/** the desc block mpssd would pass for `spec`: header, every vq of `num` entries, zero features and config */
export function descBlockOf(spec: VirtioDeviceSpec): Uint8Array {
  const block = new Uint8Array(descSize(spec));
  const h = deviceDesc.fields;
  block[h.type.offset] = spec.type & 0xff;
  block[h.num_vq.offset] = spec.numVq;
  block[h.feature_len.offset] = spec.featureLen;
  block[h.config_len.offset] = spec.configLen;
  for (let i = 0; i < spec.numVq; i++) {
    const at = vqConfigOffset(i) + vqConfig.fields.num.offset;
    block[at] = spec.num & 0xff;
    block[at + 1] = spec.num >> 8;
  }
  return block;
}

/**
 * ADD_DEVICE of `spec` on a new file of `host`, whose user memory is `scratch` (at least 256 bytes):
 * the new entry's device-page offset, or the errno. The open file is handed to `keep`.
 */
export function addDeviceSpec(
  host: VopHost,
  scratch: MemPort,
  spec: VirtioDeviceSpec,
  keep: (file: VopHostFile) => void,
): { ok: true; offset: number } | { errno: LifecycleErrno } {
  if (!specFieldsFit(spec)) return { errno: 'EINVAL' };
  const before = new Set(host.devices().map((d) => d.offset));
  if (scratch.write(0, descBlockOf(spec)) !== undefined) return { errno: 'ENOMEM' };
  const file = host.open(scratch);
  const r = file.ioctl(MIC_VIRTIO_ADD_DEVICE, 0);
  if (!('ok' in r)) return { errno: r.errno === 'ENOMEM' ? 'ENOMEM' : 'EINVAL' };
  keep(file);
  const added = host.devices().find((d) => !before.has(d.offset));
  if (added === undefined) throw new Error('ADD_DEVICE succeeded but the host lists no new device');
  return { ok: true, offset: added.offset };
}
