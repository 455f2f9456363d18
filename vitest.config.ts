import { defineConfig } from 'vitest/config';

// vitest 5 targets Node >= 22 and its reporter calls three ES2024 built-ins that Node 20 lacks
// (it crashes while printing a failing test). The project runs on Node 20 (README "Decisions"), so
// the main vitest process gets minimal equivalents here; none is used by our own code.
type Grouper = <T, K>(items: Iterable<T>, key: (item: T, index: number) => K) => Map<K, T[]>;
const groupToMap: Grouper = (items, key) => {
  const out = new Map();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
};
const builtins = { Map, Object, Promise } as unknown as {
  Map: { groupBy?: Grouper };
  Object: { groupBy?: (items: Iterable<unknown>, key: (item: unknown, index: number) => PropertyKey) => object };
  Promise: { withResolvers?: () => unknown };
};
builtins.Map.groupBy ??= groupToMap;
builtins.Object.groupBy ??= (items, key) => Object.assign(Object.create(null), Object.fromEntries(groupToMap(items, key)));
builtins.Promise.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

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
