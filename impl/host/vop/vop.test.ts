import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { createSparseMemory } from '../../memory/index.ts';
import { micCopyDesc, iovec } from '../../../model/layout/vop-user.ts';
import {
  MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_ADD_DEVICE_32, MIC_VIRTIO_CONFIG_CHANGE, MIC_VIRTIO_COPY_DESC, MIC_VIRTIO_COPY_DESC_32, POLLERR, POLLIN, POLLOUT, PROT_READ, PROT_WRITE,
} from '../../../model/constants/vop.ts';
import { descBlockOf } from './spec.ts';

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

describe('VOP char device: handshakes, poll, mmap', () => {
  function live() {
    const w = booted(false);
    const block = descBlockOf({ type: 1, numVq: 2, num: 16, featureLen: 4, configLen: 8 });
    w.user.write(0x100, block);
    expect(w.sys.vop.ioctl(w.fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    w.sys.settle();
    const dev = w.sys.cardVirtio(0)[0]!;
    expect(dev.live).toBe(true);
    return { ...w, dev };
  }

  test('CONFIG_CHANGE writes the config, the card acknowledges, and the call returns 1', () => {
    const { sys, user, fd, dev } = live();
    user.write(0x300, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_CONFIG_CHANGE, 0x300)).toEqual({ ok: true, value: 1 });
    expect(dev.configChanges).toBe(1);
    expect(dev.readConfig(0, 8)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    // config reads beyond config_len give nothing (facts §6.3)
    expect(dev.readConfig(4, 8)).toEqual(new Uint8Array(0));
  });

  test('CONFIG_CHANGE on an offline card is EIO (no config doorbell) and changes nothing', () => {
    const { sys, user, fd } = live();
    expect(sys.writeAttr(0, 'state', 'reset')).toEqual({ ok: true });
    sys.settle();
    const before = sys.observe.devicePage(0);
    user.write(0x300, new Uint8Array(8).fill(9));
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_CONFIG_CHANGE, 0x300)).toEqual({ errno: 'EIO' });
    expect(sys.observe.devicePage(0)).toEqual(before);
  });

  test('poll wakes once per event and is POLLERR without a device', () => {
    const { sys, fd, dev } = live();
    sys.vop.poll(fd);
    expect(sys.vop.poll(fd)).toBe(0);
    dev.add(0, [new Uint8Array(10)], []);
    dev.kick(0);
    sys.settle();
    expect(sys.vop.poll(fd)).toBe(POLLIN | POLLOUT);
    expect(sys.vop.poll(fd)).toBe(0);
    const other = sys.vop.open(0, createSparseMemory(4096));
    expect('ok' in other && sys.vop.poll(other.fd)).toBe(POLLERR);
  });

  test('mmap: the device page and both ring blocks read live, stores fault, PROT_WRITE is EACCES', () => {
    const { sys, fd } = live();
    const m = sys.vop.mmap(fd, 0, 4096 + 2 * 8192, PROT_READ);
    if (!('ok' in m)) throw new Error(m.errno);
    expect(m.view.read32(0)).toBe(0xc0ffee00);
    expect(m.view.read8(16)).toBe(1);
    expect(m.view.write8(16, 0)).toMatchObject({ kind: 'mem-fault', reason: 'read-only' });
    expect(sys.vop.mmap(fd, 0, 4096, PROT_READ | PROT_WRITE)).toEqual({ errno: 'EACCES' });
    expect(sys.vop.mmap(fd, 4096 + 4096, 4096, PROT_READ)).toEqual({ errno: 'EINVAL' });
    expect(sys.vop.mmap(fd, 4096, 4096, PROT_READ)).toEqual({ errno: 'EINVAL' });
    expect('ok' in sys.vop.mmap(fd, 4096, 8192, PROT_READ)).toBe(true);
  });

  test('the card removes the device itself: COPY_DESC is ENODEV, close still completes', () => {
    const { sys, user, fd, dev } = live();
    expect(dev.remove()).toBe(true);
    sys.settle();
    expect(sys.observe.devicePage(0)[16]).toBe(0xff);
    expect(sys.cardVirtio(0)).toEqual([]);
    user.write64(0x1000, 0x2000);
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_COPY_DESC, 0x1000)).toEqual({ errno: 'ENODEV' });
    expect(sys.vop.poll(fd)).toBe(POLLERR);
    const t0 = sys.scheduler.now;
    expect(sys.vop.close(fd)).toEqual({ ok: true, value: 0 });
    // the card skips −1 entries: no guest_ack, the host waited its 15 polls of 1 s
    expect(sys.scheduler.now - t0).toBeGreaterThanOrEqual(15e9);
  });

  test('a second ADD_DEVICE on the same fd is EBUSY; the 32-bit numbers are unknown', () => {
    const { sys, fd } = live();
    const before = sys.observe.devicePage(0);
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ errno: 'EBUSY' });
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE_32, 0x100)).toEqual({ errno: 'ENOIOCTLCMD' });
    expect(sys.vop.ioctl(fd, MIC_VIRTIO_COPY_DESC_32, 0x100)).toEqual({ errno: 'ENOIOCTLCMD' });
    expect(sys.vop.ioctl(999, MIC_VIRTIO_COPY_DESC, 0x100)).toEqual({ errno: 'EBADF' });
    expect(sys.observe.devicePage(0)).toEqual(before);
  });

  test('a vdev reset on the card: the host acks, forgets the used rings, and the device comes back', () => {
    const { sys, fd, dev } = live();
    dev.add(0, [new Uint8Array(10)], []);
    dev.kick(0);
    sys.settle();
    dev.reset();
    sys.settle();
    expect(dev.takeDetached()).toEqual([1]);
    expect(dev.live).toBe(true);
    expect(sys.vop.poll(fd)).toBe(POLLIN | POLLOUT);
  });
});

