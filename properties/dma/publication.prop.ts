/**
 * Claim: a DMA client never announces a descriptor before it is in the ring. At every point where
 *   the engine may look (after each store a client makes into its channel's descriptor ring and
 *   after each register write it makes: the finest interleaving, since the engine runs at the same
 *   time and the stores are posted), an independent oracle reads the channel's registers and finds:
 *   - every slot a DHPR write announces (from the head the engine had to the head written) had both
 *     of its quadwords stored since that slot was last announced: no slot is announced with a
 *     missing half or with the descriptor of the ring's previous lap (facts §7.5: the descriptors
 *     are programmed, then a write barrier, then DHPR := issued);
 *   - no store lands in a slot between DTPR and DHPR while the channel runs: those slots belong to
 *     the engine, which may be half way through reading one (facts §7.3: one slot kept empty,
 *     free slots = (tail − head − 1) mod size);
 *   - no store of a client lands outside its own ring.
 *   There is no order rule between a descriptor's qw0 and qw1 (the type sits in qw1, facts §7.4):
 *   the engine reads only slots below the head, so both halves need only precede the DHPR write.
 *   Traffic: small rings (8 to 32 slots, wrapping many times) on two channels, memcopies of one or
 *   two descriptors, immediate-data STATUS and interrupt-only preps with fence and interrupt flags,
 *   issue now or later, callbacks that submit again from inside the cleanup, releases and
 *   re-requests (the ring is programmed again); at the end every cookie completes once.
 * Source: facts §7.3 (ring, free-slot count), §7.4 (descriptor quadwords), §7.5 (prep, tx_submit
 *   barrier, issue_pending writes DHPR); DESIGN.md §3 (publication oracle); issue 13 item 1.
 * Level: component
 */
import fc from 'fast-check';
import type { DmaChan, DmaError, DmaResult, DmaTx, Implementation } from '../../model/contract.ts';
import { DMA_PREP_FENCE as F, DMA_PREP_INTERRUPT as I, MIC_DMA_NUM_CHAN, channelOwner } from '../../model/constants/dma.ts';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { buildWorld, isDmaError, MiB, request } from './world.ts';
import { DescriptorRingOracle } from './ringOracle.ts';

type Op =
  | { readonly kind: 'copy'; readonly ch: 0 | 1; readonly copies: 1 | 2; readonly lines: number; readonly flags: number; readonly issue: boolean; readonly steps: number; readonly again: boolean }
  | { readonly kind: 'status' | 'interrupt'; readonly ch: 0 | 1; readonly flags: number; readonly issue: boolean; readonly steps: number; readonly again: boolean }
  | { readonly kind: 'release'; readonly ch: 0 | 1 };

const common = {
  ch: fc.constantFrom(0 as const, 1 as const),
  flags: fc.constantFrom(0, F, I, F | I),
  issue: fc.boolean(),
  steps: fc.nat({ max: 6 }),
  /** the completion callback submits a one-line copy on its channel (re-entering the cleanup) */
  again: fc.boolean(),
};
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('copy' as const), copies: fc.oneof({ weight: 5, arbitrary: fc.constant(1 as const) }, { weight: 1, arbitrary: fc.constant(2 as const) }), lines: fc.integer({ min: 1, max: 4 }), ...common }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('status' as const), ...common }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('interrupt' as const), ...common }).map((o) => (o.flags === 0 ? { ...o, flags: F } : o)) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), ch: common.ch }) },
);

const input = fc.record({
  ringSize: fc.constantFrom(8, 9, 16, 32),
  /** one host channel and one card channel */
  chans: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 4, max: MIC_DMA_NUM_CHAN - 1 })),
  ops: fc.array(opArb, { minLength: 1, maxLength: 40 }),
  choices: interleaving(100),
});

interface Sub {
  cookie: number;
  readonly calls: DmaResult[];
  readonly life: number;
}

