/**
 * The verify report (`micvop verify --json`, `micvop merge`): its JSON shape, the terminal table, and
 * the merge of shard reports. commandsPerSecond is commands over the summed property time, so a
 * merged report's figure is the suite's rate whatever the number of shards.
 */
import type { PropertyResult } from '../properties/harness.ts';
import type { MachineCoverage } from '../properties/report/coverage.ts';
import { UsageError } from './errors.ts';

export interface ReportProperty {
  readonly id: string;
  readonly file: string | null;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly runs: number;
  readonly seed: number | null;
  readonly path: string | null;
  readonly durationMs: number;
  readonly commands: number;
  readonly reason?: string;
}

export interface Report {
  readonly impl: string;
  readonly tier: 'quick' | 'deep';
  /** the --seed of the run; null when every property used its own */
  readonly seed: number | null;
  /** "i/n" when the run was one shard, null for a whole run or a merged report */
  readonly shard: string | null;
  readonly properties: readonly ReportProperty[];
  readonly coverage: { readonly machines: Readonly<Record<string, MachineCoverage>> };
  readonly summary: {
    readonly passed: number;
    readonly failed: number;
    readonly skipped: number;
    readonly commands: number;
    readonly commandsPerSecond: number;
  };
}

export function reportProperty(r: PropertyResult, file: string | undefined): ReportProperty {
  return {
    id: r.id,
    file: file ?? null,
    status: r.status,
    runs: r.numRuns,
    seed: r.seed ?? null,
    path: r.path ?? null,
    durationMs: Math.round(r.ms * 10) / 10,
    commands: r.commands ?? 0,
    ...(r.status === 'skipped' ? { reason: r.reason ?? '' } : {}),
  };
}

export function summarize(props: readonly ReportProperty[]): Report['summary'] {
  const count = (s: ReportProperty['status']): number => props.filter((p) => p.status === s).length;
  const commands = props.reduce((a, p) => a + p.commands, 0);
  const ms = props.reduce((a, p) => a + p.durationMs, 0);
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), commands, commandsPerSecond: ms > 0 ? Math.round((commands * 1000) / ms) : 0 };
}

const time = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** the summary table, the machine coverage and the closing lines */
export function table(rep: Report): string {
  const w = Math.max(8, ...rep.properties.map((p) => p.id.length));
  const lines = [`${'property'.padEnd(w)}  status   ${'runs'.padStart(6)}  ${'time'.padStart(9)}  ${'commands'.padStart(9)}  seed`];
  for (const p of rep.properties) {
    // the whole path is in the failure output and the JSON; the table shows its start
    const path = p.path === null ? '' : ` path ${p.path.length > 40 ? `${p.path.slice(0, 40)}…` : p.path}`;
    const seed = p.seed === null ? '-' : `${p.seed}${path}`;
    const status = p.status === 'failed' ? 'FAILED' : p.status;
    lines.push(`${p.id.padEnd(w)}  ${status.padEnd(7)}  ${String(p.runs).padStart(6)}  ${time(p.durationMs).padStart(9)}  ${String(p.commands).padStart(9)}  ${seed}`);
  }
  lines.push('', `${'machine'.padEnd(14)}  ${'states'.padStart(7)}  ${'transitions'.padStart(11)}`);
  for (const [id, c] of Object.entries(rep.coverage.machines)) {
    lines.push(`${id.padEnd(14)}  ${`${c.states[0]}/${c.states[1]}`.padStart(7)}  ${`${c.transitions[0]}/${c.transitions[1]}`.padStart(11)}`);
  }
  const s = rep.summary;
  lines.push(
    '',
    `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`,
    `${s.commands} simulated commands, ${s.commandsPerSecond} per second (impl ${rep.impl}, tier ${rep.tier}${rep.shard !== null ? `, shard ${rep.shard}` : ''})`,
  );
  return lines.join('\n');
}

const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every((x) => Number.isSafeInteger(x));

