/**
 * What a person reads of a failure: the error with only our stack frames (fast-check's and node's
 * internals dropped, paths relative to the package), the shrunk counterexample as one step per line,
 * and the versions the run used.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const FOREIGN_FRAME = /node_modules[\\/]|\(node:|at node:|\bnode:internal\b|<anonymous>\)?$|\(native\)$/;
/** the harness, the journal and the command line call every property: their frames say nothing about the failure */
const RUNNER_FILES = ['properties/harness.ts', 'properties/journal.ts', 'properties/report/', 'properties/vitest.ts', 'cli/'].map((f) => join(PACKAGE_ROOT, f));
const isRunnerFrame = (line: string): boolean => RUNNER_FILES.some((f) => line.includes(f));

/** a frame's file path made relative to the package root ("properties/ring/hostile.prop.ts:12:3") */
function ourPath(line: string): string {
  return line
    .replace(/file:\/\/(\/[^\s):]+)/g, (_m, p: string) => p)
    .split(PACKAGE_ROOT + sep)
    .join('');
}

/** an error text (message and stack) with every foreign frame dropped */
export function trimStack(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let dropped = 0;
  for (const line of lines) {
    if (/^\s+at /.test(line)) {
      if (FOREIGN_FRAME.test(line) || isRunnerFrame(line)) {
        dropped++;
        continue;
      }
      // tsx prints an anonymous frame as "at <anonymous> (file)", vitest as "at file"
      out.push(ourPath(line).replace(/at <anonymous> \((.*)\)$/, 'at $1'));
    } else out.push(ourPath(line));
  }
  if (dropped > 0) out.push('    (fast-check, node and harness frames hidden)');
  return out.join('\n');
}

/** the file of the caller's caller, relative to the package (where defineProperty was called) */
export function callerFile(depth = 3): string | undefined {
  const frames = (new Error().stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  const frame = frames[depth - 1];
  const m = frame === undefined ? null : /(?:\(|at )(?:file:\/\/)?(\/[^():]+?\.[cm]?[jt]s)(?::\d+)*\)?$/.exec(frame.trim());
  if (m === null) return undefined;
  const rel = relative(PACKAGE_ROOT, m[1]!);
  return rel.split(sep).join('/');
}

const MAX_STEPS = 200;

function isCommands(v: unknown): v is Iterable<{ hasRan?: boolean; toString(): string }> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Symbol.iterator in v && 'commands' in v;
}

/** one argument of the counterexample as readable lines */
function argSteps(arg: unknown, label: string): string[] {
  if (isCommands(arg)) {
    const ran = [...arg].filter((c) => c.hasRan !== false).map((c) => c.toString());
    return ran.map((c, i) => `${i + 1}. ${c}`);
  }
  if (Array.isArray(arg) && arg.length > 0 && arg.every((x) => typeof x === 'number')) {
    // interleaving choices and byte lists: one line, they are data rather than steps
    const shown = arg.slice(0, 32).join(', ');
    return [`${label}: [${shown}${arg.length > 32 ? `, … ${arg.length - 32} more` : ''}] (${arg.length} numbers)`];
  }
  if (Array.isArray(arg) && arg.length > 0) return arg.map((x, i) => `${label}[${i}] ${fc.stringify(x)}`);
  return [`${label}: ${fc.stringify(arg)}`];
}

/** the shrunk counterexample (fast-check's argument tuple) as one step per line */
export function readableSteps(counterexample: readonly unknown[] | null | undefined): string[] {
  if (counterexample === null || counterexample === undefined) return [];
  const many = counterexample.length > 1;
  const steps = counterexample.flatMap((arg, i) => argSteps(arg, many ? `arg ${i + 1}` : 'input'));
  return steps.length > MAX_STEPS ? [...steps.slice(0, MAX_STEPS), `… ${steps.length - MAX_STEPS} more steps`] : steps;
}

const require = createRequire(import.meta.url);
function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface Versions {
  readonly micvop: string;
  readonly 'fast-check': string;
  readonly xstate: string;
  readonly node: string;
}

let versionsMemo: Versions | undefined;
export function versions(): Versions {
  versionsMemo ??= {
    micvop: (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    'fast-check': versionOf('fast-check'),
    xstate: versionOf('xstate'),
    node: process.version,
  };
  return versionsMemo;
}
