/** Reads the import specifiers of every TypeScript file of the tree (for the layering meta-test). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

export interface ImportEdge {
  /** importing file, relative to the root, with forward slashes */
  readonly from: string;
  /** the specifier as written */
  readonly spec: string;
  /** for relative specifiers: the target relative to the root; else undefined */
  readonly target: string | undefined;
  readonly typeOnly: boolean;
}

const IMPORT_RE = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

export function tsFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts)$/.test(name)) out.push(p);
    }
  };
  for (const d of dirs) {
    try {
      walk(join(root, d));
    } catch {
      /* a missing top-level folder has no imports */
    }
  }
  return out.sort();
}

const norm = (p: string): string => p.split(sep).join('/');

export function importsOf(root: string, file: string): ImportEdge[] {
  const src = readFileSync(file, 'utf8');
  const from = norm(relative(root, file));
  const edges: ImportEdge[] = [];
  const add = (spec: string, typeOnly: boolean): void => {
    const target = spec.startsWith('.') ? norm(relative(root, resolve(dirname(file), spec))) : undefined;
    edges.push({ from, spec, target, typeOnly });
  };
  for (const m of src.matchAll(IMPORT_RE)) add(m[3]!, m[2] !== undefined);
  for (const m of src.matchAll(DYNAMIC_RE)) add(m[1]!, false);
  return edges;
}
