/**
 * The HTML report (`micvop report --html FILE [REPORT.json ...]`, `micvop verify --html FILE`): one
 * self-contained page with each property's result, each XState machine of model/machines drawn as a
 * state diagram with what the run reached marked, and each failure's sequence diagram (from its
 * failure file). The diagrams are Mermaid sources rendered in the browser by the `mermaid` package's
 * browser bundle, inlined so the page works offline; a Content-Security-Policy lets only those two
 * scripts run and nothing load, and every text put in the page is escaped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MACHINES } from '../properties/report/coverage.ts';
import {
  FailureFileError,
  failureFileName,
  readFailureFile,
  resolveFailuresDir,
  type FailureRecord,
} from '../properties/report/failure-file.ts';
import { parseTrace, sequenceDiagram } from '../properties/report/mermaid.ts';
import { UsageError } from './errors.ts';
import { REACHED_MARK, stateDiagram } from './models.ts';
import { checkReport, mergeReports, type Report, type ReportProperty } from './report.ts';
import { checkWritable } from './verify-support.ts';

/** a failed property's failure file, read back */
export interface PageFailure {
  readonly file: string;
  readonly record: FailureRecord;
}

export interface PageInput {
  readonly report: Report;
  /** by property id */
  readonly failures: ReadonlyMap<string, PageFailure>;
  /** what verify printed for a failure that has no failure file, by property id */
  readonly notes?: ReadonlyMap<string, string>;
  /** the --impl the run loaded ("reference" or a module path), when known */
  readonly implRef?: string;
  /** where the report came from: the report files, or "verify" */
  readonly source: string;
}

/** the trace events a failure's sequence diagram shows (as its .md does) */
const DIAGRAM_EVENTS = 150;

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** text or attribute value for the page: nothing in it can open a tag or end an attribute */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

let bundleMemo: string | undefined;
/** the mermaid browser bundle (an IIFE that sets globalThis.mermaid) */
export function mermaidBundle(): string {
  if (bundleMemo !== undefined) return bundleMemo;
  const file = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
  const text = readFileSync(file, 'utf8');
  // inlined in a <script> element, it must not contain what would end or restart one
  if (/<\/?script/i.test(text)) throw new Error(`${file} contains a script tag; it cannot be inlined as it is`);
  bundleMemo = text;
  return text;
}

const shQuote = (s: string): string => (/^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** the command that runs the property again the same way */
function replayCommand(p: ReportProperty, input: PageInput): string {
  const failure = input.failures.get(p.id);
  if (failure !== undefined) return `npx micvop replay ${shQuote(failure.file)}`;
  if (p.seed === null) return '';
  const named = input.report.impl === 'reference' ? 'reference' : `<module of ${input.report.impl}>`;
  const impl = input.implRef ?? named;
  const parts = ['npx micvop replay', shQuote(p.id), '--seed', String(p.seed)];
  if (p.path !== null) parts.push('--path', p.path);
  if (impl !== 'reference') parts.push('--impl', impl.startsWith('<') ? impl : shQuote(impl));
  return parts.join(' ');
}

const ms = (v: number): string => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);

