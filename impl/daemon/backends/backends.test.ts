import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { PassThrough } from 'node:stream';
import { createReferenceSystem } from '../../system.ts';
import { VIRTIO_BLK_S_OK } from '../../../model/layout/virtio-devices.ts';
import { createDaemon, run } from '../run.ts';
import { BackendError } from './errors.ts';
import { FileDisk } from './file.ts';
import { UdpNet } from './udp-net.ts';
import { EOF_LINGER_MS, TerminalConsole, UnixSocketConsole, type Linger } from './console-stream.ts';

/** as the CLI lingers: a test is outside the simulated system, on the wall clock */
const wallClockLinger: Linger = (end) => void setTimeout(end, EOF_LINGER_MS).unref();
import { MemoryConsole, MemoryDisk, MemoryNet } from './memory.ts';

const pattern = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);
/** wall-clock wait for socket I/O (outside any simulation) */
async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'micvop-backends-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BackendError);
    expect((e as Error).message).not.toContain('\n');
    return (e as BackendError).code;
  }
  return undefined;
};

describe('file disk', () => {
  test('size, positioned reads and writes, fsync, read-only, id', () => {
    const path = join(dir, 'disk.img');
    writeFileSync(path, pattern(8 * 512, 1));
    const disk = FileDisk.open(path, { id: 'file-disk' });
    try {
      expect(disk.sizeBytes).toBe(4096);
      expect(new TextDecoder().decode(disk.id)).toBe('file-disk');
      expect(disk.read(512, 1024)).toEqual(pattern(4096, 1).subarray(512, 1536));
      expect(disk.write(1024, pattern(512, 9))).toBe(true);
      expect(disk.flush()).toBe(true);
      expect(disk.read(4096 - 512, 1024)).toEqual({ error: 'EIO' });
      expect(disk.write(4096, new Uint8Array(512))).toEqual({ error: 'EIO' });
    } finally {
      disk.close();
    }
    const want = pattern(4096, 1);
    want.set(pattern(512, 9), 1024);
    expect(new Uint8Array(readFileSync(path))).toEqual(want);
    const ro = FileDisk.open(path, { readOnly: true });
    expect(ro.readOnly).toBe(true);
    expect(ro.write(0, new Uint8Array(512))).toEqual({ error: 'EIO' });
    expect(new TextDecoder().decode(ro.id)).toBe('disk.img');
    ro.close();
    expect(new Uint8Array(readFileSync(path))).toEqual(want);
  });

  test('a missing, odd-sized, directory or unreadable file is a BackendError at open', () => {
    expect(codeOf(() => FileDisk.open(join(dir, 'nope.img')))).toBe('missing');
    writeFileSync(join(dir, 'odd.img'), new Uint8Array(1000));
    expect(codeOf(() => FileDisk.open(join(dir, 'odd.img')))).toBe('bad-size');
    mkdirSync(join(dir, 'sub'));
    expect(codeOf(() => FileDisk.open(join(dir, 'sub'), { readOnly: true }))).toBe('not-a-file');
    expect(codeOf(() => FileDisk.open(join(dir, 'sub')))).toBe('not-a-file');
    const locked = join(dir, 'locked.img');
    writeFileSync(locked, new Uint8Array(512));
    chmodSync(locked, 0o000);
    // root reads anything: the check only means something for an ordinary user
    if (process.getuid?.() !== 0) expect(codeOf(() => FileDisk.open(locked))).toBe('unreadable');
    expect(() => new MemoryDisk(700)).toThrow(BackendError);
  });

  test('behind the daemon: a card write lands in the file, FLUSH syncs it', () => {
    const path = join(dir, 'card.img');
    writeFileSync(path, new Uint8Array(16 * 512));
    const disk = FileDisk.open(path);
    const sys = createReferenceSystem({ trace: false, dma: true, daemon: true, devices: [], accessLogs: false });
    const d = createDaemon(sys, [{ card: 0, console: new MemoryConsole(), net: new MemoryNet(), block: disk }]);
    expect(d.start()).toEqual([]);
    const blk = sys.cardServices(0).blk;
    expect(run(sys, d, () => blk.live)).toBe(true);
    expect(blk.capacity).toBe(16);
    const data = pattern(1024, 5);
    const got: number[] = [];
    expect(typeof blk.submit({ type: 'out', sector: 4, data }, (c) => got.push(c.status))).toBe('number');
    expect(typeof blk.submit({ type: 'flush' }, (c) => got.push(c.status))).toBe('number');
    blk.kick();
    expect(run(sys, d, () => got.length === 2)).toBe(true);
    expect(got).toEqual([VIRTIO_BLK_S_OK, VIRTIO_BLK_S_OK]);
    d.stop();
    disk.close();
    const want = new Uint8Array(16 * 512);
    want.set(data, 4 * 512);
    expect(new Uint8Array(readFileSync(path))).toEqual(want);
  });
});

