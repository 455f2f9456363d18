/**
 * Claim: a failing property reports its seed and path, and running again with exactly that seed
 * and path reproduces the same counterexample in one run; the environment configuration refuses
 * malformed values with a clear message.
 * Source: issue 2 item 7. Level: meta.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { defineProperty, formatFailure, runProperty } from '../harness.ts';
import { configFromEnv, ConfigError, stableSeed } from '../config.ts';
import { reference } from '../systems.ts';

const failing = defineProperty({
  id: 'meta.failingProbe', claim: 'probe', source: 'meta', level: 'meta', requires: [], runs: 200,
  build: () => fc.property(fc.array(fc.integer({ min: 0, max: 1000 })), (xs) => xs.reduce((a, b) => a + b, 0) < 1500),
});

test('seed and path from a failure replay the same counterexample in one run', async () => {
  const cfg = { tier: 'quick' as const, seed: undefined, path: undefined, runs: undefined };
  const r = await runProperty(failing, reference, cfg);
  expect(r.status).toBe('failed');
  expect(r.seed).toBe(stableSeed('meta.failingProbe'));
  expect(r.path).toMatch(/^\d+(:\d+)*$/);
  expect(formatFailure(r)).toContain(`--seed ${r.seed} --path ${r.path}`);
  const again = await runProperty(failing, reference, { ...cfg, seed: r.seed, path: r.path });
  expect(again.status).toBe('failed');
  expect(again.numRuns).toBe(1);
  expect(again.counterexample).toBe(r.counterexample);
});

test('the quick tier is reproducible; the deep tier multiplies runs', async () => {
  const passing = defineProperty({ id: 'meta.passingProbe', claim: 'p', source: 'meta', level: 'meta', requires: [], runs: 7, build: () => fc.property(fc.nat(), (n) => n >= 0) });
  const q = await runProperty(passing, reference, { tier: 'quick', seed: undefined, path: undefined, runs: undefined });
  const d = await runProperty(passing, reference, { tier: 'deep', seed: 5, path: undefined, runs: undefined });
  expect(q.numRuns).toBe(7);
  expect(d.numRuns).toBe(140);
  expect(d.seed).toBe(5);
});

test('a property needing a missing component group is skipped with the reason', async () => {
  const needs = defineProperty({ id: 'meta.needsDma', claim: 'p', source: 'meta', level: 'meta', requires: ['dma'], build: () => fc.property(fc.nat(), () => true) });
  const r = await runProperty(needs, { name: 'bare' }, { tier: 'quick', seed: undefined, path: undefined, runs: undefined });
  expect(r.status).toBe('skipped');
  expect(r.reason).toContain('dma');
});

test('configuration from the environment validates its values', () => {
  expect(configFromEnv({})).toEqual({ tier: 'quick', seed: undefined, path: undefined, runs: undefined });
  expect(configFromEnv({ MICVOP_TIER: 'deep', MICVOP_SEED: '12', MICVOP_PATH: '3:1', MICVOP_RUNS: '9' })).toEqual({ tier: 'deep', seed: 12, path: '3:1', runs: 9 });
  for (const bad of [{ MICVOP_TIER: 'slow' }, { MICVOP_SEED: '1.5' }, { MICVOP_SEED: 'x' }, { MICVOP_PATH: '1:2' }, { MICVOP_SEED: '1', MICVOP_PATH: 'a' }, { MICVOP_RUNS: '0' }]) {
    expect(() => configFromEnv(bad), JSON.stringify(bad)).toThrow(ConfigError);
  }
});
