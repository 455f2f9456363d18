import { describe, expect, test } from 'vitest';
import type { CardCompletion, CardVirtioDevice, MicSystem } from '../../model/contract.ts';
import { createReferenceSystem } from '../system.ts';
import {
  MAX_NET_PKT_SIZE, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, VIRTIO_NET_HDR_F_DATA_VALID, virtioBlkConfig, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX,
} from '../../model/layout/virtio-devices.ts';
import { VIRTIO_ID_BLOCK, VIRTIO_ID_CONSOLE, VIRTIO_ID_NET } from '../../model/constants/virtio.ts';
import { createDaemon, run } from './run.ts';
import type { VopDaemon } from './device-daemon.ts';
import { MemoryConsole, MemoryDisk, MemoryNet } from './backends/memory.ts';

const SECTORS = 64;
const pattern = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);

interface World {
  sys: MicSystem;
  d: VopDaemon;
  con: MemoryConsole;
  net: MemoryNet;
  disk: MemoryDisk;
}

/**
 * The card's own drivers take the first device of each type; a decoy daemon's devices go first so
 * that the devices under test are left to the raw API (add / kick / reap) of the test.
 */
function world(opts: { dma?: boolean; readOnly?: boolean } = {}): World {
  const sys = createReferenceSystem({ trace: false, dma: opts.dma ?? true, daemon: true, devices: [], accessLogs: false });
  const decoy = createDaemon(sys, [{ card: 0, console: new MemoryConsole(), net: new MemoryNet(), block: new MemoryDisk(8 * 512) }]);
  expect(decoy.start()).toEqual([]);
  const s = sys.cardServices(0);
  expect(run(sys, decoy, () => s.console.live && s.net.live && s.blk.live)).toBe(true);
  const con = new MemoryConsole();
  const net = new MemoryNet();
  const disk = new MemoryDisk(SECTORS * 512, { readOnly: opts.readOnly ?? false, id: 'disk-0' });
  const d = createDaemon(sys, [{ card: 0, console: con, net, block: disk }]);
  expect(d.start()).toEqual([]);
  const w = { sys, d, con, net, disk };
  expect(liveAll(w)).toBe(true);
  return w;
}

/** the live device of `type` the test drives: the later one in the device page */
const dev = (w: World, type: number): CardVirtioDevice | undefined => {
  const all = w.sys.cardVirtio(0).filter((v) => v.type === type && v.live);
  return all.length === 2 ? all.reduce((a, b) => (b.offset > a.offset ? b : a)) : undefined;
};
const liveAll = (w: World): boolean => run(w.sys, w.d, () => [1, 2, 3].every((t) => dev(w, t) !== undefined));

function added(v: CardVirtioDevice | undefined, vq: number, readable: Uint8Array[], writable: number[], misalign = 0): number {
  const t = v!.add(vq, readable, writable, misalign);
  if (typeof t !== 'number') throw new Error(t.detail);
  v!.kick(vq);
  return t;
}

/** run until the card has its buffer back, and reap it */
function complete(w: World, type: number, vq: number): CardCompletion[] {
  const v = dev(w, type)!;
  expect(run(w.sys, w.d, () => v.inFlight(vq) === 0)).toBe(true);
  const r = v.reap(vq);
  if (!Array.isArray(r)) throw new Error('reap failed');
  return r as CardCompletion[];
}

function blkHeader(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(8, sector % 2 ** 32, true);
  dv.setUint32(12, Math.floor(sector / 2 ** 32), true);
  return h;
}

/** one block request: readable parts after the header, writable data lengths, then a status byte */
function blk(w: World, hdr: Uint8Array | Uint8Array[], data: Uint8Array[], writable: number[], status = true): CardCompletion {
  const parts = Array.isArray(hdr) ? hdr : [hdr];
  added(dev(w, VIRTIO_ID_BLOCK), 0, [...parts, ...data], status ? [...writable, 1] : writable);
  const done = complete(w, VIRTIO_ID_BLOCK, 0);
  expect(done).toHaveLength(1);
  return done[0]!;
}
const statusOf = (c: CardCompletion): number => c.written[c.len - 1]!;

