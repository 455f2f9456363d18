/**
 * The virtio devices end to end (issue 10 "Benchmarks"): the card's drivers, the ring, COPY_DESC
 * through the DMA engine, our device daemon and the properties' in-memory backends, each run of
 * the system with the daemon alternating as `DevWorld.run` does. Every figure has a raw baseline of
 * the same bytes copied (a Uint8Array.set of the same size per operation) measured in the same run.
 *
 * - blk.randRead.4KiB / blk.randWrite.4KiB (IOPS): QD requests of 4 KiB kept in flight at random
 *   4 KiB-aligned sectors (seeded xorshift, so every run issues the same sequence); each completion
 *   submits the next request, the card kicks once per batch of submissions. Target ≥ 100k IOPS.
 * - blk.seqRead.64KiB (MB/s): the same with 64 KiB reads at consecutive sectors (wrapping).
 * - net.frames.1500B (frames/s) and net.bytes.1500B (MB/s): the card sends 1500-byte frames
 *   (services.net.send), the host backend echoes each frame it gets back to the card, and a frame
 *   the card receives sends the next one (WINDOW frames in flight); a round trip counts once and
 *   its 1500 bytes once (each also crossed the link back). Target ≥ 500 MB/s.
 *
 * Rates are wall-clock medians (bench/harness.ts `rate`); MB is 10^6 bytes.
 */
import { batchOf, rate, withBaseline, type BenchRecord, type BenchSuite } from './harness.ts';
import { reference } from '../impl/index.ts';
import type { BlkCompletion, BlkRequest } from '../model/contract.ts';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_SECTOR_SIZE as SECTOR } from '../model/layout/virtio-devices.ts';
import { DevWorld } from '../properties/devices/world.ts';

/** requests kept in flight */
export const QUEUE_DEPTH = 32;
/** frames in flight card → host → card */
export const WINDOW = 32;
/** the disk: 32 MiB */
const DISK_SECTORS = 65536;
const SEED = 0x6d69_6376;

/** xorshift32: a fixed sequence from a seed */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

function pattern(len: number, salt: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (Math.imul(i + salt, 2654435761) >>> 24) & 0xff;
  return b;
}

function liveWorld(): DevWorld {
  const w = new DevWorld(reference, { dma: true, sectors: DISK_SECTORS, console: false });
  if (w.startErrors.length > 0) throw new Error(`daemon start: ${w.startErrors.join('; ')}`);
  if (!w.waitLive({ net: true, blk: true })) throw new Error('the net and block devices did not come up');
  return w;
}

export type BlkPattern = 'randRead' | 'randWrite' | 'seqRead';

export interface BlkLoad {
  readonly world: DevWorld;
  /** run until `n` more requests completed (QD kept in flight); returns n */
  step(n: number): number;
  /** a write through the device lands in the store and a read returns the store's bytes */
  check(): void;
}

export function createBlkLoad(kind: BlkPattern, size: number, depth = QUEUE_DEPTH): BlkLoad {
  const w = liveWorld();
  const blk = w.services.blk;
  const sectors = size / SECTOR;
  const slots = Math.floor(DISK_SECTORS / sectors);
  const next = prng(SEED);
  let seq = 0;
  const sectorOf = (): number => (kind === 'seqRead' ? (seq++ % slots) * sectors : (next() % slots) * sectors);
  const writes = Array.from({ length: depth }, (_, i) => pattern(size, i + 1));
  let wi = 0;
  for (let i = 0; i < w.disk.bytes.length; i += 4096) w.disk.bytes.set(writes[0]!.subarray(0, Math.min(4096, size)), i);

  let completed = 0;
  let failed = 0;
  let toKick = false;
  const done = (c: BlkCompletion): void => {
    completed++;
    if (c.status !== VIRTIO_BLK_S_OK) failed++;
    submitOne();
  };
  const submitOne = (): void => {
    const req: BlkRequest = kind === 'randWrite' ? { type: 'out', sector: sectorOf(), data: writes[wi++ % depth]! } : { type: 'in', sector: sectorOf(), sectors };
    const r = blk.submit(req, done);
    if (typeof r !== 'number') throw new Error(`blk submit: ${r.reason} ${r.detail}`);
    toKick = true;
  };
  for (let i = 0; i < depth; i++) submitOne();

  const step = (n: number): number => {
    const goal = completed + n;
    const ok = w.run(() => {
      if (toKick) {
        toKick = false;
        blk.kick();
      }
      return completed >= goal;
    });
    if (!ok) throw new Error(`blk ${kind}: stalled at ${completed} of ${goal} completions (${blk.inFlight} in flight)`);
    if (failed > 0) throw new Error(`blk ${kind}: ${failed} requests did not complete OK`);
    return n;
  };

  /** one request alone, to completion (the load keeps running around it) */
  const one = (req: BlkRequest): BlkCompletion => {
    let got: BlkCompletion | undefined;
    const r = blk.submit(req, (c) => void (got = c));
    if (typeof r !== 'number') throw new Error(`blk submit: ${r.reason} ${r.detail}`);
    blk.kick();
    if (!w.run(() => got !== undefined)) throw new Error('blk check: the request never completed');
    return got!;
  };

  return {
    world: w,
    step,
    check() {
      // the load is read-only or writes only its own patterns; this sector is past the load's reach by salt
      const sector = (slots - 1) * sectors;
      const data = pattern(size, 0x5a5a);
      const wr = one({ type: 'out', sector, data });
      if (wr.status !== VIRTIO_BLK_S_OK) throw new Error(`blk check: write status ${wr.status}`);
      const at = sector * SECTOR;
      if (w.disk.bytes.subarray(at, at + size).some((b, i) => b !== data[i])) throw new Error('blk check: the store does not hold the written bytes');
      const rd = one({ type: 'in', sector, sectors });
      if (rd.status !== VIRTIO_BLK_S_OK || rd.data.length !== size || rd.data.some((b, i) => b !== data[i])) throw new Error('blk check: the read did not return the store bytes');
      if (w.disk.violations.length > 0) throw new Error(`blk check: ${w.disk.violations[0]}`);
    },
  };
}

