/**
 * The property harness: a property is plain data plus a builder, runnable from vitest, from the
 * `micvop verify` CLI and from the planted-bug meta-test alike. A failure carries the fast-check
 * seed and path and the exact command that replays it.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Capability, Implementation, Scheduler } from '../model/contract.ts';
import { DEEP_FACTOR, DEFAULT_QUICK_RUNS, stableSeed, type RunConfig } from './config.ts';
import { failingRunPlugin, instrument, type Instrumented } from './report/instrument.ts';
import { callerFile, readableSteps, trimStack } from './report/readable.ts';
import { failuresOf } from './report/failure-file.ts';
import { JOURNAL_HEADER } from './journal.ts';

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
  /** the file that defines it, relative to the package (defineProperty fills it in) */
  readonly file?: string;
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
  /** simulated commands the run executed (scheduler steps that ran an event, plus those counted) */
  readonly commands?: number;
  /** the shrunk counterexample, one readable step per line */
  readonly steps?: readonly string[];
}

/** how runProperty instruments the implementation (the failure-file replay wants traces on) */
export interface RunHooks {
  readonly forceTrace?: boolean;
  /** called with the instrumented implementation before the property is built */
  readonly onInstrumented?: (ins: Instrumented) => void;
  /** called after each failing execution of the predicate with the schedulers it created */
  readonly onFailingRun?: (schedulers: Scheduler[]) => void;
}

/** the counterexample of an fc.commands property names its replay path (see RunConfig.reshrink) */
export const isCommandsCounterexample = (counterexample: string | null | undefined): boolean => /\/\*replayPath=/.test(counterexample ?? '');

export function defineProperty(def: PropertyDef): PropertyDef {
  if (!/^[a-z][a-zA-Z0-9]*(\.[a-z0-9][a-zA-Z0-9]*)+$/.test(def.id)) {
    throw new Error(`property id "${def.id}" must be dotted lower camel case`);
  }
  return def.file !== undefined ? def : { ...def, file: callerFile() };
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
  hooks: RunHooks = {},
): Promise<PropertyResult> {
  const missing = missingCapabilities(def, impl);
  if (missing.length > 0) {
    return { id: def.id, status: 'skipped', reason: `implementation "${impl.name}" lacks: ${missing.join(', ')}`, numRuns: 0, ms: 0 };
  }
  const seed = pickSeed(def, cfg);
  // reshrink: run up to the failing case (the path's first step) and shrink as the failure did
  const reshrink = cfg.path !== undefined && cfg.reshrink === true && cfg.path.includes(':');
  const numRuns = cfg.path === undefined ? runCount(def, cfg) : reshrink ? Number(cfg.path.split(':')[0]) + 1 : 1;
  const params: fc.Parameters<unknown> = { seed, numRuns, endOnFailure: cfg.noShrink === true };
  if (cfg.path !== undefined && !reshrink) params.path = cfg.path;
  const ins = instrument(impl, { forceTrace: hooks.forceTrace === true });
  hooks.onInstrumented?.(ins);
  if (hooks.onFailingRun !== undefined) params.plugins = [failingRunPlugin(ins, hooks.onFailingRun)];
  const t0 = performance.now();
  let details: fc.RunDetails<unknown>;
  try {
    details = await fc.check(def.build(ins.impl), params);
  } catch (e) {
    // a path an fc.commands property cannot walk: reach it by shrinking again from the seed
    if (cfg.path !== undefined && !reshrink && /Unable to replay/.test(String(e))) return runProperty(def, impl, { ...cfg, reshrink: true }, implRef, hooks);
    const ms = performance.now() - t0;
    const error = trimStack(`property crashed while building or running: ${String((e as Error)?.stack ?? e)}`);
    return { id: def.id, status: 'failed', seed, numRuns, error, replay: replayCommand(def.id, seed, cfg.path, implRef), ms, commands: ins.commands(), steps: [] };
  }
  const ms = performance.now() - t0;
  const commands = ins.commands();
  if (!details.failed) return { id: def.id, status: 'passed', seed, numRuns: details.numRuns, ms, commands };
  const path = details.counterexamplePath ?? undefined;
  const err = details.errorInstance;
  return {
    id: def.id,
    status: 'failed',
    seed,
    path,
    numRuns: details.numRuns,
    counterexample: details.counterexample ? fc.stringify(details.counterexample) : undefined,
    error: trimStack(err instanceof Error ? (err.stack ?? err.message) : String(err)),
    replay: replayCommand(def.id, seed, path, implRef),
    ms,
    commands,
    steps: readableSteps(details.counterexample as unknown[] | null),
  };
}

