/**
 * The failure file (`<id>-<seed>.json` in the failures folder): everything needed to replay a failing
 * property and to read what happened, without timestamps or durations, so replaying it regenerates
 * the same bytes. Where the folder is: `--failures DIR`, else MICVOP_FAILURES, else
 * `./micvop-failures/` in the working directory; never inside the package when CI=true.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { tmpdir } from 'node:os';
import type { Versions } from './readable.ts';
import { PACKAGE_ROOT } from './readable.ts';

export const FAILURE_FORMAT = 'micvop-failure/1';

export interface FailureTrace {
  /** "scheduler": the trace of the last scheduler the failing run created; "none": the property has none */
  readonly source: 'scheduler' | 'none';
  /** events in the whole trace */
  readonly events: number;
  /** FNV-1a digest of the whole trace text */
  readonly digest: string;
  /** the last events (`<t ns> <agent> <what>`), at most TRACE_LINES */
  readonly lines: readonly string[];
}

export interface FailureRecord {
  readonly format: typeof FAILURE_FORMAT;
  readonly property: string;
  readonly file: string | null;
  readonly seed: number;
  readonly path: string | null;
  readonly implementation: { readonly name: string; readonly ref: string };
  readonly versions: Versions;
  readonly counterexample: string | null;
  readonly steps: readonly string[];
  readonly error: string;
  readonly trace: FailureTrace;
}

export const TRACE_LINES = 2000;

export class FailureFileError extends Error {}

export function failureFileName(id: string, seed: number): string {
  return `${id}-${seed}.json`;
}

const isInside = (dir: string, root: string): boolean => {
  const rel = relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * The failures folder. An explicit folder inside the package under CI=true is refused (throws); the
 * default one is moved to the system temp folder there instead, and `note` says so.
 */
export function resolveFailuresDir(
  flag: string | undefined,
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): { dir: string; note?: string } {
  const given = flag ?? (env.MICVOP_FAILURES !== undefined && env.MICVOP_FAILURES !== '' ? env.MICVOP_FAILURES : undefined);
  const ci = env.CI === 'true' || env.CI === '1';
  if (given !== undefined) {
    const dir = resolve(cwd, given);
    if (ci && isInside(dir, PACKAGE_ROOT)) throw new FailureFileError(`failures folder "${given}" is inside the micvop package; with CI=true failure files go elsewhere`);
    return { dir };
  }
  const dir = resolve(cwd, 'micvop-failures');
  if (ci && isInside(dir, PACKAGE_ROOT)) {
    const tmp = join(tmpdir(), 'micvop-failures');
    return { dir: tmp, note: `CI=true: failure files go to ${tmp}, not into the package` };
  }
  return { dir };
}

const str = (v: unknown): v is string => typeof v === 'string';

/** reads and checks a failure file; a missing, unreadable or malformed one throws FailureFileError */
export function readFailureFile(file: string): FailureRecord {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FailureFileError(`cannot read failure file "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new FailureFileError(`failure file "${file}" is not JSON: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new FailureFileError(`failure file "${file}" is not a JSON object`);
  if (rec.format !== FAILURE_FORMAT) problems.push(`format is not "${FAILURE_FORMAT}"`);
  if (!str(rec.property)) problems.push('no "property"');
  if (!Number.isSafeInteger(rec.seed)) problems.push('"seed" is not an integer');
  if (rec.path !== null && !(str(rec.path) && /^\d+(:\d+)*$/.test(rec.path))) problems.push('"path" is not null or like "3:0:1"');
  const impl = rec.implementation as { name?: unknown; ref?: unknown } | undefined;
  if (typeof impl !== 'object' || impl === null || !str(impl.name) || !str(impl.ref)) problems.push('"implementation" needs "name" and "ref"');
  if (problems.length > 0) throw new FailureFileError(`failure file "${file}" is malformed: ${problems.join('; ')}`);
  return rec as unknown as FailureRecord;
}

/** the failure files of property `id` in `dir` recorded against implementation `ref` (unreadable ones skipped) */
export function failuresOf(id: string, ref: string, dir: string): FailureRecord[] {
  if (!existsSync(dir)) return [];
  const out: FailureRecord[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.startsWith(`${id}-`) || !f.endsWith('.json')) continue;
    try {
      const rec = readFailureFile(join(dir, f));
      if (rec.property === id && sameImpl(rec.implementation.ref, ref)) out.push(rec);
    } catch {
      /* not ours to judge here: `micvop replay` reports a malformed file */
    }
  }
  return out;
}

/** implementation refs are stored absolute (a module path) or "reference" */
export function implRefForRecord(ref: string, cwd: string = process.cwd()): string {
  return ref === 'reference' ? ref : resolve(cwd, ref);
}

function sameImpl(a: string, b: string): boolean {
  return implRefForRecord(a) === implRefForRecord(b);
}
