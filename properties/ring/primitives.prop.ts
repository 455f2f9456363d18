/**
 * Claim: the ring's two small rules, restated independently: `needEvent(event, new, old)` is true
 *   exactly when the event index lies in the window (old, new] of indices just published, counted
 *   modulo 2^16 (so a window that wraps past 65535 works, an empty window never fires, and a full
 *   2^16 step cannot be told apart from none); and the MIC feature bitmap puts feature bit i in
 *   byte i >> 3 at bit i & 7 (both directions), dropping bits that do not fit feature_len bytes.
 * Source: NOTIF-02 (vring_need_event), LEG-03; facts §5.3 (feature bitmaps)
 * Level: unit
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';

const u16 = fc.integer({ min: 0, max: 0xffff });

/** is `event` one of the indices old+1 … new (mod 2^16)? walked one by one, not by the formula */
function inWindow(event: number, newIdx: number, oldIdx: number): boolean {
  for (let i = oldIdx; i !== newIdx; ) {
    i = (i + 1) & 0xffff;
    if (i === ((event + 1) & 0xffff)) return true;
  }
  return false;
}

export const ringPrimitives = defineProperty({
  id: 'ring.primitives',
  claim: 'needEvent fires exactly when the event index was among the indices just published (mod 2^16); feature bit i is bit i&7 of byte i>>3 both ways',
  source: 'NOTIF-02, LEG-03; facts §5.3',
  level: 'unit',
  requires: ['ring'],
  runs: 300,
  build: (impl) => {
    const ring = impl.ring!;
    const window = fc
      .tuple(u16, fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 300 })), fc.integer({ min: -4, max: 300 }))
      .map(([old, step, back]) => {
        const newIdx = (old + step) & 0xffff;
        // events around the window: inside, at both edges, just outside, far away
        return { old, newIdx, event: (newIdx - back + 0x10000) & 0xffff };
      });
    const bits = fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 12 });
    return fc.property(fc.array(window, { minLength: 1, maxLength: 20 }), bits, fc.integer({ min: 0, max: 10 }), (ws, set, len) => {
      for (const { event, newIdx, old } of ws) {
        // the event index the driver stores is the last used idx it has seen: the kick is due when
        // the device moved past it, i.e. event + 1 is among old+1 … new
        const want = inWindow(event, newIdx, old);
        const got = ring.needEvent(event, newIdx, old);
        if (got !== want) throw new Error(`needEvent(${event}, ${newIdx}, ${old}) = ${got}, the window (old, new] says ${want}`);
      }
      let value = 0n;
      for (const b of set) value |= 1n << BigInt(b);
      const bytes = ring.featuresToBitmap(value, len);
      if (bytes.length !== len) throw new Error(`featuresToBitmap gave ${bytes.length} bytes, asked for ${len}`);
      for (let i = 0; i < 8 * len; i++) {
        const want = set.includes(i) ? 1 : 0;
        const got = (bytes[i >> 3]! >> (i & 7)) & 1;
        if (got !== want) throw new Error(`feature bit ${i}: byte ${i >> 3} bit ${i & 7} is ${got}, expected ${want}`);
      }
      const back = ring.featuresFromBitmap(bytes);
      const fits = set.filter((b) => b < 8 * len).reduce((v, b) => v | (1n << BigInt(b)), 0n);
      if (back !== fits) throw new Error(`featuresFromBitmap(featuresToBitmap(0x${value.toString(16)}, ${len})) = 0x${back.toString(16)}, expected 0x${fits.toString(16)}`);
    });
  },
});
