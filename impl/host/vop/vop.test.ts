import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { createSparseMemory } from '../../memory/index.ts';
import { micCopyDesc, iovec } from '../../../model/layout/vop-user.ts';
import { MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_COPY_DESC, POLLIN, POLLOUT } from '../../../model/constants/vop.ts';
import { descBlockOf } from './host-vop.ts';

const USER = 2 ** 32;

function booted(dma: boolean) {
  const sys = createReferenceSystem({ trace: false, dma });
  expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
  sys.settle();
  expect(sys.observe.state(0)).toBe('online');
  const user = createSparseMemory(USER, 'user');
  const fd = sys.vop.open(0, user);
  if (!('ok' in fd)) throw new Error('open failed');
  return { sys, user, fd: fd.fd };
}

function copyDesc(sys: ReturnType<typeof booted>['sys'], user: ReturnType<typeof booted>['user'], fd: number, vr: number, iovs: { base: number; len: number }[], update: boolean) {
  const arg = 0x1000;
  const iovAt = 0x2000;
  iovs.forEach((v, i) => {
    user.write64(iovAt + i * iovec.size + iovec.fields.iov_base.offset, v.base);
    user.write64(iovAt + i * iovec.size + iovec.fields.iov_len.offset, v.len);
  });
  user.write64(arg + micCopyDesc.fields.iov.offset, iovAt);
  user.write32(arg + micCopyDesc.fields.iovcnt.offset, iovs.length);
  user.write8(arg + micCopyDesc.fields.vr_idx.offset, vr);
  user.write8(arg + micCopyDesc.fields.update_used.offset, update ? 1 : 0);
  const r = sys.vop.ioctl(fd, MIC_VIRTIO_COPY_DESC, arg);
  return { r, outLen: user.read32(arg + micCopyDesc.fields.out_len.offset) };
}

describe.each([false, true])('VOP data path end to end (dma %s)', (dma) => {
  test('a card buffer reaches user memory and the reply reaches the card', () => {
    const { sys, user, fd } = booted(dma);
    const block = descBlockOf({ type: 3, numVq: 2, num: 128, featureLen: 4, configLen: 8 });
    user.write(0x100, block);
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    sys.settle();
    const [dev] = sys.cardVirtio(0);
    expect(dev?.live).toBe(true);
    const payload = new Uint8Array(300).map((_, i) => (i * 7 + 1) & 0xff);
    const token = dev!.add(0, [payload], [200], 3);
    expect(typeof token).toBe('number');
    dev!.kick(0);
    sys.settle();
    expect(sys.vop.poll(fd) & (POLLIN | POLLOUT)).not.toBe(0);
    const reply = new Uint8Array(200).map((_, i) => 255 - i);
    user.write(0x20000 + 300, reply);
    const { r, outLen } = copyDesc(sys, user, fd, 0, [{ base: 0x20000, len: 500 }], true);
    expect(r).toEqual({ ok: true, value: 0 });
    expect(outLen).toBe(500);
    expect(user.read(0x20000, 300)).toEqual(payload);
    sys.settle();
    const done = dev!.reap(0);
    expect(done).toEqual([{ token, len: 200, written: reply }]);
    const st = sys.vop.stats(fd)!;
    expect(st.inBytes).toBe(300);
    expect(st.outBytes).toBe(200);
    expect(st.inBytesDma).toBe(dma ? 300 : 0);
    // no chain left: COPY_DESC returns 0 and moves nothing
    expect(copyDesc(sys, user, fd, 0, [{ base: 0x20000, len: 500 }], true)).toEqual({ r: { ok: true, value: 0 }, outLen: 0 });
    expect(sys.vop.close(fd)).toEqual({ ok: true, value: 0 });
    sys.settle();
    expect(sys.observe.devicePage(0)[16]).toBe(0xff);
    expect(sys.cardVirtio(0)).toEqual([]);
  });
});
