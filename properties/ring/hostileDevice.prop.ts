/**
 * Claim: the card's driver ring does not trust the host either: a used entry naming a head that
 *   is out of range, free, added but not yet published, or already returned, a used len above the
 *   chain's writable bytes, or a used idx moved past what is in flight, each yields its typed error;
 *   the error is kept (the ring needs reset), the bad entry neither frees descriptors nor reaches
 *   the caller as a completion, and after the reset every buffer still out is detached exactly once.
 * Source: RING-15, RING-17, RING-19, STATUS-07; DESIGN.md §6
 * Level: hostile
 */
import fc from 'fast-check';
import type { Implementation, RingErrorCode, UsedOut } from '../../model/contract.ts';
import { vringUsed, vringUsedElem, usedElemOffset } from '../../model/layout/vring.ts';
import { defineProperty } from '../harness.ts';
import { buildWorld, CARD_BUF, isRingError, u16 } from './world.ts';

type Corruption = 'id-out-of-range' | 'id-free' | 'id-unpublished' | 'id-returned' | 'len-too-big' | 'idx-jump';

const input = fc.record({
  num: fc.constantFrom(4, 8, 16, 32, 64, 128),
  startIdx: fc.oneof(fc.integer({ min: 65530, max: 65535 }), fc.nat({ max: 65535 })),
  good: fc.nat({ max: 3 }),
  pins: fc.boolean(),
  what: fc.constantFrom<Corruption>('id-out-of-range', 'id-free', 'id-unpublished', 'id-returned', 'len-too-big', 'idx-jump'),
  r: fc.nat({ max: 1 << 20 }),
});

const EXPECT: Record<Corruption, RingErrorCode> = {
  'id-out-of-range': 'used-id-invalid',
  'id-free': 'used-id-invalid',
  'id-unpublished': 'used-id-invalid',
  'id-returned': 'used-id-invalid',
  'len-too-big': 'used-len-too-big',
  'idx-jump': 'used-idx-jump',
};

function run(impl: Implementation, p: { num: number; startIdx: number; good: number; pins: boolean; what: Corruption; r: number }): string | undefined {
  const w = buildWorld(impl, { num: p.num, eventIdx: false, indirect: false, startIdx: p.startIdx, pins: p.pins });
  const { drv, cardRam } = w;
  const out: UsedOut = { head: -1, len: -1, token: -1 };
  let usedIdx = p.startIdx;
  const complete = (id: number, len: number, advance = 1): void => {
    const e = w.cardUsed + usedElemOffset(usedIdx & (p.num - 1));
    cardRam.write32(e + vringUsedElem.fields.id.offset, id);
    cardRam.write32(e + vringUsedElem.fields.len.offset, len);
    usedIdx = u16(usedIdx + advance);
    cardRam.write16(w.cardUsed + vringUsed.fields.idx.offset, usedIdx);
  };
  const add = (token: number): number | string => {
    const h = drv.add([], [{ addr: CARD_BUF + token * 64, len: 32 }], token);
    return isRingError(h) ? `add failed: ${h.code}` : h;
  };
  // honest traffic first: `good` chains completed and reaped
  for (let k = 0; k < p.good; k++) {
    const h = add(k);
    if (typeof h === 'string') return h;
    drv.kickPrepare();
    complete(h, 32);
    if (drv.reap(out) !== true || out.token !== k) return `honest completion ${k} not reaped`;
  }
  // two chains in flight and published, one more added but not published
  const live = add(100);
  if (typeof live === 'string') return live;
  const live2 = add(102);
  if (typeof live2 === 'string') return live2;
  drv.kickPrepare();
  const hidden = add(101);
  if (typeof hidden === 'string') return hidden;
  if (p.what === 'id-returned') {
    // the device returns `live` twice: the first entry is honest
    complete(live, 0);
    if (drv.reap(out) !== true || out.head !== live) return 'honest completion of the live chain not reaped';
  }
  const freeBefore = drv.numFree;
  const inFlightBefore = drv.inFlight;
  const freeHead = [...Array(p.num).keys()].find((h) => drv.writableBytes(h) < 0);
  switch (p.what) {
    case 'id-out-of-range':
      complete(p.num + (p.r % 0xffff), 0);
      break;
    case 'id-free':
      if (freeHead === undefined) return undefined;
      complete(freeHead, 0);
      break;
    case 'id-unpublished':
      complete(hidden, 0);
      break;
    case 'id-returned':
      complete(live, 0);
      break;
    case 'len-too-big':
      complete(live, 33 + (p.r % 1000));
      break;
    case 'idx-jump':
      complete(live, 0, 3 + (p.r % 1000));
      break;
  }
  const r = drv.reap(out);
  const want = EXPECT[p.what];
  if (!isRingError(r)) return `${p.what}: driver reaped (${String(r)}, head ${out.head}) instead of failing with ${want}`;
  if (r.code !== want) return `${p.what}: driver said ${r.code} (${r.detail}), expected ${want}`;
  const again = drv.reap(out);
  if (!isRingError(again) || drv.error?.code !== want) return `${p.what}: the error was not kept`;
  if (drv.numFree !== freeBefore || drv.inFlight !== inFlightBefore) return `${p.what}: the bad entry changed the free list (free ${freeBefore}→${drv.numFree}, in flight ${inFlightBefore}→${drv.inFlight})`;
  const next = drv.add([], [{ addr: CARD_BUF, len: 8 }], 999);
  if (!isRingError(next)) return `${p.what}: a broken ring still takes new chains`;
  // recovery after the device reset (RING-19): every buffer still out comes back exactly once
  const expected = [100, 101, 102].filter((t) => !(p.what === 'id-returned' && t === 100)).sort();
  const back: number[] = [];
  for (let t = drv.detachUnused(); t !== -1 && back.length <= p.num; t = drv.detachUnused()) back.push(t);
  if (JSON.stringify(back.sort()) !== JSON.stringify(expected)) return `${p.what}: detachUnused gave back [${back}], expected [${expected}]`;
  if (drv.numFree !== p.num || drv.inFlight !== 0) return `${p.what}: after detaching everything ${drv.numFree} of ${p.num} descriptors are free`;
  return undefined;
}

export const hostileDevice = defineProperty({
  id: 'ring.hostileDevice',
  claim: 'the driver ring refuses used entries for heads not in flight, overstated lengths and used idx jumps with typed errors, and keeps its free list',
  source: 'RING-15, RING-17, STATUS-07; DESIGN.md §6',
  level: 'hostile',
  requires: ['memory', 'ring'],
  runs: 200,
  build: (impl) =>
    fc.property(input, (p) => {
      const e = run(impl, p);
      if (e) throw new Error(e);
      return true;
    }),
});
