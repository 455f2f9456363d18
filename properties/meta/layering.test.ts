/**
 * Claim: the dependency direction of DESIGN.md §2 holds for every file: model/ imports only model/
 * and xstate; impl/ imports only model/layout, model/constants and model/contract, never
 * model/machines or xstate; properties/ reaches impl/ only through properties/systems.ts;
 * fixtures/ never imports impl/ or properties/. Inside impl/, data flows bottom-up: sim < memory < pcie <
 * dma < bus < virtio < host, card < daemon < system; a folder imports only itself and the folders
 * below it (host and card are peers and import neither each other), and impl/system.ts and
 * impl/index.ts assemble everything.
 * Source: DESIGN.md §2; issue 2 item 8, issue 9 item 7. Level: meta.
 */
import { describe, expect, test } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, tsFiles, type ImportEdge } from './imports.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE_BUILTIN = /^node:/;

type Rule = (e: ImportEdge) => string | undefined;

const within = (t: string | undefined, ...prefixes: string[]): boolean => t !== undefined && prefixes.some((p) => t === p || t.startsWith(`${p}/`) || t.startsWith(`${p}.`));

const rules: Record<string, Rule> = {
  model: (e) => {
    if (e.target !== undefined) return within(e.target, 'model') ? undefined : `model/ may import only model/, not ${e.target}`;
    if (e.spec === 'xstate' || e.spec.startsWith('xstate/')) return undefined;
    const testOnly = e.spec === 'vitest' || e.spec === 'fast-check' || NODE_BUILTIN.test(e.spec);
    if (testOnly && e.from.endsWith('.test.ts')) return undefined;
    return `model/ may import only model/ and xstate (tests also vitest, fast-check, node:), not ${e.spec}`;
  },
  impl: (e) => {
    if (e.spec === 'xstate' || e.spec.startsWith('xstate/')) return 'impl/ must never import xstate (it must not run its own specification)';
    if (e.target === undefined) return undefined;
    if (within(e.target, 'impl')) return undefined;
    if (within(e.target, 'model/machines')) return 'impl/ must never import model/machines';
    if (within(e.target, 'model/layout', 'model/constants', 'model/contract')) return undefined;
    return `impl/ may import only model/layout, model/constants and model/contract, not ${e.target}`;
  },
  properties: (e) => {
    if (e.target === undefined || !within(e.target, 'impl')) return undefined;
    return e.from === 'properties/systems.ts' ? undefined : `properties/ reaches impl/ only through properties/systems.ts (found ${e.target})`;
  },
  fixtures: (e) => (within(e.target, 'impl', 'properties') ? `fixtures/ are data and generators; they may not import ${e.target}` : undefined),
};

/**
 * impl/'s own order (DESIGN.md §2 "data flows bottom-up"): the rank of each impl/ folder; the top-level
 * files impl/system.ts and impl/index.ts rank above every folder and may import anything. Equal ranks
 * are peers: neither imports the other. A folder or top-level file not listed here has no place yet and is refused.
 */
const IMPL_ORDER: Readonly<Record<string, number>> = {
  sim: 0,
  memory: 1,
  pcie: 2,
  dma: 3,
  bus: 4,
  virtio: 5,
  host: 6,
  card: 6,
  daemon: 7,
  'system.ts': 8,
  'index.ts': 8,
};
/**
 * the assembly: these two import everything, and unit tests of any layer may build the assembled
 * system to exercise their layer inside it
 */
const IMPL_ASSEMBLY = ['impl/system.ts', 'impl/index.ts'];

/** impl/X → impl/Y only if Y is X or ranks strictly below X (only edges between two impl/ files) */
const implOrder: Rule = (e) => {
  if (!within(e.from, 'impl') || !within(e.target, 'impl')) return undefined;
  const from = e.from.split('/')[1]!;
  const to = e.target!.split('/')[1]!;
  const rf = IMPL_ORDER[from];
  const rt = IMPL_ORDER[to];
  if (rf === undefined) return `impl/${from} has no place in impl/'s order (DESIGN.md §2)`;
  if (rt === undefined) return `impl/${to} has no place in impl/'s order (DESIGN.md §2)`;
  if (from === to || rt < rf || IMPL_ASSEMBLY.includes(e.from)) return undefined;
  if (e.from.endsWith('.test.ts') && IMPL_ASSEMBLY.includes(e.target!)) return undefined;
  return rt === rf ? `impl/${from} and impl/${to} are peers: neither imports the other` : `impl/${from} may not import impl/${to}, which is above it`;
};

