/**
 * micvop — the command line. Thin: it calls properties/ (and through properties/systems.ts the
 * implementation). Exit codes: 0 success, 1 a property failed, 2 bad usage or input.
 */
import { parseArgs } from 'node:util';
import { formatFailure, recordFailure, runGate, runProperty, type PropertyDef, type PropertyResult } from '../properties/harness.ts';
import { configFromEnv, ConfigError, type RunConfig, type Tier } from '../properties/config.ts';

// The suite and the implementation load lazily, so `micvop help` and usage errors work even when
// an implementation module is broken.
const suite = async () => import('../properties/index.ts');
const systems = async () => import('../properties/systems.ts');

class ImplementationError extends Error {}

import { accessSync, constants as fsConstants, writeFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { UsageError } from './errors.ts';
import { junitXml } from './junit.ts';

export { UsageError };

const HELP = `micvop — verify a virtio-over-PCIe (Intel MIC X100) implementation

usage:
  micvop verify [--impl PATH] [--only ID,...] [--area AREA,...] [--tier quick|deep]
                [--seed N] [--runs N] [--no-shrink] [--json] [--junit FILE]
      run the property suite (default: all properties, quick tier, reference implementation)
  micvop replay ID --seed N [--path P] [--impl PATH]
      re-run one property with the seed (and path) a failure printed
  micvop list [--json]
      list the properties with their claim and source
  micvop demo [--seed N]
      boot a reference system and narrate it: boot, OSPM suspend/resume, a card panic
      (what npm start runs)
  micvop help

environment: MICVOP_TIER, MICVOP_SEED, MICVOP_PATH, MICVOP_RUNS, MICVOP_IMPL (see README.md)
exit codes: 0 ok, 1 a property failed, 2 bad usage or input
`;

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

function intFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} out of range: "${v}"`);
  return n;
}

async function loadImpl(ref: string) {
  const { loadImplementation, ImplementationLoadError } = await systems();
  try {
    return await loadImplementation(ref);
  } catch (e) {
    if (e instanceof ImplementationLoadError) throw new ImplementationError(e.message);
    throw e;
  }
}

async function select(only: string | undefined, area: string | undefined): Promise<PropertyDef[]> {
  const { allProperties, areas } = await suite();
  let defs: PropertyDef[] = [...allProperties];
  if (area !== undefined) {
    const names = area.split(',').filter((a) => a !== '');
    const unknown = names.filter((a) => !(a in areas));
    if (unknown.length) throw new UsageError(`unknown area(s): ${unknown.join(', ')}; known: ${Object.keys(areas).join(', ')}`);
    defs = defs.filter((d) => names.some((a) => areas[a]!.includes(d)));
  }
  if (only !== undefined) {
    const ids = only.split(',').filter((i) => i !== '');
    const unknown = ids.filter((i) => !allProperties.some((d) => d.id === i));
    if (unknown.length) throw new UsageError(`unknown property id(s): ${unknown.join(', ')} (see: micvop list)`);
    defs = defs.filter((d) => ids.includes(d.id));
  }
  return defs;
}

function runConfig(values: { tier?: string; seed?: string; runs?: string; path?: string }): RunConfig {
  const env = configFromEnv();
  const tier = (values.tier ?? env.tier) as Tier;
  if (tier !== 'quick' && tier !== 'deep') throw new UsageError(`--tier must be quick or deep, got "${values.tier}"`);
  const path = values.path ?? env.path;
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) throw new UsageError(`--path must look like "3:0:1", got "${path}"`);
  return { tier, seed: intFlag('seed', values.seed) ?? env.seed, runs: intFlag('runs', values.runs) ?? env.runs, path };
}

async function verify(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      impl: { type: 'string' },
      only: { type: 'string' },
      area: { type: 'string' },
      tier: { type: 'string' },
      seed: { type: 'string' },
      runs: { type: 'string' },
      'no-shrink': { type: 'boolean' },
      json: { type: 'boolean' },
      junit: { type: 'string' },
    },
  });
  if (values.junit === '') throw new UsageError('--junit needs a file name');
  if (values.junit !== undefined) {
    // refuse an unwritable report location before running anything
    try {
      accessSync(dirname(resolvePath(values.junit)), fsConstants.W_OK);
    } catch {
      throw new UsageError(`cannot write --junit file "${values.junit}": its directory does not exist or is not writable`);
    }
  }
  const cfg = { ...runConfig(values), ...(values['no-shrink'] ? { noShrink: true } : {}) };
  if (cfg.runs !== undefined && cfg.runs < 1) throw new UsageError('--runs must be >= 1');
  const ref = values.impl ?? process.env.MICVOP_IMPL ?? 'reference';
  const impl = await loadImpl(ref);
  const defs = await select(values.only, values.area);
  const results: PropertyResult[] = [];
  for (const def of defs) {
    const r = await runGate(def, impl, cfg, ref);
    results.push(r);
    if (!values.json) {
      const tag = r.status === 'passed' ? 'ok  ' : r.status === 'skipped' ? 'skip' : 'FAIL';
      out(`${tag} ${def.id}  (${r.numRuns} runs, ${r.ms.toFixed(0)} ms)${r.reason ? `  ${r.reason}` : ''}`);
      if (r.status === 'failed') {
        out(formatFailure(r).replace(/^/gm, '     '));
        const file = recordFailure(r);
        if (file) out(`     recorded: ${file}`);
      }
    }
  }
  const failed = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const passed = results.length - failed - skipped;
  if (values.junit !== undefined) {
    try {
      writeFileSync(values.junit, junitXml(impl.name, results, formatFailure));
    } catch (e) {
      throw new UsageError(`cannot write --junit file "${values.junit}": ${(e as Error).message}`);
    }
  }
  if (values.json) out(JSON.stringify({ implementation: impl.name, tier: cfg.tier, results }, null, 2));
  else out(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { seed: { type: 'string' }, path: { type: 'string' }, impl: { type: 'string' }, runs: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('replay needs exactly one property id');
  if (values.seed === undefined) throw new UsageError('replay needs --seed (printed by the failing run)');
  const def = (await select(positionals[0], undefined))[0]!;
  const cfg = runConfig(values);
  const ref = values.impl ?? process.env.MICVOP_IMPL ?? 'reference';
  const impl = await loadImpl(ref);
  const r = await runProperty(def, impl, cfg, ref);
  if (r.status === 'failed') {
    out(formatFailure(r));
    return 1;
  }
  out(`${def.id}: ${r.status}${r.reason ? ` (${r.reason})` : ''} with seed ${r.seed}${cfg.path ? ` path ${cfg.path}` : ''} — the failure does not reproduce`);
  return r.status === 'passed' ? 0 : 1;
}

async function list(argv: string[]): Promise<number> {
  const { allProperties, areas } = await suite();
  const { values } = parseArgs({ args: argv, strict: true, options: { json: { type: 'boolean' } } });
  if (values.json) {
    out(JSON.stringify(allProperties.map(({ id, claim, source, level, requires, runs }) => ({ id, claim, source, level, requires, runs })), null, 2));
    return 0;
  }
  for (const [area, defs] of Object.entries(areas)) {
    out(`${area}:`);
    for (const d of defs) out(`  ${d.id.padEnd(36)} ${d.source}\n      ${d.claim}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'verify':
        return await verify(rest);
      case 'replay':
        return await replay(rest);
      case 'list':
        return await list(rest);
      case 'demo':
        return await (await import('./demo.ts')).demo(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(HELP);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof ImplementationError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`micvop: ${(e as Error).message}\n${cmd === undefined ? '' : 'run "micvop help" for usage\n'}`);
      return 2;
    }
    throw e;
  }
}
