import { afterAll, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reports = mkdtempSync(join(tmpdir(), 'micvop-demo-test-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));
const demo = (...args: string[]) => spawnSync(process.execPath, ['cli/bin.mjs', 'demo', '--report-dir', reports, ...args], { cwd: root, encoding: 'utf8' });
/** the narrated run, without the verify at the end (its table prints wall-clock times) */
const narration = (out: string) => out.split('▶ a short verify')[0];

test('the demo narrates a real run: boot, a card buffer across PCIe, suspend/resume, panic, refused writes', () => {
  const r = demo();
  expect(r.status).toBe(0);
  for (const line of [
    'host user memory now holds: "hello from the card, through the SMPT window and the DMA engine"',
    'the card reaped buffer 1: used length 31, "hello back from host user space"',
    'state offline → online', 'state online → suspending', 'state suspended → offline', 'card os_running → crashed', 'write "dance" to state → EINVAL', 'write "boot" to state again → EINVAL',
    // the devices: the shell answers, a sector goes to the host's store and back, a ping, suspend/resume
    'console, net and block are live on the card', 'mic0 Intel(R) Xeon Phi(TM) coprocessor x100', 'read 5: ok hello, disk',
    'the host\'s store, sector 5: "hello, disk"', 'ping 172.31.1.1: echo reply icmp_seq=3', 'checksum valid',
    'after OSPM suspend and resume the card is online and console, net and block are live again', 'next: npx micvop boot']) {
    expect(r.stdout).toContain(line);
  }
  // and a short verify whose report it names (issue 12 item 7)
  expect(r.stdout).toMatch(/7 passed, 0 failed, 0 skipped/);
  expect(r.stdout).toContain(`the report: ${join(reports, 'report.html')}`);
  expect(existsSync(join(reports, 'report.html'))).toBe(true);
  const report = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as { summary: { passed: number } };
  expect(report.summary.passed).toBe(7);
}, 120_000);

test('same seed, same run: the demo prints the same trace digest; bad flags exit 2', () => {
  const digest = (s: string) => /trace digest ([0-9a-f]+)/.exec(s)?.[1];
  const a = demo('--seed', '5', '--no-verify');
  const b = demo('--seed', '5', '--no-verify');
  expect(digest(a.stdout)).toMatch(/^[0-9a-f]{16}$/);
  expect(digest(a.stdout)).toBe(digest(b.stdout));
  expect(narration(a.stdout)).toBe(narration(b.stdout));
  expect(demo('--seed', 'x').status).toBe(2);
  expect(demo('--bogus').status).toBe(2);
  // four demo processes: seconds on a loaded two-core machine
}, 60_000);
