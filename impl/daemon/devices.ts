/** The virtio devices our mpssd offers by default (facts §8.2): console and net, 2 × 128 entries, feature_len 4. */
import type { VirtioDeviceSpec } from '../../model/contract.ts';
import { MIC_VRING_ENTRIES, VIRTIO_ID_BLOCK, VIRTIO_ID_CONSOLE, VIRTIO_ID_NET } from '../../model/constants/virtio.ts';

/** config_len follows the host uapi header (facts §5.3: varies); we use 12 for both [model choice] */
export const CONSOLE_DEVICE: VirtioDeviceSpec = { type: VIRTIO_ID_CONSOLE, numVq: 2, num: MIC_VRING_ENTRIES, featureLen: 4, configLen: 12 };
export const NET_DEVICE: VirtioDeviceSpec = { type: VIRTIO_ID_NET, numVq: 2, num: MIC_VRING_ENTRIES, featureLen: 4, configLen: 12 };
export const BLOCK_DEVICE: VirtioDeviceSpec = { type: VIRTIO_ID_BLOCK, numVq: 1, num: MIC_VRING_ENTRIES, featureLen: 4, configLen: 60 };
export const DEFAULT_DEVICES: readonly VirtioDeviceSpec[] = [CONSOLE_DEVICE, NET_DEVICE];
