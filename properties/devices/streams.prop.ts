/**
 * Claim: the console and the network carry data across PCIe complete, intact, exactly once and in
 *   order, both ways, for random chunkings, sizes and interleavings of host input, card output and
 *   simulation time:
 *   - console: the bytes typed on the host arrive at the card's console driver as the same byte
 *     stream, and the bytes the card writes (retrying what a full transmit queue did not take)
 *     arrive at the host as the same stream;
 *   - net: every frame (14..1514 bytes, up to the MTU) the host sends reaches the card once, intact
 *     and in order, including bursts larger than the 128-entry receive ring, and none is dropped
 *     because the receive queue was momentarily empty (the host waits for a posted buffer, the card
 *     drops nothing, and once the traffic is over its receive queue is as full as at the start:
 *     every buffer used was posted again); every frame the card sends reaches the host once,
 *     intact, in order, with the virtio_net_hdr stripped.
 * Source: CON-01 (queues 0 and 1), CON-02 (receive buffers writable, transmit buffers readable),
 *   NET-01, NET-02 (legacy 10-byte header), NET-05 (one frame per buffer, buffers big enough);
 *   facts §8.2, §8.3 (queue 0 host → card), §8.4 (console and net loops); issue 10.
 * Level: system
 */
import fc from 'fast-check';
import type { Implementation } from '../../model/contract.ts';
import { VIRTIO_ID_NET } from '../../model/constants/virtio.ts';
import { defineProperty } from '../harness.ts';
import { DevWorld } from './world.ts';

/** an EtherType for local experiments: the card's IP stack lets such frames pass untouched */
const ETHERTYPE_EXPERIMENTAL = 0x88b5;
const ETH_HDR = 14;
const ETH_MAX = 1514;

type Action =
  | { readonly kind: 'host'; readonly n: number; readonly size: number; readonly seed: number }
  | { readonly kind: 'card'; readonly n: number; readonly size: number; readonly seed: number }
  | { readonly kind: 'run'; readonly steps: number };

const actionArb = (maxBurst: number, maxSize: number): fc.Arbitrary<Action> =>
  fc.oneof(
    fc.record({ kind: fc.constant('host' as const), n: fc.integer({ min: 1, max: maxBurst }), size: fc.integer({ min: 1, max: maxSize }), seed: fc.nat(255) }),
    fc.record({ kind: fc.constant('card' as const), n: fc.integer({ min: 1, max: maxBurst }), size: fc.integer({ min: 1, max: maxSize }), seed: fc.nat(255) }),
    fc.record({ kind: fc.constant('run' as const), steps: fc.integer({ min: 1, max: 400 }) }),
  );

/** the card writes more 4096-byte buffers at once than its 128-entry transmit queue holds */
const fullTransmit: fc.Arbitrary<Action> = fc.record({ kind: fc.constant('card' as const), n: fc.integer({ min: 20, max: 40 }), size: fc.integer({ min: 16_000, max: 30_000 }), seed: fc.nat(255) });

const pattern = (len: number, seed: number, k: number): Uint8Array => {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed + k * 31 + i * 7 + (i >> 8)) & 0xff;
  return b;
};

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

interface StreamInput {
  readonly dma: boolean;
  readonly actions: readonly Action[];
}

function consoleRun(impl: Implementation, input: StreamInput): void {
  const w = new DevWorld(impl, { dma: input.dma, net: false, block: false });
  const con = w.services.console;
  con.shell = false;
  if (con.shell !== false) throw new Error('the console shell cannot be turned off');
  if (!w.waitLive({ console: true })) throw new Error('the console never came up on the card');
  const received: Uint8Array[] = [];
  con.onInput((b) => received.push(b.slice()));
  const typed: Uint8Array[] = [];
  const written: Uint8Array[] = [];
  let backlog: Uint8Array[] = [];
  const drain = (): void => {
    while (backlog.length > 0) {
      const c = backlog[0]!;
      const took = con.write(c);
      if (took < 0 || took > c.length) throw new Error(`console.write took ${took} of ${c.length} bytes`);
      if (took > 0) written.push(c.subarray(0, took));
      if (took < c.length) {
        backlog[0] = c.subarray(took);
        return;
      }
      backlog.shift();
    }
  };
  const base = w.console.printed.length;
  let k = 0;
  for (const a of input.actions) {
    if (a.kind === 'host') {
      for (let i = 0; i < a.n; i++) {
        const c = pattern(a.size, a.seed, k++);
        typed.push(c);
        w.console.typing.push(c);
      }
    } else if (a.kind === 'card') {
      for (let i = 0; i < a.n; i++) backlog.push(pattern(a.size, a.seed ^ 0x5a, k++));
      drain();
    } else {
      w.run(() => (drain(), false), a.steps);
    }
  }
  const want = concat(typed);
  const ok = w.run(() => {
    drain();
    return backlog.length === 0 && con.pending === 0 && received.reduce((n, c) => n + c.length, 0) >= want.length && w.console.printed.length - base >= concat(written).length;
  });
  const got = concat(received);
  const d = firstDiff(got, want);
  if (d >= 0) throw new Error(`host → card console: ${got.length} bytes arrived of ${want.length} typed; first difference at byte ${d}${ok ? '' : ' (the stream stalled)'}`);
  const printed = w.console.printed.slice(base);
  const sent = concat(written);
  const e = firstDiff(printed, sent);
  if (e >= 0) throw new Error(`card → host console: ${printed.length} bytes printed of ${sent.length} written; first difference at byte ${e}${ok ? '' : ' (the stream stalled)'}`);
}

