/**
 * One place for how many runs and which seed every property uses (issue 2 item 7).
 *   MICVOP_TIER=quick|deep   quick by default; deep multiplies runs and draws fresh seeds
 *   MICVOP_SEED=<int>        fixed fast-check seed for every property
 *   MICVOP_PATH=<path>       fast-check replay path (with MICVOP_SEED: replays one counterexample)
 *   MICVOP_RUNS=<int>        override the run count
 *   MICVOP_IMPL=<name|path>  the implementation under test (properties/systems.ts)
 */
export type Tier = 'quick' | 'deep';

export interface RunConfig {
  readonly tier: Tier;
  /** undefined = derive (quick: a stable per-property seed; deep: a fresh random seed) */
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly runs: number | undefined;
  /** stop at the first counterexample without shrinking (the planted-bug meta-test only needs "fails") */
  readonly noShrink?: boolean;
  /**
   * with `path`: reach the counterexample by re-running from the seed and shrinking again instead of
   * walking the path. Needed for fc.commands: walking a path does not run the intermediate cases, so
   * the commands shrinker, which shrinks by the commands that ran, takes other steps.
   */
  readonly reshrink?: boolean;
}

export class ConfigError extends Error {}

function parseIntStrict(name: string, v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${name} must be an integer, got "${v}"`);
  const n = Number(v.trim());
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${name} out of range: "${v}"`);
  return n;
}

export function configFromEnv(env: Record<string, string | undefined> = process.env): RunConfig {
  const tierRaw = env.MICVOP_TIER ?? 'quick';
  if (tierRaw !== 'quick' && tierRaw !== 'deep') {
    throw new ConfigError(`MICVOP_TIER must be "quick" or "deep", got "${tierRaw}"`);
  }
  const seed = env.MICVOP_SEED !== undefined && env.MICVOP_SEED !== '' ? parseIntStrict('MICVOP_SEED', env.MICVOP_SEED) : undefined;
  const path = env.MICVOP_PATH !== undefined && env.MICVOP_PATH !== '' ? env.MICVOP_PATH : undefined;
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) throw new ConfigError(`MICVOP_PATH must look like "3:0:1", got "${path}"`);
  if (path !== undefined && seed === undefined) throw new ConfigError('MICVOP_PATH needs MICVOP_SEED');
  const runs = env.MICVOP_RUNS !== undefined && env.MICVOP_RUNS !== '' ? parseIntStrict('MICVOP_RUNS', env.MICVOP_RUNS) : undefined;
  if (runs !== undefined && runs < 1) throw new ConfigError('MICVOP_RUNS must be >= 1');
  return { tier: tierRaw, seed, path, runs };
}

/** multiplier applied to a property's quick run count in the deep tier */
export const DEEP_FACTOR = 20;

/** default quick run count when a property does not name its own */
export const DEFAULT_QUICK_RUNS = 100;

/** stable 31-bit seed from a property id (FNV-1a), so the default gate is reproducible */
export function stableSeed(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}