export function formatFailure(r: PropertyResult): string {
  return [
    `property ${r.id} FAILED (seed ${r.seed}${r.path ? `, path ${r.path}` : ''}, after ${r.numRuns} runs)`,
    r.steps !== undefined && r.steps.length > 0 ? `counterexample, step by step:\n${r.steps.map((l) => `  ${truncate(l, 400)}`).join('\n')}` : '',
    r.counterexample !== undefined && !(r.steps !== undefined && r.steps.length > 0) ? `counterexample: ${truncate(r.counterexample, 4000)}` : '',
    r.error ? `error: ${truncateKeepingJournal(r.error, 4000)}` : '',
    `replay: ${r.replay}`,
    `   or: MICVOP_SEED=${r.seed}${r.path ? ` MICVOP_PATH=${r.path}` : ''} npx vitest run --project properties -t '${r.id}'`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
}

/** a long violation keeps its last actions (properties/journal.ts): only the text before them is cut */
function truncateKeepingJournal(s: string, n: number): string {
  const at = s.indexOf(`\n${JOURNAL_HEADER}\n`);
  return at < 0 ? truncate(s, n) : `${truncate(s.slice(0, at), n)}${s.slice(at)}`;
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

/**
 * Writes a failure of the reference to fixtures/seeds/ so it replays first from now on
 * (MICVOP_NO_RECORD=1 disables). Never under CI=true (nothing is written into the package there) and
 * never for another implementation (its failures go to the failure files only).
 */
export function recordFailure(r: PropertyResult, dir: string = SEEDS_DIR, implRef: string = 'reference'): string | undefined {
  if (r.status !== 'failed' || r.seed === undefined || process.env.MICVOP_NO_RECORD === '1') return undefined;
  if (implRef !== 'reference' || process.env.CI === 'true' || process.env.CI === '1') return undefined;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.id}.${r.seed}.json`);
  const rec: RecordedSeed = { property: r.id, seed: r.seed, ...(r.path ? { path: r.path } : {}), note: 'recorded by the harness on failure' };
  writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`);
  return file;
}

/**
 * Runs a property the way the gate does: every recorded failure seed of it (fixtures/seeds) and every
 * failure file of it against this implementation (`failuresDir`) replays first (a regression shows as
 * that seed failing), then the configured run. The commands of the replays count in the result.
 */
export async function runGate(
  def: PropertyDef,
  impl: Implementation,
  cfg: RunConfig,
  implRef: string = impl.name,
  seedsDir: string = SEEDS_DIR,
  failuresDir?: string,
): Promise<PropertyResult> {
  let commands = 0;
  let ms = 0;
  if (cfg.path === undefined && cfg.seed === undefined) {
    const recorded: { seed: number; path?: string; reshrink?: boolean; what: string }[] = recordedSeeds(def.id, seedsDir).map((r) => ({ seed: r.seed, path: r.path, what: 'recorded seed' }));
    if (failuresDir !== undefined) {
      for (const f of failuresOf(def.id, implRef, failuresDir)) {
        recorded.push({ seed: f.seed, path: f.path ?? undefined, reshrink: isCommandsCounterexample(f.counterexample), what: 'failure file of seed' });
      }
    }
    for (const rec of recorded) {
      const r = await runProperty(def, impl, { ...cfg, seed: rec.seed, path: rec.path, reshrink: rec.reshrink === true }, implRef);
      commands += r.commands ?? 0;
      ms += r.ms;
      if (r.status !== 'passed') return r.status === 'failed' ? { ...r, error: `${rec.what} ${rec.seed} fails again\n${r.error ?? ''}` } : r;
    }
  }
  const r = await runProperty(def, impl, cfg, implRef);
  return commands === 0 && ms === 0 ? r : { ...r, ms: r.ms + ms, commands: (r.commands ?? 0) + commands };
}
