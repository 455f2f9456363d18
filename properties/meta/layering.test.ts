/**
 * Claim: the dependency direction of DESIGN.md §2 holds for every file: model/ imports only model/
 * and xstate; impl/ imports only model/layout, model/constants and model/contract, never
 * model/machines or xstate; properties/ reaches impl/ only through properties/systems.ts;
 * fixtures/ never imports impl/ or properties/.
 * Source: DESIGN.md §2; issue 2 item 8. Level: meta.
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
  });

  test('the import reader finds static, type-only, re-export and dynamic imports', () => {
    const edges = importsOf(root, join(root, 'properties', 'meta', 'layering.test.ts'));
    expect(edges.map((e) => e.spec)).toContain('./imports.ts');
    const cli = importsOf(root, join(root, 'cli', 'main.ts')).map((e) => e.target);
    expect(cli).toContain('properties/systems.ts');
  });
});
