/**
 * Claim: at every queue size 1, 2, 4, …, 256 the driver ring can be filled to exactly full and
 *   emptied again, twice over (the second time from a shuffled free list and, from start indices
 *   near 65535, across the 2^16 wrap): numFree counts exactly the descriptors not in flight, an add
 *   is accepted exactly when its descriptors (1 for an indirect chain) fit, a refused add says
 *   no-space and changes nothing (numFree, inFlight, what the device can fetch), a full ring refuses
 *   a one-descriptor chain (direct and indirect), the device fetches exactly the chains added, each
 *   head once, and when all come back used numFree is the queue size again.
 * Source: RING-08 (chain of at most num descriptors), RING-13, RING-19; virtio 1.x §2.7.13
 *   (driver adds while free descriptors last); Linux virtqueue_add_split (-ENOSPC when
 *   num_free < descs_used); issue 13 item 3.
 * Level: component
 */
import fc from 'fast-check';
import type { Chain, Implementation, UsedOut } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { buildWorld, CARD_BUF, isRingError } from './world.ts';
import { startIdx } from './traffic.ts';

/** every MIC queue size and twice the largest (the contract's generic ring goes further) */
export const CAPACITY_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256] as const;

interface Shape {
  /** buffers in the chain (clipped to the queue size) */
  readonly n: number;
  readonly indirect: boolean;
}

interface CapacityInput {
  readonly indirect: boolean;
  readonly eventIdx: boolean;
  readonly pins: boolean;
  readonly startIdx: number;
  readonly shapes: readonly Shape[];
  /** how the device returns the fetched chains: a rotation of the fetch order */
  readonly rotate: number;
}

const capacityInput: fc.Arbitrary<CapacityInput> = fc.record({
  indirect: fc.boolean(),
  eventIdx: fc.boolean(),
  pins: fc.boolean(),
  startIdx,
  shapes: fc.array(fc.record({ n: fc.integer({ min: 1, max: 4 }), indirect: fc.boolean() }), { minLength: 1, maxLength: 12 }),
  rotate: fc.nat(),
});

function fillAndDrain(impl: Implementation, input: CapacityInput, num: number): string | undefined {
  const w = buildWorld(impl, { num, eventIdx: input.eventIdx, indirect: input.indirect, startIdx: input.startIdx, pins: input.pins });
  const { drv, dev } = w;
  const pool = input.indirect ? Math.min(num, 8) : 0;
  const seg = (k: number) => ({ addr: CARD_BUF + k * 32, len: 16 });
  const at = `queue size ${num}`;
  let token = 0;
  for (let round = 0; round < 2; round++) {
    // fill: the oracle's free count is the queue size minus what it has added
    let free = num;
    const added = new Map<number, number>(); // token → descriptors it took
    for (let k = 0; free > 0; k++) {
      const s = input.shapes[k % input.shapes.length]!;
      const n = Math.min(s.n, num);
      const ind = s.indirect && pool > 0 && n <= pool;
      const cost = ind ? 1 : n;
      const segs = Array.from({ length: n }, (_, i) => seg(i));
      const beforeFree = drv.numFree;
      const beforeFlight = drv.inFlight;
      const r = drv.add(segs, [], token, ind);
      if (cost > free) {
        if (!isRingError(r) || r.code !== 'no-space') return `${at}, round ${round}: add of ${cost} descriptors with ${free} free → ${isRingError(r) ? r.code : `head ${r}`}, expected no-space`;
        if (drv.numFree !== beforeFree || drv.inFlight !== beforeFlight) return `${at}: a refused add changed numFree/inFlight`;
        // make progress with a one-descriptor chain
        const one = drv.add([seg(0)], [], token, false);
        if (isRingError(one)) return `${at}, round ${round}: one descriptor refused with ${free} free: ${one.code}`;
        added.set(token++, 1);
        free -= 1;
      } else {
        if (isRingError(r)) return `${at}, round ${round}: add of ${cost} descriptors (${ind ? 'indirect' : 'direct'}) refused with ${free} free: ${r.code} ${r.detail}`;
        added.set(token++, cost);
        free -= cost;
      }
      if (drv.numFree !== free) return `${at}, round ${round}: numFree ${drv.numFree} after ${added.size} chains, expected ${free}`;
      if (drv.inFlight !== added.size) return `${at}: inFlight ${drv.inFlight}, expected ${added.size}`;
    }
    // exactly full: nothing more fits, not even one descriptor, and a refusal changes nothing
    for (const ind of pool > 0 ? [false, true] : [false]) {
      const r = drv.add([seg(0)], [], -1, ind);
      if (!isRingError(r) || r.code !== 'no-space') return `${at}, round ${round}: a full ring accepted a one-descriptor ${ind ? 'indirect' : 'direct'} chain (${isRingError(r) ? r.code : `head ${r}`})`;
    }
    if (drv.numFree !== 0 || drv.inFlight !== added.size) return `${at}: full ring shows numFree ${drv.numFree}, inFlight ${drv.inFlight}`;
    drv.kickPrepare();
    // the device fetches exactly the chains added, each head once
    const heads: number[] = [];
    const chains: Chain[] = [];
    for (;;) {
      const c = dev.newChain();
      const p = dev.pop(c);
      if (isRingError(p)) return `${at}, round ${round}: device pop on a full ring: ${p.code} ${p.detail}`;
      if (!p) break;
      if (heads.includes(c.head)) return `${at}: head ${c.head} fetched twice`;
      if (heads.length >= added.size) return `${at}: the device fetched more chains than were added (${heads.length + 1})`;
      heads.push(c.head);
      chains.push(c);
    }
    if (heads.length !== added.size) return `${at}, round ${round}: device fetched ${heads.length} of ${added.size} chains`;
    // back to empty, completing in a rotated order
    const rot = input.rotate % heads.length;
    for (const h of [...heads.slice(rot), ...heads.slice(0, rot)]) {
      const e = dev.push(h, 0);
      if (e) return `${at}: push of head ${h}: ${e.code}`;
    }
    const out: UsedOut = { head: -1, len: -1, token: -1 };
    const back = new Set<number>();
    for (;;) {
      const r = drv.reap(out);
      if (isRingError(r)) return `${at}: reap: ${r.code} ${r.detail}`;
      if (!r) break;
      if (!added.has(out.token) || back.has(out.token)) return `${at}: reaped token ${out.token}, not a chain in flight`;
      back.add(out.token);
    }
    if (back.size !== added.size) return `${at}, round ${round}: ${back.size} of ${added.size} chains came back`;
    if (drv.numFree !== num || drv.inFlight !== 0) return `${at}, round ${round}: emptied ring shows numFree ${drv.numFree}, inFlight ${drv.inFlight}`;
  }
  if (drv.error || dev.error) return `${at}: ring error ${drv.error?.code ?? dev.error?.code}`;
  return undefined;
}

export const capacity = defineProperty({
  id: 'ring.capacity',
  claim: 'at every queue size 1..256 the ring fills to exactly full (numFree 0, add refused no-space, nothing changed) and empties back to numFree = num',
  source: 'RING-08, RING-13, RING-19; virtio 1.x §2.7.13; issue 13 item 3',
  level: 'component',
  requires: ['memory', 'ring'],
  runs: 20,
  build: (impl) =>
    fc.property(capacityInput, (input) => {
      for (const num of CAPACITY_SIZES) {
        const e = fillAndDrain(impl, input, num);
        if (e) throw new Error(e);
      }
      return true;
    }),
});
