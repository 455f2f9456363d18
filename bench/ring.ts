/**
 * Ring round trips through simulated memory with the MIC windows in the path (issue 4): the card
 * adds a 1-descriptor chain into host memory through its SMPT window (card address
 * 0x80_0000_0000 + hostAddr), the host consumes it from local memory and completes it into the
 * card's used ring through a BAR0 window, the card reaps it locally. Baseline: the minimal
 * single-threaded ring over one ArrayBuffer (bench/ring-baseline.ts), measured in the same run.
 */
import type { BenchRecord, BenchSuite } from './harness.ts';
import { batchOf, rate, withBaseline } from './harness.ts';
import { createMinimalRing } from './ring-baseline.ts';
import { memoryComponents } from '../impl/memory/index.ts';
import { ringComponents } from '../impl/virtio/index.ts';
import type { Chain, DeviceRing, DriverRing, MemFault, MemPort, RingError, Seg, UsedOut } from '../model/contract.ts';
import { vringInit } from '../model/layout/vring.ts';

const SMPT_BASE = 0x80_0000_0000;
const HOST_RAM = 1 << 30;
const CARD_RAM = 1 << 30;
const NUM = 128;
const HOST_RING = 0x10_0000;
const CARD_USED = 0x20_0000;
const CARD_BUF = 0x40_0000;
const BUF_LEN = 4096;

interface MicRing {
  readonly drv: DriverRing;
  readonly dev: DeviceRing;
  roundTrip(payload: Uint8Array | undefined, sink: Uint8Array | undefined): number;
}

function unwrap<T>(v: T | RingError): T {
  if (typeof v === 'object' && v !== null && (v as RingError).kind === 'ring-error') throw new Error(`bench setup: ${(v as RingError).detail}`);
  return v as T;
}

/** what each round trip reuses: the chain the device pops into, the used entry the driver reaps into, one writable buffer */
function roundTripParts(dev: DeviceRing): { chain: Chain; out: UsedOut; writable: Seg[]; none: never[] } {
  return { chain: dev.newChain(), out: { head: 0, len: 0, token: 0 }, writable: [{ addr: CARD_BUF, len: BUF_LEN }], none: [] };
}

export function createMicRing(): MicRing {
  const M = memoryComponents;
  const R = ringComponents;
  if (R === undefined) throw new Error('ring components missing');
  const hostRam = M.createSparseMemory(HOST_RAM, 'host.ram');
  const cardRam = M.createSparseMemory(CARD_RAM, 'card.gddr');
  // the card's physical space: its GDDR at 0, host memory through the SMPT window
  const cardView = M.createWindowedView(2 * SMPT_BASE, 'card.phys');
  cardView.map({ base: 0, len: CARD_RAM, port: cardRam, target: 0, label: 'gddr' });
  cardView.map({ base: SMPT_BASE, len: HOST_RAM, port: hostRam, target: 0, label: 'smpt' });
  // the host's BAR0 aperture: card GDDR at card physical addresses
  const bar0 = M.createWindowedView(CARD_RAM, 'host.bar0');
  bar0.map({ base: 0, len: CARD_RAM, port: cardRam, target: 0, label: 'bar0' });
  const o = vringInit(NUM, 4096);
  const common = { num: NUM, usedAddr: CARD_USED, eventIdx: false, indirect: false };
  const drv = unwrap(R.createDriverRing({ ...common, mem: cardView, descAddr: SMPT_BASE + HOST_RING + o.desc, availAddr: SMPT_BASE + HOST_RING + o.avail }));
  const dev = unwrap(R.createDeviceRing({ ...common, ringMem: hostRam, usedMem: bar0, bufMem: bar0, descAddr: HOST_RING + o.desc, availAddr: HOST_RING + o.avail }));
  const { chain, out, writable, none } = roundTripParts(dev);
  let token = 0;
  return {
    drv,
    dev,
    roundTrip(payload, sink) {
      const h = drv.add(none, writable, token++);
      if (typeof h !== 'number') throw new Error(h.detail);
      drv.kickPrepare();
      if (dev.pop(chain) !== true) throw new Error('device saw nothing');
      let len = 0;
      if (payload !== undefined) {
        const n = dev.writeChain(chain, 0, payload);
        if (typeof n !== 'number') throw new Error(n.reason);
        len = n;
      }
      const e = dev.push(chain.head, len);
      if (e) throw new Error(e.detail);
      dev.needNotify();
      if (drv.reap(out) !== true) throw new Error('driver reaped nothing');
      if (sink !== undefined) {
        const f = cardRam.readInto(CARD_BUF, sink.subarray(0, out.len));
        if (f) throw new Error(f.reason);
      }
      return 1;
    },
  };
}

/**
 * A MemPort over one ArrayBuffer with no windows, no page map and no `pin`: the same ring code over
 * it runs every ring access through the port's checked methods, the path a memory without pins
 * gets (ring.roundtrip.flat).
 */
