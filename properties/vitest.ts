/** Registers property definitions as vitest tests: recorded seeds first, then the configured run. */
import { test, expect } from 'vitest';
import type { PropertyDef } from './harness.ts';
import { formatFailure, recordFailure, runGate } from './harness.ts';
import { configFromEnv } from './config.ts';
import { loadImplementation } from './systems.ts';

export function registerProperties(defs: readonly PropertyDef[]): void {
  const cfg = configFromEnv();
  for (const def of defs) {
    test(def.id, async (ctx) => {
      const ref = process.env.MICVOP_IMPL ?? 'reference';
      const impl = await loadImplementation(ref);
      const r = await runGate(def, impl, cfg, ref);
      if (r.status === 'skipped') {
        ctx.skip(r.reason);
        return;
      }
      if (r.status === 'failed') {
        const file = recordFailure(r);
        expect.fail(`${formatFailure(r)}${file ? `\nrecorded: ${file}` : ''}`);
      }
    });
  }
}
