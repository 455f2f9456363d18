/**
 * `micvop verify`: the CI gate. Runs the selected properties (optionally one shard of them), prints
 * a progress line on a TTY or a plain log otherwise, writes a failure file per failing property, and
 * ends with a summary table; `--json` and `--junit` write the reports.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { formatFailure, recordFailure, runGate, SEEDS_DIR, type PropertyDef, type PropertyResult } from '../properties/harness.ts';
import type { RunConfig } from '../properties/config.ts';
import type { Implementation } from '../model/contract.ts';
import { coverageSnapshot } from '../properties/report/coverage.ts';
import { buildFailureRecord, writeFailureFiles } from '../properties/report/failure.ts';
import { UsageError } from './errors.ts';
import { junitXml } from './junit.ts';
import { failuresFor, writeHtml } from './report-html.ts';
import { reportProperty, summarize, table, type Report } from './report.ts';
import { checkWritable, failuresFolder, jsonTarget, parseShard, progress, shardOf } from './verify-support.ts';

export interface CliContext {
  loadImpl(ref: string): Promise<Implementation>;
  select(only: string | undefined, area: string | undefined): Promise<PropertyDef[]>;
  runConfig(values: { tier?: string; seed?: string; runs?: string; path?: string }): RunConfig;
}

const OPTIONS = {
  impl: { type: 'string' },
  only: { type: 'string' },
  area: { type: 'string' },
  tier: { type: 'string' },
  seed: { type: 'string' },
  runs: { type: 'string' },
  'no-shrink': { type: 'boolean' },
  json: { type: 'string' },
  junit: { type: 'string' },
  html: { type: 'string' },
  shard: { type: 'string' },
  failures: { type: 'string' },
} as const;

/** `--json` takes an optional file: alone (or before another flag) it means stdout */
export function optionalJsonValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) out.push('--json=-');
    else if (a === '--json' && argv[i + 1] === '-') {
      out.push('--json=-');
      i++;
    } else out.push(a);
  }
  return out;
}

export async function verify(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args: optionalJsonValue(argv), strict: true, options: OPTIONS });
  if (values.junit !== undefined) checkWritable('--junit', values.junit);
  if (values.html !== undefined) checkWritable('--html', values.html);
  const json = jsonTarget(values.json);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const failures = failuresFolder(values.failures);
  const cfg = { ...ctx.runConfig(values), ...(values['no-shrink'] ? { noShrink: true } : {}) };
  if (cfg.runs !== undefined && cfg.runs < 1) throw new UsageError('--runs must be >= 1');
  const ref = values.impl ?? process.env.MICVOP_IMPL ?? 'reference';
  const impl = await ctx.loadImpl(ref);
  const all = await ctx.select(values.only, values.area);
  const defs = shard === undefined ? all : shardOf(all, shard.index, shard.count);

  // the log goes to stdout unless the JSON report does
  const log = json === 'stdout' ? process.stderr : process.stdout;
  const say = (s: string): void => void log.write(s.endsWith('\n') ? s : `${s}\n`);
  if (failures.note !== undefined) say(failures.note);
  const bar = progress(defs.length);
  const results: PropertyResult[] = [];
  const notes = new Map<string, string>();
  for (const [i, def] of defs.entries()) {
    bar.start(i, def.id, results);
    const r = await runGate(def, impl, cfg, ref, SEEDS_DIR, failures.dir);
    results.push(r);
    bar.done();
    if (!bar.tty || r.status === 'failed') {
      const tag = r.status === 'passed' ? 'ok  ' : r.status === 'skipped' ? 'skip' : 'FAIL';
      say(`${tag} ${def.id}  (${r.numRuns} runs, ${r.ms.toFixed(0)} ms)${r.reason ? `  ${r.reason}` : ''}`);
    }
    if (r.status === 'failed') say(await failureText(def, impl, ref, r, cfg, failures.dir));
    if (r.status === 'failed') notes.set(def.id, formatFailure(r));
  }
  bar.end();

  const properties = results.map((r, i) => reportProperty(r, defs[i]!.file));
  const report: Report = {
    impl: impl.name,
    tier: cfg.tier,
    seed: cfg.seed ?? null,
    shard: shard === undefined ? null : `${shard.index}/${shard.count}`,
    properties,
    coverage: { machines: coverageSnapshot() },
    summary: summarize(properties),
  };
  if (values.junit !== undefined) write('--junit', values.junit, junitXml(impl.name, results, formatFailure));
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (json === 'stdout') process.stdout.write(text);
  else if (json !== undefined) write('--json', json, text);
  if (values.html !== undefined) {
    const page = { report, failures: failuresFor(report, failures.dir), notes, implRef: ref, source: 'verify' };
    say(writeHtml(values.html, page));
  }
  say(table(report));
  return report.summary.failed > 0 ? 1 : 0;
}

function write(flag: string, file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`cannot write ${flag} file "${file}": ${(e as Error).message}`);
  }
}

/** the failure as printed, after writing its failure files (and the regression seed of the reference) */
async function failureText(def: PropertyDef, impl: Implementation, ref: string, r: PropertyResult, cfg: RunConfig, dir: string | undefined): Promise<string> {
  const lines = [formatFailure(r)];
  if (dir !== undefined && r.seed !== undefined) {
    try {
      const file = writeFailureFiles(await buildFailureRecord(def, impl, ref, r, cfg.tier), dir);
      lines.push(`failure file: ${file} (and .md); replay: npx micvop replay ${file}`);
    } catch (e) {
      lines.push(`failure file not written: ${(e as Error).message}`);
    }
  }
  const seedFile = recordFailure(r, SEEDS_DIR, ref);
  if (seedFile !== undefined) lines.push(`recorded: ${seedFile}`);
  return lines.join('\n').replace(/^/gm, '     ');
}