describe('udp net on loopback', () => {
  test('a datagram from the peer is a frame for the card; a frame from the card is a datagram to the peer', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const heard: Uint8Array[] = [];
    peer.on('message', (m) => heard.push(new Uint8Array(m)));
    const net = await UdpNet.open({ port: 0, peerPort: peer.address().port });
    try {
      const toCard = pattern(1514, 3);
      peer.send(toCard, net.port, '127.0.0.1');
      let frame: Uint8Array | undefined;
      expect(await until(() => (frame = net.take()) !== undefined)).toBe(true);
      expect(frame).toEqual(toCard);
      net.put(pattern(60, 4));
      net.put(pattern(1500, 5));
      expect(await until(() => heard.length === 2)).toBe(true);
      expect(heard).toEqual([pattern(60, 4), pattern(1500, 5)]);
    } finally {
      await net.close();
      await new Promise<void>((r) => peer.close(() => r()));
    }
  });

  test('a port in use is a BackendError', async () => {
    const a = await UdpNet.open({ port: 0, peerPort: 9 });
    await expect(UdpNet.open({ port: a.port, peerPort: 9 })).rejects.toBeInstanceOf(BackendError);
    await a.close();
  });
});

describe('console backends', () => {
  test('unix socket: one client types and reads; output printed before it attached is replayed', async () => {
    const path = join(dir, 'console.sock');
    const con = await UnixSocketConsole.listen(path, { linger: wallClockLinger });
    try {
      con.put(new TextEncoder().encode('boot log\n'));
      const client = createConnection(path);
      let heard = '';
      client.on('data', (b) => (heard += b.toString()));
      await new Promise<void>((r) => client.once('connect', () => r()));
      expect(await until(() => con.attached)).toBe(true);
      client.write('ls\n');
      let typed: Uint8Array | undefined;
      expect(await until(() => (typed = con.take()) !== undefined)).toBe(true);
      expect(new TextDecoder().decode(typed)).toBe('ls\n');
      con.put(new TextEncoder().encode('mic0$ '));
      expect(await until(() => heard === 'boot log\nmic0$ ')).toBe(true);
      // a second client is turned away while the first is attached
      const second = createConnection(path);
      let told = '';
      second.on('data', (b) => (told += b.toString()));
      expect(await until(() => told.includes('busy'))).toBe(true);
      second.destroy();
      client.destroy();
      expect(await until(() => !con.attached)).toBe(true);
    } finally {
      await con.close();
    }
    await expect(UnixSocketConsole.listen(join(dir, 'no', 'such', 'dir.sock'))).rejects.toBeInstanceOf(BackendError);
  });

  test('unix socket: a client that sent EOF after typing still reads what the card prints, and gives way to the next', async () => {
    const path = join(dir, 'half.sock');
    const con = await UnixSocketConsole.listen(path, { linger: wallClockLinger });
    try {
      const client = createConnection(path);
      let heard = '';
      client.on('data', (b) => (heard += b.toString()));
      await new Promise<void>((r) => client.once('connect', () => r()));
      client.end('id\n');
      let typed: Uint8Array | undefined;
      expect(await until(() => (typed = con.take()) !== undefined)).toBe(true);
      expect(new TextDecoder().decode(typed)).toBe('id\n');
      con.put(new TextEncoder().encode('the answer\n'));
      expect(await until(() => heard === 'the answer\n')).toBe(true);
      expect(con.attached).toBe(true);
      // a new client need not wait for the linger: the one that sent EOF gives way
      const next = createConnection(path);
      let told = '';
      next.on('data', (b) => (told += b.toString()));
      next.write('devices\n');
      expect(await until(() => (typed = con.take()) !== undefined)).toBe(true);
      expect(new TextDecoder().decode(typed)).toBe('devices\n');
      expect(told).not.toContain('busy');
      client.destroy();
      next.destroy();
      expect(await until(() => !con.attached)).toBe(true);
    } finally {
      await con.close();
    }
  });

  test('terminal: input stream to the card, card output to the output stream', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const con = new TerminalConsole(input, output);
    input.write('echo hi\n');
    let typed: Uint8Array | undefined;
    expect(await until(() => (typed = con.take()) !== undefined)).toBe(true);
    expect(new TextDecoder().decode(typed)).toBe('echo hi\n');
    expect(con.take()).toBeUndefined();
    con.put(new TextEncoder().encode('hi\n'));
    expect(output.read()?.toString()).toBe('hi\n');
    con.close();
  });
});

