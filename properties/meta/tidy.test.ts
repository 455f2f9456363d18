/**
 * Claim: the house habits only get better (issue 12 item 8): no more lines over 120 characters
 *   than the baseline, no function outside tests over 60 lines that is not in the baseline and
 *   none of those longer than it was, no impl/ file over 300 lines that is not in the baseline and
 *   none of those longer. When a figure goes down, the test says so: lower the baseline
 *   (properties/meta/tidy-baseline.json) in the same commit.
 * Source: issue 12 item 8 (line length, function length and impl file length as ratchets)
 * Level: meta
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_FUNCTION_LINES, MAX_IMPL_FILE_LINES, MAX_LINE, tidyFigures } from './tidy.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const baseline = JSON.parse(readFileSync(join(root, 'properties', 'meta', 'tidy-baseline.json'), 'utf8')) as {
  longLines: number;
  longFunctions: Record<string, number>;
  longImplFiles: Record<string, number>;
};

describe('tidy ratchets (issue 12 item 8)', () => {
  const f = tidyFigures(root);

  test(`lines over ${MAX_LINE} characters do not grow in number`, () => {
    console.log(`lines over ${MAX_LINE} characters: ${f.longLines} (baseline ${baseline.longLines}), longest ${f.longestLine}`);
    expect(f.longLines, `${f.longLines} lines over ${MAX_LINE} characters, the baseline allows ${baseline.longLines}`).toBeLessThanOrEqual(baseline.longLines);
  });

  test(`no new function over ${MAX_FUNCTION_LINES} lines, and none of the known ones grows`, () => {
    const grown = [...f.longFunctions].filter(([k, n]) => n > (baseline.longFunctions[k] ?? MAX_FUNCTION_LINES)).map(([k, n]) => `${k}: ${n} lines (allowed ${baseline.longFunctions[k] ?? MAX_FUNCTION_LINES})`);
    console.log(`functions over ${MAX_FUNCTION_LINES} lines: ${f.longFunctions.size} (baseline ${Object.keys(baseline.longFunctions).length})`);
    expect(grown).toEqual([]);
  });

  test(`no new impl/ file over ${MAX_IMPL_FILE_LINES} lines, and none of the known ones grows`, () => {
    const grown = [...f.longImplFiles].filter(([k, n]) => n > (baseline.longImplFiles[k] ?? MAX_IMPL_FILE_LINES)).map(([k, n]) => `${k}: ${n} lines (allowed ${baseline.longImplFiles[k] ?? MAX_IMPL_FILE_LINES})`);
    expect(grown).toEqual([]);
  });

  test('the reader sees what it should (self-test on the figures)', () => {
    expect(f.longImplFiles.size).toBeGreaterThan(0);
    expect([...f.longFunctions.keys()].every((k) => /^(model|impl|properties|fixtures|cli|bench)\/.+#.+/.test(k))).toBe(true);
    expect([...f.longFunctions.keys()].some((k) => k.endsWith('.test.ts'))).toBe(false);
  });
});
