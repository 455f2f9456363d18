import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['model/**/*.test.ts', 'impl/**/*.test.ts', 'cli/**/*.test.ts', 'bench/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'properties',
          include: ['properties/**/*.test.ts'],
          testTimeout: 600_000,
          // mutant runs spawn a process each; two at a time suits the 2-core machines we run on
          maxConcurrency: 2,
          hookTimeout: 120_000,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['model/**/*.ts', 'impl/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary', 'html', 'json-summary'],
    },
  },
});
