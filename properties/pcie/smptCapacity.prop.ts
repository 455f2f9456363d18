/**
 * Claim: the SMPT fills to exactly its 32 entries and empties again. Host ranges beyond the first
 *   512 GiB (which the identity-programmed entries cannot serve), of 1 to 4 pages of 16 GiB each and
 *   together exactly 32 pages, are mapped one after another: each takes the lowest free run of
 *   entries (its card address is 0x80_0000_0000 + run·16 GiB + the offset in its first page), the
 *   software translation and the card's view reach the host bytes, and then every entry holds its
 *   byte count: the table is full. A further range of one byte on a new page is refused with
 *   no-space and changes no entry; a range already mapped is still served by the reuse scan.
 *   Unmapped in any order, every count returns to 0, and a single 512 GiB range (all 32 entries)
 *   then maps at the window base: nothing leaked. Twice over, with other pages the second time.
 * Source: facts §2 (32 entries × 16 GiB, window at 0x80_0000_0000, reuse scan then lowest run of
 *   free entries, byte reference counts, unmap only subtracts; mic_map returns 0 when full);
 *   issue 13 item 3 (SMPT entries).
 * Level: component
 */
import fc from 'fast-check';
import type { Implementation, Smpt } from '../../model/contract.ts';
import { SMPT_NUM_ENTRIES, SMPT_PAGE_SIZE as P, SMPT_WINDOW_BASE as BASE, SMPT_WINDOW_SIZE } from '../../model/constants/pcie.ts';
import { defineProperty } from '../harness.ts';

interface Run {
  readonly pages: number;
  /** where in its first page the range starts, and how far short of its last page's end it stops (fractions) */
  readonly off: number;
  readonly tail: number;
}

