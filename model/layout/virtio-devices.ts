/**
 * The per-device byte formats the card drivers and the daemon exchange (issue 10 item 1; facts §8.2,
 * §8.4; requirements NET-02, BLK-02, CON-03), as tables: the legacy `virtio_net_hdr` (10 bytes, no
 * num_buffers: MRG_RXBUF is not offered), `virtio_net_config`, `virtio_console_config`, the block
 * request header `virtio_blk_outhdr` and `virtio_blk_config` (the fields up to `wce`; a host's uapi
 * struct is longer and varies with its kernel headers, facts §5.3). Offsets are cross-checked
 * against the system's <linux/virtio_*.h> by model/layout/virtio-devices.test.ts.
 */
import { defineLayout } from './table.ts';

/** struct virtio_net_hdr (legacy, without num_buffers) */
export const virtioNetHdr = defineLayout('virtio_net_hdr', { size: 10, align: 2 }, {
  flags: { offset: 0, type: 'u8', doc: 'NEEDS_CSUM 1, DATA_VALID 2' },
  gso_type: { offset: 1, type: 'u8', doc: 'GSO_NONE 0, TCPV4 1, UDP 3, TCPV6 4, ECN 0x80' },
  hdr_len: { offset: 2, type: 'u16' },
  gso_size: { offset: 4, type: 'u16' },
  csum_start: { offset: 6, type: 'u16' },
  csum_offset: { offset: 8, type: 'u16' },
});

/** struct virtio_net_config, the fields a legacy card reads */
export const virtioNetConfig = defineLayout('virtio_net_config', { size: 12, align: 2 }, {
  mac: { offset: 0, type: 'bytes', size: 6, doc: 'valid with VIRTIO_NET_F_MAC' },
  status: { offset: 6, type: 'u16', doc: 'VIRTIO_NET_S_LINK_UP 1 (with VIRTIO_NET_F_STATUS)' },
  max_virtqueue_pairs: { offset: 8, type: 'u16' },
  mtu: { offset: 10, type: 'u16' },
});

/** struct virtio_console_config */
export const virtioConsoleConfig = defineLayout('virtio_console_config', { size: 12, align: 4 }, {
  cols: { offset: 0, type: 'u16' },
  rows: { offset: 2, type: 'u16' },
  max_nr_ports: { offset: 4, type: 'u32', doc: 'with VIRTIO_CONSOLE_F_MULTIPORT (not offered on MIC)' },
  emerg_wr: { offset: 8, type: 'u32' },
});

/** struct virtio_blk_outhdr: the 16-byte request header, device-readable */
export const virtioBlkOutHdr = defineLayout('virtio_blk_outhdr', { size: 16, align: 8 }, {
  type: { offset: 0, type: 'u32', doc: 'IN 0, OUT 1, FLUSH 4, GET_ID 8' },
  ioprio: { offset: 4, type: 'u32' },
  sector: { offset: 8, type: 'u64', doc: 'in 512-byte units' },
});

/** struct virtio_blk_config, up to and including `wce` (packed in Linux) */
export const virtioBlkConfig = defineLayout('virtio_blk_config', { size: 34, align: 1, packed: true }, {
  capacity: { offset: 0, type: 'u64', doc: '512-byte sectors' },
  size_max: { offset: 8, type: 'u32' },
  seg_max: { offset: 12, type: 'u32', doc: 'mpssd: 126 (128 − 2)' },
  cylinders: { offset: 16, type: 'u16' },
  heads: { offset: 18, type: 'u8' },
  sectors: { offset: 19, type: 'u8' },
  blk_size: { offset: 20, type: 'u32' },
  physical_block_exp: { offset: 24, type: 'u8' },
  alignment_offset: { offset: 25, type: 'u8' },
  min_io_size: { offset: 26, type: 'u16' },
  opt_io_size: { offset: 28, type: 'u32' },
  wce: { offset: 32, type: 'u8' },
});

/** block request types and status bytes (virtio_blk.h) */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;
export const VIRTIO_BLK_ID_BYTES = 20;
export const VIRTIO_BLK_SECTOR_SIZE = 512;
/** block feature bits (bit numbers, virtio_blk.h): mpssd offers SEG_MAX only (facts §8.2); RO is a disk's choice */
export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_FLUSH = 9;

/** net header flags */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** net feature bits (bit numbers, virtio_net.h) that matter to the card: MAC is not offered (facts §8.2) */
export const VIRTIO_NET_F_MAC = 5;
/** mpssd's receive buffer: round_up(65536 + 14, 64) (facts §8.4) */
export const MAX_NET_PKT_SIZE = 65600;
