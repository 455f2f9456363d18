/**
 * Claim: every property fails on at least one planted bug, and every planted bug is caught by the
 * properties it names (a property that cannot fail is a defect).
 * Source: DESIGN.md §6 "Meta"; issue 2 item 8. Level: meta.
 */
import { describe, expect, test } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allMutants } from '../../fixtures/mutants/index.ts';
import { allProperties } from '../index.ts';
import { editProblems, runMutant } from './mutation.ts';

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
    for (const m of allMutants) {
      test(`${m.id} is caught by ${m.kills.join(', ')}`, async () => {
        const o = await runMutant(root, m);
        const survivors = m.kills.filter((k) => o.statuses[k] !== 'failed');
        expect(survivors, `mutant ${m.id} (${m.description}) survived; exit ${o.exitCode}\n${o.output}`).toEqual([]);
      });
    }
  });
});