describe('VOP: a DMA error or timeout (facts §6.6)', () => {
  test.each(['dma.ch0.stall', 'dma.ch0.descError'])('%s: COPY_DESC returns DMA_ERROR (3), completes nothing, and the buffer stays with the host', (fault) => {
    const { sys, user, fd } = booted(true);
    const block = descBlockOf({ type: 3, numVq: 1, num: 16, featureLen: 4, configLen: 0 });
    user.write(0x100, block);
    sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE, 0x100);
    sys.settle();
    const dev = sys.cardVirtio(0)[0]!;
    const token = dev.add(0, [new Uint8Array(256).fill(7)], [64]);
    dev.kick(0);
    sys.settle();
    sys.scheduler.faults.arm(fault);
    const t0 = sys.scheduler.now;
    const { r, outLen } = copyDesc(sys, user, fd, 0, [{ base: 0x20000, len: 4096 }], true);
    expect(r).toEqual({ ok: true, value: 3 });
    expect(outLen).toBe(0);
    if (fault.endsWith('stall')) expect(sys.scheduler.now - t0).toBeGreaterThanOrEqual(5e9);
    sys.settle();
    expect(dev.reap(0)).toEqual([]);
    expect(dev.inFlight(0)).toBe(1);
    // a reset takes it back: returned exactly once, as detached
    dev.reset();
    sys.settle();
    expect(dev.takeDetached()).toEqual([token]);
  });
});

describe('ADD_DEVICE slot walk does not trust the page (the card can rewrite it)', () => {
  function twoDevices() {
    const w = booted(false);
    const a = descBlockOf({ type: 3, numVq: 2, num: 16, featureLen: 4, configLen: 8 });
    const b = descBlockOf({ type: 1, numVq: 2, num: 16, featureLen: 4, configLen: 8 });
    w.user.write(0x100, a);
    expect(w.sys.vop.ioctl(w.fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    const fd2 = w.sys.vop.open(0, w.user) as { ok: true; fd: number };
    w.user.write(0x100, b);
    expect(w.sys.vop.ioctl(fd2.fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    w.sys.settle();
    return w;
  }

  test.each([
    ['num_vq rewritten', 1, 3],
    ['num_vq zeroed', 1, 0],
    ['type -1 while live', 0, 0xff],
  ])('%s: the next entry still goes after both', (_what, byte, value) => {
    const { sys, user } = twoDevices();
    const page = sys.observe.devicePage(0);
    const end = 16 + 2 * (Math.ceil((8 + 48 + 8 + 8) / 8) * 8 + 16);
    sys.hostileCard(0, { kind: 'dpByte', offset: 16 + byte, value });
    const fd3 = sys.vop.open(0, user) as { ok: true; fd: number };
    user.write(0x100, descBlockOf({ type: 2, numVq: 1, num: 16, featureLen: 4, configLen: 0 }));
    expect(sys.vop.ioctl(fd3.fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    expect(sys.observe.addedDevices(0).map((d) => d.offset)).toEqual([16, 104, end]);
    // the second entry's bytes are untouched
    expect(sys.observe.devicePage(0).subarray(104, end)).toEqual(page.subarray(104, end));
  });

  test('a removed slot is taken again by an entry of its size only', () => {
    const { sys, user, fd } = twoDevices();
    expect(sys.vop.close(fd)).toEqual({ ok: true, value: 0 });
    const bigger = sys.vop.open(0, user) as { ok: true; fd: number };
    user.write(0x100, descBlockOf({ type: 2, numVq: 3, num: 16, featureLen: 4, configLen: 0 }));
    expect(sys.vop.ioctl(bigger.fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    expect(sys.observe.addedDevices(0).map((d) => d.offset)).toEqual([104, 192]);
    const same = sys.vop.open(0, user) as { ok: true; fd: number };
    user.write(0x100, descBlockOf({ type: 3, numVq: 2, num: 16, featureLen: 4, configLen: 8 }));
    expect(sys.vop.ioctl(same.fd, MIC_VIRTIO_ADD_DEVICE, 0x100)).toEqual({ ok: true, value: 0 });
    expect(sys.observe.addedDevices(0).map((d) => d.offset)).toEqual([104, 192, 16]);
  });
});
