/**
 * The user-space structures of the VOP char device (facts §6.5), as the kernel copies them from the
 * caller's memory: `struct mic_copy_desc` (64-bit and 32-bit layouts), `struct iovec`, and the
 * ADD_DEVICE argument, which is a `mic_device_desc` block (model/layout/device-page.ts) — the
 * 8-byte header read first, then the whole desc_size block read again.
 */
import { defineLayout } from './table.ts';

/** struct mic_copy_desc, 64-bit layout (24 bytes; facts §6.5) */
export const micCopyDesc = defineLayout('mic_copy_desc', { size: 24, align: 8 }, {
  iov: { offset: 0, type: 'u64', doc: 'user pointer to an array of struct iovec' },
  iovcnt: { offset: 8, type: 'u32', doc: 'number of iovecs (unsigned)' },
  vr_idx: { offset: 12, type: 'u8', doc: 'vring index' },
  update_used: { offset: 13, type: 'u8', doc: 'non-zero: complete the chain into the used ring' },
  out_len: { offset: 16, type: 'u32', doc: 'OUT: bytes transferred by this call' },
});

/** struct mic_copy_desc, 32-bit layout (16 bytes; not accepted by the 64-bit interface) */
export const micCopyDesc32 = defineLayout('mic_copy_desc (32-bit)', { size: 16, align: 4 }, {
  iov: { offset: 0, type: 'u32' },
  iovcnt: { offset: 4, type: 'u32' },
  vr_idx: { offset: 8, type: 'u8' },
  update_used: { offset: 9, type: 'u8' },
  out_len: { offset: 12, type: 'u32' },
});

/** struct iovec, 64-bit (16 bytes) */
export const iovec = defineLayout('iovec', { size: 16, align: 8 }, {
  iov_base: { offset: 0, type: 'u64', doc: 'user pointer' },
  iov_len: { offset: 8, type: 'u64', doc: 'bytes' },
});