export interface NetEcho {
  readonly world: DevWorld;
  /** run until `n` more frames made the round trip; returns n */
  step(n: number): number;
  /** every frame came back whole and unchanged */
  check(): void;
}

/** a frame for the card (its MAC first) of an EtherType the card's IP stack leaves alone */
function echoFrame(mac: Uint8Array, len: number): Uint8Array {
  const f = pattern(len, 7);
  f.set(mac, 0);
  f.set([0x02, 0, 0, 0, 0, 1], 6);
  f[12] = 0x88;
  f[13] = 0xb5; // IEEE 802 local experimental
  return f;
}

export function createNetEcho(len: number, window = WINDOW): NetEcho {
  const w = liveWorld();
  const net = w.services.net;
  // the host backend echoes: each frame the card sent is queued straight back for the card
  const host = w.net;
  host.put = (frame: Uint8Array): void => void host.toCard.push(frame.slice());
  const frame = echoFrame(net.mac, len);
  let received = 0;
  let bad = 0;
  let refused = 0;
  let owed = 0;
  net.onFrame((f) => {
    received++;
    if (f.length !== len || f[len - 1] !== frame[len - 1] || f[14] !== frame[14]) bad++;
    owed++;
  });
  const sendOwed = (): void => {
    while (owed > 0) {
      if (!net.send(frame)) {
        refused++;
        return;
      }
      owed--;
    }
  };
  owed = window;
  sendOwed();

  const step = (n: number): number => {
    const goal = received + n;
    const ok = w.run(() => {
      if (owed > 0) sendOwed();
      return received >= goal;
    });
    if (!ok) throw new Error(`net echo: stalled at ${received} of ${goal} frames (${owed} unsent, ${refused} sends refused)`);
    if (bad > 0) throw new Error(`net echo: ${bad} frames came back changed`);
    return n;
  };

  return {
    world: w,
    step,
    check() {
      let whole = 0;
      const off = net.onFrame((f) => {
        if (f.length === len && f.every((b, i) => b === frame[i])) whole++;
      });
      step(window);
      off();
      if (whole !== window) throw new Error(`net echo: ${window - whole} of ${window} frames came back changed`);
    },
  };
}

const BATCH = 256;

/**
 * `rate` of `step`, and the CPU time (process.cpuUsage, every thread of the process) per operation
 * over the whole measurement: the machine is shared, and wall time counts other processes' turns
 */
function measure(step: (n: number) => number, opts: Parameters<typeof rate>[1]): { perSec: number; cpuUs: number } {
  // warm first (JIT compilation runs on threads of its own and would count as CPU time here)
  const w0 = performance.now();
  while (performance.now() - w0 < 300) step(BATCH);
  let ops = 0;
  const c0 = process.cpuUsage();
  const perSec = rate(
    batchOf(() => {
      const n = step(BATCH);
      ops += n;
      return n;
    }, 1),
    opts,
  );
  const c = process.cpuUsage(c0);
  return { perSec, cpuUs: (c.user + c.system) / ops };
}

export const suite: BenchSuite = {
  area: 'devices',
  run(): BenchRecord[] {
    if (reference.system === undefined || reference.daemon === undefined) return [];
    const opts = { samples: 5, minSampleMs: 200, warmupMs: 300 };
    const rawOf = (size: number): number => {
      const a = pattern(size, 3);
      const b = new Uint8Array(size);
      return rate(batchOf(() => (b.set(a), 1), BATCH), opts);
    };
    const out: BenchRecord[] = [];
    const blk = (name: string, kind: BlkPattern, size: number, unit: 'IOPS' | 'MB/s', target: string): void => {
      const load = createBlkLoad(kind, size);
      load.check();
      const raw = rawOf(size);
      const m = measure(load.step, opts);
      load.check();
      const scale = unit === 'IOPS' ? 1 : size / 1e6;
      const note = `QD ${QUEUE_DEPTH}, in-memory store, ${m.cpuUs.toFixed(1)} µs CPU/request; baseline Uint8Array.set of ${size} B per request; ${target}`;
      out.push(withBaseline(name, unit, m.perSec * scale, raw * scale, note));
    };
    blk('blk.randRead.4KiB', 'randRead', 4096, 'IOPS', 'target ≥ 100k IOPS');
    blk('blk.randWrite.4KiB', 'randWrite', 4096, 'IOPS', 'target ≥ 100k IOPS');
    blk('blk.seqRead.64KiB', 'seqRead', 65536, 'MB/s', 'no target');

    const LEN = 1500;
    const echo = createNetEcho(LEN);
    echo.check();
    const raw = rawOf(LEN);
    const m = measure(echo.step, opts);
    const fps = m.perSec;
    echo.check();
    const note = `card → host → card echo, ${WINDOW} in flight, ${m.cpuUs.toFixed(1)} µs CPU/round trip; baseline Uint8Array.set of 1500 B per frame`;
    out.push(withBaseline('net.frames.1500B', 'frames/s', fps, raw, note));
    out.push(withBaseline('net.bytes.1500B', 'MB/s', (fps * LEN) / 1e6, (raw * LEN) / 1e6, 'each round trip\'s 1500 B counted once; target ≥ 500 MB/s'));
    return out;
  },
};
