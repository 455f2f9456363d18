/**
 * Claim: the card's buffer memory fills up and empties without a leak or an overlap. On a card
 *   whose buffer region is small (card memory 4 GiB + 16 to 32 KiB: the region above 4 GiB is what
 *   the card's virtio drivers allocate buffers from), a driver adds buffers of mixed sizes to two
 *   queues, cycling through them, until the card refuses one for lack of memory (or the rings
 *   are full first):
 *   - the refusal is the typed 'no-memory' error and takes nothing (buffers in flight unchanged);
 *   - every buffer accepted up to then crosses to user space byte-exact through COPY_DESC, and its
 *     writable part comes back with the bytes user space supplied: no two buffers shared memory;
 *   - once all are completed and reaped (back to empty), the same sequence of adds is accepted up to
 *     exactly the same point, twice more: nothing leaked, nothing was freed twice.
 * Source: facts §6.2 (the card allocates its buffers in card memory), §6.5 COPY_DESC; model choice
 *   of the card heap (impl/card/vop/buffers.ts: region above 4 GiB, 64-byte grain); issue 13 item 3
 *   (the card's memory allocator driven to full and back to empty).
 * Level: system
 */
import fc from 'fast-check';
import type { CardVirtioDevice, Implementation } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { DATA, VopWorld } from './world.ts';

interface Buf {
  readonly vq: 0 | 1;
  readonly readable: readonly number[];
  readonly writable: number;
  readonly misalign: number;
}

const bufArb: fc.Arbitrary<Buf> = fc.record({
  vq: fc.constantFrom(0 as const, 1 as const),
  readable: fc.array(
    fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 2, arbitrary: fc.integer({ min: 65, max: 448 }) }, { weight: 1, arbitrary: fc.integer({ min: 449, max: 2000 }) }),
    { minLength: 1, maxLength: 3 },
  ),
  writable: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }) }),
  /** card addresses ≡ misalign (mod 64), as the DMA properties want them */
  misalign: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 63 }) }),
});

const input = fc.record({
  region: fc.constantFrom(16, 24, 32).map((k) => k * 1024),
  bufs: fc.array(bufArb, { minLength: 1, maxLength: 40 }),
});

const payload = (round: number, i: number, k: number, len: number): Uint8Array => Uint8Array.from({ length: len }, (_, b) => (i * 31 + k * 7 + b + round * 3) & 0xff);

interface Posted {
  readonly i: number;
  readonly token: number;
  readonly buf: Buf;
}

