/**
 * `micvop merge A.json B.json ... [--json FILE]`: one report from the shards' `verify --json`
 * reports (properties joined, overlap refused, coverage the most any shard reached, summary
 * recomputed). Exit 1 when a property failed in any shard, so the merge step can be the gate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { checkReport, mergeReports, table, type Report } from './report.ts';
import { optionalJsonValue } from './verify.ts';
import { jsonTarget } from './verify-support.ts';

export async function merge(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: optionalJsonValue(argv), strict: true, allowPositionals: true, options: { json: { type: 'string' } } });
  if (positionals.length === 0) throw new UsageError('merge needs the shard reports: micvop merge A.json B.json ... [--json FILE]');
  const json = jsonTarget(values.json);
  const reports = positionals.map((name) => {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read report "${name}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`report "${name}" is not JSON: ${(e as Error).message}`);
    }
    return { name, report: checkReport(parsed, `report "${name}"`) };
  });
  const merged: Report = mergeReports(reports);
  const text = `${JSON.stringify(merged, null, 2)}\n`;
  const log = json === 'stdout' ? process.stderr : process.stdout;
  if (json === 'stdout') process.stdout.write(text);
  else if (json !== undefined) {
    try {
      writeFileSync(json, text);
    } catch (e) {
      throw new UsageError(`cannot write --json file "${json}": ${(e as Error).message}`);
    }
  }
  log.write(`${table(merged)}\n`);
  return merged.summary.failed > 0 ? 1 : 0;
}