function propertiesTable(input: PageInput): string {
  const rows = input.report.properties.map((p) => {
    const seed = p.seed === null ? '–' : `${p.seed}${p.path === null ? '' : ` path ${p.path}`}`;
    const replay = p.status === 'skipped'
      ? `<span class="reason">${esc(p.reason ?? '')}</span>`
      : `<code>${esc(replayCommand(p, input))}</code>`;
    const id = p.status === 'failed' ? `<a href="#failure-${esc(p.id)}">${esc(p.id)}</a>` : esc(p.id);
    return [
      `<tr class="${esc(p.status)}">`,
      `<td title="${esc(p.file ?? '')}">${id}</td>`,
      `<td><span class="status ${esc(p.status)}">${esc(p.status)}</span></td>`,
      `<td class="num">${p.runs}</td><td class="num">${ms(p.durationMs)}</td>`,
      `<td class="seed">${esc(seed)}</td><td>${replay}</td></tr>`,
    ].join('');
  });
  const head = '<tr><th>property</th><th>status</th><th>runs</th><th>time</th><th>seed</th><th>replay</th></tr>';
  return `<table class="properties"><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function mermaidBlock(source: string, kind: string): string {
  return `<div class="diagram ${kind}"><pre class="mermaid-src">${esc(source)}</pre></div>`;
}

function machinesSection(report: Report): string {
  const parts: string[] = [];
  for (const machine of MACHINES) {
    const c = report.coverage.machines[machine.id];
    if (c === undefined) continue;
    const marks = { reachedStates: new Set(c.reached?.states ?? []), reachedTransitions: c.reached?.transitions ?? [] };
    const d = stateDiagram(machine, marks);
    let figures = `states ${c.states[0]}/${c.states[1]}, transitions ${c.transitions[0]}/${c.transitions[1]} reached`;
    if (c.states[0] === 0) figures += ' (no property of this run drives it)';
    else if (c.reached === undefined) figures += ' (the report does not name them: nothing is marked)';
    parts.push(
      `<section class="machine" id="machine-${esc(machine.id)}"><h3>${esc(machine.id)}</h3>`
        + `<p class="figures">${esc(figures)}</p>${mermaidBlock(d.mermaid, 'state')}</section>`,
    );
  }
  return parts.join('\n');
}

function failureSection(p: ReportProperty, input: PageInput): string {
  const f = input.failures.get(p.id);
  const head = `<section class="failure" id="failure-${esc(p.id)}"><h3>${esc(p.id)}</h3>`;
  if (f === undefined) {
    const note = input.notes?.get(p.id);
    const why = 'No failure file for this failure (verify writes one unless --failures off).';
    return `${head}<p>${esc(why)}</p>${note === undefined ? '' : `<pre class="text">${esc(note)}</pre>`}</section>`;
  }
  const r = f.record;
  // readFailureFile checks what replaying needs; the rest is taken as loosely as it may come
  const lines = Array.isArray(r.trace?.lines) ? r.trace.lines.map(String) : [];
  const stepList = Array.isArray(r.steps) ? r.steps.map(String) : [];
  const steps = stepList.length > 0 ? stepList.join('\n') : String(r.counterexample ?? '(none)');
  const events = parseTrace(lines).slice(-DIAGRAM_EVENTS);
  const about = `${String(r.trace?.events ?? events.length)} events (digest ${String(r.trace?.digest ?? '?')})`;
  const trace = events.length === 0
    ? '<p>The property runs no scheduler with a trace: there is no trace to draw.</p>'
    : `<p>${esc(`${about}; the diagram shows the last ${events.length}.`)}</p>`
      + mermaidBlock(sequenceDiagram(events), 'sequence');
  const where = `seed ${r.seed}${r.path === null ? '' : `, path ${r.path}`}; implementation ${r.implementation.name}`;
  return [
    head,
    `<p>${esc(where)}; failure file <code>${esc(f.file)}</code></p>`,
    `<h4>Counterexample, step by step</h4><pre class="text">${esc(steps)}</pre>`,
    `<h4>Error</h4><pre class="text">${esc(String(r.error ?? ''))}</pre>`,
    `<h4>Trace of the failing run</h4>${trace}</section>`,
  ].join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
  margin: 0 auto; max-width: 1200px; padding: 1em 2em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h3 { margin-bottom: 0.2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin-top: 0; } .summary { font-size: 1.1em; }
table.properties { border-collapse: collapse; width: 100%; font-size: 13px; }
table.properties th, table.properties td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee;
  vertical-align: top; }
table.properties td.num { text-align: right; white-space: nowrap; }
td.seed { white-space: nowrap; font-family: ui-monospace, monospace; }
tr.failed { background: #fdecea; }
code { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.status { border-radius: 3px; padding: 1px 6px; font-size: 12px; color: #fff; }
.status.passed { background: #2e7d32; } .status.failed { background: #c62828; } .status.skipped { background: #888; }
.reason { color: #666; } .figures { color: #444; margin-top: 0; }
.diagram { overflow-x: auto; border: 1px solid #eee; border-radius: 4px; padding: 8px; margin: 6px 0 18px; }
.diagram.fit svg { width: 100%; height: auto; }
.diagram.zoomable { cursor: zoom-in; } .diagram.zoomable:not(.fit) { cursor: zoom-out; }
.diagram.failed-render { border-color: #c62828; } pre.mermaid-src { color: #999; font-size: 11px; }
pre.text { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 12px; }
.legend span { display: inline-block; margin-right: 1.5em; }
.swatch { display: inline-block; width: 1em; height: 1em; vertical-align: -2px; margin-right: 4px;
  border: 1px solid #2e7d32; background: #c8f7c5; }
.edge-swatch { display: inline-block; width: 2em; height: 0; border-top: 3px solid #2e7d32; vertical-align: 3px;
  margin-right: 4px; }
svg path.reached-edge { stroke: #2e7d32 !important; stroke-width: 2.5px !important; }
svg g.reached-label .edgeLabel, svg g.reached-label p, svg g.reached-label span { color: #1b5e20 !important; }
`;

/** renders every Mermaid source in order, marks the reached edges, and says how many rendered */
const RENDER = `(async () => {
  const mark = ${JSON.stringify(REACHED_MARK.trim())};
  // natural size: a wide machine scrolls in its box instead of shrinking its labels out of reach
  mermaid.initialize({
    startOnLoad: false, securityLevel: 'strict', theme: 'default', maxTextSize: 500000, state: { useMaxWidth: false },
  });
  const blocks = [...document.querySelectorAll('pre.mermaid-src')];
  let rendered = 0;
  for (const [i, pre] of blocks.entries()) {
    const box = pre.parentElement;
    try {
      const { svg } = await mermaid.render('micvop-diagram-' + i, pre.textContent);
      box.innerHTML = svg;
      // fitted to the page at first; a click shows it at its natural size (scrolling in its box)
      const drawn = box.querySelector('svg');
      if (drawn && drawn.viewBox.baseVal && drawn.viewBox.baseVal.width > box.clientWidth) {
        drawn.style.maxWidth = drawn.viewBox.baseVal.width + 'px';
        box.classList.add('fit', 'zoomable');
        box.title = 'click: natural size / fit';
        box.addEventListener('click', () => box.classList.toggle('fit'));
      }
      for (const label of box.querySelectorAll('g.edgeLabel g.label[data-id]')) {
        if (!label.textContent.trim().endsWith(mark)) continue;
        label.parentElement.classList.add('reached-label');
        for (const path of box.querySelectorAll('path[data-id]')) {
          if (path.dataset.id === label.dataset.id) path.classList.add('reached-edge');
        }
      }
      rendered++;
    } catch (e) {
      box.classList.add('failed-render');
      console.error('diagram ' + i + ' did not render: ' + (e && e.message ? e.message : e));
    }
  }
  document.body.dataset.diagrams = rendered + '/' + blocks.length;
})();`;

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** the whole page */
export function htmlPage(input: PageInput, bundle: string = mermaidBundle()): string {
  const { report } = input;
  const s = report.summary;
  const failed = report.properties.filter((p) => p.status === 'failed');
  const scripts = `${sha256(bundle)} ${sha256(RENDER)}`;
  const csp = `default-src 'none'; script-src ${scripts}; style-src 'unsafe-inline'; img-src data:; font-src data:`;
  const seed = report.seed === null ? '' : `, seed ${report.seed}`;
  const shard = report.shard === null ? '' : `, shard ${report.shard}`;
  const meta = `implementation ${report.impl}, tier ${report.tier}${seed}${shard}; from ${input.source}`;
  const counts = `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
  const summary = `${counts} — ${s.commands} simulated commands, ${s.commandsPerSecond} per second`;
  const legend = [
    '<p class="legend"><span><i class="swatch"></i>state the run reached</span>',
    `<span><i class="edge-swatch"></i>transition the run took (label ends in ${esc(REACHED_MARK.trim())})</span>`,
    '<span>a wide diagram shows at its natural size on a click</span></p>',
  ].join('');
  const failures = failed.length === 0 ? '<p>None.</p>' : failed.map((p) => failureSection(p, input)).join('\n');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>micvop report: ${esc(counts)}</title>`,
    `<style>${STYLE}</style></head>`,
    '<body data-diagrams="pending">',
    `<h1>micvop verify report</h1><p class="meta">${esc(meta)}</p><p class="summary">${esc(summary)}</p>`,
    `<h2>Properties</h2>${propertiesTable(input)}`,
    `<h2>Machines</h2>${legend}${machinesSection(report)}`,
    `<h2>Failures</h2>${failures}`,
    `<script>${bundle}</script>`,
    `<script>${RENDER}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** the failure files of the report's failed properties found in `dir` (a malformed one is bad input) */
export function failuresFor(report: Report, dir: string | undefined): Map<string, PageFailure> {
  const out = new Map<string, PageFailure>();
  if (dir === undefined) return out;
  for (const p of report.properties) {
    if (p.status !== 'failed' || p.seed === null) continue;
    const file = join(dir, failureFileName(p.id, p.seed));
    if (!existsSync(file)) continue;
    try {
      out.set(p.id, { file, record: readFailureFile(file) });
    } catch (e) {
      if (e instanceof FailureFileError) throw new UsageError(e.message);
      throw e;
    }
  }
  return out;
}

/** writes the page; an unwritable path is bad input. Returns the line that says so */
export function writeHtml(file: string, input: PageInput): string {
  const page = htmlPage(input);
  try {
    writeFileSync(file, page);
  } catch (e) {
    throw new UsageError(`cannot write --html file "${file}": ${(e as Error).message}`);
  }
  const mb = (Buffer.byteLength(page) / 1e6).toFixed(1);
  const what = `${input.report.properties.length} properties, ${input.failures.size} failure files`;
  return `html report: ${file} (${mb} MB, ${what})`;
}

/** the folder verify wrote its failure files into, with the same flag and environment */
function failuresToRead(flag: string | undefined): string | undefined {
  if (flag === 'off' || flag === 'none') return undefined;
  if (flag === '') throw new UsageError('--failures needs a folder (or "off")');
  if (flag !== undefined) return resolve(flag);
  try {
    return resolveFailuresDir(undefined).dir;
  } catch {
    // MICVOP_FAILURES inside the package under CI=true: verify refused it, so there is nothing to read
    return undefined;
  }
}

function readReport(name: string): Report {
  let text: string;
  try {
    text = name === '-' ? readFileSync(0, 'utf8') : readFileSync(name, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read report "${name}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`report "${name === '-' ? 'stdin' : name}" is not JSON: ${(e as Error).message}`);
  }
  return checkReport(parsed, `report "${name === '-' ? 'stdin' : name}"`);
}

/** `micvop report --html FILE [REPORT.json ...] [--failures DIR|off]` (no report: stdin) */
export async function report(argv: string[]): Promise<number> {
  const options = { html: { type: 'string' }, failures: { type: 'string' } } as const;
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options });
  if (values.html === undefined) {
    throw new UsageError('report needs --html FILE: micvop report --html FILE [REPORT.json ...]');
  }
  checkWritable('--html', values.html);
  if (positionals.length === 0 && process.stdin.isTTY) {
    throw new UsageError('report needs verify --json reports as files, or one on stdin');
  }
  const names = positionals.length === 0 ? ['-'] : positionals;
  const reports = names.map((name) => ({ name, report: readReport(name) }));
  const merged = reports.length === 1 ? reports[0]!.report : mergeReports(reports);
  const failures = failuresFor(merged, failuresToRead(values.failures));
  const source = names.map((n) => (n === '-' ? 'stdin' : n)).join(', ');
  // the report names the implementation, a failure file also the module it was loaded from
  const implRef = [...failures.values()][0]?.record.implementation.ref;
  const input: PageInput = { report: merged, failures, source, ...(implRef === undefined ? {} : { implRef }) };
  process.stdout.write(`${writeHtml(values.html, input)}\n`);
  return 0;
}
