import type { BenchSuite } from './harness.ts';

/** pcie benchmarks (none yet) */
export const suite: BenchSuite = { area: 'pcie', run: () => [] };
