/**
 * Reads the citations of the source tree — requirement ids (`RING-14`, shorthand `STATUS-01/02`,
 * ranges `FEAT-01..03`) and facts sections (`facts §6.5`, `§3.1–3.3`) — and joins them with the
 * project's table (model/requirements.ts) into a traceability table: for each requirement and
 * facts section, the properties and planted bugs that cite it. Used by the citation meta-test and
 * by `micvop models --trace`.
 *
 * A `§` belongs to the facts document unless the nearest document named before it (on its line or
 * just before, e.g. across a wrapped comment) is another one: DESIGN.md, README, the virtio
 * requirements document's own sections, a virtio or PCI specification.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allMutants } from '../../fixtures/mutants/index.ts';
import {
  FACTS_SECTIONS,
  FACTS_SECTION_IDS,
  REQUIREMENTS,
  REQUIREMENT_IDS,
  isFactsSection,
  isRequirementId,
  type FactsSection,
  type RequirementId,
} from '../../model/requirements.ts';

export const CITING_DIRS = ['model', 'impl', 'properties', 'fixtures', 'cli', 'bench'] as const;

export interface Citation {
  /** path relative to the root, forward slashes */
  readonly file: string;
  /** 1-based line of the citation */
  readonly line: number;
  readonly kind: 'requirement' | 'facts';
  /** normalized reference: "RING-14" or "§6.5" */
  readonly ref: string;
  /** the text as written (for shorthand and ranges the whole group) */
  readonly written: string;
}

/** a requirement-like id: two to seven capitals, a dash, two digits; then `/NN` shorthand or `..NN` range */
const ID_RE = /\b([A-Z]{2,7})-(\d{2})((?:\/\d{2})*)(?:\.\.(\d{2}))?(?![\d.-]?\d)/g;
/** a section sign, a dotted number, optionally a range to a second one (`§3.1–3.3`, `§6.3–§6.5`) */
const SECTION_RE = /§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?§?(\d+(?:\.\d+)*))?/g;
/** names of documents whose `§` numbers are not the facts document's */
const OTHER_DOC_RE =
  /DESIGN(?:\.md)?|README(?:\.md)?|\brequirements\b(?!\.ts)|virtio[ -](?:\d|spec)|VIRTIO \d|\bspec\b|Local Bus/g;
const FACTS_DOC_RE = /facts/g;
/** how far back (characters) the document name of a `§` is looked for */
const DOC_LOOKBACK = 240;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** the ids one written group stands for: RING-04/13/15 → three, FEAT-01..03 → three */
export function expandIds(group: string, first: string, slashes: string, rangeEnd: string | undefined): string[] {
  const ids = [`${group}-${first}`, ...slashes.split('/').filter((s) => s !== '').map((n) => `${group}-${n}`)];
  const end = rangeEnd === undefined ? 0 : Number(rangeEnd);
  for (let n = Number(first) + 1; n <= end; n++) ids.push(`${group}-${pad2(n)}`);
  return ids;
}

/** the sections a written range stands for: 3.1–3.3 → 3.1, 3.2, 3.3 (siblings only; else both ends) */
export function expandSections(first: string, last: string | undefined): string[] {
  if (last === undefined) return [first];
  const a = first.split('.');
  const b = last.split('.');
  const from = Number(a.at(-1));
  const to = Number(b.at(-1));
  const sameParent = a.length === b.length && a.slice(0, -1).join('.') === b.slice(0, -1).join('.');
  const siblings = sameParent && to > from && to - from < 20;
  if (!siblings) return [first, last];
  const prefix = a.slice(0, -1).map((x) => `${x}.`).join('');
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
}

function lastIndexOfRe(re: RegExp, text: string): number {
  let at = -1;
  for (const m of text.matchAll(re)) at = m.index;
  return at;
}

