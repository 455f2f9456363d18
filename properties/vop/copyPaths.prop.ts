/**
 * Claim: the host's DMA and CPU copy paths are byte-identical for every length 0..2×64 KiB and
 *   every card and user alignment: a chain of one readable buffer of L bytes and one writable
 *   buffer of room W ≥ L, echoed by COPY_DESC (the caller reads the readable part into its buffer,
 *   in up to two iovecs, then sends the same bytes back into the writable part, in up to two
 *   iovecs), delivers exactly the card's bytes to the caller (and not one byte around them) and
 *   returns exactly those bytes to the card with used length L, with a DMA channel and without
 *   one. The statistics say which path each part took, as the facts do: card → host always by DMA
 *   when there is a channel (in_bytes_dma = in_bytes); host → card by DMA exactly when the card
 *   address of the part is 64-byte aligned and round_up(part, 64) ≤ what is left of the
 *   descriptor, otherwise the CPU copy, counted in tx_dst_unaligned when the address is not
 *   aligned (checked first), else in tx_len_unaligned; without a channel no DMA or unaligned
 *   counter ever moves.
 * Source: facts §6.6 (data copy and DMA alignment rules, statistics), §6.5 COPY_DESC; issue 9 item 3
 * Level: system
 */
import fc from 'fast-check';
import type { CardVirtioDevice, Implementation, MemPort, VopStats } from '../../model/contract.ts';
import { MIC_DP_SIZE } from '../../model/layout/device-page.ts';
import { availSlotOffset, descTableSize, vringAvail, vringDesc } from '../../model/layout/vring.ts';
import { micRingBlockSize } from '../../model/layout/vring.ts';
import { PROT_READ } from '../../model/constants/vop.ts';
import { defineProperty } from '../harness.ts';
import { bootedWorld, DATA, type VopWorld } from './world.ts';

const KIB64 = 64 * 1024;
const MAX_LEN = 2 * KIB64;
const ALIGN = 64;
/** queue size: every case's chain is completed or (length 0) left behind, at most MAX_CASES of them */
const NUM = 32;
const MAX_CASES = 4;
const GUARD = 64;

const roundUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
const clampLen = (n: number): number => Math.min(MAX_LEN, Math.max(0, n));

/** lengths biased at every 64-byte line edge, at the 64 KiB bounce-buffer edge, and small ones */
const lenArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 1, max: MAX_LEN / ALIGN }), fc.constantFrom(0, 1, -1, 63, -63)).map(([k, d]) => clampLen(k * ALIGN + d)) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(KIB64, MAX_LEN), fc.constantFrom(0, 1, -1, 63, -63, 64, -64, 65, -65, 127, -127)).map(([b, d]) => clampLen(b + d)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: MAX_LEN }) },
);

/** where the writable room ends relative to L: exactly L (the rounded length does not fit unless L is a multiple of 64), the rounded length, one short of it, or some slack */
type Room = { readonly kind: 'exact' } | { readonly kind: 'rounded' } | { readonly kind: 'roundedMinus1' } | { readonly kind: 'slack'; readonly extra: number };
const roomArb: fc.Arbitrary<Room> = fc.oneof(
  fc.constant({ kind: 'exact' as const }),
  fc.constant({ kind: 'rounded' as const }),
  fc.constant({ kind: 'roundedMinus1' as const }),
  fc.record({ kind: fc.constant('slack' as const), extra: fc.integer({ min: 0, max: 200 }) }),
);
const roomOf = (L: number, r: Room): number =>
  r.kind === 'exact' ? L : r.kind === 'rounded' ? roundUp(L) : r.kind === 'roundedMinus1' ? Math.max(L, roundUp(L) - 1) : L + r.extra;

/** where the caller splits its buffer into two iovecs: no split, or a fraction of L nudged around a line edge */
type Split = { readonly kind: 'none' } | { readonly kind: 'at'; readonly per1000: number; readonly nudge: number };
const splitArb: fc.Arbitrary<Split> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('at' as const), per1000: fc.integer({ min: 0, max: 1000 }), nudge: fc.constantFrom(0, 1, -1, 63, -63) }),
);
const splitOf = (L: number, s: Split): number =>
  s.kind === 'none' ? L : Math.min(L, Math.max(0, Math.floor((L * s.per1000) / 1000 / ALIGN) * ALIGN + s.nudge));

interface Case {
  readonly len: number;
  readonly room: Room;
  /** card buffers at ≡ misalign (mod 64) */
  readonly misalign: number;
  /** the caller's buffer at DATA + GUARD + userOff */
  readonly userOff: number;
  readonly readSplit: Split;
  readonly writeSplit: Split;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  len: lenArb,
  room: roomArb,
  misalign: fc.oneof(fc.constant(0), fc.constantFrom(1, 63, 32), fc.integer({ min: 0, max: 63 })),
  userOff: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 63 })),
  readSplit: splitArb,
  writeSplit: splitArb,
});