/** runs of 1..4 pages that add up to exactly 32 */
const runsArb: fc.Arbitrary<Run[]> = fc
  .array(fc.record({ pages: fc.integer({ min: 1, max: 4 }), off: fc.double({ min: 0, max: 1, noNaN: true }), tail: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 32, maxLength: 32 })
  .map((rs) => {
    const out: Run[] = [];
    let left = SMPT_NUM_ENTRIES;
    for (const r of rs) {
      if (left === 0) break;
      const pages = Math.min(r.pages, left);
      out.push({ ...r, pages });
      left -= pages;
    }
    return out;
  });

const input = fc.record({
  rounds: fc.tuple(runsArb, runsArb),
  /** unmap order: a permutation key per run */
  order: fc.array(fc.nat(), { minLength: 32, maxLength: 32 }),
});

/** far host pages: above 512 GiB, distinct per round */
const FAR = 64;
/** sparse host memory large enough for every far page (costs only what is touched) */
const HOST_BYTES = 2 ** 44;

function range(first: number, r: Run): { host: number; size: number } {
  const off = Math.min(P - 1, Math.floor(r.off * P));
  // the last byte stays in page first + pages − 1
  const room = r.pages * P - off;
  const tail = Math.min(room - 1, Math.floor(r.tail * (P - 1)));
  return { host: first * P + off, size: room - tail };
}

function full(smpt: Smpt): string | undefined {
  const e = smpt.entries();
  const empty = e.map((x, i) => (x.refBytes > 0 ? -1 : i)).filter((i) => i >= 0);
  return empty.length === 0 ? undefined : `entries ${empty.join(',')} hold no bytes`;
}

function run(impl: Implementation, x: { rounds: [Run[], Run[]]; order: number[] }): void {
  const platform = impl.pcie!.createPlatform({ cards: 1, cardMemoryBytes: 64 * 2 ** 20, hostMemoryBytes: HOST_BYTES });
  const smpt = platform.smpt[0]!;
  const card = platform.cards[0]!;
  const host = platform.hostMemory;
  x.rounds.forEach((runs, round) => {
    const at = (s: string): string => `round ${round}: ${s}`;
    const live: { card: number; size: number; host: number }[] = [];
    let page = FAR + round * 4 * SMPT_NUM_ENTRIES;
    let entry = 0;
    for (const [k, r] of runs.entries()) {
      const { host: h, size } = range(page, r);
      const got = smpt.map(h, size);
      const want = BASE + entry * P + (h % P);
      if (got !== want) throw new Error(at(`map ${k} of ${r.pages} pages at host 0x${h.toString(16)}+0x${size.toString(16)} gave ${JSON.stringify(got)}, the lowest free run gives 0x${want.toString(16)}`));
      const back = smpt.translate(got + size - 1);
      if (back !== h + size - 1) throw new Error(at(`the last byte of map ${k} translates to ${JSON.stringify(back)}, not 0x${(h + size - 1).toString(16)}`));
      live.push({ card: got, size, host: h });
      entry += r.pages;
      // distinct far pages, with a gap so no two ranges could be joined by the reuse scan
      page += r.pages + 1;
    }
    const notFull = full(smpt);
    if (notFull !== undefined) throw new Error(at(`after maps covering all ${SMPT_NUM_ENTRIES} entries, ${notFull}`));
    // the card reaches host memory through every entry
    for (const l of live) {
      // one byte: a range may hold only a few bytes of its first page
      host.write8(l.host, 0x5e + round);
      if (card.cardView.read8(l.card) !== 0x5e + round) throw new Error(at(`card address 0x${l.card.toString(16)} does not reach host 0x${l.host.toString(16)}`));
    }
    const before = JSON.stringify(smpt.entries());
    const more = smpt.map((page + 1) * P, 1);
    if (typeof more === 'number' || more.reason !== 'no-space') throw new Error(at(`a map on a new page with all entries taken gave ${JSON.stringify(more)}, expected no-space`));
    if (JSON.stringify(smpt.entries()) !== before) throw new Error(at('a refused map changed the entries'));
    // a range already mapped is served by the reuse scan, full table or not
    const again = live[0]!;
    const reuse = smpt.map(again.host, 1);
    if (reuse !== again.card) throw new Error(at(`mapping a byte of an already mapped range gave ${JSON.stringify(reuse)}, expected 0x${again.card.toString(16)}`));
    if (smpt.unmap(reuse, 1) !== undefined) throw new Error(at('unmap of the reused byte refused'));
    // back to empty, in the generated order
    const order = live.map((l, i) => ({ l, key: x.order[i] ?? i })).sort((a, b) => a.key - b.key);
    for (const { l } of order) {
      const e = smpt.unmap(l.card, l.size);
      if (e !== undefined) throw new Error(at(`unmap of 0x${l.card.toString(16)}+0x${l.size.toString(16)} refused: ${e.reason} ${e.detail}`));
    }
    const left = smpt.entries().map((e, i) => (e.refBytes !== 0 ? `${i}:${e.refBytes}` : '')).filter((s) => s !== '');
    if (left.length > 0) throw new Error(at(`after unmapping everything the counts are not 0: ${left.join(' ')}`));
    const whole = smpt.map((page + 2) * P, SMPT_WINDOW_SIZE);
    if (whole !== BASE) throw new Error(at(`a 512 GiB range on an empty table gave ${JSON.stringify(whole)}, expected the window base`));
    if (smpt.unmap(BASE, SMPT_WINDOW_SIZE) !== undefined) throw new Error(at('unmap of the whole window refused'));
  });
}

export const smptCapacity = defineProperty({
  id: 'pcie.smpt.capacity',
  claim: 'SMPT ranges fill exactly the 32 entries (lowest free runs), a further page is no-space, reuse still works, and unmapping empties every entry (a 512 GiB map then fits)',
  source: 'facts §2; issue 13 item 3',
  level: 'component',
  requires: ['sim', 'memory', 'pcie'],
  runs: 40,
  build: (impl) =>
    fc.property(input, (x) => {
      run(impl, x as { rounds: [Run[], Run[]]; order: number[] });
      return true;
    }),
});