/** true when the `§` at `at` cites the facts document (see the file comment) */
export function citesFacts(src: string, at: number): boolean {
  const before = src.slice(Math.max(0, at - DOC_LOOKBACK), at);
  return lastIndexOfRe(FACTS_DOC_RE, before) >= lastIndexOfRe(OTHER_DOC_RE, before);
}

/** every citation in one source text */
export function citationsIn(file: string, src: string): Citation[] {
  const out: Citation[] = [];
  const lineStarts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (at: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  for (const m of src.matchAll(ID_RE)) {
    const line = lineOf(m.index);
    const written = m[0];
    for (const ref of expandIds(m[1]!, m[2]!, m[3]!, m[4])) out.push({ file, line, kind: 'requirement', ref, written });
  }
  for (const m of src.matchAll(SECTION_RE)) {
    if (!citesFacts(src, m.index)) continue;
    const line = lineOf(m.index);
    for (const n of expandSections(m[1]!, m[2])) out.push({ file, line, kind: 'facts', ref: `§${n}`, written: m[0] });
  }
  return out.sort((a, b) => a.line - b.line);
}

export function sourceFiles(root: string, dirs: readonly string[] = CITING_DIRS): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of dirs) {
    try {
      walk(join(root, d));
    } catch {
      /* a missing top-level folder cites nothing */
    }
  }
  return out.sort();
}

const rel = (root: string, f: string): string => relative(root, f).split(sep).join('/');

/** the table itself is not a citation of itself */
const TABLE_FILE = 'model/requirements.ts';

export function scanCitations(root: string, dirs: readonly string[] = CITING_DIRS): Citation[] {
  return sourceFiles(root, dirs)
    .map((f) => rel(root, f))
    .filter((f) => f !== TABLE_FILE)
    .flatMap((f) => citationsIn(f, readFileSync(join(root, f), 'utf8')));
}

export const resolves = (c: Citation): boolean =>
  c.kind === 'requirement' ? isRequirementId(c.ref) : isFactsSection(c.ref);

// ---- who cites what: properties (header, claim, source) and planted bugs (description)

export interface PropertyCitations {
  readonly id: string;
  readonly file: string;
  readonly refs: ReadonlySet<string>;
}

const STRING_LIT = String.raw`'((?:[^'\\]|\\.)*)'`;

/**
 * The citations of each property of a *.prop.ts file: the file's opening comment (Claim / Source /
 * Level) counts for every property the file defines, each definition's `claim` and `source` for
 * that property.
 */
