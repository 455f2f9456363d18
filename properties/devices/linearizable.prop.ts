/**
 * Claim: block requests from several concurrent card tasks are linearizable against a disk of
 *   512-byte sectors. Each task is a closed loop that issues its next request from inside the
 *   completion callback of the previous one (so the card's block driver is re-entered from its
 *   own interrupt); every invoke and complete is recorded; per sector, the reads and writes form a
 *   history the Wing–Gong checker (linearize.ts) accepts: some order respecting real time in which
 *   each read returns the last write. Every sector a write leaves is one whole write's bytes (no
 *   sector mixes two writes), and every task finishes.
 * Source: BLK-02, BLK-03 (each request completes once with its status); RING-18 (completions
 *   matched by head id, in any order); facts §8.4 (block loop); issue 10 (block linearizability).
 * Level: system
 */
import fc from 'fast-check';
import type { BlkRequest, Implementation } from '../../model/contract.ts';
import { VIRTIO_BLK_S_OK, VIRTIO_BLK_SECTOR_SIZE as SECTOR } from '../../model/layout/virtio-devices.ts';
import { defineProperty } from '../harness.ts';
import { linearizeDisk, type SectorOp } from './linearize.ts';
import { DevWorld } from './world.ts';

const SECTORS = 12;

type Op = { readonly kind: 'in' | 'out'; readonly sector: number; readonly n: number } | { readonly kind: 'flush' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('in' as const, 'out' as const), sector: fc.integer({ min: 0, max: SECTORS - 1 }), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

interface LinInput {
  readonly dma: boolean;
  readonly tasks: readonly (readonly Op[])[];
  /** how many requests each task has in flight before it waits (1 = strictly closed loop) */
  readonly depth: number;
}

/** a sector's bytes carry its write's tag in every 4-byte word; the tag is the value key */
function tagged(tag: number, n: number): Uint8Array {
  const b = new Uint8Array(n * SECTOR);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < b.length; i += 4) dv.setUint32(i, tag);
  return b;
}

/** the value a read found in one sector: its tag, 'init' for zeros, or 'torn' for a mix */
function valueOf(bytes: Uint8Array, at: number): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, SECTOR);
  const t = dv.getUint32(0);
  for (let i = 4; i < SECTOR; i += 4) if (dv.getUint32(i) !== t) return `torn@${at}`;
  return t === 0 ? 'init' : `w${t}`;
}

function check(impl: Implementation, input: LinInput): void {
  const w = new DevWorld(impl, { dma: input.dma, sectors: SECTORS, console: false, net: false });
  if (!w.waitLive({ blk: true })) throw new Error('the block device never came up on the card');
  const blk = w.services.blk;
  let clock = 0;
  let nextTag = 1;
  const bySector = new Map<number, SectorOp[]>();
  const record = (sector: number, op: SectorOp): void => {
    const list = bySector.get(sector) ?? [];
    list.push(op);
    bySector.set(sector, list);
  };
  const cursor = input.tasks.map(() => 0);
  let outstanding = 0;
  const failures: string[] = [];

  const issue = (task: number): void => {
    const ops = input.tasks[task]!;
    if (cursor[task]! >= ops.length) return;
    const k = cursor[task]!++;
    const op = ops[k]!;
    const label = `task ${task} op ${k}`;
    const n = op.kind === 'flush' ? 0 : Math.min(op.n, SECTORS - op.sector);
    const tag = op.kind === 'out' ? nextTag++ : 0;
    const req: BlkRequest =
      op.kind === 'flush' ? { type: 'flush' } : op.kind === 'in' ? { type: 'in', sector: op.sector, sectors: n } : { type: 'out', sector: op.sector, data: tagged(tag, n) };
    const invoke = clock++;
    const id = blk.submit(req, (c) => {
      const complete = clock++;
      outstanding--;
      if (c.status !== VIRTIO_BLK_S_OK) failures.push(`${label} (${op.kind}) status ${c.status}`);
      else if (op.kind === 'in') {
        for (let s = 0; s < n; s++) record(op.sector + s, { kind: 'read', value: valueOf(c.data, s * SECTOR), invoke, complete, label });
      } else if (op.kind === 'out') {
        for (let s = 0; s < n; s++) record(op.sector + s, { kind: 'write', value: `w${tag}`, invoke, complete, label });
      }
      // the task goes on from inside the completion (the card's interrupt)
      issue(task);
      blk.kick();
    });
    if (typeof id !== 'number') {
      failures.push(`${label}: refused: ${id.reason} ${id.detail}`);
      return;
    }
    outstanding++;
  };

  for (let t = 0; t < input.tasks.length; t++) for (let d = 0; d < input.depth; d++) issue(t);
  blk.kick();
  const total = input.tasks.reduce((n, ops) => n + ops.length, 0);
  const done = w.run(() => outstanding === 0 && cursor.every((c, t) => c >= input.tasks[t]!.length));
  if (!done) throw new Error(`the tasks never finished: ${outstanding} requests outstanding, ${cursor.reduce((a, b) => a + b, 0)} of ${total} issued`);
  if (failures.length > 0) throw new Error(`requests failed on a healthy disk: ${failures.join('; ')}`);
  const r = linearizeDisk(() => 'init', bySector);
  if (!r.ok) {
    const ops = bySector.get(r.sector)!;
    const lines = ops.map((o) => `  ${o.label}: ${o.kind} ${o.value} [${o.invoke}, ${o.complete ?? '∞'}]`).join('\n');
    throw new Error(`sector ${r.sector} is not linearizable: ${r.result.ok ? '' : r.result.why}\n${lines}`);
  }
  // the store: every sector holds one whole write (or its initial zeros)
  for (let s = 0; s < SECTORS; s++) {
    const v = valueOf(w.disk.bytes, s * SECTOR);
    if (v.startsWith('torn')) throw new Error(`sector ${s} of the store mixes two writes`);
  }
}

export const devicesLinearizable = defineProperty({
  id: 'devices.blkLinearizable',
  claim: 'block requests of concurrent card tasks, re-issued from their completions, form a linearizable per-sector history',
  source: 'BLK-02, BLK-03; RING-18; facts §8.4',
  level: 'system',
  requires: ['system', 'daemon'],
  runs: 12,
  build: (impl) =>
    fc.property(
      fc.record({
        dma: fc.boolean(),
        tasks: fc.array(fc.array(opArb, { minLength: 1, maxLength: 10 }), { minLength: 2, maxLength: 4 }),
        depth: fc.integer({ min: 1, max: 3 }),
      }),
      (input) => {
        check(impl, input);
        return true;
      },
    ),
});
