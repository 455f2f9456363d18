/**
 * Randomized DMA traffic on all 8 channels of one card, from both sides at once, and its oracle.
 *
 * Every transfer gets its own source and destination range (all ranges disjoint, with gaps), some
 * placed across a 4 KiB page boundary or across a 16 GiB SMPT-entry boundary of host memory.
 * Sources are filled before submission and never written again, so "the bytes as they were at
 * submission" are the bytes in the shadow memories. The oracle keeps two shadow memories (host and
 * card) and applies each completed transfer with a plain read/write; at the end the real memories
 * must equal the shadows everywhere except the DMA drivers' own rings and status buffers.
 *
 * Unaligned requests (sizes 1, 63, 65, 64 KiB ± 1, or an address off by 1..63) exercise the
 * documented behaviour of prepMemcpy: it refuses them (EINVAL, 'unaligned') and changes nothing;
 * the traffic then does what the host VOP code does (facts §6.6): round the source down and the
 * length up to 64 and copy that into a 64-byte aligned destination.
 */
import fc from 'fast-check';
import type { DmaChan, DmaError, DmaResult, Implementation, SparseMemory } from '../../model/contract.ts';
import { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, MIC_DMA_NUM_CHAN, channelOwner } from '../../model/constants/dma.ts';
import { journalKinds } from '../journal.ts';
import { GiB, KiB, MiB, buildWorld, isDmaError, request, type DmaWorld } from './world.ts';

export type Dir = 'h2c' | 'c2h' | 'c2c' | 'h2h';

const flagNames = (f: number): string =>
  [f & DMA_PREP_FENCE ? 'FENCE' : '', f & DMA_PREP_INTERRUPT ? 'INTERRUPT' : ''].filter((x) => x !== '').join('|') || 'none';
const from = (nested: number): string => (nested ? 'nested submission of op' : 'op');

/** the actions of a traffic run on the channels, with the ops and cookies they acted on */
export const dmaJournal = journalKinds({
  prep: ([i, ch, len, size, skew, flags], dir) =>
    `op ${i}: ch ${ch} prepares ${String(dir)} ${len} bytes${size !== len || skew !== 0 ? ` (asked ${size} at skew ${skew}, rounded to 64)` : ''}, flags ${flagNames(flags)}`,
  refused: ([i, ch], reason) => `op ${i}: ch ${ch} refuses the prep: ${String(reason)}`,
  submit: ([i, ch, cookie, nested]) => `${from(nested)} ${i}: ch ${ch} submit → ${cookie < 0 ? 'refused' : `cookie ${cookie}`}`,
  issue: ([ch]) => `ch ${ch} issues pending work`,
  steps: ([n]) => `up to ${n} scheduler steps`,
  callback: ([i, ch, cookie, nested], res) => `${from(nested)} ${i}: ch ${ch} cookie ${cookie} callback (${String(res)})`,
  poll: ([ch, cookie, by], status) => `callback of cookie ${by} polls ch ${ch} cookie ${cookie}: ${String(status)}`,
  terminate: ([ch, by, release], outcome) => `callback of cookie ${by} terminates ch ${ch} with ${release ? 'release()' : 'beginRelease()'}: ${String(outcome)}`,
  request: ([ch, life]) => `ch ${ch} requested again (life ${life})`,
  finish: () => 'finish: issue everything, run until idle, poll every cookie',
});
export type DmaJournal = ReturnType<typeof dmaJournal>;

export interface TrafficOp {
  readonly ch: number;
  readonly size: number;
  readonly dir: Dir;
  readonly flags: number;
  readonly cross: 'none' | 'page' | 'smpt';
  /** 0 = aligned addresses; 1..63 = request addresses shifted by this many bytes */
  readonly skew: number;
  readonly issue: boolean;
  /** scheduler steps to run after this op */
  readonly steps: number;
  /** what this transaction's completion callback does on its own channel (re-entrant clients) */
  readonly reenter?: Reentry;
}

/**
 * A re-entrant client (issue 13 item 2): from inside the completion callback, on the same channel,
 * submit a new transaction, poll a cookie (txStatus), issue pending work, or terminate the channel
 * (release() when the callback runs outside a scheduler event, else beginRelease()).
 */