describe.each([true, false])('device daemon loops (dma %s)', (dma) => {
  test('console: typed bytes reach the card in order across buffers; card output reaches the backend whole', () => {
    const w = world({ dma });
    const typed = pattern(10_000, 1);
    w.con.type(typed.subarray(0, 3000));
    w.con.type(typed.subarray(3000));
    for (let i = 0; i < 3; i++) added(dev(w, VIRTIO_ID_CONSOLE), 0, [], [4096], i);
    const got = complete(w, VIRTIO_ID_CONSOLE, 0);
    const joined = new Uint8Array(got.reduce((n, c) => n + c.len, 0));
    let at = 0;
    for (const c of got) joined.set(c.written.subarray(0, c.len), (at += c.len) - c.len);
    expect(joined).toEqual(typed);
    // a chain longer than the daemon's 4096-byte buffer arrives whole
    const out = [pattern(5000, 2), pattern(7, 3)];
    added(dev(w, VIRTIO_ID_CONSOLE), 1, [out[0]!.subarray(0, 100), out[0]!.subarray(100)], []);
    added(dev(w, VIRTIO_ID_CONSOLE), 1, [out[1]!], [], 5);
    complete(w, VIRTIO_ID_CONSOLE, 1);
    expect(w.con.printed()).toEqual(new Uint8Array([...out[0]!, ...out[1]!]));
    expect(w.d.stats(0).find((s) => s.type === VIRTIO_ID_CONSOLE)).toMatchObject({ toCard: 10_000, fromCard: 5007, refused: 0 });
  });

  test('net: a frame to the card carries a DATA_VALID header; one from the card loses its header', () => {
    const w = world({ dma });
    const frames = [pattern(1514, 4), pattern(60, 5)];
    for (const f of frames) w.net.send(f);
    added(dev(w, VIRTIO_ID_NET), 0, [], [10 + MAX_NET_PKT_SIZE]);
    added(dev(w, VIRTIO_ID_NET), 0, [], [10, 1000], 3);
    const got = complete(w, VIRTIO_ID_NET, 0);
    expect(got.map((c) => c.len)).toEqual([1524, 70]);
    for (const [i, c] of got.entries()) {
      expect(c.written.subarray(0, 10)).toEqual(Uint8Array.of(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0, 0, 0, 0, 0));
      expect(c.written.subarray(10, c.len)).toEqual(frames[i]);
    }
    // a frame the posted buffer cannot hold is dropped; the buffer takes the next one
    w.net.send(pattern(3000, 6));
    w.net.send(pattern(100, 7));
    added(dev(w, VIRTIO_ID_NET), 0, [], [1000]);
    const next = complete(w, VIRTIO_ID_NET, 0);
    expect(next.map((c) => c.written.subarray(10, c.len))).toEqual([pattern(100, 7)]);
    // card → host: header whole or split from the frame
    const hdr = new Uint8Array(10);
    added(dev(w, VIRTIO_ID_NET), 1, [new Uint8Array([...hdr, ...frames[0]!])], []);
    added(dev(w, VIRTIO_ID_NET), 1, [hdr.subarray(0, 4), hdr.subarray(4), frames[1]!], [], 9);
    complete(w, VIRTIO_ID_NET, 1);
    expect(w.net.fromCard).toEqual(frames);
    expect(w.d.stats(0).find((s) => s.type === VIRTIO_ID_NET)).toMatchObject({ toCard: 3, fromCard: 2, refused: 1 });
  });

  test('block: OUT, IN, FLUSH and GET_ID, with the header split and data in several segments', () => {
    const w = world({ dma });
    const cfg = dev(w, VIRTIO_ID_BLOCK)!.readConfig(0, virtioBlkConfig.size);
    const cdv = new DataView(cfg.buffer, cfg.byteOffset);
    expect(cdv.getUint32(virtioBlkConfig.fields.capacity.offset, true)).toBe(SECTORS);
    expect(cdv.getUint32(virtioBlkConfig.fields.seg_max.offset, true)).toBe(126);
    const data = pattern(1536, 8);
    const out = blk(w, blkHeader(VIRTIO_BLK_T_OUT, 3), [data.subarray(0, 512), data.subarray(512)], []);
    expect([out.len, statusOf(out)]).toEqual([1, VIRTIO_BLK_S_OK]);
    expect(w.disk.bytes.subarray(3 * 512, 6 * 512)).toEqual(data);
    const h = blkHeader(VIRTIO_BLK_T_IN, 3);
    const inn = blk(w, [h.subarray(0, 7), h.subarray(7)], [], [1000, 536]);
    expect([inn.len, statusOf(inn)]).toEqual([1537, VIRTIO_BLK_S_OK]);
    expect(inn.written.subarray(0, 1536)).toEqual(data);
    const fl = blk(w, blkHeader(VIRTIO_BLK_T_FLUSH, 0), [], []);
    expect([fl.len, statusOf(fl), w.disk.flushes]).toEqual([1, VIRTIO_BLK_S_OK, 1]);
    const id = blk(w, blkHeader(VIRTIO_BLK_T_GET_ID, 0), [], [20]);
    expect(statusOf(id)).toBe(VIRTIO_BLK_S_OK);
    expect(id.written.subarray(0, 20)).toEqual(new Uint8Array([...new TextEncoder().encode('disk-0'), ...new Uint8Array(14)]));
    expect(w.d.stats(0).find((s) => s.type === VIRTIO_ID_BLOCK)).toMatchObject({ toCard: 1556, fromCard: 1536, refused: 0 });
  });
});

