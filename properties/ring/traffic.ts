/**
 * Random ring traffic between the card's driver ring and the host's device ring, interleaved by
 * fast-check choices, checked against a model of what is in flight (RING-13/15/16/19). Shared by
 * ring.conservation and ring.usedBytes, which read different verdict categories.
 */
import fc from 'fast-check';
import type { Chain, Implementation, UsedOut } from '../../model/contract.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { journalKinds, opt } from '../journal.ts';
import { buildWorld, CARD_BUF, CARD_BUF_HIGH, isRingError, shake, type World } from './world.ts';

export interface ChainSpec {
  readonly readable: readonly number[];
  readonly writable: readonly number[];
  readonly indirect: boolean;
}

export interface TrafficInput {
  readonly num: number;
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  readonly startIdx: number;
  /** rings pin their areas (else they use the ports' methods) */
  readonly pins: boolean;
  /** steps may remap the windows and migrate the pages under the rings (pins lose their leases, bytes stay) */
  readonly remaps: boolean;
  readonly chains: readonly ChainSpec[];
  readonly choices: readonly number[];
  readonly fill: number;
}

const segLens = fc.array(fc.integer({ min: 0, max: 48 }), { maxLength: 3 });

export const chainSpec: fc.Arbitrary<ChainSpec> = fc
  .record({ readable: segLens, writable: segLens, indirect: fc.boolean() })
  .filter((c) => c.readable.length + c.writable.length > 0);

/** power-of-two queue sizes: MIC's 1..128 mostly, the generic ring up to 32768 sometimes (RING-01) */
export const queueSize: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1, 2, 4, 8, 16, 32, 64, 128) },
  { weight: 1, arbitrary: fc.constantFrom(256, 4096, 32768) },
);

/** start indices near the 2^16 wrap most of the time (RING-13) */
export const startIdx: fc.Arbitrary<number> = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 65500, max: 65535 }) }, { weight: 1, arbitrary: fc.nat({ max: 65535 }) });

export const trafficInput: fc.Arbitrary<TrafficInput> = fc.record({
  num: queueSize,
  eventIdx: fc.boolean(),
  indirect: fc.boolean(),
  startIdx,
  pins: fc.boolean(),
  remaps: fc.boolean(),
  chains: fc.array(chainSpec, { minLength: 1, maxLength: 30 }),
  choices: interleaving(300),
  fill: fc.nat({ max: 255 }),
});

export type Category = 'conservation' | 'bytes' | 'error';

/** a head recorded for a pop or reap that returned a ring error */
const FAILED = -2;

/** the actions of a traffic run, as a failure lists its last ones (heads, tokens = chain numbers, lengths) */
export const ringJournal = journalKinds({
  add: ([token, head, r, w, ind]) => `chain ${token} → ${opt(head, 'head')}: ${r} readable + ${w} writable bytes${ind ? ', indirect' : ''}`,
  kick: ([n]) => `driver publishes ${n} chain(s)`,
  pop: ([head, token, n, cut]) => (head === FAILED ? 'device pop fails (ring error)' : head < 0 ? 'device finds nothing new' : `device fetches head ${head} (${opt(token, 'chain')}), reads ${n} bytes in pieces at ${cut}`),
  complete: ([head, token, len, cut]) => `device completes head ${head} (chain ${token}): writes ${len} bytes in pieces at ${cut}`,
  reap: ([head, token, len]) => (head === FAILED ? 'driver reap fails (ring error)' : head < 0 ? 'driver finds no used entry' : `driver reaps used head ${head}, token ${token}, len ${len}`),
  remap: () => 'windows remapped, pages under the rings migrated',
});
export type RingJournal = ReturnType<typeof ringJournal>;

export interface Violation {
  readonly category: Category;
  readonly msg: string;
}

interface Seg {
  addr: number;
  len: number;
}

interface Flight {
  readonly token: number;
  readonly head: number;
  readonly readable: Seg[];
  readonly writable: Seg[];
  published: boolean;
  popped: boolean;
  /** set when the device completed it */
  usedLen: number;
  written: Uint8Array | undefined;
}

const readablePattern = (token: number, i: number): number => (token * 13 + i + 1) & 0xff;
const writtenPattern = (token: number, fill: number, i: number): number => (token * 31 + i * 7 + fill) & 0xff;

function sumLens(segs: readonly Seg[]): number {
  let n = 0;
  for (const s of segs) n += s.len;
  return n;
}

function normalise(spec: ChainSpec, num: number): { readable: number[]; writable: number[] } {
  const readable = spec.readable.slice(0, num);
  const writable = spec.writable.slice(0, Math.max(0, num - readable.length));
  return { readable, writable };
}

