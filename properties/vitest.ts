/**
 * Registers property definitions as vitest tests: recorded seeds (fixtures/seeds) and the failure
 * files of this implementation (the failures folder, properties/report/failure-file.ts) replay first,
 * then the configured run. A failure writes its failure file like `micvop verify` does
 * (MICVOP_FAILURES=off: none).
 */
import { test, expect } from 'vitest';
import type { PropertyDef } from './harness.ts';
import { formatFailure, recordFailure, runGate, SEEDS_DIR } from './harness.ts';
import { configFromEnv } from './config.ts';
import { loadImplementation } from './systems.ts';
import { resolveFailuresDir } from './report/failure-file.ts';
import { buildFailureRecord, writeFailureFiles } from './report/failure.ts';

function failuresDir(): string | undefined {
  const v = process.env.MICVOP_FAILURES;
  return v === 'off' || v === 'none' ? undefined : resolveFailuresDir(undefined).dir;
}

export function registerProperties(defs: readonly PropertyDef[]): void {
  const cfg = configFromEnv();
  for (const def of defs) {
    test(def.id, async (ctx) => {
      const ref = process.env.MICVOP_IMPL ?? 'reference';
      const impl = await loadImplementation(ref);
      const dir = failuresDir();
      const r = await runGate(def, impl, cfg, ref, SEEDS_DIR, dir);
      if (r.status === 'skipped') {
        ctx.skip(r.reason);
        return;
      }
      if (r.status === 'failed') {
        const notes: string[] = [];
        const seedFile = recordFailure(r, SEEDS_DIR, ref);
        if (seedFile) notes.push(`recorded: ${seedFile}`);
        if (dir !== undefined && r.seed !== undefined) {
          try {
            notes.push(`failure file: ${writeFailureFiles(await buildFailureRecord(def, impl, ref, r, cfg.tier), dir)}`);
          } catch (e) {
            notes.push(`failure file not written: ${(e as Error).message}`);
          }
        }
        expect.fail([formatFailure(r), ...notes].join('\n'));
      }
    });
  }
}
