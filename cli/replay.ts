/**
 * `micvop replay`: re-runs a failure, either from a failure file (`micvop replay FILE.json`) or from
 * the seed and path a failure printed (`micvop replay ID --seed N [--path P]`). From a file, the
 * record is built again exactly as the failing run built it and compared with the file: the same
 * seed and path give the same counterexample, steps, error and trace.
 */
import { parseArgs } from 'node:util';
import { formatFailure, isCommandsCounterexample, runProperty, type PropertyResult } from '../properties/harness.ts';
import { FailureFileError, readFailureFile, type FailureRecord } from '../properties/report/failure-file.ts';
import { buildFailureRecord, recordJson } from '../properties/report/failure.ts';
import { UsageError } from './errors.ts';
import type { CliContext } from './verify.ts';

const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

export async function replay(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      path: { type: 'string' },
      impl: { type: 'string' },
      runs: { type: 'string' },
      json: { type: 'boolean' },
      trace: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('replay needs exactly one property id or failure file');
  const target = positionals[0]!;
  if (target.endsWith('.json')) {
    if (values.seed !== undefined || values.path !== undefined || values.runs !== undefined) {
      throw new UsageError('replay FILE.json takes its seed and path from the file (no --seed, --path or --runs)');
    }
    return replayFile(target, values, ctx);
  }
  if (values.json || values.trace) throw new UsageError('--json and --trace go with a failure file: micvop replay FILE.json');
  if (values.seed === undefined) throw new UsageError('replay needs --seed (printed by the failing run)');
  const def = (await ctx.select(target, undefined))[0]!;
  const cfg = ctx.runConfig(values);
  const ref = values.impl ?? process.env.MICVOP_IMPL ?? 'reference';
  const impl = await ctx.loadImpl(ref);
  const r = await runProperty(def, impl, cfg, ref);
  if (r.status === 'failed') {
    out(formatFailure(r));
    return 1;
  }
  out(`${def.id}: ${r.status}${r.reason ? ` (${r.reason})` : ''} with seed ${r.seed}${cfg.path ? ` path ${cfg.path}` : ''} — the failure does not reproduce`);
  return r.status === 'passed' ? 0 : 1;
}

async function replayFile(file: string, values: { impl?: string; json?: boolean; trace?: boolean }, ctx: CliContext): Promise<number> {
  let rec: FailureRecord;
  try {
    rec = readFailureFile(file);
  } catch (e) {
    if (e instanceof FailureFileError) throw new UsageError(e.message);
    throw e;
  }
  const def = (await ctx.select(rec.property, undefined))[0]!;
  const ref = values.impl ?? rec.implementation.ref;
  const impl = await ctx.loadImpl(ref);
  // the JSON goes to stdout alone; what a person reads goes to stderr then
  const say = values.json ? (s: string) => void process.stderr.write(`${s}\n`) : out;
  const cfg = { tier: 'quick' as const, seed: rec.seed, path: rec.path ?? undefined, runs: undefined, reshrink: isCommandsCounterexample(rec.counterexample) };
  const r: PropertyResult = await runProperty(def, impl, cfg, ref);
  if (r.status !== 'failed') {
    say(`${def.id}: ${r.status}${r.reason ? ` (${r.reason})` : ''} with seed ${rec.seed}${rec.path !== null ? ` path ${rec.path}` : ''} — the failure in ${file} does not reproduce`);
    return r.status === 'passed' ? 0 : 1;
  }
  const again = await buildFailureRecord(def, impl, ref, r);
  if (values.json) process.stdout.write(recordJson(again));
  say(formatFailure(r));
  if (values.trace) for (const l of again.trace.lines) say(l);
  else if (again.trace.source === 'scheduler') {
    say(`trace (last 20 of ${again.trace.events} events, digest ${again.trace.digest}; --trace prints all ${again.trace.lines.length} kept):`);
    for (const l of again.trace.lines.slice(-20)) say(`  ${l}`);
  }
  say(sameness(rec, again, file));
  return 1;
}

/** one line: which parts of the replayed failure equal the file's */
function sameness(rec: FailureRecord, again: FailureRecord, file: string): string {
  const parts: [string, boolean][] = [
    ['counterexample', rec.counterexample === again.counterexample && JSON.stringify(rec.steps) === JSON.stringify(again.steps)],
    ['error', rec.error === again.error],
    ['trace', rec.trace.digest === again.trace.digest && rec.trace.events === again.trace.events],
  ];
  const differ = parts.filter(([, same]) => !same).map(([n]) => n);
  if (differ.length === 0 && recordJson(rec) === recordJson(again)) return `reproduced byte for byte: ${file}`;
  const versions = JSON.stringify(rec.versions) !== JSON.stringify(again.versions) ? ` (the file was written with ${Object.entries(rec.versions).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  return differ.length === 0
    ? `reproduced: same counterexample, error and trace as ${file}${versions}`
    : `reproduced, but the ${differ.join(', ')} differ from ${file}${versions}`;
}
