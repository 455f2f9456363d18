/**
 * The package as a user installs it (issue 12 item 6): `npm pack` builds JavaScript and type
 * declarations into dist/ (prepack), the tarball installs into a fresh project outside this one,
 * plain `node` imports every entry point, a TypeScript consumer type-checks against the
 * declarations, and `micvop verify --impl` loads an implementation module that lives in that
 * project and imports `micvop` from its own node_modules.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir = '';
let project = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'micvop-pack-'));
  execFileSync(npm, ['pack', '--silent', '--pack-destination', dir], { cwd: root, stdio: 'pipe' });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tgz === undefined) throw new Error('npm pack made no tarball');
  project = join(dir, 'consumer');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(dir, tgz)], { cwd: project, stdio: 'pipe' });
}, 240_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', timeout: 120_000 });

// each test spawns node or tsc: seconds alone, tens of seconds on a loaded two-core machine
describe('the packed package (issue 12 item 6)', { timeout: 120_000 }, () => {
  test('plain node imports every entry point', () => {
    writeFileSync(
      join(project, 'entries.mjs'),
      [
        "import { reference, createReferenceSystem, referenceVopHost } from 'micvop';",
        "import * as contract from 'micvop/contract';",
        "import { vringDesc } from 'micvop/layout/vring';",
        "import { cardStateMachine } from 'micvop/machines/card-state';",
        "import { allProperties } from 'micvop/properties';",
        "import { runProperty } from 'micvop/harness';",
        "import pkg from 'micvop/package.json' with { type: 'json' };",
        'const sys = createReferenceSystem({ cards: 1 });',
        "console.log(JSON.stringify({ name: reference.name, host: typeof referenceVopHost, contract: typeof contract, desc: vringDesc.size, machine: typeof cardStateMachine, props: allProperties.length, run: typeof runProperty, pkg: pkg.name, state: sys.readAttr(0, 'state') }));",
      ].join('\n'),
    );
    const r = node(['entries.mjs']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ name: 'reference', host: 'function', contract: 'object', desc: 16, machine: 'object', run: 'function', pkg: 'micvop', state: 'offline' });
    expect(out.props as number).toBeGreaterThan(50);
  });

  test('a TypeScript consumer type-checks against the declarations', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { reference, createReferenceSystem } from 'micvop';",
        "import type { Implementation, MicSystem, CardServices, VopHostFactory } from 'micvop/contract';",
        "import { vringDesc } from 'micvop/layout/vring';",
        'const impl: Implementation = reference;',
        'const sys: MicSystem = createReferenceSystem({ cards: 1 });',
        'const services: CardServices = sys.cardServices(0);',
        'const size: number = vringDesc.size;',
        'const host: VopHostFactory | undefined = undefined;',
        'export { impl, services, size, host };',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.ts'] }),
    );
    const ok = node([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // and a wrong use is an error, so the check above means something
    writeFileSync(join(project, 'consumer.ts'), "import { vringDesc } from 'micvop/layout/vring';\nconst s: string = vringDesc.size;\nexport { s };\n");
    const bad = node([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/TS2322/);
  });

  test('micvop verify --impl loads a module of the consumer that imports micvop from its own node_modules', () => {
    writeFileSync(join(project, 'wrapped.mjs'), "import { reference } from 'micvop';\nexport default { ...reference, name: 'outside-wrapper' };\n");
    const bin = join(project, 'node_modules', 'micvop', 'cli', 'bin.mjs');
    const r = node([bin, 'verify', '--impl', './wrapped.mjs', '--only', 'sim.sameSeedSameTrace', '--runs', '2', '--failures', 'off', '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { impl: string; summary: { passed: number } };
    expect(report.impl).toBe('outside-wrapper');
    expect(report.summary.passed).toBe(1);
    // a module that cannot be loaded: one line naming the real cause, exit 2
    writeFileSync(join(project, 'broken.mjs'), "import x from 'micvop/nope';\nexport default x;\n");
    const b = node([bin, 'verify', '--impl', './broken.mjs', '--only', 'sim.sameSeedSameTrace']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/cannot load implementation module "\.\/broken\.mjs".*'\.\/nope' is not defined/);
  });
});
