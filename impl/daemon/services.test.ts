/**
 * The daemon with the card's own drivers (impl/card/drivers through cardServices): console bytes,
 * net frames and block requests both ways, with descriptor splits the driver makes on request.
 */
import { describe, expect, test } from 'vitest';
import type { BlkCompletion, BlkRequest, BlkSplit } from '../../model/contract.ts';
import { createReferenceSystem } from '../system.ts';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP } from '../../model/layout/virtio-devices.ts';
import { createDaemon, run } from './run.ts';
import { MemoryConsole, MemoryDisk, MemoryNet } from './backends/memory.ts';

const pattern = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 29 + seed) & 0xff);

function world(dma: boolean) {
  const sys = createReferenceSystem({ trace: false, dma, daemon: true, devices: [], accessLogs: false });
  const con = new MemoryConsole();
  const net = new MemoryNet();
  const disk = new MemoryDisk(32 * 512, { id: 'svc-disk' });
  const d = createDaemon(sys, [{ card: 0, console: con, net, block: disk }]);
  expect(d.start()).toEqual([]);
  const s = sys.cardServices(0);
  expect(run(sys, d, () => s.console.live && s.net.live && s.blk.live)).toBe(true);
  const blk = (req: BlkRequest, split?: BlkSplit): BlkCompletion => {
    let got: BlkCompletion | undefined;
    expect(typeof s.blk.submit(req, (c) => (got = c), split)).toBe('number');
    s.blk.kick();
    expect(run(sys, d, () => got !== undefined)).toBe(true);
    return got!;
  };
  return { sys, d, con, net, disk, s, blk };
}