describe('layering (DESIGN.md §2)', () => {
  for (const [layer, rule] of Object.entries(rules)) {
    test(`${layer}/ imports follow the dependency direction`, () => {
      const violations: string[] = [];
      const files = tsFiles(root, [layer]);
      for (const f of files) for (const e of importsOf(root, f)) {
        const why = rule(e);
        if (why) violations.push(`${e.from}: '${e.spec}': ${why}`);
      }
      expect(violations).toEqual([]);
    });
  }

  test("impl/ folders import only their own layer and the ones below (sim < memory < pcie < dma < bus < virtio < host, card < daemon < system)", () => {
    const violations: string[] = [];
    for (const f of tsFiles(root, ['impl'])) for (const e of importsOf(root, f)) {
      const why = implOrder(e);
      if (why) violations.push(`${e.from}: '${e.spec}': ${why}`);
    }
    expect(violations).toEqual([]);
  });

  test('the checker sees real violations (self-test on planted edges)', () => {
    const edge = (from: string, spec: string, target?: string): ImportEdge => ({ from, spec, target, typeOnly: false });
    expect(rules.impl!(edge('impl/dma/engine.ts', '../../model/machines/dma.ts', 'model/machines/dma.ts'))).toBeDefined();
    expect(rules.impl!(edge('impl/dma/engine.ts', 'xstate'))).toBeDefined();
    expect(rules.impl!(edge('impl/dma/engine.ts', '../../properties/x.ts', 'properties/x.ts'))).toBeDefined();
    expect(rules.impl!(edge('impl/dma/engine.ts', '../../model/layout/dma.ts', 'model/layout/dma.ts'))).toBeUndefined();
    expect(rules.properties!(edge('properties/dma/a.prop.ts', '../../impl/dma/engine.ts', 'impl/dma/engine.ts'))).toBeDefined();
    expect(rules.properties!(edge('properties/systems.ts', '../impl/index.ts', 'impl/index.ts'))).toBeUndefined();
    expect(rules.model!(edge('model/machines/a.ts', '../../impl/x.ts', 'impl/x.ts'))).toBeDefined();
    expect(rules.model!(edge('model/machines/a.ts', 'xstate'))).toBeUndefined();
    expect(rules.fixtures!(edge('fixtures/mutants/a.ts', '../../impl/x.ts', 'impl/x.ts'))).toBeDefined();
    // impl/'s own order: upward, peer, unplaced and test-only edges
    expect(implOrder(edge('impl/dma/index.ts', '../bus/attach.ts', 'impl/bus/attach.ts'))).toBeDefined();
    expect(implOrder(edge('impl/sim/scheduler.ts', '../memory/index.ts', 'impl/memory/index.ts'))).toBeDefined();
    expect(implOrder(edge('impl/host/driver.ts', '../card/card.ts', 'impl/card/card.ts'))).toBeDefined();
    expect(implOrder(edge('impl/card/os.ts', '../host/vop.ts', 'impl/host/vop.ts'))).toBeDefined();
    expect(implOrder(edge('impl/host/driver.ts', '../daemon/mpssd.ts', 'impl/daemon/mpssd.ts'))).toBeDefined();
    expect(implOrder(edge('impl/daemon/mpssd.ts', '../system.ts', 'impl/system.ts'))).toBeDefined();
    expect(implOrder(edge('impl/widgets/a.ts', '../sim/index.ts', 'impl/sim/index.ts'))).toBeDefined();
    expect(implOrder(edge('impl/host/sysfs.test.ts', '../card/card.ts', 'impl/card/card.ts'))).toBeDefined();
    expect(implOrder(edge('impl/bus/attach.ts', '../dma/engine.ts', 'impl/dma/engine.ts'))).toBeUndefined();
    expect(implOrder(edge('impl/daemon/mpssd.ts', '../host/index.ts', 'impl/host/index.ts'))).toBeUndefined();
    expect(implOrder(edge('impl/host/boot.ts', './driver.ts', 'impl/host/driver.ts'))).toBeUndefined();
    expect(implOrder(edge('impl/system.ts', './card/index.ts', 'impl/card/index.ts'))).toBeUndefined();
    expect(implOrder(edge('impl/index.ts', './system.ts', 'impl/system.ts'))).toBeUndefined();
    expect(implOrder(edge('impl/host/sysfs.test.ts', '../system.ts', 'impl/system.ts'))).toBeUndefined();
  });

  test('the import reader finds static, type-only, re-export and dynamic imports', () => {
    const edges = importsOf(root, join(root, 'properties', 'meta', 'layering.test.ts'));
    expect(edges.map((e) => e.spec)).toContain('./imports.ts');
    const cli = importsOf(root, join(root, 'cli', 'main.ts')).map((e) => e.target);
    expect(cli).toContain('properties/systems.ts');
  });
});
