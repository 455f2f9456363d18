import type { BenchSuite } from './harness.ts';

/** memory benchmarks (none yet) */
export const suite: BenchSuite = { area: 'memory', run: () => [] };
