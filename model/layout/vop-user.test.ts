import { describe, expect, test } from 'vitest';
import { iovec, micCopyDesc, micCopyDesc32 } from './vop-user.ts';
import {
  MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_ADD_DEVICE_32, MIC_VIRTIO_CONFIG_CHANGE, MIC_VIRTIO_CONFIG_CHANGE_32, MIC_VIRTIO_COPY_DESC, MIC_VIRTIO_COPY_DESC_32,
} from '../constants/vop.ts';

describe('VOP user structures (facts §6.5)', () => {
  test('mic_copy_desc: 24 bytes in the 64-bit layout, 16 in the 32-bit one, fields at the facts offsets', () => {
    expect(micCopyDesc.size).toBe(24);
    expect([micCopyDesc.fields.iov.offset, micCopyDesc.fields.iovcnt.offset, micCopyDesc.fields.vr_idx.offset, micCopyDesc.fields.update_used.offset, micCopyDesc.fields.out_len.offset]).toEqual([0, 8, 12, 13, 16]);
    expect(micCopyDesc32.size).toBe(16);
    expect([micCopyDesc32.fields.iovcnt.offset, micCopyDesc32.fields.vr_idx.offset, micCopyDesc32.fields.update_used.offset, micCopyDesc32.fields.out_len.offset]).toEqual([4, 8, 9, 12]);
  });
  test('iovec is 16 bytes: base then length', () => {
    expect(iovec.size).toBe(16);
    expect(iovec.fields.iov_len.offset).toBe(8);
  });
  test('ioctl numbers are the hand-computed values of the facts table', () => {
    expect([MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_COPY_DESC, MIC_VIRTIO_CONFIG_CHANGE]).toEqual([0xc0087301, 0xc0087302, 0xc0087305]);
    expect([MIC_VIRTIO_ADD_DEVICE_32, MIC_VIRTIO_COPY_DESC_32, MIC_VIRTIO_CONFIG_CHANGE_32]).toEqual([0xc0047301, 0xc0047302, 0xc0047305]);
  });
});
