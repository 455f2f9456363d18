import { describe, expect, onTestFinished, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** a temporary folder removed when the test finishes */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['cli/bin.mjs', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, MICVOP_NO_RECORD: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('micvop CLI', () => {
  test('bad usage exits 2 with a one-line reason and runs nothing', () => {
    for (const args of [['verify', '--bogus'], ['verify', '--tier', 'slow'], ['verify', '--seed', '1e3'], ['verify', '--only', 'no.such'], ['verify', '--area', 'nope'], ['replay'], ['replay', 'sim.traceDigest'], ['frobnicate']]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^micvop: /);
      expect(r.out, args.join(' ')).not.toMatch(/passed|failed/);
    }
    // eight CLI processes, each starting tsx: seconds on a loaded two-core machine
  }, 60_000);

  test('help exits 0 and names the commands', () => {
    const r = run('help');
    expect(r.code).toBe(0);
    for (const c of ['verify', 'replay', 'list', 'demo']) expect(r.out).toContain(`micvop ${c}`);
  }, 60_000);

  test('list --json lists every property with claim and source', () => {
    const r = run('list', '--json');
    expect(r.code).toBe(0);
    const props = JSON.parse(r.out) as { id: string; claim: string; source: string }[];
    expect(props.length).toBeGreaterThan(0);
    for (const p of props) expect(p.claim.length * p.source.length).toBeGreaterThan(0);
  }, 60_000);

  test('verify runs selected properties and prints the plain closing line', () => {
    const r = run('verify', '--only', 'sim.traceDigest', '--runs', '5');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok {3}sim\.traceDigest/m);
    expect(r.out).toMatch(/^1 passed, 0 failed, 0 skipped$/m);
  }, 60_000);

  test('--junit writes one testcase per property (passed and skipped), and an unwritable path exits 2 first', () => {
    const dir = tempDir('micvop-junit-');
    const file = join(dir, 'report.xml');
    const r = run('verify', '--only', 'sim.traceDigest,sim.faultHooks', '--runs', '3', '--junit', file);
    expect(r.code).toBe(0);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0"/);
    expect(xml).toContain('tests="2" failures="0" skipped="0"');
    expect(xml).toContain('name="sim.traceDigest"');
    const bare = join(dir, 'bare.mjs');
    writeFileSync(bare, 'export default { name: "bare" };\n');
    expect(run('verify', '--impl', bare, '--area', 'sim', '--junit', file).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/<skipped message="implementation &quot;bare&quot; lacks: sim"\/>/);
    const bad = run('verify', '--only', 'sim.traceDigest', '--junit', join(dir, 'no', 'such', 'dir', 'r.xml'));
    expect(bad.code).toBe(2);
    expect(bad.out).not.toMatch(/passed/);
  }, 60_000);

  test('replay of a passing seed says the failure does not reproduce', () => {
    const r = run('replay', 'sim.traceDigest', '--seed', '7');
    expect(r.code).toBe(0);
    expect(r.out).toContain('does not reproduce');
  }, 60_000);

  test('--impl: a bare implementation makes dependent properties skip with the reason', () => {
    const dir = tempDir('micvop-impl-');
    const file = join(dir, 'bare.mjs');
    writeFileSync(file, 'export default { name: "bare" };\n');
    const r = run('verify', '--impl', file, '--area', 'sim');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^skip sim\.\w+ .*implementation "bare" lacks: sim/m);
    expect(r.out).toMatch(/^0 passed, 0 failed, \d+ skipped$/m);
  }, 60_000);

  test('--impl: a module without an implementation is refused with exit 2', () => {
    const dir = tempDir('micvop-impl-');
    const file = join(dir, 'nothing.mjs');
    writeFileSync(file, 'export const x = 1;\n');
    const r = run('verify', '--impl', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('must export an Implementation');
    expect(run('verify', '--impl', join(dir, 'missing.mjs')).code).toBe(2);
  }, 60_000);
});