function flatPort(size: number): MemPort {
  const ab = new ArrayBuffer(size);
  const dv = new DataView(ab);
  const u8 = new Uint8Array(ab);
  const fault = (addr: number, len: number): MemFault => ({ kind: 'mem-fault', reason: 'out-of-range', space: 'flat', addr, len });
  const ok = (a: number, n: number): boolean => a >= 0 && a + n <= size;
  return {
    name: 'flat',
    size,
    read8: (a) => (ok(a, 1) ? u8[a]! : fault(a, 1)),
    read16: (a) => (ok(a, 2) ? dv.getUint16(a, true) : fault(a, 2)),
    read32: (a) => (ok(a, 4) ? dv.getUint32(a, true) : fault(a, 4)),
    read64: (a) => (ok(a, 8) ? dv.getBigUint64(a, true) : fault(a, 8)),
    read64n: (a) => (ok(a, 8) ? dv.getUint32(a, true) + dv.getUint32(a + 4, true) * 0x1_0000_0000 : fault(a, 8)),
    write8: (a, v) => (ok(a, 1) ? void (u8[a] = v) : fault(a, 1)),
    write16: (a, v) => (ok(a, 2) ? void dv.setUint16(a, v, true) : fault(a, 2)),
    write32: (a, v) => (ok(a, 4) ? void dv.setUint32(a, v >>> 0, true) : fault(a, 4)),
    write64: (a, v) => (ok(a, 8) ? void dv.setBigUint64(a, BigInt(v), true) : fault(a, 8)),
    readInto: (a, d) => (ok(a, d.length) ? void d.set(u8.subarray(a, a + d.length)) : fault(a, d.length)),
    read: (a, n) => (ok(a, n) ? u8.slice(a, a + n) : fault(a, n)),
    write: (a, src) => (ok(a, src.length) ? void u8.set(src, a) : fault(a, src.length)),
    fill: (a, n, b) => (ok(a, n) ? void u8.fill(b, a, a + n) : fault(a, n)),
    copy: (d, src, n) => (ok(d, n) && ok(src, n) ? void u8.copyWithin(d, src, src + n) : fault(d, n)),
  };
}

/** the same round trip with every area in one flat port without pins: the ring on port methods */
export function createFlatRing(): MicRing {
  const R = ringComponents!;
  const mem = flatPort(CARD_BUF + BUF_LEN);
  const o = vringInit(NUM, 4096);
  const common = { num: NUM, descAddr: HOST_RING + o.desc, availAddr: HOST_RING + o.avail, usedAddr: CARD_USED, eventIdx: false, indirect: false };
  const drv = unwrap(R.createDriverRing({ ...common, mem }));
  const dev = unwrap(R.createDeviceRing({ ...common, ringMem: mem, usedMem: mem, bufMem: mem }));
  const { chain, out, writable, none } = roundTripParts(dev);
  let token = 0;
  return {
    drv,
    dev,
    roundTrip() {
      if (typeof drv.add(none, writable, token++) !== 'number') throw new Error('add failed');
      drv.kickPrepare();
      if (dev.pop(chain) !== true) throw new Error('device saw nothing');
      if (dev.push(chain.head, 0)) throw new Error('push failed');
      dev.needNotify();
      if (drv.reap(out) !== true) throw new Error('driver reaped nothing');
      return 1;
    },
  };
}

const BATCH = 256;

export const suite: BenchSuite = {
  area: 'ring',
  run(): BenchRecord[] {
    const payload = new Uint8Array(BUF_LEN).map((_, i) => i & 0xff);
    const sink = new Uint8Array(BUF_LEN);
    const mic = createMicRing();
    const base = createMinimalRing(BUF_LEN);
    const loop = (f: () => number): (() => number) => batchOf(f, BATCH);
    const opts = { samples: 5, minSampleMs: 150, warmupMs: 200 };
    const baseRt = rate(loop(() => base.roundTrip(undefined, undefined)), opts);
    const micRt = rate(loop(() => mic.roundTrip(undefined, undefined)), opts);
    const base4k = rate(loop(() => base.roundTrip(payload, sink)), opts);
    const mic4k = rate(loop(() => mic.roundTrip(payload, sink)), opts);
    const flat = createFlatRing();
    const flatRt = rate(loop(() => flat.roundTrip(undefined, undefined)), opts);
    return [
      withBaseline('ring.roundtrip', 'round trips/s', micRt, baseRt, 'card add 1-desc chain → host pop/complete via SMPT+BAR0 windows → card reap; baseline: minimal JS ring on one ArrayBuffer'),
      withBaseline('ring.roundtrip.4KiB', 'round trips/s', mic4k, base4k, 'same, host writes 4 KiB into the chain through BAR0 and the card reads it back'),
      withBaseline('ring.roundtrip.flat', 'round trips/s', flatRt, baseRt, 'diagnostic: the same ring code on a flat port without pins (every ring access a checked port call)'),
    ];
  },
};