function frame(len: number, seed: number, k: number, src: Uint8Array): Uint8Array {
  const f = pattern(Math.max(ETH_HDR, Math.min(ETH_MAX, len)), seed, k);
  f.fill(0xff, 0, 6);
  f.set(src.subarray(0, 6), 6);
  f[12] = ETHERTYPE_EXPERIMENTAL >> 8;
  f[13] = ETHERTYPE_EXPERIMENTAL & 0xff;
  // the frame's number, so a report can say which one went missing
  if (f.length >= ETH_HDR + 4) new DataView(f.buffer).setUint32(ETH_HDR, k);
  return f;
}

function netRun(impl: Implementation, input: StreamInput): void {
  const w = new DevWorld(impl, { dma: input.dma, console: false, block: false });
  if (!w.waitLive({ net: true })) throw new Error('the net device never came up on the card');
  const net = w.services.net;
  const before = { ...net.stats };
  const postedAtStart = rxPosted(w);
  if (postedAtStart <= 0) throw new Error(`the card posted ${postedAtStart} receive buffers when its net device came up`);
  const got: Uint8Array[] = [];
  net.onFrame((f) => got.push(f.slice()));
  const toCard: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  const backlog: Uint8Array[] = [];
  const hostMac = new Uint8Array([0x02, 0, 0, 0, 0, 0xfe]);
  const drain = (): void => {
    while (backlog.length > 0 && net.send(backlog[0]!)) sent.push(backlog.shift()!);
  };
  let k = 0;
  for (const a of input.actions) {
    if (a.kind === 'host') {
      for (let i = 0; i < a.n; i++) {
        const f = frame(a.size, a.seed, k++, hostMac);
        toCard.push(f);
        w.net.toCard.push(f);
      }
    } else if (a.kind === 'card') {
      for (let i = 0; i < a.n; i++) backlog.push(frame(a.size, a.seed ^ 0x33, k++, net.mac));
      drain();
    } else {
      w.run(() => (drain(), false), a.steps);
    }
  }
  const ok = w.run(() => (drain(), backlog.length === 0 && got.length >= toCard.length && w.net.fromCard.length >= sent.length));
  const cmp = (dir: string, have: readonly Uint8Array[], want: readonly Uint8Array[]): void => {
    for (let i = 0; i < Math.max(have.length, want.length); i++) {
      const h = have[i];
      const x = want[i];
      if (h === undefined || x === undefined) throw new Error(`${dir}: ${have.length} frames arrived of ${want.length}${ok ? '' : ' (the stream stalled)'}`);
      if (firstDiff(h, x) >= 0) throw new Error(`${dir}: frame ${i} (${x.length} bytes) arrived as ${h.length} bytes differing at byte ${firstDiff(h, x)}: lost, repeated or damaged`);
    }
  };
  cmp('host → card net', got, toCard);
  cmp('card → host net', w.net.fromCard, sent);
  const s = net.stats;
  if (s.rxDropped !== before.rxDropped) throw new Error(`the card dropped ${s.rxDropped - before.rxDropped} frames`);
  // the refill policy: once the traffic is over the receive queue is as full as it was at the start
  const posted = rxPosted(w);
  if (posted !== postedAtStart) throw new Error(`the card's receive queue holds ${posted} buffers after the traffic, ${postedAtStart} before it (refill policy)`);
}

/** receive buffers the card's net device has posted and the host not yet used (queue 0) */
function rxPosted(w: DevWorld): number {
  const dev = w.sys.cardVirtio(0).find((d) => d.type === VIRTIO_ID_NET);
  return dev === undefined ? -1 : dev.inFlight(0);
}

export const devicesConsole = defineProperty({
  id: 'devices.console',
  claim: 'console bytes cross PCIe complete and in order both ways, for random chunkings and interleavings',
  source: 'CON-01, CON-02; facts §8.3, §8.4',
  level: 'system',
  requires: ['system', 'daemon'],
  runs: 10,
  build: (impl) =>
    fc.property(fc.record({ dma: fc.boolean(), actions: fc.array(fc.oneof({ weight: 5, arbitrary: actionArb(6, 6000) }, { weight: 1, arbitrary: fullTransmit }), { minLength: 1, maxLength: 14 }) }), (input) => {
      consoleRun(impl, input);
      return true;
    }),
});

export const devicesNet = defineProperty({
  id: 'devices.net',
  claim: 'every net frame crosses PCIe exactly once, intact and in order both ways, bursts larger than the receive ring included',
  source: 'NET-01, NET-02, NET-05; facts §8.2, §8.3, §8.4',
  level: 'system',
  requires: ['system', 'daemon'],
  runs: 8,
  build: (impl) =>
    fc.property(
      fc.record({
        dma: fc.boolean(),
        actions: fc.array(
          fc.oneof({ weight: 6, arbitrary: actionArb(40, ETH_MAX + 64) }, { weight: 1, arbitrary: fc.record({ kind: fc.constant('host' as const), n: fc.integer({ min: 129, max: 300 }), size: fc.integer({ min: 14, max: 200 }), seed: fc.nat(255) }) }),
          { minLength: 1, maxLength: 10 },
        ),
      }),
      (input) => {
        netRun(impl, input);
        return true;
      },
    ),
});
