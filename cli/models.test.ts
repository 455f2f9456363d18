/**
 * `micvop models` as a user runs it (a subprocess): every machine of model/machines/ comes out as
 * a Mermaid stateDiagram-v2 with all its states and its initial state, `--trace` prints the
 * traceability table with every requirement id and facts section, a bad flag exits 2 with one
 * line, and README.md embeds exactly what the command prints.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cardSideMachine } from '../model/machines/card-side.ts';
import { cardStateMachine } from '../model/machines/card-state.ts';
import { daemonBootMachine } from '../model/machines/daemon-boot.ts';
import { dmaChannelMachine } from '../model/machines/dma-channel.ts';
import { virtioStatusMachine } from '../model/machines/virtio-status.ts';
import { vopDeviceMachine } from '../model/machines/vop-device.ts';
import { FACTS_SECTION_IDS, REQUIREMENT_IDS } from '../model/requirements.ts';
import { README_BEGIN, README_END, stateDiagram } from './models.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'cli', 'bin.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });

const MACHINES = [
  cardSideMachine, cardStateMachine, daemonBootMachine, dmaChannelMachine, virtioStatusMachine, vopDeviceMachine,
];

/** the mermaid block printed under the machine's heading */
function diagramOf(out: string, id: string): string | undefined {
  return new RegExp(`#### ${id}\\n[\\s\\S]*?\`\`\`mermaid\\n([\\s\\S]*?)\\n\`\`\``).exec(out)?.[1];
}

describe('micvop models', () => {
  const res = run('models');

  test('exits 0 and prints one stateDiagram-v2 per machine of model/machines/', () => {
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout.match(/^stateDiagram-v2$/gm)).toHaveLength(MACHINES.length);
  });

  const cases = MACHINES.map((m) => [m.id, m] as const);
  test.each(cases)('%s: every state, the initial state, every targeted event', (id, m) => {
    const d = diagramOf(res.stdout, id);
    expect(d, `no diagram for ${id}`).toBeDefined();
    const lines = d!.split('\n').map((l) => l.trim());
    for (const s of Object.keys(m.root.states)) expect(lines, `${id}: state ${s}`).toContain(s);
    expect(lines).toContain(`[*] --> ${String(m.config.initial)}`);
    // every event some state takes to a target appears on an edge
    const events = new Set<string>();
    for (const n of [m.root, ...Object.values(m.root.states)]) {
      for (const [e, ts] of n.transitions) {
        if (ts.some((t: { target?: readonly unknown[] }) => (t.target ?? []).length > 0)) events.add(e);
      }
    }
    for (const e of events) expect(d, `${id}: event ${e}`).toMatch(new RegExp(` : ${e.replaceAll('.', '\\.')}\\b`));
  });

  test('marks: reached states get the class `reached`, and no marks change nothing', () => {
    const plain = stateDiagram(dmaChannelMachine);
    const marked = stateDiagram(dmaChannelMachine, { reachedStates: new Set(['idle', 'busy']) });
    expect(marked.mermaid.startsWith(plain.mermaid)).toBe(true);
    expect(marked.mermaid.split('\n').slice(-1)[0]).toBe('  class idle,busy reached');
    expect(stateDiagram(dmaChannelMachine, { reachedStates: new Set() }).mermaid).toBe(plain.mermaid);
  });

  test('--trace prints every requirement id and facts section as a table row', () => {
    const t = run('models', '--trace');
    expect(t.status, t.stderr).toBe(0);
    for (const id of REQUIREMENT_IDS) expect(t.stdout).toContain(`| ${id} |`);
    for (const s of FACTS_SECTION_IDS) expect(t.stdout).toContain(`| ${s} |`);
    expect(t.stdout).toMatch(/\| RING-15 \| modelled \|[^\n]*`ring\.usedBytes`/);
    expect(run('models', '--requirements').stdout).toBe(t.stdout);
  });

  test('a bad flag: exit 2, one line naming it, nothing printed on stdout', () => {
    const bad = run('models', '--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')[0]).toMatch(/bogus/);
  });

  test('README.md embeds exactly what `micvop models` prints', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const from = readme.indexOf(README_BEGIN);
    const to = readme.indexOf(README_END);
    expect(from, 'README.md lacks the micvop models markers').toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const embedded = readme.slice(from + README_BEGIN.length, to).replace(/^\n/, '');
    const stale = 'README diagrams are stale: paste the output of `node cli/bin.mjs models` between the markers';
    expect(embedded, stale).toBe(res.stdout);
  });
});