export function propertyCitations(file: string, src: string): PropertyCitations[] {
  const header = /^\s*\/\*\*([\s\S]*?)\*\//.exec(src)?.[1] ?? '';
  const shared = citationsIn(file, header).map((c) => c.ref);
  const blocks = src.split(/\bdefineProperty\(\s*\{/).slice(1);
  const out: PropertyCitations[] = [];
  for (const b of blocks) {
    const id = new RegExp(String.raw`^\s*id:\s*${STRING_LIT}`).exec(b)?.[1];
    if (id === undefined) continue;
    const fields = ['claim', 'source'].map((k) => new RegExp(String.raw`\b${k}:\s*${STRING_LIT}`).exec(b)?.[1] ?? '');
    const own = citationsIn(file, fields.join('\n')).map((c) => c.ref);
    out.push({ id, file, refs: new Set([...shared, ...own]) });
  }
  return out;
}

export function scanPropertyCitations(root: string): PropertyCitations[] {
  return sourceFiles(root, ['properties'])
    .filter((f) => f.endsWith('.prop.ts'))
    .flatMap((f) => propertyCitations(rel(root, f), readFileSync(f, 'utf8')));
}

export interface PlantedBug {
  readonly id: string;
  readonly description: string;
  readonly kills: readonly string[];
}

export interface TraceRow {
  /** "RING-14" or "§6.5" */
  readonly ref: string;
  readonly kind: 'requirement' | 'facts';
  readonly says: string;
  /** requirements only */
  readonly scope?: string;
  readonly reason?: string;
  /** properties whose header, claim or source cites the row */
  readonly properties: readonly string[];
  /** planted bugs whose description cites the row and that some property kills */
  readonly bugs: readonly string[];
  /** planted bugs that make a citing property fail */
  readonly bugsCaught: number;
}

/** the traceability table: every requirement, then every facts section */
export function traceTable(props: readonly PropertyCitations[], bugs: readonly PlantedBug[]): TraceRow[] {
  const bugRefs = bugs.map((b) => ({ b, refs: new Set(citationsIn('', b.description).map((c) => c.ref)) }));
  type Extra = Pick<TraceRow, 'scope' | 'reason'>;
  const row = (ref: string, kind: TraceRow['kind'], says: string, extra: Extra): TraceRow => {
    const properties = props.filter((p) => p.refs.has(ref)).map((p) => p.id);
    const citing = bugRefs.filter(({ b, refs }) => refs.has(ref) && b.kills.length > 0).map(({ b }) => b.id);
    const caught = bugs.filter((b) => b.kills.some((k) => properties.includes(k))).length;
    const unique = [...new Set(properties)].sort();
    return { ref, kind, says, ...extra, properties: unique, bugs: citing.sort(), bugsCaught: caught };
  };
  return [
    ...REQUIREMENT_IDS.map((id: RequirementId) => {
      const e = REQUIREMENTS[id] as { says: string; scope: string; reason?: string };
      const reason = e.reason !== undefined ? { reason: e.reason } : {};
      return row(id, 'requirement', e.says, { scope: e.scope, ...reason });
    }),
    ...FACTS_SECTION_IDS.map((s: FactsSection) => row(s, 'facts', FACTS_SECTIONS[s], {})),
  ];
}

/** a modelled requirement is checked when a property cites it or a planted bug a property kills does */
export const isChecked = (r: TraceRow): boolean => r.properties.length > 0 || r.bugs.length > 0;

const cell = (s: string): string => s.replaceAll('|', '\\|');

/** the traceability table as markdown */
export function traceMarkdown(rows: readonly TraceRow[]): string {
  const reqs = rows.filter((r) => r.kind === 'requirement');
  const facts = rows.filter((r) => r.kind === 'facts');
  const list = (xs: readonly string[]): string => (xs.length === 0 ? '—' : xs.map((x) => `\`${x}\``).join(', '));
  const count = (scope: string): number => reqs.filter((r) => r.scope === scope).length;
  const lines = [
    '## Requirements (model/requirements.ts)',
    '',
    `${reqs.length} virtio requirements: ${count('modelled')} modelled, ${count('not-yet')} not yet checked, ` +
      `${count('out-of-scope')} out of scope.`,
    '',
    '| id | scope | what it says | properties | planted bugs citing it | bugs caught |',
    '| --- | --- | --- | --- | --- | --- |',
    ...reqs.map((r) => {
      const scope = r.scope === 'modelled' ? 'modelled' : `${r.scope}: ${r.reason ?? ''}`;
      const cites = `${list(r.properties)} | ${list(r.bugs)} | ${r.bugsCaught}`;
      return `| ${r.ref} | ${cell(scope)} | ${cell(r.says)} | ${cites} |`;
    }),
    '',
    '## Facts sections (reference/mic-x100-facts.md)',
    '',
    `${facts.length} sections, ${facts.filter(isChecked).length} cited by a property.`,
    '',
    '| section | what it covers | properties | planted bugs citing it | bugs caught |',
    '| --- | --- | --- | --- | --- |',
    ...facts.map((r) => `| ${r.ref} | ${cell(r.says)} | ${list(r.properties)} | ${list(r.bugs)} | ${r.bugsCaught} |`),
  ];
  return `${lines.join('\n')}\n`;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** the traceability table of this repository as markdown (`micvop models --trace`) */
export function repositoryTraceMarkdown(root: string = repoRoot): string {
  return traceMarkdown(traceTable(scanPropertyCitations(root), allMutants));
}
