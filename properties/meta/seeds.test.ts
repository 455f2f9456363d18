/**
 * Claim: every recorded failure seed names an existing property and a well-formed seed and path,
 * so it really replays first (properties/harness.ts runGate) instead of being ignored; failure files
 * (properties/report/failure-file.ts) of the implementation under test replay first as well.
 * Source: DESIGN.md §6 "Meta" (every recorded failure seed replays first). Level: meta.
 */
import { expect, onTestFinished, test } from 'vitest';
import { existsSync, readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { allProperties } from '../index.ts';
import { SEEDS_DIR, defineProperty, runGate, type RecordedSeed } from '../harness.ts';
import { reference } from '../systems.ts';
import { FAILURE_FORMAT } from '../report/failure-file.ts';

test('recorded seeds are well-formed and name existing properties', () => {
  const files = existsSync(SEEDS_DIR) ? readdirSync(SEEDS_DIR).filter((f) => f.endsWith('.json')) : [];
  const ids = new Set(allProperties.map((p) => p.id));
  for (const f of files) {
    const rec = JSON.parse(readFileSync(join(SEEDS_DIR, f), 'utf8')) as RecordedSeed;
    expect(ids.has(rec.property), `${f}: unknown property ${rec.property}`).toBe(true);
    expect(Number.isSafeInteger(rec.seed), `${f}: seed`).toBe(true);
    if (rec.path !== undefined) expect(rec.path, `${f}: path`).toMatch(/^\d+(:\d+)*$/);
  }
});

test('a recorded seed replays before the fresh run and its failure is reported', async () => {
  // a property that fails only for the value the recorded seed produces first
  const dir = mkdtempSync(join(tmpdir(), 'micvop-seeds-'));
  const cleanDir = mkdtempSync(join(tmpdir(), 'micvop-seeds-'));
  onTestFinished(() => [dir, cleanDir].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const seed = 4242;
  let first: number | undefined;
  await fc.check(fc.property(fc.integer(), (n) => { first ??= n; return true; }), { seed, numRuns: 1 });
  const def = defineProperty({
    id: 'meta.recordedSeedProbe', claim: 'probe', source: 'meta', level: 'meta', requires: [], runs: 1,
    build: () => fc.property(fc.integer(), (n) => n !== first),
  });
  writeFileSync(join(dir, 'probe.json'), JSON.stringify({ property: def.id, seed }));
  const r = await runGate(def, reference, { tier: 'quick', seed: undefined, path: undefined, runs: 1 }, 'reference', dir);
  expect(r.status).toBe('failed');
  expect(r.seed).toBe(seed);
  const clean = await runGate(def, reference, { tier: 'quick', seed: undefined, path: undefined, runs: 1 }, 'reference', cleanDir);
  expect(clean.seed).not.toBe(seed);
});

test('a failure file of this implementation replays first too; one of another implementation does not', async () => {
  const seedsDir = mkdtempSync(join(tmpdir(), 'micvop-seeds-'));
  const failures = mkdtempSync(join(tmpdir(), 'micvop-failures-'));
  onTestFinished(() => [seedsDir, failures].forEach((d) => rmSync(d, { recursive: true, force: true })));
  const seed = 5151;
  let first: number | undefined;
  await fc.check(fc.property(fc.integer(), (n) => { first ??= n; return true; }), { seed, numRuns: 1 });
  const def = defineProperty({
    id: 'meta.failureFileProbe', claim: 'probe', source: 'meta', level: 'meta', requires: [], runs: 1,
    build: () => fc.property(fc.integer(), (n) => n !== first),
  });
  const record = (ref: string) => ({ format: FAILURE_FORMAT, property: def.id, seed, path: null, implementation: { name: 'x', ref } });
  const cfg = { tier: 'quick' as const, seed: undefined, path: undefined, runs: 1 };
  writeFileSync(join(failures, `${def.id}-${seed}.json`), JSON.stringify(record(join(failures, 'theirs.mjs'))));
  expect((await runGate(def, reference, cfg, 'reference', seedsDir, failures)).seed).not.toBe(seed);
  writeFileSync(join(failures, `${def.id}-${seed}.json`), JSON.stringify(record('reference')));
  const r = await runGate(def, reference, cfg, 'reference', seedsDir, failures);
  expect(r.status).toBe('failed');
  expect(r.seed).toBe(seed);
  expect(r.error).toMatch(/^failure file of seed 5151 fails again/);
});
