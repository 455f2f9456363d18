import type { BenchSuite } from './harness.ts';

/** sim benchmarks (none yet) */
export const suite: BenchSuite = { area: 'sim', run: () => [] };
