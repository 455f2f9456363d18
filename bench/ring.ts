import type { BenchSuite } from './harness.ts';

/** ring benchmarks (none yet) */
export const suite: BenchSuite = { area: 'ring', run: () => [] };
