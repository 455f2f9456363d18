/**
 * `micvop verify` / `merge` / `replay FILE` as a CI uses them, run as subprocesses on a tiny
 * selection: the JSON report's fields, shards that partition the selection and merge back into the
 * whole, failure files that replay byte for byte, and bad input refused with exit 2 before anything
 * runs.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'micvop-verify-'));
  dirs.push(d);
  return d;
}

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, MICVOP_NO_RECORD: '1', ...opts.env };
  for (const k of ['MICVOP_SEED', 'MICVOP_PATH', 'MICVOP_RUNS', 'MICVOP_IMPL', 'MICVOP_TIER']) delete env[k];
  if (opts.env?.CI === undefined) delete env.CI;
  const r = spawnSync(process.execPath, [join(root, 'cli', 'bin.mjs'), ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const FAST = ['sim.traceDigest', 'sim.pollLoopCheap', 'sim.timersInOrder', 'pcie.doorbell.host'];
type Report = {
  impl: string; tier: string; seed: number | null;
  properties: { id: string; file: string | null; status: string; runs: number; seed: number | null; path: string | null; durationMs: number; reason?: string }[];
  coverage: { machines: Record<string, { states: [number, number]; transitions: [number, number] }> };
  summary: { passed: number; failed: number; skipped: number; commands: number; commandsPerSecond: number };
};

describe('micvop verify reports', () => {
  test('--json FILE writes the report with its fields; --json alone prints it on stdout', () => {
    const dir = tempDir();
    const file = join(dir, 'r.json');
    const r = run(['verify', '--only', FAST.slice(0, 2).join(','), '--runs', '5', '--json', file, '--failures', 'off']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^sim\.traceDigest +passed +5 /m);
    expect(r.out).toMatch(/^cardState +0\/6 +0\/\d+$/m);
    const rep = JSON.parse(readFileSync(file, 'utf8')) as Report;
    expect(Object.keys(rep)).toEqual(expect.arrayContaining(['impl', 'tier', 'seed', 'properties', 'coverage', 'summary']));
    expect(rep).toMatchObject({ impl: 'reference', tier: 'quick', seed: null });
    expect(rep.properties.map((p) => p.id)).toEqual(FAST.slice(0, 2));
    for (const p of rep.properties) {
      expect(p).toMatchObject({ status: 'passed', runs: 5, path: null });
      expect(p.file).toMatch(/^properties\/sim\/\w+\.prop\.ts$/);
      expect(Number.isSafeInteger(p.seed)).toBe(true);
      expect(p.durationMs).toBeGreaterThanOrEqual(0);
      expect('reason' in p).toBe(false);
    }
    expect(Object.keys(rep.coverage.machines).sort()).toEqual(['cardSide', 'cardState', 'daemonBoot', 'dmaChannel', 'virtioStatus', 'vopDevice']);
    for (const c of Object.values(rep.coverage.machines)) expect(c.transitions[1]).toBeGreaterThan(0);
    expect(rep.summary).toMatchObject({ passed: 2, failed: 0, skipped: 0 });
    expect(rep.summary.commands).toBeGreaterThan(0);
    expect(rep.summary.commandsPerSecond).toBeGreaterThan(0);

    const bare = join(dir, 'bare.mjs');
    writeFileSync(bare, 'export default { name: "bare" };\n');
    const s = run(['verify', '--impl', bare, '--only', 'sim.traceDigest', '--json']);
    expect(s.code).toBe(0);
    const skipped = JSON.parse(s.out) as Report;
    expect(skipped.properties[0]).toMatchObject({ status: 'skipped', reason: 'implementation "bare" lacks: sim' });
    expect(s.err).toMatch(/^0 passed, 0 failed, 1 skipped$/m);
  }, 60_000);

  test('shards partition the selection and merge back into the whole', () => {
    const dir = tempDir();
    const files = [1, 2, 3].map((i) => join(dir, `shard${i}.json`));
    for (const [i, f] of files.entries()) {
      const r = run(['verify', '--only', FAST.join(','), '--runs', '3', '--shard', `${i + 1}/3`, '--json', f, '--failures', 'off']);
      expect(r.code, r.err).toBe(0);
    }
    const shards = files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as Report).properties.map((p) => p.id));
    expect(shards.flat().sort()).toEqual([...FAST].sort());
    expect(new Set(shards.flat()).size).toBe(FAST.length);
    const merged = join(dir, 'merged.json');
    const m = run(['merge', ...files, '--json', merged]);
    expect(m.code, m.err).toBe(0);
    const rep = JSON.parse(readFileSync(merged, 'utf8')) as Report;
    expect(rep.properties.map((p) => p.id).sort()).toEqual([...FAST].sort());
    expect(rep.summary.passed).toBe(FAST.length);
    const parts = files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as Report).summary.commands);
    expect(rep.summary.commands).toBe(parts.reduce((a, b) => a + b, 0));
    expect(m.out).toMatch(/^4 passed, 0 failed, 0 skipped$/m);
    const overlap = run(['merge', files[0]!, files[0]!]);
    expect(overlap.code).toBe(2);
    expect(overlap.err).toMatch(/^micvop: .*overlap/);
  }, 120_000);
});

describe('failure files', () => {
  test('a failing property writes <id>-<seed>.json and .md; replay FILE rebuilds the same bytes', () => {
    const dir = tempDir();
    const impl = join(dir, 'broken.mjs');
    // a scheduler that drops every third posted event: sim.anyChoicesValidRun must catch it
    writeFileSync(impl, [
      `import { reference } from ${JSON.stringify(pathToFileURL(join(root, 'impl', 'index.ts')).href)};`,
      'const createScheduler = (o) => {',
      '  const s = reference.sim.createScheduler(o);',
      '  const post = s.post.bind(s);',
      '  let n = 0;',
      '  s.post = (who, what, fn) => { if (++n % 3 !== 0) post(who, what, fn); };',
      '  return s;',
      '};',
      'export default { ...reference, name: "drops-posts", sim: { ...reference.sim, createScheduler } };',
      '',
    ].join('\n'));
    const failures = join(dir, 'failures');
    const r = run(['verify', '--impl', impl, '--only', 'sim.anyChoicesValidRun', '--runs', '50', '--failures', failures, '--json', join(dir, 'r.json')]);
    expect(r.code, r.err).toBe(1);
    const names = readdirSync(failures).sort();
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(/^sim\.anyChoicesValidRun-\d+\.json$/);
    expect(names[1]).toBe(names[0]!.replace(/json$/, 'md'));
    const file = join(failures, names[0]!);
    const rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(rec).toMatchObject({ property: 'sim.anyChoicesValidRun', implementation: { name: 'drops-posts', ref: impl } });
    expect(Object.keys(rec.versions as object).sort()).toEqual(['fast-check', 'micvop', 'node', 'xstate']);
    expect((rec.steps as string[]).length).toBeGreaterThan(0);
    expect(rec.error).not.toMatch(/node_modules|node:internal/);
    expect((rec.trace as { source: string }).source).toBe('scheduler');
    const md = readFileSync(file.replace(/json$/, 'md'), 'utf8');
    expect(md).toContain('```mermaid\nsequenceDiagram');
    expect(r.out).toContain(`failure file: ${file}`);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Report;
    expect(report.properties[0]).toMatchObject({ status: 'failed', seed: rec.seed, path: rec.path });

    const again = run(['replay', file, '--json']);
    expect(again.code).toBe(1);
    expect(again.out).toBe(readFileSync(file, 'utf8'));
    expect(again.err).toContain('reproduced byte for byte');
  }, 120_000);

  test('an fc.commands property: the failure file keeps the failing run\'s trace and replays to the same bytes', () => {
    const dir = tempDir();
    const impl = join(dir, 'suspends-twice.mjs');
    // the second PM suspend of a system is accepted although the machine refuses it (EBUSY)
    writeFileSync(impl, [
      `import { reference } from ${JSON.stringify(pathToFileURL(join(root, 'impl', 'index.ts')).href)};`,
      'const createSystem = (c) => {',
      '  const s = reference.system.createSystem(c);',
      '  const pm = s.pmSuspend.bind(s);',
      '  let n = 0;',
      '  s.pmSuspend = () => (++n === 2 ? { ok: true } : pm());',
      '  return s;',
      '};',
      'export default { ...reference, name: "suspends-twice", system: { createSystem } };',
      '',
    ].join('\n'));
    const failures = join(dir, 'failures');
    const r = run(['verify', '--impl', impl, '--only', 'lifecycle.conformance', '--runs', '30', '--failures', failures]);
    expect(r.code, r.err).toBe(1);
    const file = join(failures, readdirSync(failures).find((f) => f.endsWith('.json'))!);
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { steps: string[]; counterexample: string; trace: { source: string; lines: string[] } };
    expect(rec.counterexample).toContain('replayPath=');
    expect(rec.steps.filter((s) => /^\d+\. pmSuspend/.test(s)).length).toBeGreaterThanOrEqual(2);
    expect(rec.trace.source).toBe('scheduler');
    expect(rec.trace.lines.at(-1)).toMatch(/host\.mic0 state \w+ → suspended$/);
    const again = run(['replay', file, '--json']);
    expect(again.code).toBe(1);
    expect(again.out).toBe(readFileSync(file, 'utf8'));
  }, 120_000);

  test('failure files never go into the package under CI=true', () => {
    const r = run(['verify', '--only', 'sim.traceDigest', '--failures', join(root, 'micvop-failures')], { env: { CI: 'true' } });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^micvop: .*inside the micvop package/);
  }, 60_000);
});

describe('bad input: one line, exit 2, nothing run', () => {
  test('flags, report paths, failure files and reports', () => {
    const dir = tempDir();
    const notJson = join(dir, 'x.json');
    writeFileSync(notJson, '{ not json');
    const wrongShape = join(dir, 'y.json');
    writeFileSync(wrongShape, JSON.stringify({ property: 'sim.traceDigest', seed: 'one' }));
    const cases: string[][] = [
      ['verify', '--shard', '3/2'],
      ['verify', '--shard', 'half'],
      ['verify', '--json', join(dir, 'no', 'such', 'r.json')],
      ['verify', '--json', dir],
      ['replay', join(dir, 'missing.json')],
      ['replay', notJson],
      ['replay', wrongShape],
      ['replay', wrongShape, '--seed', '3'],
      ['merge'],
      ['merge', join(dir, 'missing.json')],
      ['merge', notJson],
      ['merge', wrongShape],
    ];
    for (const args of cases) {
      const r = run(args);
      const what = args.join(' ');
      expect(r.code, what).toBe(2);
      expect(r.err.split('\n')[0], what).toMatch(/^micvop: \S/);
      expect(r.err.split('\n').filter((l) => l !== '').length, what).toBeLessThanOrEqual(2);
      expect(r.out, what).not.toMatch(/passed|FAILED/);
    }
    expect(existsSync(join(dir, 'no'))).toBe(false);
  }, 120_000);
});
