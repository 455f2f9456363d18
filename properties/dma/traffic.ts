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
import type { DmaChan, DmaResult, Implementation, SparseMemory } from '../../model/contract.ts';
import { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, MIC_DMA_NUM_CHAN, channelOwner } from '../../model/constants/dma.ts';
import { GiB, KiB, MiB, buildWorld, isDmaError, request, type DmaWorld } from './world.ts';

export type Dir = 'h2c' | 'c2h' | 'c2c' | 'h2h';

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
  const run: TrafficRun = { world, chans, subs: [], callOrder: [], problems: [], hostShadow, cardShadow };
  const placer = new Placer();

  ops.forEach((op, i) => {
    opts.beforeOp?.(run, i);
    const chan = chans[op.ch]!;
    // host channels cannot do card→card in this traffic: they copy host→card instead
    const dir: Dir = op.dir === 'c2c' && channelOwner(op.ch) === 'host' ? 'h2c' : op.dir;
    const srcHost = dir === 'h2c' || dir === 'h2h';
    const dstHost = dir === 'c2h' || dir === 'h2h';
    const unaligned = op.size % 64 !== 0 || op.skew !== 0;
    // the aligned transfer that carries the request: [src0, src0+len0) covers the requested bytes
    const len0 = alignUpTo(op.skew + op.size, 64);
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
      const halted = isDmaError(r) && r.reason === 'channel-halted';
      if (!halted && (!isDmaError(r) || r.errno !== 'EINVAL' || r.reason !== 'unaligned')) {
        run.problems.push(`op ${i}: unaligned prepMemcpy(len ${op.size}, skew ${op.skew}) was not refused with EINVAL/unaligned: ${isDmaError(r) ? r.reason : 'accepted'}`);
        if (!isDmaError(r)) r.submit();
      }
      if (world.dma.engine.regs(op.ch).dhpr !== before) run.problems.push(`op ${i}: a refused prep wrote DHPR`);
    }
    const tx = chan.prepMemcpy(dst, src, len0, op.flags);
    if (isDmaError(tx)) {
      // halted channels refuse with EIO; anything else is a failure of the API
      if (tx.reason !== 'channel-halted') run.problems.push(`op ${i}: prepMemcpy refused: ${tx.errno} ${tx.reason} ${tx.detail}`);
    } else {
      const sub: Submission = { index: i, ch: op.ch, cookie: 0, dst: { host: dstHost, addr: dstBase }, src: { host: srcHost, addr: srcBase }, len: len0, calls: [] };
      const dstMem = dstHost ? platform.hostMemory : card.cardMemory;
      const srcMem = srcHost ? platform.hostMemory : card.cardMemory;
      tx.callback = (res) => {
        sub.calls.push(res);
        run.callOrder.push(sub);
        // a completion callback means the data has landed (the cleanup ran past the last slot)
        if (res === 'noerror' && dstMem.firstDifference(dstBase, srcMem, srcBase, len0) !== -1) {
          run.problems.push(`op ${i}: completion callback ran before the destination held the source bytes`);
        }
      };
      const c = tx.submit();
      if (isDmaError(c)) run.problems.push(`op ${i}: submit refused: ${c.detail}`);
      else {
        sub.cookie = c;
        run.subs.push(sub);
      }
      if (op.issue) chan.issuePending();
    }
    for (let s = 0; s < op.steps; s++) if (sched.step() === 'idle') break;
    opts.afterOp?.(run, i);
  });

  if (opts.finish !== false) finish(run);
  return run;
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
