/**
 * The card is untrusted (DESIGN.md §6): whatever it writes into the block and console rings, the
 * daemon's pump returns, throws nothing, and the next sane request is still served once the card
 * resets its device.
 */
import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { vqConfig, vqConfigOffset } from '../../model/layout/device-page.ts';
import { descTableSize } from '../../model/layout/vring.ts';
import { VIRTIO_BLK_S_OK } from '../../model/layout/virtio-devices.ts';
import { createDaemon, run } from './run.ts';
import { MemoryConsole, MemoryDisk, MemoryNet } from './backends/memory.ts';

/** a small deterministic generator (xorshift32) */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('a hostile card scribbling on the rings', () => {
  test.each([1, 2, 3])('seed %i: the pump always returns; a reset device serves again', (seed) => {
    const sys = createReferenceSystem({ trace: false, dma: true, daemon: true, devices: [], accessLogs: false });
    const disk = new MemoryDisk(16 * 512);
    const con = new MemoryConsole();
    const d = createDaemon(sys, [{ card: 0, console: con, net: new MemoryNet(), block: disk }]);
    expect(d.start()).toEqual([]);
    const s = sys.cardServices(0);
    expect(run(sys, d, () => s.blk.live && s.console.live && s.net.live)).toBe(true);
    const rand = rng(seed);
    const page = sys.observe.devicePage(0);
    const blk = sys.cardVirtio(0).find((v) => v.type === 2)!;
    const con0 = sys.cardVirtio(0).find((v) => v.type === 3)!;
    for (const [dev, vq] of [[blk, 0], [con0, 1]] as const) {
      const dv = new DataView(page.buffer, dev.offset + vqConfigOffset(vq));
      const ringAddr = Number(dv.getBigUint64(vqConfig.fields.address.offset, true));
      for (let round = 0; round < 20; round++) {
        const bytes = new Uint8Array(64).map(() => Math.floor(rand() * 256));
        // descriptors somewhere in the table, then a bumped avail idx
        const at = Math.floor(rand() * 124) * 16;
        sys.hostileCard(0, { kind: 'cardMem', addr: ringAddr + at, bytes });
        const idx = Uint8Array.of(Math.floor(rand() * 256), Math.floor(rand() * 256));
        sys.hostileCard(0, { kind: 'cardMem', addr: ringAddr + descTableSize(128) + 2, bytes: idx });
        const slot = Uint8Array.of(Math.floor(rand() * 130), 0);
        sys.hostileCard(0, { kind: 'cardMem', addr: ringAddr + descTableSize(128) + 4 + 2 * Math.floor(rand() * 128), bytes: slot });
        d.pump();
        run(sys, d, () => false, { maxSteps: 2000 });
      }
    }
    // the kernel refused the scribbled rings; the daemon saw it and went on
    expect(d.stats(0).find((x) => x.type === 2)?.lastErrno).toBe('EINVAL');
    blk.reset();
    con0.reset();
    expect(run(sys, d, () => s.blk.live && s.console.live)).toBe(true);
    let status = -2;
    expect(typeof s.blk.submit({ type: 'out', sector: 1, data: new Uint8Array(512).fill(5) }, (c) => (status = c.status))).toBe('number');
    s.blk.kick();
    expect(run(sys, d, () => status !== -2)).toBe(true);
    expect(status).toBe(VIRTIO_BLK_S_OK);
    expect(disk.bytes.subarray(512, 1024).every((b) => b === 5)).toBe(true);
  });
});

test('a loop that keeps wanting a ring the kernel refuses does not keep run() from returning', () => {
  const sys = createReferenceSystem({ trace: false, dma: true, daemon: true, devices: [], accessLogs: false });
  const con = new MemoryConsole();
  const d = createDaemon(sys, [{ card: 0, console: con }]);
  expect(d.start()).toEqual([]);
  const s = sys.cardServices(0);
  expect(run(sys, d, () => s.console.live)).toBe(true);
  const dev = sys.cardVirtio(0).find((v) => v.type === 3)!;
  const dv = new DataView(sys.observe.devicePage(0).buffer, dev.offset + vqConfigOffset(0));
  const ringAddr = Number(dv.getBigUint64(vqConfig.fields.address.offset, true));
  // avail idx far ahead and a head past the table: the host has "buffers" it can never take
  sys.hostileCard(0, { kind: 'cardMem', addr: ringAddr + descTableSize(128) + 2, bytes: Uint8Array.of(0x34, 0x12) });
  for (let i = 0; i < 128; i++) sys.hostileCard(0, { kind: 'cardMem', addr: ringAddr + descTableSize(128) + 4 + 2 * i, bytes: Uint8Array.of(200, 0) });
  con.type('typed into a broken ring');
  expect(run(sys, d, () => false)).toBe(false);
  expect(d.stats(0)[0]!.lastErrno).toBe('EINVAL');
});