export interface Reentry {
  readonly act: 'submit' | 'poll' | 'issue' | 'terminate';
  /** poll: which submission of the channel (modulo their number); submit: size in 64-byte lines − 1 */
  readonly k: number;
}

export const reentryArb: fc.Arbitrary<Reentry> = fc.record({
  act: fc.constantFrom('submit', 'submit', 'poll', 'poll', 'issue', 'terminate'),
  k: fc.nat({ max: 63 }),
});

/** traffic whose callbacks sometimes re-enter the channel */
export function reentrantOpArb(dirs?: readonly Dir[]): fc.Arbitrary<TrafficOp> {
  return fc.record({ op: opArb(dirs), reenter: fc.option(reentryArb, { freq: 2, nil: undefined }) }).map(({ op, reenter }) => (reenter === undefined ? op : { ...op, reenter }));
}

const SIZES = [1, 63, 64, 65, 128, 4096, 4160, 65535, 65536, 65537, 65600] as const;

export const sizeArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SIZES) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 9000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 160 }).map((k) => k * 64) },
  { weight: 1, arbitrary: fc.constantFrom(512 * KiB, 512 * KiB + 64, MiB - 64, MiB) },
);

export function opArb(dirs: readonly Dir[] = ['h2c', 'c2h', 'c2c']): fc.Arbitrary<TrafficOp> {
  return fc.record({
    ch: fc.integer({ min: 0, max: MIC_DMA_NUM_CHAN - 1 }),
    size: sizeArb,
    dir: fc.constantFrom(...dirs),
    flags: fc.constantFrom(0, DMA_PREP_FENCE, DMA_PREP_INTERRUPT, DMA_PREP_FENCE | DMA_PREP_INTERRUPT),
    cross: fc.constantFrom('none', 'page', 'smpt'),
    skew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 63 }) }),
    issue: fc.boolean(),
    steps: fc.nat({ max: 12 }),
  });
}

export interface Submission {
  readonly index: number;
  readonly ch: number;
  cookie: number;
  readonly dst: { host: boolean; addr: number };
  readonly src: { host: boolean; addr: number };
  readonly len: number;
  readonly calls: DmaResult[];
  /** re-entrant runs: how many times the channel had been re-requested when this was submitted */
  readonly life?: number;
  /** re-entrant runs: submitted from inside a callback */
  readonly nested?: boolean;
}

export interface TrafficRun {
  readonly world: DmaWorld;
  readonly chans: readonly DmaChan[];
  readonly subs: Submission[];
  /** callbacks in the order they ran */
  readonly callOrder: Submission[];
  /** human-readable violations found while running (refusals that should not be, etc.) */
  readonly problems: string[];
  readonly hostShadow: SparseMemory;
  readonly cardShadow: SparseMemory;
  /** re-entrant runs: per channel, terminations that were accepted (each submits one drain fence) */
  readonly terminations: number[];
  /** re-entrant runs: per channel, how many times it was requested again after a termination */
  readonly lives: number[];
  readonly journal: DmaJournal;
}

const align = (n: number, a: number): number => Math.floor(n / a) * a;
const alignUpTo = (n: number, a: number): number => Math.ceil(n / a) * a;

