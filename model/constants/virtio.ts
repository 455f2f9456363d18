/**
 * Virtio constants spelled as in the Linux UAPI headers (virtio_config.h, virtio_ring.h) and the
 * requirement ids of reference/virtio-requirements.md that ring and status errors cite.
 */
import type { RequirementId } from '../requirements.ts';

/** device types (virtio_ids.h) of the devices mpssd offers (facts §8.2) */
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;

/** device_status bits (requirements §3.1; STATUS-01) */
export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 0x01;
export const VIRTIO_CONFIG_S_DRIVER = 0x02;
export const VIRTIO_CONFIG_S_DRIVER_OK = 0x04;
/** not in the legacy interface (LEG-03) */
export const VIRTIO_CONFIG_S_FEATURES_OK = 0x08;
export const VIRTIO_CONFIG_S_NEEDS_RESET = 0x40;
export const VIRTIO_CONFIG_S_FAILED = 0x80;

/** generic feature bits (requirements §3.2); bit numbers, not masks */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24;
export const VIRTIO_F_ANY_LAYOUT = 27;
export const VIRTIO_RING_F_INDIRECT_DESC = 28;
export const VIRTIO_RING_F_EVENT_IDX = 29;
export const VIRTIO_F_BAD_FEATURE = 30;
export const VIRTIO_F_VERSION_1 = 32;
export const VIRTIO_F_RING_PACKED = 34;

/** descriptor flags (RING-04) */
export const VRING_DESC_F_NEXT = 1;
export const VRING_DESC_F_WRITE = 2;
export const VRING_DESC_F_INDIRECT = 4;
/** avail.flags (NOTIF-01) */
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** used.flags (NOTIF-03) */
export const VRING_USED_F_NO_NOTIFY = 1;

/** largest split-ring queue size (RING-01) */
export const VIRTQUEUE_MAX_SIZE = 32768;
/** legacy ring alignment and PFN shift (LEG-02; facts §5.3 MIC_VIRTIO_RING_ALIGN) */
export const VIRTIO_PCI_VRING_ALIGN = 4096;
/** a chain carries at most 2^32 bytes in total (RING-08) */
export const VRING_MAX_CHAIN_BYTES = 2 ** 32;
/** free-running ring indices are 16 bits wide (RING-13) */
export const VRING_IDX_MOD = 0x10000;

/** MIC limits (facts §5.3, §11) */
export const MIC_MAX_VRINGS = 4;
export const MIC_MAX_VRING_ENTRIES = 128;
export const MIC_VRING_ENTRIES = 128;
export const MIC_VIRTIO_RING_ALIGN = 4096;
export const MIC_MAGIC = 0xc0ffee00;
/** head value meaning "no chain held" in the host VRINGH state (facts §6.4) */
export const MIC_NO_HEAD = 0xffff;

/** requirement ids cited by typed errors (model/requirements.ts) */
export const REQ = {
  queueSize: 'RING-01',
  areaAlign: 'RING-02',
  descFormat: 'RING-04',
  readBeforeWrite: 'RING-05',
  chainLimit: 'RING-08',
  nextIndex: 'RING-09',
  indirect: 'RING-10',
  indirectTable: 'RING-11',
  availRing: 'RING-13',
  availIdx: 'RING-14',
  usedRing: 'RING-15',
  inFlight: 'RING-19',
  /** device accesses only what the platform translated for it (the MIC BAR0/SMPT windows) */
  window: 'FEAT-06',
  statusOrder: 'STATUS-02',
  failed: 'STATUS-06',
  needsReset: 'STATUS-07',
  reset: 'RESET-01',
  featSubset: 'FEAT-01',
  featRefuse: 'FEAT-02',
  featFrozen: 'FEAT-03',
  legacyInit: 'LEG-03',
} as const satisfies Readonly<Record<string, RequirementId>>;
