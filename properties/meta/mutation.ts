/**
 * The planted-bug rule (DESIGN.md §6, issue 2 item 8): each mutant of fixtures/mutants is applied to
 * a copy of the tree and `micvop verify --only <kills>` must report every killed property as failed.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Mutant } from '../../fixtures/mutants/index.ts';

const COPIED = ['model', 'impl', 'properties', 'fixtures', 'cli', 'package.json', 'tsconfig.json'];

/** problems with a mutant's edits against the current tree (empty = applies cleanly) */
export function editProblems(root: string, m: Mutant): string[] {
  const problems: string[] = [];
  if (m.edits.length === 0) problems.push(`${m.id}: has no edits`);
  for (const e of m.edits) {
    const p = join(root, e.file);
    if (!existsSync(p)) {
      problems.push(`${m.id}: ${e.file} does not exist`);
      continue;
    }
    const n = readFileSync(p, 'utf8').split(e.find).length - 1;
    if (n !== 1) problems.push(`${m.id}: "${e.find.slice(0, 60)}" occurs ${n} times in ${e.file} (must be exactly once)`);
    if (e.find === e.replace) problems.push(`${m.id}: an edit of ${e.file} changes nothing`);
  }
  return problems;
}

export function mutatedCopy(root: string, m: Mutant): string {
  const dir = mkdtempSync(join(tmpdir(), `micvop-mutant-${m.id}-`));
  for (const item of COPIED) if (existsSync(join(root, item))) cpSync(join(root, item), join(dir, item), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const e of m.edits) {
    const p = join(dir, e.file);
    writeFileSync(p, readFileSync(p, 'utf8').replace(e.find, () => e.replace));
  }
  return dir;
}

export interface MutantOutcome {
  readonly mutant: string;
  /** property id → its status on the mutant ("failed" = killed) */
  readonly statuses: Record<string, string>;
  /**
   * property id → how long it ran and how many fast-check runs it took: for a killed property (run
   * with --no-shrink, so it stops at the first counterexample) the time to first failure
   */
  readonly timings: Record<string, { readonly ms: number; readonly runs: number }>;
  /** wall time of the whole child process (tree copy excluded), ms */
  readonly wallMs: number;
  readonly exitCode: number | null;
  readonly output: string;
}

export async function runMutant(root: string, m: Mutant, timeoutMs = 240_000): Promise<MutantOutcome> {
  const dir = mutatedCopy(root, m);
  try {
    // no failure files: the meta-test only needs to know which properties failed
    const args = ['cli/bin.mjs', 'verify', '--only', m.kills.join(','), '--json', '--no-shrink', '--failures', 'off'];
    if (m.runs !== undefined) args.push('--runs', String(m.runs));
    const env: NodeJS.ProcessEnv = { ...process.env, MICVOP_NO_RECORD: '1', MICVOP_TIER: 'quick' };
    delete env.MICVOP_SEED;
    delete env.MICVOP_PATH;
    delete env.MICVOP_RUNS;
    delete env.MICVOP_IMPL;
    const t0 = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      const child = spawn(process.execPath, args, { cwd: dir, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (c) => {
        clearTimeout(timer);
        res({ code: c, stdout, stderr });
      });
    });
    const wallMs = performance.now() - t0;
    const statuses: Record<string, string> = {};
    const timings: Record<string, { ms: number; runs: number }> = {};
    const at = stdout.indexOf('{\n  "impl"');
    if (at >= 0) {
      try {
        const parsed = JSON.parse(stdout.slice(at)) as { properties: { id: string; status: string; durationMs: number; runs: number }[] };
        for (const r of parsed.properties) {
          statuses[r.id] = r.status;
          timings[r.id] = { ms: r.durationMs, runs: r.runs };
        }
      } catch {
        /* reported through output below */
      }
    }
    return { mutant: m.id, statuses, timings, wallMs, exitCode: code, output: `${stdout.slice(-3000)}\n${stderr.slice(-3000)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