describe('real backends behind the daemon', () => {
  test('a datagram reaches the card as a frame and the card\'s frame comes back as a datagram; the console socket talks to the card', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const heard: Uint8Array[] = [];
    peer.on('message', (m) => heard.push(new Uint8Array(m)));
    const net = await UdpNet.open({ port: 0, peerPort: peer.address().port });
    const path = join(dir, 'mic0.sock');
    const con = await UnixSocketConsole.listen(path, { linger: wallClockLinger });
    const client = createConnection(path);
    let printed = '';
    client.on('data', (b) => (printed += b.toString()));
    try {
      const sys = createReferenceSystem({ trace: false, dma: true, daemon: true, devices: [], accessLogs: false });
      const d = createDaemon(sys, [{ card: 0, console: con, net, block: new MemoryDisk(8 * 512) }]);
      expect(d.start()).toEqual([]);
      const s = sys.cardServices(0);
      expect(run(sys, d, () => s.net.live && s.console.live)).toBe(true);
      const frames: Uint8Array[] = [];
      s.net.onFrame((f) => frames.push(f.slice()));
      const typed: number[] = [];
      s.console.onInput((b) => typed.push(...b));
      const frame = pattern(1514, 11);
      peer.send(frame, net.port, '127.0.0.1');
      client.write('hello card\n');
      // the sockets deliver between simulation runs, as the event loop gets its turn
      const pumped = (cond: () => boolean) => until(() => run(sys, d, cond, { maxSteps: 20000 }));
      expect(await pumped(() => frames.length === 1 && typed.length >= 11)).toBe(true);
      expect(frames[0]).toEqual(frame);
      expect(new TextDecoder().decode(Uint8Array.from(typed)).startsWith('hello card')).toBe(true);
      expect(s.net.send(pattern(60, 12))).toBe(true);
      expect(s.console.write(new TextEncoder().encode('from the card'))).toBe(13);
      expect(await pumped(() => heard.length === 1 && printed.includes('from the card'))).toBe(true);
      expect(heard[0]).toEqual(pattern(60, 12));
      d.stop();
    } finally {
      client.destroy();
      await con.close();
      await net.close();
      await new Promise<void>((r) => peer.close(() => r()));
    }
  });
});