describe('device daemon: bad block requests get the right status and write nothing', () => {
  const cases: { name: string; hdr: () => Uint8Array | Uint8Array[]; data: Uint8Array[]; writable: number[]; want: number; ro?: boolean; eio?: boolean }[] = [
    { name: 'unknown type', hdr: () => blkHeader(99, 0), data: [new Uint8Array(512)], writable: [], want: VIRTIO_BLK_S_UNSUPP },
    { name: 'OUT past capacity', hdr: () => blkHeader(VIRTIO_BLK_T_OUT, SECTORS - 1), data: [new Uint8Array(1024).fill(7)], writable: [], want: VIRTIO_BLK_S_IOERR },
    { name: 'OUT at a sector past 2^53 bytes', hdr: () => blkHeader(VIRTIO_BLK_T_OUT, 2 ** 45), data: [new Uint8Array(512).fill(7)], writable: [], want: VIRTIO_BLK_S_IOERR },
    { name: 'OUT of a partial sector', hdr: () => blkHeader(VIRTIO_BLK_T_OUT, 0), data: [new Uint8Array(100).fill(7)], writable: [], want: VIRTIO_BLK_S_IOERR },
    { name: 'OUT to a read-only disk', hdr: () => blkHeader(VIRTIO_BLK_T_OUT, 0), data: [new Uint8Array(512).fill(7)], writable: [], want: VIRTIO_BLK_S_IOERR, ro: true },
    { name: 'OUT when the store fails', hdr: () => blkHeader(VIRTIO_BLK_T_OUT, 0), data: [new Uint8Array(512).fill(7)], writable: [], want: VIRTIO_BLK_S_IOERR, eio: true },
    { name: 'IN past capacity', hdr: () => blkHeader(VIRTIO_BLK_T_IN, SECTORS), data: [], writable: [512], want: VIRTIO_BLK_S_IOERR },
    { name: 'IN when the store fails', hdr: () => blkHeader(VIRTIO_BLK_T_IN, 0), data: [], writable: [512], want: VIRTIO_BLK_S_IOERR, eio: true },
    { name: 'GET_ID with a short area', hdr: () => blkHeader(VIRTIO_BLK_T_GET_ID, 0), data: [], writable: [8], want: VIRTIO_BLK_S_IOERR },
    { name: 'a header of 8 bytes', hdr: () => blkHeader(VIRTIO_BLK_T_OUT, 0).subarray(0, 8), data: [], writable: [], want: VIRTIO_BLK_S_IOERR },
  ];
  test.each(cases)('$name', (c) => {
    const w = world({ readOnly: c.ro ?? false });
    // SEG_MAX always, RO exactly for a read-only disk (facts §8.2)
    expect(dev(w, VIRTIO_ID_BLOCK)!.features & ((1 << VIRTIO_BLK_F_SEG_MAX) | (1 << VIRTIO_BLK_F_RO))).toBe((1 << VIRTIO_BLK_F_SEG_MAX) | (c.ro ? 1 << VIRTIO_BLK_F_RO : 0));
    const before = w.disk.bytes.slice();
    if (c.eio) w.disk.failNext = 1;
    const done = blk(w, c.hdr(), c.data, c.writable);
    expect(statusOf(done)).toBe(c.want);
    expect(done.written.subarray(0, done.len - 1).every((b) => b === 0)).toBe(true);
    expect(w.disk.bytes).toEqual(before);
    expect(w.disk.writes).toBe(0);
    expect(w.d.stats(0).find((s) => s.type === VIRTIO_ID_BLOCK)!.refused).toBe(1);
  });

  test('a chain without a writable byte is completed without a status; the next request is served', () => {
    const w = world();
    const none = blk(w, blkHeader(VIRTIO_BLK_T_OUT, 0), [new Uint8Array(512).fill(1)], [], false);
    expect(none.len).toBe(0);
    expect(w.disk.writes).toBe(0);
    expect(statusOf(blk(w, blkHeader(VIRTIO_BLK_T_FLUSH, 0), [], []))).toBe(VIRTIO_BLK_S_OK);
  });
});

