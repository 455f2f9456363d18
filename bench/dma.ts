import type { BenchSuite } from './harness.ts';

/** dma benchmarks (none yet) */
export const suite: BenchSuite = { area: 'dma', run: () => [] };
