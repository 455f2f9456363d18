import type { BenchSuite } from './harness.ts';

/** lifecycle benchmarks (none yet) */
export const suite: BenchSuite = { area: 'lifecycle', run: () => [] };
