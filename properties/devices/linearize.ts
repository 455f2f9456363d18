/**
 * A small Wing–Gong linearizability checker for a disk of 512-byte sectors, per sector (issue 10,
 * "block linearizability").
 *
 * What it checks: for every sector on its own, the reads and writes that touched it (projected
 * from multi-sector requests), with their invoke and complete events in real (virtual) time, can
 * be put in one total order that respects real time (an operation that completed before another
 * was invoked comes first) and in which every read returns the value of the last write before it
 * (or the initial content). Writes that never completed (a crash or reset took them) may be placed
 * anywhere after their invocation or left out. Failed writes (status not OK) must have changed
 * nothing: the caller leaves them out of the history, and a read that returns their bytes is a
 * violation.
 *
 * What it does not check: atomicity across sectors (a two-sector write may be seen half done by a
 * concurrent read: virtio-blk promises nothing more), FLUSH durability (the lifecycle property
 * checks acknowledged writes against the store), or ordering between different sectors.
 *
 * The search is the Wing–Gong depth-first search with memoization on (set of linearized ops,
 * current value): per sector histories stay small (tens of ops), so the state space does too; a
 * history larger than `maxStates` explored states is reported as undecided rather than guessed.
 */

export interface SectorOp {
  readonly kind: 'read' | 'write';
  /** the value read or written, as a key (e.g. a hash or hex of the 512 bytes) */
  readonly value: string;
  /** event index of the invocation */
  readonly invoke: number;
  /** event index of the completion; undefined = never completed */
  readonly complete: number | undefined;
  /** a label for reports (request id) */
  readonly label: string;
}

export type LinearizeResult =
  | { readonly ok: true; readonly states: number }
  | { readonly ok: false; readonly undecided: boolean; readonly states: number; readonly why: string };

/** check one sector's history against a register that starts at `initial` */
export function linearizeSector(initial: string, ops: readonly SectorOp[], maxStates = 200_000): LinearizeResult {
  // reads that never completed returned nothing: they constrain nothing
  const hist = ops.filter((o) => !(o.kind === 'read' && o.complete === undefined));
  const n = hist.length;
  if (n === 0) return { ok: true, states: 0 };
  if (n > 60) return { ok: false, undecided: true, states: 0, why: `${n} operations on one sector: too many to search` };
  const INF = Number.POSITIVE_INFINITY;
  const done = hist.map((o) => o.complete ?? INF);
  const completedMask = hist.reduce((m, o, i) => (o.complete !== undefined ? m | (1n << BigInt(i)) : m), 0n);
  const seen = new Set<string>();
  let states = 0;
  let deepest = 0n;
  let deepestCount = -1;

  const popcount = (x: bigint): number => {
    let c = 0;
    for (; x !== 0n; x &= x - 1n) c++;
    return c;
  };

  // iterative DFS: a frame is (linearized set, current value)
  const stack: { set: bigint; value: string }[] = [{ set: 0n, value: initial }];
  while (stack.length > 0) {
    const { set, value } = stack.pop()!;
    // every completed op linearized: the pending writes left may be dropped
    if ((set & completedMask) === completedMask) return { ok: true, states };
    const key = `${set.toString(36)}|${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (++states > maxStates) return { ok: false, undecided: true, states, why: `more than ${maxStates} states explored` };
    const c = popcount(set);
    if (c > deepestCount) {
      deepestCount = c;
      deepest = set;
    }
    // minimal ops: not yet linearized, invoked before every remaining op's completion
    let firstDone = INF;
    for (let i = 0; i < n; i++) if ((set & (1n << BigInt(i))) === 0n && done[i]! < firstDone) firstDone = done[i]!;
    for (let i = n - 1; i >= 0; i--) {
      const bit = 1n << BigInt(i);
      if ((set & bit) !== 0n) continue;
      const o = hist[i]!;
      if (o.invoke > firstDone) continue;
      if (o.kind === 'read') {
        if (o.value === value) stack.push({ set: set | bit, value });
      } else {
        stack.push({ set: set | bit, value: o.value });
      }
    }
  }
  const stuck = hist.filter((_, i) => (deepest & (1n << BigInt(i))) === 0n && hist[i]!.complete !== undefined);
  const first = stuck.sort((a, b) => a.invoke - b.invoke)[0];
  return {
    ok: false,
    undecided: false,
    states,
    why: first === undefined ? 'no linearization' : `no order explains ${first.label} (${first.kind} invoked at event ${first.invoke}) after ${deepestCount} ops linearized`,
  };
}

/** every sector's history: the first sector that is not linearizable, or ok */
export function linearizeDisk(
  initial: (sector: number) => string,
  bySector: ReadonlyMap<number, readonly SectorOp[]>,
): { readonly ok: true } | { readonly ok: false; readonly sector: number; readonly result: LinearizeResult } {
  for (const [sector, ops] of [...bySector].sort((a, b) => a[0] - b[0])) {
    const r = linearizeSector(initial(sector), ops);
    if (!r.ok) return { ok: false, sector, result: r };
  }
  return { ok: true };
}
