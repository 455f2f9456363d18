/**
 * The small parts of `micvop verify`: flag checks made before anything runs (report paths, shard,
 * failures folder), the deterministic shard split, and the progress line.
 */
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PropertyDef, PropertyResult } from '../properties/harness.ts';
import { FailureFileError, resolveFailuresDir } from '../properties/report/failure-file.ts';
import { UsageError } from './errors.ts';

/** refuses a report path whose folder is missing or read-only, or that names a folder or read-only file */
export function checkWritable(flag: string, file: string): void {
  if (file === '') throw new UsageError(`${flag} needs a file name`);
  const abs = resolve(file);
  const reason = (() => {
    if (existsSync(abs)) {
      if (statSync(abs).isDirectory()) return 'it is a folder';
      try {
        accessSync(abs, fsConstants.W_OK);
        return undefined;
      } catch {
        return 'it is not writable';
      }
    }
    try {
      accessSync(dirname(abs), fsConstants.W_OK);
      return undefined;
    } catch {
      return 'its folder does not exist or is not writable';
    }
  })();
  if (reason !== undefined) throw new UsageError(`cannot write ${flag} file "${file}": ${reason}`);
}

/** `--json` value: undefined (no JSON), "stdout" ("-"), or a checked file path */
export function jsonTarget(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === '-') return 'stdout';
  checkWritable('--json', v);
  return v;
}

export function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m === null ? NaN : Number(m[1]);
  const count = m === null ? NaN : Number(m[2]);
  if (!(count >= 1 && index >= 1 && index <= count && Number.isSafeInteger(count))) {
    throw new UsageError(`--shard must be i/n with 1 <= i <= n (e.g. 2/4), got "${v}"`);
  }
  return { index, count };
}

/**
 * Shard `index` of `count` (1-based, as vitest's --shard): every count-th property of the selection
 * in suite order, starting at index − 1. The selection is the same on every machine, so the shards
 * partition it (each property in exactly one) and keep the areas mixed, which evens out their time.
 */
export function shardOf<T extends Pick<PropertyDef, 'id'>>(defs: readonly T[], index: number, count: number): T[] {
  return defs.filter((_d, i) => i % count === index - 1);
}

/**
 * `--failures DIR` / MICVOP_FAILURES / ./micvop-failures; "off" writes none. A folder that was asked
 * for and cannot be written is bad input; the default one that cannot is skipped with a note.
 */
export function failuresFolder(flag: string | undefined): { dir: string | undefined; note?: string } {
  const off = (v: string | undefined): boolean => v === 'off' || v === 'none';
  const env = process.env.MICVOP_FAILURES;
  if (off(flag) || (flag === undefined && off(env))) return { dir: undefined };
  if (flag === '') throw new UsageError('--failures needs a folder (or "off")');
  const asked = flag !== undefined || (env !== undefined && env !== '');
  let resolved: { dir: string; note?: string };
  try {
    resolved = resolveFailuresDir(flag);
  } catch (e) {
    if (e instanceof FailureFileError) throw new UsageError(e.message);
    throw e;
  }
  const { dir, note } = resolved;
  const problem = unwritableFolder(dir);
  if (problem === undefined) return note === undefined ? { dir } : { dir, note };
  if (asked) throw new UsageError(`cannot write failure files into "${dir}": ${problem}`);
  return { dir: undefined, note: `no failure files: ${dir} ${problem}` };
}

/** why files cannot be written into `dir` (created on demand), or undefined */
function unwritableFolder(dir: string): string | undefined {
  if (existsSync(dir) && !statSync(dir).isDirectory()) return 'is not a folder';
  let probe = dir;
  while (!existsSync(probe)) probe = dirname(probe);
  try {
    accessSync(probe, fsConstants.W_OK);
    return undefined;
  } catch {
    return `${probe} is not writable`;
  }
}

export interface Progress {
  readonly tty: boolean;
  start(i: number, id: string, done: readonly PropertyResult[]): void;
  done(): void;
  end(): void;
}

/** a progress line on stderr when it is a terminal; nothing otherwise (the plain log says it all) */
export function progress(total: number): Progress {
  const tty = process.stderr.isTTY === true && process.env.CI !== 'true';
  const t0 = performance.now();
  return {
    tty,
    start(i, id, done) {
      if (!tty) return;
      const failed = done.filter((r) => r.status === 'failed').length;
      const secs = ((performance.now() - t0) / 1000).toFixed(0);
      const line = `[${i + 1}/${total}] ${id}  ${done.length - failed} ok${failed > 0 ? `, ${failed} FAILED` : ''}  ${secs} s`;
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