/** deterministic bytes for transfer i (xorshift32), different per transfer */
function pattern(i: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const words = new Uint32Array(out.buffer, 0, len >>> 2);
  let x = (0x9e3779b9 ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0 || 1;
  for (let k = 0; k < words.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[k] = x >>> 0;
  }
  for (let k = words.length * 4; k < len; k++) out[k] = (i * 31 + k) & 0xff;
  return out;
}

/** disjoint placement of ranges, some across page or 16 GiB boundaries */
class Placer {
  private hostNext = 1 * MiB;
  private cardNext = 1 * MiB;
  private readonly smptFree = [16 * GiB, 32 * GiB, 48 * GiB];

  place(host: boolean, len: number, cross: TrafficOp['cross']): number {
    const half = align(len >> 1, 64);
    if (host && cross === 'smpt' && this.smptFree.length > 0) return this.smptFree.shift()! - half;
    let next = host ? this.hostNext : this.cardNext;
    let start: number;
    if (cross === 'page') start = alignUpTo(next + 64 + half, 4096) - half;
    else start = alignUpTo(next + 64, 64);
    next = start + len + 64;
    if (host) this.hostNext = next;
    else this.cardNext = next;
    return start;
  }
}

export interface TrafficOptions {
  readonly ringSize?: number;
  /** called after every op (and its steps) */
  readonly afterOp?: (run: TrafficRun, i: number) => void;
  /** called before op i is prepared (error properties arm faults here) */
  readonly beforeOp?: (run: TrafficRun, i: number) => void;
  /** whether to finish (issue, run until idle, poll every cookie); default true */
  readonly finish?: boolean;
  /**
   * act on the ops' `reenter`: callbacks submit, poll, issue and terminate; a terminated channel
   * refuses with draining / not-set-up until the next op on it requests it again. 'full' also lets
   * a callback start a cleanup inside the cleanup that runs it (poll a cookie not yet known
   * complete; release(), which runs the scheduler); 'no-nested-cleanup' polls only cookies whose
   * callback ran and terminates with beginRelease() only.
   */
  readonly reentrant?: 'full' | 'no-nested-cleanup';
  /** gets every action of the run (a property shows the last ones on a violation) */
  readonly journal?: DmaJournal;
}

/** card physical address of a range: card GDDR as is, host memory through the SMPT */
function cardAddrOf(w: DmaWorld, host: boolean, addr: number, len: number): number {
  if (!host) return addr;
  const a = w.platform.smpt[0]!.map(addr, len);
  if (typeof a !== 'number') throw new Error(`SMPT map failed: ${a.detail}`);
  return a;
}

export function runTraffic(impl: Implementation, ops: readonly TrafficOp[], choices: readonly number[], opts: TrafficOptions = {}): TrafficRun {
  const world = buildWorld(impl, choices, opts.ringSize ?? 512);
  const { platform, sched } = world;
  const card = platform.cards[0]!;
  const hostShadow = impl.memory!.createSparseMemory(platform.hostMemory.size, 'host.shadow');
  const cardShadow = impl.memory!.createSparseMemory(card.cardMemory.size, 'card.shadow');
  const chans: DmaChan[] = [];
  for (let n = 0; n < MIC_DMA_NUM_CHAN; n++) chans.push(request(world, n));
  const journal = opts.journal ?? dmaJournal();
  const run: TrafficRun = { world, chans, subs: [], callOrder: [], problems: [], hostShadow, cardShadow, terminations: chans.map(() => 0), lives: chans.map(() => 0), journal };
  const placer = new Placer();
  /** a violation seen while running: the journal keeps the steps that led to the first one */
  const problem = (m: string): void => {
    journal.freeze();
    run.problems.push(m);
  };
  const re = opts.reentrant !== undefined ? reentrancy(run, placer, opts.reentrant === 'full') : undefined;

  ops.forEach((op, i) => {
    opts.beforeOp?.(run, i);
    const chan = re ? re.live(op.ch) : chans[op.ch]!;
    // host channels cannot do card→card in this traffic: they copy host→card instead
    const dir: Dir = op.dir === 'c2c' && channelOwner(op.ch) === 'host' ? 'h2c' : op.dir;
    const srcHost = dir === 'h2c' || dir === 'h2h';
    const dstHost = dir === 'c2h' || dir === 'h2h';
    const unaligned = op.size % 64 !== 0 || op.skew !== 0;
    // the aligned transfer that carries the request: [src0, src0+len0) covers the requested bytes
    const len0 = alignUpTo(op.skew + op.size, 64);
    journal.recObj('prep', dir, i, op.ch, len0, op.size, op.skew, op.flags);
    const srcBase = placer.place(srcHost, len0, op.cross);
    const dstBase = placer.place(dstHost, len0, op.cross === 'smpt' ? 'none' : op.cross);
    const bytes = pattern(i, len0);
    (srcHost ? platform.hostMemory : card.cardMemory).write(srcBase, bytes);
    (srcHost ? hostShadow : cardShadow).write(srcBase, bytes);
    const src = cardAddrOf(world, srcHost, srcBase, len0);
    const dst = cardAddrOf(world, dstHost, dstBase, len0);

    if (unaligned) {
      const before = world.dma.engine.regs(op.ch).dhpr;
      const r = chan.prepMemcpy(dst + op.skew, src + op.skew, op.size, op.flags);
      const halted = isDmaError(r) && (r.reason === 'channel-halted' || (re !== undefined && re.terminated(r)));
      if (!halted && (!isDmaError(r) || r.errno !== 'EINVAL' || r.reason !== 'unaligned')) {
        problem(`op ${i}: unaligned prepMemcpy(len ${op.size}, skew ${op.skew}) was not refused with EINVAL/unaligned: ${isDmaError(r) ? r.reason : 'accepted'}`);
        if (!isDmaError(r)) r.submit();
      }
      if (world.dma.engine.regs(op.ch).dhpr !== before) problem(`op ${i}: a refused prep wrote DHPR`);
    }
    const tx = chan.prepMemcpy(dst, src, len0, op.flags);
    if (isDmaError(tx)) {
      journal.recObj('refused', tx.reason, i, op.ch);
      // halted channels refuse with EIO; anything else is a failure of the API
      if (tx.reason !== 'channel-halted' && !(re !== undefined && re.terminated(tx))) problem(`op ${i}: prepMemcpy refused: ${tx.errno} ${tx.reason} ${tx.detail}`);
    } else {
      const sub: Submission = { index: i, ch: op.ch, cookie: 0, dst: { host: dstHost, addr: dstBase }, src: { host: srcHost, addr: srcBase }, len: len0, calls: [], life: run.lives[op.ch]! };
      const dstMem = dstHost ? platform.hostMemory : card.cardMemory;
      const srcMem = srcHost ? platform.hostMemory : card.cardMemory;
      tx.callback = (res) => {
        sub.calls.push(res);
        run.callOrder.push(sub);
        journal.recObj('callback', res, i, op.ch, sub.cookie, 0);
        // a completion callback means the data has landed (the cleanup ran past the last slot)
        if (res === 'noerror' && dstMem.firstDifference(dstBase, srcMem, srcBase, len0) !== -1) {
          problem(`op ${i}: completion callback ran before the destination held the source bytes`);
        }
        re?.callback(sub, res, op.reenter, 0);
      };
      const c = tx.submit();
      journal.rec('submit', i, op.ch, isDmaError(c) ? -1 : c, 0);
      if (isDmaError(c)) problem(`op ${i}: submit refused: ${c.detail}`);
      else {
        sub.cookie = c;
        run.subs.push(sub);
      }
      if (op.issue) {
        journal.rec('issue', op.ch);
        chan.issuePending();
      }
    }
    journal.rec('steps', op.steps);
    if (re) re.steps(op.steps);
    else for (let s = 0; s < op.steps; s++) if (sched.step() === 'idle') break;
    opts.afterOp?.(run, i);
  });

  if (opts.finish !== false) {
    journal.rec('finish');
    if (re) re.finish();
    else finish(run);
  }
  return run;
}

/**
 * The re-entrant clients of a run: what a callback does on its channel, and the checks only a
 * callback can make (its own cookie is complete when it runs, a cookie whose callback ran stays
 * complete, nothing completes on a released channel).
 */
function reentrancy(run: TrafficRun, placer: Placer, nestedCleanup: boolean) {
  const { world, journal } = run;
  const { platform, sched } = world;
  const card = platform.cards[0]!;
  /** our own scheduler calls in progress: callbacks then run inside scheduler events */
  let inSched = 0;
  let inRelease = false;
  const problem = (m: string): void => {
    journal.freeze();
    if (run.problems.length < 20) run.problems.push(m);
  };
  const terminated = (e: DmaError): boolean => e.reason === 'draining' || e.reason === 'not-set-up';
  const who = (s: Submission): string => `${s.nested ? 'nested submission' : 'op'} ${s.index} (ch ${s.ch} cookie ${s.cookie})`;

  const live = (ch: number): DmaChan => {
    const c = run.chans[ch]!;
    if (c.phase === 'draining') c.pollRelease();
    if (c.phase !== 'disabled') return c;
    const again = request(world, ch);
    (run.chans as DmaChan[])[ch] = again;
    run.lives[ch]!++;
    journal.rec('request', ch, run.lives[ch]!);
    return again;
  };

  const nestedSubmit = (parent: Submission, k: number, depth: number): void => {
    const chan = run.chans[parent.ch]!;
    const dir: Dir = channelOwner(parent.ch) === 'host' ? 'h2c' : 'c2c';
    const srcHost = dir === 'h2c';
    const len = (k + 1) * 64;
    const srcBase = placer.place(srcHost, len, 'none');
    const dstBase = placer.place(false, len, 'none');
    const bytes = pattern(10_000 + run.subs.length, len);
    (srcHost ? platform.hostMemory : card.cardMemory).write(srcBase, bytes);
    (srcHost ? run.hostShadow : run.cardShadow).write(srcBase, bytes);
    const tx = chan.prepMemcpy(cardAddrOf(world, false, dstBase, len), cardAddrOf(world, srcHost, srcBase, len), len, k % 3 === 0 ? DMA_PREP_INTERRUPT : 0);
    if (isDmaError(tx)) {
      if (!terminated(tx) && tx.reason !== 'no-slots') problem(`${who(parent)}: prepMemcpy from its callback refused: ${tx.errno} ${tx.reason}`);
      return;
    }
    const sub: Submission = { index: parent.index, ch: parent.ch, cookie: 0, dst: { host: false, addr: dstBase }, src: { host: srcHost, addr: srcBase }, len, calls: [], life: run.lives[parent.ch]!, nested: true };
    const srcMem = srcHost ? platform.hostMemory : card.cardMemory;
    tx.callback = (res) => {
      sub.calls.push(res);
      run.callOrder.push(sub);
      journal.recObj('callback', res, sub.index, sub.ch, sub.cookie, 1);
      if (res === 'noerror' && card.cardMemory.firstDifference(dstBase, srcMem, srcBase, len) !== -1) problem(`${who(sub)}: completion callback ran before the destination held the source bytes`);
      // one level further: nested submissions poll (bounded recursion)
      callback(sub, res, depth < 1 ? { act: 'poll', k } : undefined, depth + 1);
    };
    const c = tx.submit();
    journal.rec('submit', parent.index, parent.ch, isDmaError(c) ? -1 : c, 1);
    if (isDmaError(c)) {
      problem(`${who(parent)}: submit from its callback refused: ${c.detail}`);
      return;
    }
    sub.cookie = c;
    run.subs.push(sub);
  };

  const callback = (sub: Submission, res: DmaResult, act: Reentry | undefined, depth: number): void => {
    const chan = run.chans[sub.ch]!;
    if (sub.life !== run.lives[sub.ch]) {
      if (res === 'noerror') problem(`${who(sub)}: completed after its channel was released and requested again`);
      return;
    }
    if (res === 'noerror' && chan.phase === 'disabled') problem(`${who(sub)}: completion callback ran after the channel was released`);
    // the callback's own cookie is complete while it runs (dma_cookie_complete before the callback)
    if (res === 'noerror') {
      const st = chan.txStatus(sub.cookie);
      if (st !== 'complete') problem(`${who(sub)}: its callback sees its own cookie ${st}`);
    }
    if (act === undefined) return;
    switch (act.act) {
      case 'submit':
        if (depth === 0) nestedSubmit(sub, act.k, depth);
        break;
      case 'poll': {
        const mine = run.subs.filter((s) => s.ch === sub.ch && s.life === sub.life && (nestedCleanup || s.calls.length > 0));
        const s = mine[act.k % mine.length]!;
        const st = chan.txStatus(s.cookie);
        journal.recObj('poll', st, sub.ch, s.cookie, sub.cookie);
        // a cookie whose callback already ran with noerror stays complete; a complete one has had (or is in) its callback
        if (s.calls.length > 0 && s.calls[0] === 'noerror' && st !== 'complete') problem(`${who(sub)}: polls ${who(s)}, whose callback ran, and gets ${st}`);
        if (st === 'complete' && s.calls.length === 0) problem(`${who(sub)}: polls ${who(s)}: complete, but its callback has not run`);
        break;
      }
      case 'issue':
        journal.rec('issue', sub.ch);
        chan.issuePending();
        break;
      case 'terminate': {
        let e: DmaError | undefined;
        const release = nestedCleanup && inSched === 0 && !inRelease;
        if (release) {
          // outside scheduler events the whole teardown may wait (it runs the scheduler)
          inRelease = true;
          e = chan.release();
          inRelease = false;
        } else e = chan.beginRelease();
        journal.recObj('terminate', e === undefined ? 'accepted' : e.reason, sub.ch, sub.cookie, release ? 1 : 0);
        if (e === undefined) run.terminations[sub.ch]!++;
        else if (!terminated(e) && e.reason !== 'no-slots') problem(`${who(sub)}: terminating its channel from the callback refused: ${e.errno} ${e.reason} ${e.detail}`);
        break;
      }
    }
  };

  const steps = (n: number): void => {
    inSched++;
    try {
      for (let s = 0; s < n; s++) if (sched.step() === 'idle') break;
    } finally {
      inSched--;
    }
  };

  /** issue, run, poll until every submission's callback ran and every teardown finished */
  const finishAll = (): void => {
    for (let round = 0; round < 8; round++) {
      for (const c of run.chans) if (c.phase === 'active') c.issuePending();
      inSched++;
      try {
        sched.runUntilIdle(1_000_000);
      } finally {
        inSched--;
      }
      for (const c of run.chans) if (c.phase === 'draining') c.pollRelease();
      for (const s of [...run.subs]) if (s.calls.length === 0 && s.life === run.lives[s.ch]) run.chans[s.ch]!.txStatus(s.cookie);
      // a callback may have submitted more, or begun a teardown whose fence still has to run
      if (run.subs.every((s) => s.calls.length > 0) && run.chans.every((c) => c.phase !== 'draining')) return;
    }
  };

  return { live, terminated, callback, steps, finish: finishAll };
}

/** issue everything, run until idle, then poll every cookie (this runs the cleanups) */
export function finish(run: TrafficRun): void {
  for (const c of run.chans) c.issuePending();
  run.world.sched.runUntilIdle(1_000_000);
  for (const s of run.subs) run.chans[s.ch]!.txStatus(s.cookie);
}

/** applies a completed transfer to the shadows with a plain read and write */
export function applyToShadow(run: TrafficRun, s: Submission): void {
  const from = s.src.host ? run.hostShadow : run.cardShadow;
  const to = s.dst.host ? run.hostShadow : run.cardShadow;
  const bytes = from.read(s.src.addr, s.len);
  if (!(bytes instanceof Uint8Array)) throw new Error('shadow read failed');
  to.write(s.dst.addr, bytes);
}

/** makes a range "don't care": the shadow takes the real bytes */
export function adoptReal(run: TrafficRun, host: boolean, addr: number, len: number): void {
  const real = host ? run.world.platform.hostMemory : run.world.platform.cards[0]!.cardMemory;
  const bytes = real.read(addr, len);
  if (!(bytes instanceof Uint8Array)) throw new Error('real read failed');
  (host ? run.hostShadow : run.cardShadow).write(addr, bytes);
}

/** first address where real memory differs from its shadow, outside the DMA drivers' allocations */
export function compareWithShadow(run: TrafficRun): string | undefined {
  const { platform, dma } = run.world;
  const pairs: [SparseMemory, SparseMemory, { base: number; len: number }, string][] = [
    [platform.hostMemory, run.hostShadow, dma.hostAlloc, 'host'],
    [platform.cards[0]!.cardMemory, run.cardShadow, dma.cardAlloc, 'card'],
  ];
  for (const [real, shadow, alloc, name] of pairs) {
    for (const [a, b] of [
      [0, alloc.base],
      [alloc.base + alloc.len, real.size],
    ] as const) {
      if (b <= a) continue;
      const d = real.firstDifference(a, shadow, a, b - a);
      if (typeof d !== 'number') return `${name}: compare failed (${d.reason})`;
      if (d >= 0) return `${name} memory differs from the oracle at 0x${(a + d).toString(16)}`;
    }
  }
  return undefined;
}

/**
 * The byte-exactness oracle shared by the traffic properties: the run reported no problems, every
 * submission completed, and both memories equal the shadow that applied each transfer itself.
 * Throws a description of the first violation.
 */
export function assertCompletedExactly(run: TrafficRun): void {
  if (run.problems.length > 0) throw new Error(run.problems.join('\n'));
  for (const s of run.subs) {
    if (run.chans[s.ch]!.txStatus(s.cookie) !== 'complete') throw new Error(`op ${s.index} did not complete`);
    applyToShadow(run, s);
  }
  const diff = compareWithShadow(run);
  if (diff !== undefined) throw new Error(diff);
}
