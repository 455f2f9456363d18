/**
 * Sparse memory (issue 2 item 3 "Benchmark output"):
 *   memory.copy.64B / .4KiB / .64KiB   copyBetween host → card memory of one block, block-aligned,
 *                                      cycling over 4 MiB already written on both sides; baseline:
 *                                      `dst.set(src.subarray(…), …)` between two flat 4 MiB arrays
 *                                      with the same offsets (target ≥ 0.5× at 64 KiB)
 *   memory.copy.64KiB.unaligned        the same with source and destination off page alignment
 *                                      (every block straddles 17 pages on each side)
 *   memory.rss.sparse                  peak RSS (MB) of a child process holding a 16 GiB card and a
 *                                      64 GiB host memory after touching 64 MiB (target < 150 MB);
 *                                      the note gives the same child's peak without touching
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryComponents } from '../model/contract.ts';
import { reference } from '../impl/index.ts';
import { median, rate, withBaseline, type BenchRecord, type BenchSuite } from './harness.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const SPAN = 4 * MiB;
const HOST_BASE = 40 * GiB;
const CARD_BASE = 3 * GiB;
/** bytes moved per timed call, so one call is long enough to time and short enough to sample */
const BYTES_PER_CALL = 2 * MiB;
/** alternating sparse/raw samples per block size */
const SAMPLES = 9;

function copyRecords(mem: MemoryComponents): BenchRecord[] {
  const host = mem.createSparseMemory(64 * GiB, 'host');
  const card = mem.createSparseMemory(16 * GiB, 'card');
  const flatSrc = new Uint8Array(SPAN);
  const flatDst = new Uint8Array(SPAN);
  for (let i = 0; i < SPAN; i++) flatSrc[i] = (i * 131 + 7) & 0xff || 1;
  flatDst.fill(3);
  host.write(HOST_BASE, flatSrc);
  card.fill(CARD_BASE, SPAN, 3);

  const out: BenchRecord[] = [];
  const cases: [string, number, number][] = [
    ['memory.copy.64B', 64, 0],
    ['memory.copy.4KiB', 4096, 0],
    ['memory.copy.64KiB', 65536, 0],
    ['memory.copy.64KiB.unaligned', 65536, 100],
  ];
  for (const [name, block, skew] of cases) {
    const blocks = SPAN / block - 1;
    const perCall = Math.max(1, Math.floor(BYTES_PER_CALL / block));
    let k = 0;
    let faults = 0;
    const sparseCall = (): number => {
      for (let i = 0; i < perCall; i++) {
        const off = (k++ % blocks) * block;
        const dOff = ((k * 7) % blocks) * block;
        if (mem.copyBetween(host, HOST_BASE + off + skew, card, CARD_BASE + dOff + skew / 2, block) !== undefined) faults++;
      }
      return perCall;
    };
    const rawCall = (): number => {
      for (let i = 0; i < perCall; i++) {
        const off = (k++ % blocks) * block;
        const dOff = ((k * 7) % blocks) * block;
        flatDst.set(flatSrc.subarray(off + skew, off + skew + block), dOff + skew / 2);
      }
      return perCall;
    };
    // sparse and raw samples alternate, so load from other processes hits both alike
    const sparseRates: number[] = [];
    const rawRates: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      sparseRates.push(rate(sparseCall, { samples: 1, minSampleMs: 40, warmupMs: s === 0 ? 60 : 5 }));
      rawRates.push(rate(rawCall, { samples: 1, minSampleMs: 40, warmupMs: s === 0 ? 60 : 5 }));
    }
    if (faults > 0) throw new Error(`${name}: ${faults} copies faulted`);
    out.push(withBaseline(name, 'GB/s', (median(sparseRates) * block) / 1e9, (median(rawRates) * block) / 1e9, 'baseline: Uint8Array.set of the same block'));
  }
  return out;
}

/**
 * The child workload, as CommonJS source: build both memories, optionally touch 64 MiB (32 MiB in
 * each space as 1 MiB blocks scattered over the whole range), digest both whole spaces as the DMA
 * properties do, print the peak RSS. It runs under `node --require tsx/cjs` (an in-thread TypeScript
 * hook, ~14 MB over bare node) rather than the ESM loader, whose hook thread alone costs ~35 MB and
 * would drown the figure; and it loads impl/memory only, not the whole reference implementation.
 */
function childSource(touch: boolean): string {
  const memoryIndex = fileURLToPath(new URL('../impl/memory/index.ts', import.meta.url));
  return `
const { memoryComponents: mem } = require(${JSON.stringify(memoryIndex)});
const GiB = 2 ** 30, MiB = 2 ** 20;
const card = mem.createSparseMemory(16 * GiB, 'card');
const host = mem.createSparseMemory(64 * GiB, 'host');
if (${touch}) {
  const block = new Uint8Array(MiB);
  for (let i = 0; i < MiB; i++) block[i] = (i * 31 + 1) & 0xff || 1;
  for (let i = 0; i < 32; i++) {
    card.write(Math.floor((i * 16 * GiB) / 32) + 4096 * i, block);
    host.write(Math.floor((i * 64 * GiB) / 32) + 4096 * i, block);
  }
  if (typeof card.digest(0, card.size) !== 'string' || typeof host.digest(0, host.size) !== 'string') process.exit(3);
  if (card.pagesAllocated + host.pagesAllocated !== (64 * MiB) / 4096) process.exit(4);
}
process.stdout.write(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\\n');
`;
}

function childPeakMB(touch: boolean): number {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', childSource(touch)], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { maxRssMB: number }).maxRssMB;
  } catch {
    throw new Error(`rss child failed (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
  }
}

function rssRecord(): BenchRecord {
  const touched = childPeakMB(true);
  const idle = childPeakMB(false);
  return { name: 'memory.rss.sparse', value: touched, unit: 'MB', note: `16 GiB card + 64 GiB host, 64 MiB touched; same child untouched: ${idle.toFixed(1)} MB; target < 150` };
}

function run(): BenchRecord[] {
  const mem = reference.memory;
  if (mem === undefined) return [];
  return [...copyRecords(mem), rssRecord()];
}

export const suite: BenchSuite = { area: 'memory', run };
