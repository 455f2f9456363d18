/**
 * Claim: every property fails on at least one planted bug, and every planted bug is caught by the
 * properties it names (a property that cannot fail is a defect).
 * Source: DESIGN.md §6 "Meta"; issue 2 item 8. Level: meta.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allMutants } from '../../fixtures/mutants/index.ts';
import { allProperties } from '../index.ts';
import { editProblems, runMutant, type MutantOutcome } from './mutation.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('planted bugs (fixtures/mutants)', () => {
  test('every property is named by at least one mutant', () => {
    const killed = new Set(allMutants.flatMap((m) => m.kills));
    expect(allProperties.map((p) => p.id).filter((id) => !killed.has(id))).toEqual([]);
  });

  test('mutant ids are unique and name existing properties', () => {
    const ids = allMutants.map((m) => m.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const known = new Set(allProperties.map((p) => p.id));
    expect(allMutants.flatMap((m) => m.kills.filter((k) => !known.has(k)).map((k) => `${m.id} → ${k}`))).toEqual([]);
  });

  test('every mutant edit applies exactly once to the current tree', () => {
    expect(allMutants.flatMap((m) => editProblems(root, m))).toEqual([]);
  });

  describe.concurrent('each mutant is caught', () => {
    // time to first failure per planted bug (issue 13 item 5): the killed properties run with
    // --no-shrink, so a property's time is the time until its first counterexample
    const outcomes: MutantOutcome[] = [];
    afterAll(() => {
      if (outcomes.length > 0) console.log(firstFailureSummary(outcomes));
    });
    for (const m of allMutants) {
      test(`${m.id} is caught by ${m.kills.join(', ')}`, async () => {
        const o = await runMutant(root, m);
        outcomes.push(o);
        const survivors = m.kills.filter((k) => o.statuses[k] !== 'failed');
        expect(survivors, `mutant ${m.id} (${m.description}) survived; exit ${o.exitCode}\n${o.output}`).toEqual([]);
      });
    }
  });
});

/** one line per planted bug and killed property: time and runs to its first failure, slowest first */
function firstFailureSummary(outcomes: readonly MutantOutcome[]): string {
  const rows = outcomes.flatMap((o) => {
    const t = Object.entries(o.timings);
    // a child that died (timeout, crash) reported nothing: its whole wall time is the figure
    if (t.length === 0) return [{ mutant: o.mutant, id: '(no result)', status: `exit ${o.exitCode}`, ms: o.wallMs, runs: 0, wallMs: o.wallMs }];
    return t.map(([id, x]) => ({ mutant: o.mutant, id, status: o.statuses[id] ?? '?', ...x, wallMs: o.wallMs }));
  });
  rows.sort((a, b) => b.ms - a.ms);
  const w = Math.max(6, ...rows.map((r) => r.mutant.length));
  const lines = rows.map((r) => `  ${r.mutant.padEnd(w)}  ${r.id.padEnd(34)} ${r.status === 'failed' ? 'first failure' : r.status.padEnd(13)} ${`${Math.round(r.ms)} ms`.padStart(9)} ${`run ${r.runs}`.padStart(9)}  (process ${Math.round(r.wallMs)} ms)`);
  return [`time to first failure per planted bug (${outcomes.length} mutants, slowest first):`, ...lines].join('\n');
}