/** checks the parsed JSON is a verify report; throws UsageError naming the problem */
export function checkReport(v: unknown, name: string): Report {
  const r = v as Report;
  const bad = (what: string): never => {
    throw new UsageError(`${name} is not a micvop verify report: ${what}`);
  };
  if (typeof r !== 'object' || r === null || Array.isArray(r)) bad('not a JSON object');
  if (typeof r.impl !== 'string') bad('no "impl"');
  if (r.tier !== 'quick' && r.tier !== 'deep') bad('"tier" is not quick or deep');
  if (!Array.isArray(r.properties)) bad('no "properties" list');
  for (const p of r.properties) {
    if (typeof p?.id !== 'string' || !['passed', 'failed', 'skipped'].includes(p.status) || typeof p.durationMs !== 'number' || !Number.isSafeInteger(p.runs)) {
      bad(`property entry ${JSON.stringify(p?.id ?? p)} lacks id, status, runs or durationMs`);
    }
  }
  const machines = r.coverage?.machines;
  if (typeof machines !== 'object' || machines === null) bad('no "coverage.machines"');
  for (const [id, c] of Object.entries(machines)) {
    if (!isPair(c?.states) || !isPair(c?.transitions)) bad(`coverage of machine ${id} is not [reached, total] pairs`);
    const names = c.reached;
    if (names !== undefined && !(isNames(names?.states) && isNames(names?.transitions))) {
      bad(`coverage.machines.${id}.reached is not lists of names`);
    }
  }
  return r;
}

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();

/** the most either reached; with the names of both (the HTML report's marks), their union counts */
function mergeCoverage(m: MachineCoverage, c: MachineCoverage): MachineCoverage {
  const most = (a: readonly [number, number], b: readonly [number, number]): [number, number] => [
    Math.max(a[0], b[0]),
    Math.max(a[1], b[1]),
  ];
  const [states, transitions] = [most(m.states, c.states), most(m.transitions, c.transitions)];
  const only = m.reached ?? c.reached;
  if (m.reached === undefined || c.reached === undefined) {
    return only === undefined ? { states, transitions } : { states, transitions, reached: only };
  }
  const reached = {
    states: union(m.reached.states, c.reached.states),
    transitions: union(m.reached.transitions, c.reached.transitions),
  };
  states[0] = Math.max(states[0], Math.min(reached.states.length, states[1]));
  transitions[0] = Math.max(transitions[0], Math.min(reached.transitions.length, transitions[1]));
  return { states, transitions, reached };
}

/**
 * Combines shard reports: the properties of all (an id in two reports is refused: the shards
 * overlap), coverage per machine the most any shard reached, the summary recomputed.
 */
export function mergeReports(reports: readonly { name: string; report: Report }[]): Report {
  if (reports.length === 0) throw new UsageError('merge needs at least one report');
  const first = reports[0]!.report;
  const seen = new Map<string, string>();
  const properties: ReportProperty[] = [];
  const machines: Record<string, MachineCoverage> = {};
  for (const { name, report } of reports) {
    if (report.impl !== first.impl || report.tier !== first.tier || report.seed !== first.seed) {
      throw new UsageError(`${name} is a run of another implementation, tier or seed (${report.impl}, ${report.tier}, seed ${report.seed}) than ${reports[0]!.name} (${first.impl}, ${first.tier}, seed ${first.seed})`);
    }
    for (const p of report.properties) {
      const other = seen.get(p.id);
      if (other !== undefined) throw new UsageError(`property ${p.id} is in both ${other} and ${name}: the shards overlap`);
      seen.set(p.id, name);
      properties.push({ ...p, commands: p.commands ?? 0 });
    }
    for (const [id, c] of Object.entries(report.coverage.machines)) {
      const m = machines[id];
      machines[id] = m === undefined ? c : mergeCoverage(m, c);
    }
  }
  properties.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { impl: first.impl, tier: first.tier, seed: first.seed, shard: null, properties, coverage: { machines }, summary: summarize(properties) };
}
