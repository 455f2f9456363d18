/**
 * Virtio over PCIe constants (facts §6.5, §6.6, §6.7), spelled as in include/uapi/linux/mic_ioctl.h
 * and drivers/misc/mic/vop. The ioctl numbers are _IOWR('s', nr, void *): the encoded size is that
 * of a pointer, so the 64-bit and 32-bit ABIs differ (size field 8 vs 4).
 */

/** _IOC encoding: dir 3 (read|write) << 30 | size << 16 | type 's' << 8 | nr */
const iowr = (nr: number, ptrSize: number): number => ((3 << 30) | (ptrSize << 16) | (0x73 << 8) | nr) >>> 0;

export const MIC_VIRTIO_ADD_DEVICE = iowr(1, 8);
export const MIC_VIRTIO_COPY_DESC = iowr(2, 8);
export const MIC_VIRTIO_CONFIG_CHANGE = iowr(5, 8);
/** the 32-bit ABI's numbers: not handled by a 64-bit kernel without compat, refused as unknown */
export const MIC_VIRTIO_ADD_DEVICE_32 = iowr(1, 4);
export const MIC_VIRTIO_COPY_DESC_32 = iowr(2, 4);
export const MIC_VIRTIO_CONFIG_CHANGE_32 = iowr(5, 4);

/** poll(2) bits the VOP char device returns (facts §6.5 poll) */
export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
/** poll(2) on an fd that is not open */
export const POLLNVAL = 0x020;

/** mmap protection bits */
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;

/** the per-vring bounce buffer (VOP_INT_DMA_BUF_SIZE, facts §6.2, §6.6) */
export const VOP_INT_DMA_BUF_SIZE = 64 * 1024;
/** copy alignment of the X100 DMA device: 2^copy_align = 64 bytes (facts §6.6) */
export const VOP_DMA_ALIGN = 64;
/** dma_sync_wait gives up after 5 s and returns DMA_ERROR (facts §6.6) */
export const VOP_DMA_WAIT_NS = 5_000_000_000;
/** enum dma_status DMA_ERROR: the positive value COPY_DESC returns when a DMA wait failed (facts §6.6) */
export const DMA_ERROR_STATUS = 3;
/** the host DMA channel VOP uses: host channel 0 of the card (facts §6.6) */
export const VOP_DMA_CHANNEL = 0;

/** vringh head value meaning "no chain held" (USHRT_MAX) */
export const VOP_NO_HEAD = 0xffff;

/** CONFIG_CHANGE waits for guest_ack: 100 polls of 100 ms (facts §6.5) */
export const VOP_CONFIG_ACK_POLLS = 100;
export const VOP_CONFIG_ACK_POLL_NS = 100_000_000;
/** hot-remove waits for guest_ack: VOP 15 polls of 1 s (facts §6.7) */
export const VOP_REMOVE_ACK_POLLS = 15;
export const VOP_REMOVE_ACK_POLL_NS = 1_000_000_000;
/** card reset handshake and used-address handshake: 100 polls of 100 ms (facts §6.3) */
export const VOP_CARD_HANDSHAKE_POLLS = 100;
export const VOP_CARD_HANDSHAKE_POLL_NS = 100_000_000;
