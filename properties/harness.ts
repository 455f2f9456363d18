/**
 * The property harness: a property is plain data plus a builder, runnable from vitest, from the
 * `micvop verify` CLI and from the planted-bug meta-test alike. A failure carries the fast-check
 * seed and path and the exact command that replays it.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Capability, Implementation } from '../model/contract.ts';
import { DEEP_FACTOR, DEFAULT_QUICK_RUNS, stableSeed, type RunConfig } from './config.ts';

export interface PropertyDef {
  /** stable dotted id, e.g. "memory.flat" */
  readonly id: string;
  /** Claim / Source / Level, as each property file states them (DESIGN.md §6) */
  readonly claim: string;
  readonly source: string;
  readonly level: 'unit' | 'component' | 'system' | 'hostile' | 'conformance' | 'exhaustive' | 'meta';
  /** component groups the property drives; missing ones make it skip with a reason */
  readonly requires: readonly Capability[];
  /** quick-tier run count (deep = DEEP_FACTOR ×) */
  readonly runs?: number;
  /** a fast-check property over the implementation */
  readonly build: (impl: Implementation) => fc.IRawProperty<any, boolean>;
}

export type PropertyStatus = 'passed' | 'failed' | 'skipped';

export interface PropertyResult {
  readonly id: string;
  readonly status: PropertyStatus;
  readonly reason?: string;
  readonly seed?: number;
  readonly path?: string;
  readonly numRuns: number;
  readonly counterexample?: string;
  readonly error?: string;
  /** one command that replays exactly this run */
  readonly replay?: string;
  readonly ms: number;
}

export function defineProperty(def: PropertyDef): PropertyDef {
  if (!/^[a-z][a-zA-Z0-9]*(\.[a-z0-9][a-zA-Z0-9]*)+$/.test(def.id)) {
    throw new Error(`property id "${def.id}" must be dotted lower camel case`);
  }
  return def;
}

export function missingCapabilities(def: PropertyDef, impl: Implementation): Capability[] {
  return def.requires.filter((c) => impl[c] === undefined);
}

export function runCount(def: PropertyDef, cfg: RunConfig): number {
  if (cfg.runs !== undefined) return cfg.runs;
  const quick = def.runs ?? DEFAULT_QUICK_RUNS;
  return cfg.tier === 'deep' ? quick * DEEP_FACTOR : quick;
}

function pickSeed(def: PropertyDef, cfg: RunConfig): number {
  if (cfg.seed !== undefined) return cfg.seed;
  if (cfg.tier === 'deep') return (Math.random() * 0x7fffffff) | 0;
  return stableSeed(def.id);
}

export function replayCommand(id: string, seed: number, path: string | undefined, implName: string): string {
  const impl = implName === 'reference' ? '' : ` --impl ${implName}`;
  return `npx micvop replay ${id} --seed ${seed}${path ? ` --path ${path}` : ''}${impl}`;
}

export async function runProperty(
  def: PropertyDef,
  impl: Implementation,
  cfg: RunConfig,
  implRef: string = impl.name,
): Promise<PropertyResult> {
  const missing = missingCapabilities(def, impl);
  if (missing.length > 0) {
    return { id: def.id, status: 'skipped', reason: `implementation "${impl.name}" lacks: ${missing.join(', ')}`, numRuns: 0, ms: 0 };
  }
  const seed = pickSeed(def, cfg);
  const numRuns = cfg.path !== undefined ? 1 : runCount(def, cfg);
  const params: fc.Parameters<unknown> = { seed, numRuns, endOnFailure: cfg.noShrink === true };
  if (cfg.path !== undefined) params.path = cfg.path;
  const t0 = performance.now();
  let details: fc.RunDetails<unknown>;
  try {
    details = await fc.check(def.build(impl), params);
  } catch (e) {
    const ms = performance.now() - t0;
    return { id: def.id, status: 'failed', seed, numRuns, error: `property crashed while building or running: ${String((e as Error)?.stack ?? e)}`, replay: replayCommand(def.id, seed, cfg.path, implRef), ms };
  }
  const ms = performance.now() - t0;
  if (!details.failed) return { id: def.id, status: 'passed', seed, numRuns: details.numRuns, ms };
  const path = details.counterexamplePath ?? undefined;
  const err = details.errorInstance;
  return {
    id: def.id,
    status: 'failed',
    seed,
    path,
    numRuns: details.numRuns,
    counterexample: details.counterexample ? fc.stringify(details.counterexample) : undefined,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    replay: replayCommand(def.id, seed, path, implRef),
    ms,
  };
}

export function formatFailure(r: PropertyResult): string {
  return [
    `property ${r.id} FAILED (seed ${r.seed}${r.path ? `, path ${r.path}` : ''}, after ${r.numRuns} runs)`,
    r.counterexample !== undefined ? `counterexample: ${truncate(r.counterexample, 4000)}` : '',
    r.error ? `error: ${truncate(r.error, 4000)}` : '',
    `replay: ${r.replay}`,
    `   or: MICVOP_SEED=${r.seed}${r.path ? ` MICVOP_PATH=${r.path}` : ''} npx vitest run --project properties -t '${r.id}'`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
}

// ---------------------------------------------------------------------------------------------
// Recorded failure seeds (fixtures/seeds/*.json): every recorded seed replays before the fresh run.

export interface RecordedSeed {
  readonly property: string;
  readonly seed: number;
  readonly path?: string;
  readonly note?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const SEEDS_DIR = join(here, '..', 'fixtures', 'seeds');

export function recordedSeeds(id: string, dir: string = SEEDS_DIR): RecordedSeed[] {
  if (!existsSync(dir)) return [];
  const out: RecordedSeed[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as RecordedSeed;
    if (rec.property === id) out.push(rec);
  }
  return out;
}

/** Writes a failure to fixtures/seeds/ so it replays first from now on (MICVOP_NO_RECORD=1 disables). */
export function recordFailure(r: PropertyResult, dir: string = SEEDS_DIR): string | undefined {
  if (r.status !== 'failed' || r.seed === undefined || process.env.MICVOP_NO_RECORD === '1') return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.id}.${r.seed}.json`);
  const rec: RecordedSeed = { property: r.id, seed: r.seed, ...(r.path ? { path: r.path } : {}), note: 'recorded by the harness on failure' };
  writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`);
  return file;
}

/**
 * Runs a property the way the gate does: every recorded failure seed of it replays first (a
 * regression shows as that seed failing), then the configured run.
 */
export async function runGate(def: PropertyDef, impl: Implementation, cfg: RunConfig, implRef: string = impl.name, seedsDir: string = SEEDS_DIR): Promise<PropertyResult> {
  if (cfg.path === undefined && cfg.seed === undefined) {
    for (const rec of recordedSeeds(def.id, seedsDir)) {
      const r = await runProperty(def, impl, { ...cfg, seed: rec.seed, path: rec.path }, implRef);
      if (r.status !== 'passed') return r.status === 'failed' ? { ...r, error: `recorded seed ${rec.seed} fails again\n${r.error ?? ''}` } : r;
    }
  }
  return runProperty(def, impl, cfg, implRef);
}