/** bytes with no short period (a shift by any amount shows) */
function sourceBytes(n: number, salt: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (salt * 0x9e3779b1 + 1) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

type Counters = { -readonly [K in keyof VopStats]: number };
const COUNTERS: readonly (keyof VopStats)[] = ['inBytes', 'outBytes', 'inBytesDma', 'outBytesDma', 'txLenUnaligned', 'txDstUnaligned'];
const zero = (): Counters => ({ inBytes: 0, outBytes: 0, inBytesDma: 0, outBytesDma: 0, txLenUnaligned: 0, txDstUnaligned: 0 });

/** the host → card parts COPY_DESC will copy: (card address, length, room left in the descriptor) */
function expectedStats(dma: boolean, L: number, wAddr: number, W: number, s2: number): Counters {
  const d = zero();
  d.inBytes = L;
  d.outBytes = L;
  if (!dma) return d;
  d.inBytesDma = L;
  for (const [off, n] of [[0, s2], [s2, L - s2]] as const) {
    if (n === 0) continue;
    const addr = wAddr + off;
    const room = W - off;
    // facts §6.6: the destination check first, then the rounded length against the room left
    if (addr % ALIGN !== 0) d.txDstUnaligned += n;
    else if (roundUp(n) > room) d.txLenUnaligned += n;
    else d.outBytesDma += n;
  }
  return d;
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** one system, one device, one read-only view of its ring 0 */
class Side {
  readonly w: VopWorld;
  readonly dev: CardVirtioDevice;
  private readonly ring: MemPort;
  private salt = 0;

  constructor(impl: Implementation, readonly dma: boolean) {
    this.w = bootedWorld(impl, { dma });
    const r = this.w.add({ type: 3, numVq: 1, num: NUM, featureLen: 4, configLen: 0 });
    if (!('ok' in r)) throw new Error(`ADD_DEVICE refused: ${r.errno}`);
    this.w.sys.settle();
    const d = this.w.cardDevice();
    if (d === undefined || !d.live) throw new Error('the card has no live device after ADD_DEVICE');
    this.dev = d;
    const m = this.w.sys.vop.mmap(this.w.fd, 0, MIC_DP_SIZE + micRingBlockSize(NUM), PROT_READ);
    if (!('ok' in m)) throw new Error(`mmap of the device page and ring 0 refused: ${m.errno}`);
    this.ring = m.view;
  }

  private stats(where: string): Counters {
    const s = this.w.sys.vop.stats(this.w.fd);
    if (s === undefined) throw new Error(`${where}: no statistics for the device`);
    const c = zero();
    for (const k of COUNTERS) c[k] = s[k];
    return c;
  }

  private num(v: number | bigint | object, what: string): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new Error(`reading ${what} through the read-only mmap faulted: ${JSON.stringify(v)}`);
  }

  /** the card addresses of the newest chain, as the descriptor table (read through mmap) has them */
  private newestChain(): { rAddr: number; rLen: number; wAddr: number; wLen: number } {
    const block = MIC_DP_SIZE;
    const avail = block + descTableSize(NUM);
    const idx = this.num(this.ring.read16(avail + vringAvail.fields.idx.offset), 'avail.idx');
    const head = this.num(this.ring.read16(avail + availSlotOffset((idx - 1) & (NUM - 1))), 'avail.ring[]');
    const desc = (i: number): { addr: number; len: number; next: number } => {
      const at = block + i * vringDesc.size;
      return {
        addr: this.num(this.ring.read64n(at + vringDesc.fields.addr.offset), 'desc.addr'),
        len: this.num(this.ring.read32(at + vringDesc.fields.len.offset), 'desc.len'),
        next: this.num(this.ring.read16(at + vringDesc.fields.next.offset), 'desc.next'),
      };
    };
    const r = desc(head);
    const w = desc(r.next);
    return { rAddr: r.addr, rLen: r.len, wAddr: w.addr, wLen: w.len };
  }

  /** one case; returns what the caller received and what the card got back */
  run(c: Case, src: Uint8Array, where: string): { user: Uint8Array; card: Uint8Array | undefined } {
    const L = c.len;
    const W = roomOf(L, c.room);
    const at = `${where} [${this.dma ? 'DMA' : 'no DMA'}: L=${L} W=${W} misalign=${c.misalign} userOff=${c.userOff}]`;
    const before = this.stats(at);
    // the caller's buffer with a guard on either side, all of it filled with bytes the chain does not have
    const U = DATA + GUARD + c.userOff;
    const around = sourceBytes(L + 2 * GUARD, 0x5eed + ++this.salt);
    this.w.user.write(U - GUARD, around);

    const token = this.dev.add(0, [src], [W], c.misalign);
    if (typeof token !== 'number') throw new Error(`${at}: card add refused: ${token.reason} ${token.detail}`);
    this.dev.kick(0);
    this.w.sys.settle();
    const ch = this.newestChain();
    if (ch.rLen !== L || ch.wLen !== W) throw new Error(`${at}: the posted chain has lengths ${ch.rLen}/${ch.wLen}`);
    if (ch.rAddr % ALIGN !== c.misalign || ch.wAddr % ALIGN !== c.misalign) {
      throw new Error(`${at}: card buffers at 0x${ch.rAddr.toString(16)}/0x${ch.wAddr.toString(16)}, asked for ≡ ${c.misalign} (mod 64)`);
    }

    const s1 = splitOf(L, c.readSplit);
    const s2 = splitOf(L, c.writeSplit);
    const iovs = [
      { base: U, len: s1 },
      { base: U + s1, len: L - s1 },
      { base: U, len: s2 },
      { base: U + s2, len: L - s2 },
    ];
    const { r, outLen } = this.w.copy(0, iovs, true);
    if (!('ok' in r) || r.value !== 0) throw new Error(`${at}: COPY_DESC returned ${JSON.stringify(r)}, expected 0`);
    if (outLen !== 2 * L) throw new Error(`${at}: out_len ${outLen}, expected ${2 * L} (L read + L written back)`);
    this.w.sys.settle();

    const all = this.w.readUser(U - GUARD, L + 2 * GUARD);
    const user = all.subarray(GUARD, GUARD + L);
    for (const [from, to, what] of [[0, GUARD, 'before'], [GUARD + L, 2 * GUARD + L, 'after']] as const) {
      const bad = firstDiff(all.subarray(from, to), around.subarray(from, to));
      if (bad >= 0) throw new Error(`${at}: user byte ${bad} of the guard ${what} the buffer changed (${around[from + bad]} → ${all[from + bad]})`);
    }

    const done = this.dev.reap(0);
    if (!Array.isArray(done)) throw new Error(`${at}: reap failed: ${JSON.stringify(done)}`);
    let card: Uint8Array | undefined;
    if (L === 0) {
      // nothing moved: the chain is not completed (update_used needs out_len > 0)
      if (done.length !== 0) throw new Error(`${at}: an empty chain came back: ${JSON.stringify(done.map((d) => d.token))}`);
    } else {
      if (done.length !== 1 || done[0]!.token !== token) throw new Error(`${at}: reaped ${JSON.stringify(done.map((d) => [d.token, d.len]))}, expected token ${token}`);
      if (done[0]!.len !== L) throw new Error(`${at}: used len ${done[0]!.len}, expected ${L}`);
      card = done[0]!.written;
    }

    const after = this.stats(at);
    const want = expectedStats(this.dma, L, ch.wAddr, W, s2);
    const got = zero();
    for (const k of COUNTERS) got[k] = after[k] - before[k];
    const wrong = COUNTERS.filter((k) => got[k] !== want[k]);
    if (wrong.length > 0) {
      throw new Error(`${at}: statistics moved by ${JSON.stringify(got)}, the facts say ${JSON.stringify(want)} (write split at ${s2}, read split at ${s1}; wrong: ${wrong.join(', ')})`);
    }
    return { user, card };
  }
}

export const vopCopyPaths = defineProperty({
  id: 'vop.copyPaths',
  claim: 'DMA and CPU copy paths deliver identical bytes (exactly the source, nothing around it) for every length and alignment, and the statistics show DMA taken exactly when facts §6.6 say',
  source: 'facts §6.6, §6.5 COPY_DESC; issue 9 item 3',
  level: 'system',
  requires: ['system', 'memory'],
  runs: 40,
  build: (impl) =>
    fc.property(fc.array(caseArb, { minLength: 1, maxLength: MAX_CASES }), (cases) => {
      const withDma = new Side(impl, true);
      const withoutDma = new Side(impl, false);
      cases.forEach((c, i) => {
        const where = `case ${i}`;
        const src = sourceBytes(c.len, i + 1);
        const a = withDma.run(c, src, where);
        const b = withoutDma.run(c, src, where);
        for (const [what, x, y] of [['the user received', a.user, b.user], ['the card got back', a.card, b.card]] as const) {
          if (x === undefined && y === undefined) continue;
          if (x === undefined || y === undefined) throw new Error(`${where}: ${what}: one world completed the chain, the other did not`);
          const dd = firstDiff(x, src);
          if (dd >= 0) throw new Error(`${where} (L=${c.len}, misalign ${c.misalign}): with DMA, byte ${dd} ${what} is ${x[dd]}, the source has ${src[dd]}`);
          const dc = firstDiff(y, src);
          if (dc >= 0) throw new Error(`${where} (L=${c.len}, misalign ${c.misalign}): without DMA, byte ${dc} ${what} is ${y[dc]}, the source has ${src[dc]}`);
        }
      });
    }),
});
