/**
 * The baseline for ring.roundtrip: a minimal single-threaded split ring over one ArrayBuffer (the
 * same legacy layout, DataView little-endian, no windows, no validation). It measures what a
 * round trip costs in plain JS so the reference ring's figure has a same-run yardstick. It does
 * what a correct split ring must do for this round trip and nothing more: the driver hands back
 * the caller's token for the head it reaps (Linux desc_state[head].data) and makes the kick
 * decision (used.flags); the device reads the descriptor's flags (WRITE before writing into the
 * buffer, NEXT to know the chain ends) and makes the interrupt decision (avail.flags).
 */
const NUM = 128;
const DESC = 0;
const AVAIL = NUM * 16;
const USED = 4096;
const BUF = 8192;

export interface MinimalRing {
  /** one round trip: add a 1-descriptor chain, device completes it (writing `payload` bytes), reap */
  roundTrip(payload: Uint8Array | undefined, sink: Uint8Array | undefined): number;
}

export function createMinimalRing(bufLen = 4096): MinimalRing {
  const ab = new ArrayBuffer(BUF + NUM * bufLen);
  const dv = new DataView(ab);
  const bytes = new Uint8Array(ab);
  const mask = NUM - 1;
  let freeHead = 0;
  const next = new Uint16Array(NUM).map((_, i) => (i + 1) & mask);
  let availIdx = 0;
  let lastAvail = 0;
  let usedIdx = 0;
  let lastUsed = 0;
  /** the caller's token per head (here a wrapping counter), handed back on reap */
  const tokens = new Float64Array(NUM);
  let token = 0;
  /** kick and interrupt decisions and the tokens handed back are kept so none of it is dead code */
  let kicks = 0;
  let handedBack = 0;
  return {
    roundTrip(payload, sink) {
      // driver: add + publish + kick check
      const head = freeHead;
      freeHead = next[head]!;
      const d = DESC + head * 16;
      const addr = BUF + head * bufLen;
      dv.setUint32(d, addr, true);
      dv.setUint32(d + 4, 0, true);
      dv.setUint32(d + 8, bufLen, true);
      dv.setUint16(d + 12, 2, true);
      tokens[head] = token;
      token = (token + 1) & 0x3fffffff;
      dv.setUint16(AVAIL + 4 + (availIdx & mask) * 2, head, true);
      availIdx = (availIdx + 1) & 0xffff;
      dv.setUint16(AVAIL + 2, availIdx, true);
      const kick = (dv.getUint16(USED, true) & 1) === 0;
      // device: pop + complete
      const aidx = dv.getUint16(AVAIL + 2, true);
      let got = -1;
      if (aidx !== lastAvail) {
        got = dv.getUint16(AVAIL + 4 + (lastAvail & mask) * 2, true);
        lastAvail = (lastAvail + 1) & 0xffff;
        const dd = DESC + got * 16;
        const baddr = dv.getUint32(dd, true) + dv.getUint32(dd + 4, true) * 0x1_0000_0000;
        const blen = dv.getUint32(dd + 8, true);
        const bflags = dv.getUint16(dd + 12, true);
        if ((bflags & 1) !== 0) return 0; // a chain: this ring only serves one-descriptor round trips
        let len = 0;
        if (payload !== undefined && (bflags & 2) !== 0 && payload.length <= blen) {
          bytes.set(payload, baddr);
          len = payload.length;
        }
        const e = USED + 4 + (usedIdx & mask) * 8;
        dv.setUint32(e, got, true);
        dv.setUint32(e + 4, len, true);
        usedIdx = (usedIdx + 1) & 0xffff;
        dv.setUint16(USED + 2, usedIdx, true);
        if ((dv.getUint16(AVAIL, true) & 1) === 0) kicks++;
      }
      // driver: reap
      let n = 0;
      if (dv.getUint16(USED + 2, true) !== lastUsed) {
        const e = USED + 4 + (lastUsed & mask) * 8;
        const id = dv.getUint32(e, true);
        const len = dv.getUint32(e + 4, true);
        if (sink !== undefined) sink.set(bytes.subarray(BUF + id * bufLen, BUF + id * bufLen + len));
        lastUsed = (lastUsed + 1) & 0xffff;
        handedBack ^= tokens[id]!;
        next[id] = freeHead;
        freeHead = id;
        if (kick) kicks++;
        n = 1;
      }
      return n + ((kicks + handedBack) & 0);
    },
  };
}