/** adds bufs in order, round and round, until the heap refuses one (or the rings it uses are full) */
function fill(dev: CardVirtioDevice, bufs: readonly Buf[], round: number, posted: Posted[]): string {
  const full = [false, false];
  for (let i = 0; i < 8 * bufs.length + 1000; i++) {
    const b = bufs[i % bufs.length]!;
    if (full[b.vq]) continue;
    const before = [dev.inFlight(0), dev.inFlight(1)];
    const t = dev.add(b.vq, b.readable.map((len, k) => payload(round, i, k, len)), b.writable > 0 ? [b.writable] : [], b.misalign);
    if (typeof t === 'number') {
      posted.push({ i, token: t, buf: b });
      continue;
    }
    if (t.reason !== 'no-memory' && t.reason !== 'no-space') throw new Error(`round ${round}: add ${i} refused with ${t.reason}: ${t.detail}`);
    const after = [dev.inFlight(0), dev.inFlight(1)];
    if (after[0] !== before[0] || after[1] !== before[1]) throw new Error(`round ${round}: the refused add ${i} changed the buffers in flight ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    if (t.reason === 'no-memory') return `heap full at add ${i}`;
    // a full ring is the queue's limit, not the heap's
    full[b.vq] = true;
    if (bufs.every((q) => full[q.vq])) return `the rings full at add ${i}`;
  }
  throw new Error(`round ${round}: ${posted.length} buffers added and neither the heap nor the rings ran full`);
}

function run(impl: Implementation, x: { region: number; bufs: readonly Buf[] }): void {
  const sys = impl.system!.createSystem({ trace: false, accessLogs: false, cardMemoryBytes: 2 ** 32 + x.region });
  const boot = sys.writeAttr(0, 'state', 'boot');
  if (!('ok' in boot)) throw new Error(`boot refused: ${boot.errno}`);
  sys.settle();
  const w = new VopWorld(impl, sys);
  const added = w.add({ type: 42, numVq: 2, num: 128, featureLen: 0, configLen: 0 });
  if (!('ok' in added)) throw new Error(`ADD_DEVICE refused: ${added.errno}`);
  sys.settle();
  const dev = w.cardDevice();
  if (dev === undefined || !dev.live) throw new Error('the device did not come up on the card');

  let stop = '';
  for (let round = 0; round < 3; round++) {
    const posted: Posted[] = [];
    const at = fill(dev, x.bufs, round, posted);
    if (round === 0) stop = at;
    else if (at !== stop) throw new Error(`round ${round}: ${at}, round 0: ${stop} (after emptying, the same adds must fit to the same point: memory leaked or was freed twice)`);
    dev.kick(0);
    dev.kick(1);
    sys.settle();
    // each chain to user space and back, in the order it was added on its queue
    for (const vq of [0, 1] as const) {
      for (const p of posted.filter((q) => q.buf.vq === vq)) {
        const rlen = p.buf.readable.reduce((a, n) => a + n, 0);
        const fillByte = (p.i * 13 + round) & 0xff;
        w.user.fill(DATA + rlen, p.buf.writable, fillByte);
        const r = w.copy(vq, [{ base: DATA, len: rlen + p.buf.writable }], true);
        if (!('ok' in r.r)) throw new Error(`round ${round}: COPY_DESC of add ${p.i} on vq ${vq}: ${JSON.stringify(r.r)}`);
        const got = w.readUser(DATA, rlen);
        let off = 0;
        p.buf.readable.forEach((len, k) => {
          const want = payload(round, p.i, k, len);
          const d = want.findIndex((b, j) => got[off + j] !== b);
          if (d >= 0) throw new Error(`round ${round}: add ${p.i}, segment ${k}: byte ${d} arrived as ${got[off + d]}, the card wrote ${want[d]} (another buffer shares its memory)`);
          off += len;
        });
      }
      sys.settle();
      const done = dev.reap(vq);
      if ('kind' in done) throw new Error(`round ${round}: reap of vq ${vq}: ${done.reason} ${done.detail}`);
      const mine = posted.filter((q) => q.buf.vq === vq);
      if (done.length !== mine.length) throw new Error(`round ${round}: vq ${vq} reaped ${done.length} of ${mine.length}`);
      done.forEach((c, k) => {
        const p = mine[k]!;
        if (c.token !== p.token) throw new Error(`round ${round}: vq ${vq} completion ${k} has token ${c.token}, expected ${p.token}`);
        const fillByte = (p.i * 13 + round) & 0xff;
        if (c.written.length !== p.buf.writable || c.written.some((b) => b !== fillByte)) throw new Error(`round ${round}: add ${p.i}'s writable part came back as ${c.written.length} bytes not all ${fillByte}`);
      });
    }
    if (dev.inFlight(0) !== 0 || dev.inFlight(1) !== 0) throw new Error(`round ${round}: buffers still in flight after every completion was reaped`);
  }
}

export const vopCardHeap = defineProperty({
  id: 'vop.cardHeap',
  claim: 'card buffers fill a small region until a typed no-memory refusal that takes nothing; every accepted buffer crosses byte-exact; emptied, the same adds fit to the same point again',
  source: 'facts §6.2, §6.5 COPY_DESC; model choice impl/card/vop/buffers.ts; issue 13 item 3',
  level: 'system',
  requires: ['system', 'memory'],
  runs: 10,
  build: (impl) =>
    fc.property(input, (x) => {
      run(impl, x);
      return true;
    }),
});
