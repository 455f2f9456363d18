import { defineConfig } from 'vitest/config';
// the Node 20 stand-ins for vitest's reporter (see vitest.config.ts)
import './vitest.config.ts';

// Stryker's runs (npm run mutation): every unit test and property, without the meta-tests that
// rewrite sources or spawn a process per planted bug — they cannot see Stryker's in-memory mutants.
export default defineConfig({
  test: {
    include: ['model/**/*.test.ts', 'impl/**/*.test.ts', 'properties/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'properties/meta/mutants.test.ts', 'properties/meta/members.test.ts', 'properties/meta/seeds.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