/** runs the traffic; `journal` gets every action (the property shows its last ones on a violation) */
export function runTraffic(impl: Implementation, input: TrafficInput, journal: RingJournal = ringJournal()): Violation[] {
  const w: World = buildWorld(impl, { num: input.num, eventIdx: input.eventIdx, indirect: input.indirect, startIdx: input.startIdx, pins: input.pins });
  const { drv, dev, cardRam } = w;
  const pool = w.cfg.indirect ? Math.min(input.num, 8) : 0;
  const out: Violation[] = [];
  const bad = (category: Category, msg: string): void => {
    journal.freeze();
    if (out.length < 20) out.push({ category, msg });
  };
  const choice = choicesFrom(input.choices);
  const flights = new Map<number, Flight>(); // by token
  const byHead = new Map<number, Flight>(); // in flight, by head
  const held: { f: Flight; chain: Chain }[] = [];
  const freeChains: Chain[] = [];
  // buffers alternate between low card memory and above 4 GiB, so both halves of a descriptor's
  // 64-bit address (direct and in indirect tables) carry meaning
  const cursor = [CARD_BUF, CARD_BUF_HIGH];
  let nextChain = 0;
  let reaped = 0;
  let allocs = 0;
  const usedOut: UsedOut = { head: -1, len: -1, token: -1 };

  const alloc = (len: number): Seg => {
    const side = allocs++ & 1;
    const s = { addr: cursor[side]!, len };
    cursor[side]! += len + 16;
    return s;
  };

  const add = (): void => {
    const spec = input.chains[nextChain]!;
    const { readable, writable } = normalise(spec, input.num);
    const token = nextChain++;
    const r = readable.map(alloc);
    const wr = writable.map(alloc);
    let off = 0;
    for (const s of r) {
      const at = off;
      cardRam.write(s.addr, Uint8Array.from({ length: s.len }, (_, i) => readablePattern(token, at + i)));
      off += s.len;
    }
    const useIndirect = spec.indirect && pool > 0 && r.length + wr.length <= pool;
    const head = drv.add(r, wr, token, useIndirect);
    journal.rec('add', token, isRingError(head) ? -1 : head, off, sumLens(wr), useIndirect ? 1 : 0);
    if (isRingError(head)) {
      bad('error', `driver add of chain ${token} failed: ${head.code} ${head.detail}`);
      return;
    }
    if (byHead.has(head)) bad('conservation', `head ${head} handed out again while chain ${byHead.get(head)!.token} is in flight`);
    const f: Flight = { token, head, readable: r, writable: wr, published: false, popped: false, usedLen: -1, written: undefined };
    flights.set(token, f);
    byHead.set(head, f);
  };

  const kick = (): void => {
    drv.kickPrepare();
    let n = 0;
    for (const f of byHead.values()) {
      if (!f.published) n++;
      f.published = true;
    }
    journal.rec('kick', n);
  };

  const pop = (): boolean => {
    const chain = freeChains.pop() ?? dev.newChain();
    const r = dev.pop(chain);
    if (isRingError(r)) {
      journal.rec('pop', FAILED);
      bad('error', `device pop failed on a valid ring: ${r.code} ${r.detail}`);
      return false;
    }
    if (!r) {
      journal.rec('pop', -1);
      freeChains.push(chain);
      const waiting = [...byHead.values()].filter((f) => f.published && !f.popped).length;
      if (waiting > 0) bad('conservation', `device sees nothing while ${waiting} published chains wait`);
      return false;
    }
    const f = byHead.get(chain.head);
    if (f === undefined || !f.published || f.popped) {
      journal.rec('pop', chain.head, f === undefined ? -1 : f.token);
      bad('conservation', `device fetched head ${chain.head}, which is not a published chain waiting for it`);
      freeChains.push(chain);
      return true;
    }
    f.popped = true;
    const same = (n: number, addrs: Float64Array, lens: Float64Array, segs: Seg[]): boolean =>
      n === segs.length && segs.every((s, i) => addrs[i] === s.addr && lens[i] === s.len);
    if (!same(chain.nReadable, chain.rAddr, chain.rLen, f.readable) || !same(chain.nWritable, chain.wAddr, chain.wLen, f.writable)) {
      bad('conservation', `head ${chain.head} (chain ${f.token}) came to the device with other buffers than the driver added`);
    }
    const total = f.readable.reduce((a, s) => a + s.len, 0);
    const got = new Uint8Array(total);
    // in two pieces from a random cut, so reads that start inside a segment (the offset) are covered
    const cut = total === 0 ? 0 : choice.choose(total + 1);
    const n = (dev.readChain(chain, 0, got.subarray(0, cut)) as number) + (dev.readChain(chain, cut, got.subarray(cut)) as number);
    journal.rec('pop', chain.head, f.token, n, cut);
    if (n !== total || got.some((b, i) => b !== readablePattern(f.token, i))) bad('conservation', `chain ${f.token}: the device read other bytes than the driver's readable buffers hold (read in pieces at ${cut})`);
    held.push({ f, chain });
    return true;
  };

  const complete = (k: number): void => {
    const [h] = held.splice(k, 1);
    const { f, chain } = h!;
    const cap = f.writable.reduce((a, s) => a + s.len, 0);
    const len = cap === 0 ? 0 : choice.choose(cap + 1);
    const bytes = Uint8Array.from({ length: len }, (_, i) => writtenPattern(f.token, input.fill, i));
    const cut = len === 0 ? 0 : choice.choose(len + 1);
    const n = (dev.writeChain(chain, 0, bytes.subarray(0, cut)) as number) + (dev.writeChain(chain, cut, bytes.subarray(cut)) as number);
    if (n !== len) bad('bytes', `device could write ${String(n)} of ${len} bytes into chain ${f.token} (in pieces at ${cut})`);
    journal.rec('complete', f.head, f.token, len, cut);
    const e = dev.push(f.head, len);
    if (e) bad('error', `device push failed: ${e.code} ${e.detail}`);
    f.usedLen = len;
    f.written = bytes;
    freeChains.push(chain);
    dev.needNotify();
  };

  const reap = (): boolean => {
    const r = drv.reap(usedOut);
    if (isRingError(r) || !r) journal.rec('reap', r ? FAILED : -1);
    else journal.rec('reap', usedOut.head, usedOut.token, usedOut.len);
    if (isRingError(r)) {
      bad('error', `driver reap failed on an honest device: ${r.code} ${r.detail}`);
      return false;
    }
    if (!r) return false;
    const f = byHead.get(usedOut.head);
    if (f === undefined || f.usedLen < 0) {
      bad('conservation', `driver got used id ${usedOut.head}, which the device did not complete`);
      return true;
    }
    if (usedOut.token !== f.token) bad('conservation', `head ${f.head}: driver got token ${usedOut.token}, expected ${f.token}`);
    byHead.delete(f.head);
    flights.delete(f.token);
    reaped++;
    const cap = f.writable.reduce((a, s) => a + s.len, 0);
    if (usedOut.len !== f.usedLen) bad('bytes', `chain ${f.token}: used len ${usedOut.len}, device wrote ${f.usedLen}`);
    if (usedOut.len > cap) bad('bytes', `chain ${f.token}: used len ${usedOut.len} > ${cap} writable bytes (RING-15)`);
    // RING-17: the driver trusts the first len bytes of the writable part, read in its own memory
    const seen: number[] = [];
    for (const s of f.writable) {
      const b = cardRam.read(s.addr, s.len);
      if (b instanceof Uint8Array) seen.push(...b);
    }
    const want = f.written!;
    for (let i = 0; i < Math.min(usedOut.len, want.length); i++) {
      if (seen[i] !== want[i]) {
        bad('bytes', `chain ${f.token}: byte ${i} reads ${seen[i]}, device wrote ${want[i]}`);
        break;
      }
    }
    return true;
  };

  const remap = (): void => {
    journal.rec('remap');
    shake(w);
  };

  const canAdd = (): boolean => {
    if (nextChain >= input.chains.length) return false;
    const { readable, writable } = normalise(input.chains[nextChain]!, input.num);
    const total = readable.length + writable.length;
    const ind = input.chains[nextChain]!.indirect && pool > 0 && total <= pool;
    return drv.numFree >= (ind ? 1 : total);
  };

  const maxSteps = 8 * input.chains.length + 50;
  for (let step = 0; step < maxSteps && out.length === 0; step++) {
    const actions: (() => void)[] = [];
    if (canAdd()) actions.push(add);
    if ([...byHead.values()].some((f) => !f.published)) actions.push(kick);
    actions.push(() => void pop());
    if (held.length > 0) actions.push(() => complete(choice.choose(held.length + 1) % held.length));
    actions.push(() => void reap());
    if (input.remaps) actions.push(remap);
    const a = actions.length === 1 ? 0 : choice.choose(actions.length);
    actions[a]!();
  }
  // drain: everything added must come back exactly once
  for (let round = 0; round < 4 * input.chains.length + 8 && out.length === 0; round++) {
    if (canAdd()) add();
    kick();
    while (pop()) {
      /* fetch all */
    }
    while (held.length > 0) complete(0);
    while (reap()) {
      /* reap all */
    }
    if (nextChain >= input.chains.length && byHead.size === 0) break;
  }
  if (out.length === 0) {
    if (byHead.size > 0) bad('conservation', `${byHead.size} chains never came back: ${[...byHead.values()].map((f) => f.token).join(',')}`);
    if (reaped !== nextChain) bad('conservation', `${nextChain} chains added, ${reaped} reaped`);
    if (drv.error) bad('error', `driver ring error: ${drv.error.code}`);
    if (dev.error) bad('error', `device ring error: ${dev.error.code}`);
  }
  return out;
}
