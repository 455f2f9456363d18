/**
 * The device page (facts §5, legacy era): 4096 bytes of host memory shared with the card through the
 * SMPT window. A 16-byte `mic_bootparam` at offset 0, then a packed list of device entries, each a
 * `mic_device_desc` + vq configs + two feature bitmaps + config space (rounded to 8) + `mic_device_ctrl`.
 */
import { alignUp, defineLayout } from './table.ts';

export const MIC_DP_SIZE = 4096;
export const MIC_MAGIC = 0xc0ffee00;
/** MIC_MAX_DESC_BLK_SIZE: bound on the aligned desc size (ctrl not counted, facts §5.3) */
export const MIC_MAX_DESC_BLK_SIZE = 256;
/** a doorbell field holding −1 means "none" (s8) */
export const MIC_DB_NONE = -1;

/** struct mic_bootparam, legacy version (facts §5.1) */
export const bootParam = defineLayout('mic_bootparam', { size: 16, align: 8 }, {
  magic: { offset: 0, type: 'u32', doc: 'MIC_MAGIC, written by the host' },
  c2h_shutdown_db: { offset: 4, type: 's8', doc: 'host doorbell the card rings to report shutdown' },
  h2c_shutdown_db: { offset: 5, type: 's8', doc: 'card doorbell the host rings to request shutdown (−1 none)' },
  h2c_config_db: { offset: 6, type: 's8', doc: 'card doorbell for hot-plug / config events (−1 none)' },
  shutdown_status: { offset: 7, type: 'u8', doc: 'mic_status value written by the card' },
  shutdown_card: { offset: 8, type: 'u8', doc: 'host sets 1 to request a card shutdown' },
});

/** struct mic_device_desc header (facts §5.3) */
export const deviceDesc = defineLayout('mic_device_desc', { size: 8, align: 8 }, {
  type: { offset: 0, type: 's8', doc: 'virtio device id; 0 = end of list, −1 = removed' },
  num_vq: { offset: 1, type: 'u8' },
  feature_len: { offset: 2, type: 'u8', doc: 'bytes of each of the two feature bitmaps' },
  config_len: { offset: 3, type: 'u8' },
  status: { offset: 4, type: 'u8', doc: 'virtio status, written by the card' },
});

/** struct mic_vqconfig (facts §5.3) */
export const vqConfig = defineLayout('mic_vqconfig', { size: 24, align: 8 }, {
  address: { offset: 0, type: 'u64', doc: 'card-visible address of the host ring block' },
  used_address: { offset: 8, type: 'u64', doc: 'card physical address of the card-allocated used ring' },
  num: { offset: 16, type: 'u16', doc: 'ring entries' },
});

/** struct mic_device_ctrl (facts §5.3) */
export const deviceCtrl = defineLayout('mic_device_ctrl', { size: 16, align: 8 }, {
  vdev: { offset: 0, type: 'u64', doc: 'card-private handle' },
  config_change: { offset: 8, type: 'u8', doc: '1 DEV_REMOVE, 2 CONFIG_CHANGED' },
  vdev_reset: { offset: 9, type: 'u8' },
  guest_ack: { offset: 10, type: 'u8' },
  host_ack: { offset: 11, type: 'u8' },
  used_address_updated: { offset: 12, type: 'u8' },
  c2h_vdev_db: { offset: 13, type: 's8', doc: 'host doorbell the card rings for this device' },
  h2c_vdev_db: { offset: 14, type: 's8', doc: 'card doorbell the host rings for this device' },
});

export const MIC_VIRTIO_CONFIG_CHANGE_REMOVE = 1;
export const MIC_VIRTIO_CONFIG_CHANGED = 2;

/** the header fields that size an entry */
export interface DescShape {
  readonly numVq: number;
  readonly featureLen: number;
  readonly configLen: number;
}

/** mic_desc_size: 8 + 24·num_vq + 2·feature_len + config_len */
export const descSize = (d: DescShape): number => deviceDesc.size + vqConfig.size * d.numVq + 2 * d.featureLen + d.configLen;
/** mic_aligned_desc_size: rounded up to 8 (the ctrl block follows, 8-aligned) */
export const alignedDescSize = (d: DescShape): number => alignUp(descSize(d), 8);
/** mic_total_desc_size: aligned desc + mic_device_ctrl */
export const totalDescSize = (d: DescShape): number => alignedDescSize(d) + deviceCtrl.size;

/** offsets inside one entry, relative to the entry start */
export const vqConfigOffset = (i: number): number => deviceDesc.size + vqConfig.size * i;
export const hostFeaturesOffset = (d: DescShape): number => deviceDesc.size + vqConfig.size * d.numVq;
export const guestFeaturesOffset = (d: DescShape): number => hostFeaturesOffset(d) + d.featureLen;
export const configOffset = (d: DescShape): number => hostFeaturesOffset(d) + 2 * d.featureLen;
export const ctrlOffset = (d: DescShape): number => alignedDescSize(d);

/** first entry of the list (legacy bootparam is 16 bytes, facts §5) */
export const FIRST_ENTRY_OFFSET = bootParam.size;
