/**
 * Writing failure files: the failing counterexample is replayed (its seed and path; an fc.commands
 * property shrinks again from the seed, see RunConfig.reshrink) with every scheduler's trace on, the
 * schedulers of the final counterexample's execution are kept, and the record (properties/report/failure-file.ts)
 * is written as `<id>-<seed>.json`, with `<id>-<seed>.md` beside it: the steps, the error and the
 * trace as a Mermaid sequence diagram. Replaying a record builds it again the same way, so the same
 * seed and path give the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Implementation, Scheduler } from '../../model/contract.ts';
import type { RunConfig } from '../config.ts';
import { isCommandsCounterexample, runProperty, type PropertyDef, type PropertyResult } from '../harness.ts';
import { FAILURE_FORMAT, TRACE_LINES, failureFileName, implRefForRecord, type FailureRecord, type FailureTrace } from './failure-file.ts';
import { parseTrace, sequenceDiagram } from './mermaid.ts';
import { versions } from './readable.ts';

/** FNV-1a over the text, as 8 hex digits */
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function traceOf(schedulers: readonly Scheduler[]): FailureTrace {
  // the schedulers of the final counterexample's execution: the newest one with a trace
  for (let i = schedulers.length - 1; i >= 0; i--) {
    const tr = schedulers[i]!.trace;
    if (!tr.enabled) continue;
    const text = tr.text();
    if (text === '') continue;
    const lines = text.replace(/\n$/, '').split('\n');
    return { source: 'scheduler', events: lines.length, digest: digest(text), lines: lines.slice(-TRACE_LINES) };
  }
  return { source: 'none', events: 0, digest: digest(''), lines: [] };
}

/**
 * Replays the failure `r` of `def` once with traces on and builds its record. When the traced replay
 * does not fail the same way (a property that looks at its own trace setting), the record keeps the
 * failure as first seen and says the trace is missing.
 */
export async function buildFailureRecord(def: PropertyDef, impl: Implementation, implRef: string, r: PropertyResult, tier: RunConfig['tier'] = 'quick'): Promise<FailureRecord> {
  if (r.seed === undefined) throw new Error(`buildFailureRecord: ${def.id} has no seed`);
  let schedulers: Scheduler[] = [];
  let again: PropertyResult = r;
  if (r.path !== undefined) {
    const cfg = { tier, seed: r.seed, path: r.path, runs: undefined, reshrink: isCommandsCounterexample(r.counterexample) };
    again = await runProperty(def, impl, cfg, implRef, { forceTrace: true, onFailingRun: (s) => (schedulers = s) });
  }
  const same = again.status === 'failed' && again.counterexample === r.counterexample;
  const base = same ? again : r;
  return {
    format: FAILURE_FORMAT,
    property: def.id,
    file: def.file ?? null,
    seed: r.seed,
    path: r.path ?? null,
    implementation: { name: impl.name, ref: implRefForRecord(implRef) },
    versions: versions(),
    counterexample: base.counterexample ?? null,
    steps: base.steps ?? [],
    error: base.error ?? '',
    trace: same ? traceOf(schedulers) : { source: 'none', events: 0, digest: digest(''), lines: [] },
  };
}

export function recordJson(rec: FailureRecord): string {
  return `${JSON.stringify(rec, null, 2)}\n`;
}

const DIAGRAM_EVENTS = 150;

export function recordMarkdown(rec: FailureRecord, jsonPath: string): string {
  const events = parseTrace(rec.trace.lines);
  const shown = events.slice(-DIAGRAM_EVENTS);
  const fence = '```';
  const out = [
    `# ${rec.property} failed`,
    '',
    `- seed ${rec.seed}${rec.path !== null ? `, path ${rec.path}` : ''}`,
    `- implementation: ${rec.implementation.name} (${rec.implementation.ref})`,
    `- versions: ${Object.entries(rec.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    rec.file !== null ? `- property: ${rec.file}` : '',
    `- replay: \`npx micvop replay ${jsonPath}\``,
    '',
    '## Counterexample, step by step',
    '',
    ...(rec.steps.length > 0 ? rec.steps.map((s) => `    ${s}`) : [`    ${rec.counterexample ?? '(none)'}`]),
    '',
    '## Error',
    '',
    `${fence}text`,
    rec.error,
    fence,
    '',
    '## Trace of the failing run',
    '',
  ];
  if (rec.trace.source === 'none') out.push('The property runs no scheduler with a trace: there is no trace to draw.');
  else {
    out.push(
      `${rec.trace.events} events (digest ${rec.trace.digest}); the diagram shows the last ${shown.length}.`,
      'Lanes: host driver, daemon, card, DMA, bus (interrupt deliveries are drawn from the bus to the side they interrupt).',
      '',
      `${fence}mermaid`,
      sequenceDiagram(shown),
      fence,
    );
  }
  return `${out.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')}\n`;
}

/** writes `<id>-<seed>.json` and `.md` into `dir` (created when missing); returns the JSON path */
export function writeFailureFiles(rec: FailureRecord, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, failureFileName(rec.property, rec.seed));
  writeFileSync(json, recordJson(rec));
  writeFileSync(json.replace(/\.json$/, '.md'), recordMarkdown(rec, json));
  return json;
}
