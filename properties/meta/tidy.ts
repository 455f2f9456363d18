/**
 * House habits as numbers (issue 12 item 8): lines longer than 120 characters, functions outside
 * tests longer than 60 lines, and impl/ files longer than 300 lines, read from the sources with the
 * TypeScript parser. The meta-test holds each as a ratchet: it may only go down.
 */
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const MAX_LINE = 120;
export const MAX_FUNCTION_LINES = 60;
export const MAX_IMPL_FILE_LINES = 300;
const ROOTS = ['model', 'impl', 'properties', 'fixtures', 'cli', 'bench'];

export interface TidyFigures {
  /** lines over MAX_LINE characters, all sources */
  readonly longLines: number;
  readonly longestLine: number;
  /** "file#name" → lines, for functions over MAX_FUNCTION_LINES outside tests (the longest of a name) */
  readonly longFunctions: ReadonlyMap<string, number>;
  /** impl/ files (not tests) over MAX_IMPL_FILE_LINES → lines */
  readonly longImplFiles: ReadonlyMap<string, number>;
}

function sources(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.m?ts$/.test(f)) out.push(p);
    }
  };
  for (const r of ROOTS) walk(join(root, r));
  return out.sort();
}

/** a stable name for a function: its own, the variable or property it is assigned to, or its parent's */
function nameOf(n: ts.Node): string {
  const named = n as ts.Node & { name?: ts.Node };
  if (named.name !== undefined && (ts.isIdentifier(named.name) || ts.isStringLiteral(named.name))) return named.name.text;
  if (ts.isConstructorDeclaration(n)) return 'constructor';
  const p = n.parent;
  if (p !== undefined && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && ts.isIdentifier(p.name)) return p.name.text;
  if (p !== undefined && ts.isCallExpression(p)) {
    const callee = p.expression.getText();
    const arg = p.arguments[0];
    return `${callee}(${arg !== undefined && ts.isStringLiteral(arg) ? JSON.stringify(arg.text) : '…'})`;
  }
  return 'anonymous';
}

export function tidyFigures(root: string): TidyFigures {
  let longLines = 0;
  let longestLine = 0;
  const longFunctions = new Map<string, number>();
  const longImplFiles = new Map<string, number>();
  for (const path of sources(root)) {
    const file = relative(root, path);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    for (const l of lines) {
      if (l.length > MAX_LINE) longLines++;
      if (l.length > longestLine) longestLine = l.length;
    }
    const isTest = file.endsWith('.test.ts');
    if (file.startsWith('impl/') && !isTest && lines.length > MAX_IMPL_FILE_LINES) longImplFiles.set(file, lines.length);
    if (isTest) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n) && (n as { body?: ts.Node }).body !== undefined) {
        const from = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
        const to = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
        const len = to - from + 1;
        if (len > MAX_FUNCTION_LINES) {
          const key = `${file}#${nameOf(n)}`;
          longFunctions.set(key, Math.max(len, longFunctions.get(key) ?? 0));
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { longLines, longestLine, longFunctions, longImplFiles };
}
