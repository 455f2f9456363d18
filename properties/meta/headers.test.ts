/**
 * Claim: every property file states its Claim, Source and Level in its opening comment, and every
 * property definition names a source; so a reader can tell what a failure means and which rule
 * (requirement id or facts section) it restates.
 * Source: DESIGN.md §6 ("Each property file starts with Claim / Source / Level"). Level: meta.
 */
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsFiles } from './imports.ts';
import { allProperties } from '../index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('every *.prop.ts opens with Claim / Source / Level', () => {
  const files = tsFiles(root, ['properties']).filter((f) => f.endsWith('.prop.ts'));
  expect(files.length).toBeGreaterThan(0);
  const missing = files.filter((f) => {
    const opening = /^\s*\/\*\*([\s\S]*?)\*\//.exec(readFileSync(f, 'utf8'))?.[1] ?? '';
    return !(opening.includes('Claim:') && opening.includes('Source:') && opening.includes('Level:'));
  });
  expect(missing).toEqual([]);
});

test('every property has a unique id, a claim and a source', () => {
  const ids = allProperties.map((p) => p.id);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  expect(allProperties.filter((p) => p.claim.trim() === '' || p.source.trim() === '').map((p) => p.id)).toEqual([]);
});
