/** The virtio devices our mpssd offers by default (facts §8.2): console and net, 2 × 128 entries, feature_len 4. */
import type { VirtioDeviceSpec } from '../../model/contract.ts';

/** config_len follows the host uapi header (facts §5.3: varies); we use 12 for both [model choice] */
export const CONSOLE_DEVICE: VirtioDeviceSpec = { type: 3, numVq: 2, num: 128, featureLen: 4, configLen: 12 };
export const NET_DEVICE: VirtioDeviceSpec = { type: 1, numVq: 2, num: 128, featureLen: 4, configLen: 12 };
export const BLOCK_DEVICE: VirtioDeviceSpec = { type: 2, numVq: 1, num: 128, featureLen: 4, configLen: 60 };
export const DEFAULT_DEVICES: readonly VirtioDeviceSpec[] = [CONSOLE_DEVICE, NET_DEVICE];