describe('device daemon lifecycle', () => {
  const echo = (w: World, n: number): void => {
    const bytes = pattern(100, n);
    w.con.type(bytes);
    added(dev(w, VIRTIO_ID_CONSOLE), 0, [], [4096]);
    expect(complete(w, VIRTIO_ID_CONSOLE, 0).map((c) => c.written.subarray(0, c.len))).toEqual([bytes]);
    const sector = pattern(512, n);
    expect(statusOf(blk(w, blkHeader(VIRTIO_BLK_T_OUT, n), [sector], []))).toBe(VIRTIO_BLK_S_OK);
    expect(w.disk.bytes.subarray(n * 512, n * 512 + 512)).toEqual(sector);
    w.net.send(sector);
    added(dev(w, VIRTIO_ID_NET), 0, [], [600]);
    expect(complete(w, VIRTIO_ID_NET, 0)[0]!.written.subarray(10, 522)).toEqual(sector);
  };

  test('the loops work again after a card reset and boot', () => {
    const w = world();
    echo(w, 1);
    // a buffer the card posted before the reset is lost with the card's memory; the typed bytes are not
    added(dev(w, VIRTIO_ID_CONSOLE), 1, [pattern(10, 9)], []);
    expect(w.sys.writeAttr(0, 'state', 'reset')).toEqual({ ok: true });
    expect(run(w.sys, w.d, () => w.sys.observe.state(0) === 'offline')).toBe(true);
    w.con.type('queued while the card was down');
    expect(w.sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    expect(liveAll(w)).toBe(true);
    added(dev(w, VIRTIO_ID_CONSOLE), 0, [], [4096]);
    const got = complete(w, VIRTIO_ID_CONSOLE, 0);
    expect(new TextDecoder().decode(got[0]!.written.subarray(0, got[0]!.len))).toBe('queued while the card was down');
    echo(w, 2);
  });

  test('stop hot-removes every device, start adds them again; one device restarts alone', () => {
    const w = world();
    echo(w, 3);
    w.d.stop();
    expect(run(w.sys, w.d, () => w.sys.cardVirtio(0).length === 3)).toBe(true);
    expect(w.d.stats(0).every((s) => s.fd === undefined)).toBe(true);
    expect(w.d.start()).toEqual([]);
    expect(liveAll(w)).toBe(true);
    echo(w, 4);
    const fdBefore = w.d.stats(0).find((s) => s.type === VIRTIO_ID_BLOCK)!.fd;
    expect(w.d.restartDevice(0, VIRTIO_ID_BLOCK)).toEqual([]);
    expect(w.d.stats(0).find((s) => s.type === VIRTIO_ID_BLOCK)!.fd).not.toBe(fdBefore);
    expect(liveAll(w)).toBe(true);
    echo(w, 5);
    // the daemon found its own entries, not the decoy's of the same types
    for (const t of [1, 2, 3]) expect(w.d.entryOf(0, t)).toBe(dev(w, t)!.offset);
  });
});