function run(impl: Implementation, x: { readonly ringSize: number; readonly chans: readonly [number, number]; readonly ops: readonly Op[]; readonly choices: readonly number[] }): void {
  const oracle = new DescriptorRingOracle();
  const world = buildWorld(impl, x.choices, x.ringSize, { publications: (p) => oracle.onPoint(p) });
  const card = world.platform.cards[0]!;
  const chans: DmaChan[] = x.chans.map((n) => request(world, n));
  const lives = [0, 0];
  // sources: a pattern in card GDDR and in host memory (reached through the SMPT); destinations in GDDR
  const srcLen = 2 * MiB;
  card.cardMemory.fill(2 * MiB, srcLen, 0x5a);
  world.platform.hostMemory.fill(2 * MiB, srcLen, 0xa5);
  const hostSrc = world.platform.smpt[0]!.map(2 * MiB, srcLen);
  if (typeof hostSrc !== 'number') throw new Error('SMPT map failed');
  let dst = 8 * MiB;
  const nextDst = (len: number): number => {
    const at = dst;
    dst += Math.ceil(len / 64) * 64 + 64;
    if (dst > 40 * MiB) dst = 8 * MiB;
    return at;
  };
  const subs: Sub[] = [];
  const problems: string[] = [];
  const full = (e: DmaError): boolean => e.reason === 'no-slots';

  const submit = (i: number, tx: DmaTx, again: boolean): void => {
    const sub: Sub = { cookie: 0, calls: [], life: lives[i]! };
    tx.callback = (res) => {
      sub.calls.push(res);
      if (!again || res !== 'noerror' || sub.life !== lives[i]) return;
      const c = chans[i]!;
      if (c.phase !== 'active') return;
      const t = c.prepMemcpy(nextDst(64), 2 * MiB + 64 * (subs.length % 8), 64, 0);
      if (isDmaError(t)) {
        if (!full(t) && t.reason !== 'prep-pending') problems.push(`a callback's prep refused: ${t.errno} ${t.reason}`);
        return;
      }
      submit(i, t, false);
    };
    const c = tx.submit();
    if (isDmaError(c)) problems.push(`submit refused: ${c.detail}`);
    else {
      sub.cookie = c;
      subs.push(sub);
    }
  };

  x.ops.forEach((op, k) => {
    const i = op.ch;
    const n = x.chans[i]!;
    if (op.kind === 'release') {
      // the drain fence needs room: let the engine empty the ring first
      chans[i]!.issuePending();
      world.sched.runUntilIdle(1_000_000);
      for (const s of subs) if (s.life === lives[i]) chans[i]!.txStatus(s.cookie);
      const e = chans[i]!.release();
      if (e !== undefined) throw new Error(`op ${k}: release of channel ${n} refused: ${e.errno} ${e.reason}`);
      lives[i]!++;
      chans[i] = request(world, n);
      return;
    }
    const c = chans[i]!;
    const host = channelOwner(n) === 'host';
    const src = host ? hostSrc : 2 * MiB;
    let tx: DmaTx | DmaError;
    if (op.kind === 'copy') {
      const len = op.copies === 1 ? op.lines * 64 : c.maxXfer + op.lines * 64;
      tx = c.prepMemcpy(nextDst(len), src, len, op.flags);
    } else if (op.kind === 'status') tx = c.prepStatus(nextDst(8), 0x0123456789abcdefn, op.flags);
    else tx = c.prepInterrupt(op.flags);
    if (isDmaError(tx)) {
      if (!full(tx)) throw new Error(`op ${k}: ${op.kind} on channel ${n} refused: ${tx.errno} ${tx.reason} ${tx.detail}`);
    } else submit(i, tx, op.again);
    if (op.issue) c.issuePending();
    for (let s = 0; s < op.steps; s++) if (world.sched.step() === 'idle') break;
  });

  for (let round = 0; round < 4; round++) {
    for (const c of chans) c.issuePending();
    world.sched.runUntilIdle(1_000_000);
    for (let i = 0; i < 2; i++) for (const s of subs) if (s.life === lives[i]) chans[i]!.txStatus(s.cookie);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  for (const s of subs) {
    if (s.calls.length !== 1) throw new Error(`cookie ${s.cookie}: callback ran ${JSON.stringify(s.calls)}`);
  }
  if (oracle.checks === 0) throw new Error(`the oracle saw ${oracle.stores} ring stores but no DHPR write`);
}

export const dmaPublication = defineProperty({
  id: 'dma.publication',
  claim: 'at every ring store and register write of a client, every slot a DHPR write announces was stored (both quadwords) this lap, and no store lands in a slot the engine owns',
  source: 'facts §7.3, §7.4, §7.5; DESIGN.md §3; issue 13 item 1',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 40,
  build: (impl) =>
    fc.property(input, (x) => {
      run(impl, x);
      return true;
    }),
});
