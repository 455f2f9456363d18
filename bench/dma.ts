/**
 * DMA copy bandwidth through the whole stack: the client preps MEMCOPY descriptors into the ring in
 * memory (host ring through the SMPT window), submits, issues (DHPR), the scheduler runs the engine
 * steps (descriptor fetch, page-wise copy, DSTAT), and the cleanup completes the cookie. Baseline:
 * a raw Uint8Array.set of the same size in the same run.
 */
import { rate, withBaseline, type BenchRecord, type BenchSuite } from './harness.ts';
import { reference } from '../impl/index.ts';
import type { DmaChan, DmaError } from '../model/contract.ts';
import { SMPT_WINDOW_BASE } from '../model/constants/dma.ts';

const SIZES: readonly [string, number][] = [
  ['4KiB', 4 * 1024],
  ['64KiB', 64 * 1024],
  ['1MiB', 1024 * 1024],
];

const isErr = (x: unknown): x is DmaError => typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'dma-error';

function mibPerSec(opsPerSec: number, size: number): number {
  return (opsPerSec * size) / (1024 * 1024);
}

export const suite: BenchSuite = {
  area: 'dma',
  run(): BenchRecord[] {
    const sched = reference.sim!.createScheduler({ seed: 1, trace: false });
    const platform = reference.pcie!.createPlatform({ scheduler: sched });
    const dma = reference.dma!.attachDma(platform, 0, { ringSize: 4096 });
    if (isErr(dma)) throw new Error(dma.detail);
    const chan = dma.host.requestChannel(0);
    if (isErr(chan)) throw new Error(chan.detail);
    const card = platform.cards[0]!.cardMemory;
    const host = platform.hostMemory;
    const hostBuf = 0x100_0000;
    const cardBuf = 0x100_0000;
    const seed = new Uint8Array(1024 * 1024);
    for (let i = 0; i < seed.length; i++) seed[i] = (i * 2654435761) >>> 24;
    host.write(hostBuf, seed);
    card.write(cardBuf + 0x400_0000, seed);

    const copy = (c: DmaChan, dst: number, src: number, len: number): void => {
      const tx = c.prepMemcpy(dst, src, len, 0);
      if (isErr(tx)) throw new Error(tx.detail);
      const cookie = tx.submit();
      if (isErr(cookie)) throw new Error(cookie.detail);
      c.issuePending();
      sched.runUntilIdle();
      if (c.txStatus(cookie) !== 'complete') throw new Error('dma copy did not complete');
    };

    const out: BenchRecord[] = [];
    for (const [label, size] of SIZES) {
      const a = seed.subarray(0, size);
      const b = new Uint8Array(size);
      const raw = mibPerSec(rate(() => b.set(a)), size);
      // host → card: the host's channel 0 reads host memory through the SMPT window
      const h2c = mibPerSec(rate(() => copy(chan, cardBuf, SMPT_WINDOW_BASE + hostBuf, size)), size);
      out.push(withBaseline(`dma.copy.h2c.${label}`, 'MiB/s', h2c, raw, 'engine copy vs Uint8Array.set'));
      // card → host
      const c2h = mibPerSec(rate(() => copy(chan, SMPT_WINDOW_BASE + hostBuf + 0x400_0000, cardBuf + 0x400_0000, size)), size);
      out.push(withBaseline(`dma.copy.c2h.${label}`, 'MiB/s', c2h, raw, 'engine copy vs Uint8Array.set'));
    }
    return out;
  },
};