describe.each([true, false])('daemon and the card drivers (dma %s)', (dma) => {
  test('console: card output reaches the backend, typed bytes reach the card, in order', () => {
    const w = world(dma);
    const out = pattern(9000, 1);
    let taken = 0;
    expect(run(w.sys, w.d, () => (taken += w.s.console.write(out.subarray(taken))) === out.length)).toBe(true);
    const printed = (): Uint8Array => w.con.printed();
    expect(run(w.sys, w.d, () => printed().length >= out.length)).toBe(true);
    const p = printed();
    // the shell may print too; the card's bytes arrive whole and in order
    expect(p.subarray(p.length - out.length)).toEqual(out);
    const heard: number[] = [];
    const off = w.s.console.onInput((b) => heard.push(...b));
    const typed = pattern(6000, 2);
    w.con.type(typed.subarray(0, 10));
    w.con.type(typed.subarray(10));
    expect(run(w.sys, w.d, () => heard.length >= typed.length)).toBe(true);
    expect(Uint8Array.from(heard)).toEqual(typed);
    off();
  });

  test('net: frames both ways, exactly once', () => {
    const w = world(dma);
    const frames = [pattern(1514, 3), pattern(60, 4), pattern(9000, 5)];
    const heard: Uint8Array[] = [];
    const off = w.s.net.onFrame((f) => heard.push(f.slice()));
    for (const f of frames) w.net.send(f);
    expect(run(w.sys, w.d, () => heard.length >= frames.length)).toBe(true);
    expect(heard.filter((f) => frames.some((g) => g.length === f.length))).toEqual(frames);
    off();
    const before = w.net.fromCard.length;
    for (const f of frames) expect(w.s.net.send(f)).toBe(true);
    expect(run(w.sys, w.d, () => w.net.fromCard.length >= before + frames.length)).toBe(true);
    expect(w.net.fromCard.slice(before)).toEqual(frames);
  });

  test('blk: out / in / flush / get-id with split headers and data; bad requests refused', () => {
    const w = world(dma);
    const data = pattern(4096, 6);
    expect(w.blk({ type: 'out', sector: 5, data }, { headerCut: 3, data: [100, 3996] }).status).toBe(VIRTIO_BLK_S_OK);
    expect(w.disk.bytes.subarray(5 * 512, 13 * 512)).toEqual(data);
    const back = w.blk({ type: 'in', sector: 5, sectors: 8 }, { headerCut: 15, data: [512, 512, 3072] });
    expect([back.status, back.len]).toEqual([VIRTIO_BLK_S_OK, 4097]);
    expect(back.data).toEqual(data);
    expect(w.blk({ type: 'flush' }).status).toBe(VIRTIO_BLK_S_OK);
    const id = w.blk({ type: 'get-id' });
    expect(id.status).toBe(VIRTIO_BLK_S_OK);
    expect(new TextDecoder().decode(id.data).replace(/\0+$/, '')).toBe('svc-disk');
    const before = w.disk.bytes.slice();
    expect(w.blk({ type: 'raw', code: 77, sector: 0, dataLen: 512 }).status).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(w.blk({ type: 'out', sector: 31, data: pattern(1024, 7) }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(w.blk({ type: 'in', sector: 32, sectors: 1 }).status).toBe(VIRTIO_BLK_S_IOERR);
    w.disk.failNext = 1;
    expect(w.blk({ type: 'out', sector: 0, data: pattern(512, 8) }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(w.disk.bytes).toEqual(before);
  });
});

describe('a DMA channel error in the middle of traffic', () => {
  test('the failed copy (COPY_DESC returns 3) is carried on where it stopped: every request completes once, the store equals the writes', () => {
    const w = world(true);
    const statuses = new Map<number, number>();
    const writes = new Map<number, Uint8Array>();
    for (const skip of [3, 10]) {
      w.sys.scheduler.faults.arm('dma.ch0.descError', { skip });
      for (let i = 0; i < 6; i++) {
        const k = statuses.size + i + (skip === 3 ? 0 : 100);
        const data = pattern(1024, k);
        writes.set(k, data);
        expect(typeof w.s.blk.submit({ type: 'out', sector: (k % 16) * 2, data }, (c) => statuses.set(k, c.status))).toBe('number');
      }
      w.s.blk.kick();
      expect(run(w.sys, w.d, () => statuses.size === writes.size)).toBe(true);
    }
    expect(w.sys.scheduler.faults.fired('dma.ch0.descError')).toBe(2);
    for (const [k, st] of statuses) {
      expect(st).toBe(VIRTIO_BLK_S_OK);
      const at = (k % 16) * 1024;
      expect(w.disk.bytes.subarray(at, at + 1024)).toEqual(writes.get(k));
    }
    // net frames either side of an error arrive once and intact
    const heard: Uint8Array[] = [];
    w.s.net.onFrame((f) => heard.push(f.slice()));
    w.sys.scheduler.faults.arm('dma.ch0.descError', { skip: 2 });
    const frames = [pattern(1514, 1), pattern(3000, 2), pattern(64, 3)];
    for (const f of frames) w.net.send(f);
    expect(run(w.sys, w.d, () => heard.length >= 3)).toBe(true);
    expect(heard).toEqual(frames);
    expect(w.sys.scheduler.faults.fired('dma.ch0.descError')).toBe(3);
    expect(w.d.stats(0).find((s) => s.type === 1)?.refused).toBe(0);
  });
});

describe('the card shell through the daemon', () => {
  test('xd prints a sector in hex, flush reaches the store\'s flush; bad arguments get the usage', () => {
    const w = world(true);
    const bytes = new Uint8Array(512).map((_, i) => (i * 37 + 11) & 0xff);
    w.disk.bytes.set(bytes, 2 * 512);
    const text = (): string => new TextDecoder().decode(w.con.printed());
    const answer = (line: string, until: RegExp): string => {
      const before = text().length;
      w.con.type(line);
      expect(run(w.sys, w.d, () => until.test(text().slice(before)))).toBe(true);
      return text().slice(before);
    };
    expect(run(w.sys, w.d, () => text() === 'mic0$ ')).toBe(true);
    const xd = answer('xd 2\n', /\n01f0 [^\n]*\nmic0\$ $/);
    const rows = xd.split('\n').slice(1, 33);
    expect(rows).toHaveLength(32);
    rows.forEach((r, i) => {
      const hex = [...bytes.subarray(i * 16, i * 16 + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      expect(r).toBe(`${(i * 16).toString(16).padStart(4, '0')}  ${hex}`);
    });
    expect(xd.startsWith('xd 2: ok\n')).toBe(true);
    const flushes = w.disk.flushes;
    expect(answer('flush\n', /flush: ok\nmic0\$ $/)).toBe('flush: ok\nmic0$ ');
    expect(w.disk.flushes).toBe(flushes + 1);
    expect(answer('xd two\n', /\$ $/)).toBe('usage: xd <sector>\nmic0$ ');
    expect(answer('xd 99999\n', /\$ $/)).toBe('xd 99999: ioerr\nmic0$ ');
  });
});

describe('the daemon across the card lifecycle (the lifecycle part of mpssd drives the card)', () => {
  const traffic = (w: ReturnType<typeof world>, n: number): void => {
    const data = pattern(512, n);
    expect(w.blk({ type: 'out', sector: n, data }).status).toBe(VIRTIO_BLK_S_OK);
    expect(w.blk({ type: 'in', sector: n, sectors: 1 }).data).toEqual(data);
    const heard: Uint8Array[] = [];
    const off = w.s.net.onFrame((f) => heard.push(f.slice()));
    w.net.send(data);
    expect(run(w.sys, w.d, () => heard.some((f) => f.length === 512))).toBe(true);
    off();
  };
  const allLive = (w: ReturnType<typeof world>): boolean => run(w.sys, w.d, () => w.s.blk.live && w.s.net.live && w.s.console.live);

  test('a card crash: mpssd resets the card, a boot brings the devices back', () => {
    const w = world(true);
    traffic(w, 1);
    expect(w.sys.cardPanic(0)).toEqual({ ok: true });
    expect(run(w.sys, w.d, () => w.sys.observe.state(0) === 'offline', { maxTimeNs: 200e9 })).toBe(true);
    expect(w.sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    expect(allLive(w)).toBe(true);
    traffic(w, 2);
  });

  test('suspend and resume: mpssd boots the card again and the devices come back', () => {
    const w = world(true);
    traffic(w, 3);
    expect(w.sys.pmSuspend()).toEqual({ ok: true });
    // the PM notifier's prepare finishes when the system settles (nothing of the daemon's is needed)
    w.sys.settle();
    expect(w.sys.observe.state(0)).toBe('suspended');
    expect(w.sys.pmResume()).toEqual({ ok: true });
    expect(allLive(w)).toBe(true);
    traffic(w, 4);
  });
});
