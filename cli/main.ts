/**
 * micvop — the command line. Thin: it calls properties/ (and through properties/systems.ts the
 * implementation). Exit codes: 0 success, 1 a property failed, 2 bad usage or input.
 */
import { parseArgs } from 'node:util';
import type { PropertyDef } from '../properties/harness.ts';
import { configFromEnv, ConfigError, type RunConfig, type Tier } from '../properties/config.ts';

// The suite and the implementation load lazily, so `micvop help` and usage errors work even when
// an implementation module is broken.
const suite = async () => import('../properties/index.ts');
const systems = async () => import('../properties/systems.ts');

class ImplementationError extends Error {}

import { UsageError } from './errors.ts';
import type { CliContext } from './verify.ts';

export { UsageError };

const HELP = `micvop — verify a virtio-over-PCIe (Intel MIC X100) implementation

usage:
  micvop verify [--impl PATH] [--only ID,...] [--area AREA,...] [--tier quick|deep]
                [--seed N] [--runs N] [--no-shrink] [--shard I/N] [--json [FILE|-]]
                [--junit FILE] [--html FILE] [--failures DIR|off]
      run the property suite (default: all properties, quick tier, reference implementation);
      a failing property writes <id>-<seed>.json and .md into ./micvop-failures/ (or DIR)
  micvop merge A.json B.json ... [--json [FILE|-]]
      combine the --json reports of the shards into one (exit 1 when any property failed)
  micvop report --html FILE [REPORT.json ...] [--failures DIR|off]
      one self-contained HTML page of verify --json reports (stdin when none): results,
      machine diagrams with what the run reached, each failure's sequence diagram
  micvop replay FILE.json [--impl PATH] [--json] [--trace]
      replay a failure file: the same counterexample, error and trace, byte for byte
  micvop replay ID --seed N [--path P] [--impl PATH]
      re-run one property with the seed (and path) a failure printed
  micvop list [--json]
      list the properties with their claim and source
  micvop demo [--seed N] [--report-dir DIR] [--no-verify]
      boot a reference system and narrate it: boot, OSPM suspend/resume, a card panic
      (what npm start runs)
  micvop boot [--cards N] [--console-socket PATH] [--disk FILE [--readonly]]
              [--net-udp PORT [--net-peer PORT]] [--seed N] [--suspend-after S] [--crash-after S]
      boot a card paced to the wall clock, its console on this terminal (Ctrl-T status,
      Ctrl-C clean shutdown) or a Unix socket; disk a file or 8 MiB in memory (see README.md)
  micvop models [--trace]
      every XState machine of model/machines/ as a Mermaid state diagram; --trace (or
      --requirements): each requirement id and facts section with the properties citing it
  micvop help

environment: MICVOP_TIER, MICVOP_SEED, MICVOP_PATH, MICVOP_RUNS, MICVOP_IMPL, MICVOP_FAILURES (see README.md)
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

const context: CliContext = { loadImpl, select, runConfig };

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
        return await (await import('./verify.ts')).verify(rest, context);
      case 'replay':
        return await (await import('./replay.ts')).replay(rest, context);
      case 'report':
        return await (await import('./report-html.ts')).report(rest);
      case 'merge':
        return await (await import('./merge.ts')).merge(rest);
      case 'list':
        return await list(rest);
      case 'demo':
        return await (await import('./demo.ts')).demo(rest, async (a) => (await import('./verify.ts')).verify(a, context));
      case 'boot':
        return await (await import('./boot.ts')).boot(rest);
      case 'models':
        return await (await import('./models.ts')).models(rest, out);
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
