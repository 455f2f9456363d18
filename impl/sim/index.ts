import type { SimComponents } from '../../model/contract.ts';
import { createScheduler } from './scheduler.ts';
import { runPaced } from './clock.ts';

/** the reference sim components: the deterministic scheduler and its wall-clock pacing mode */
export const simComponents: SimComponents = { createScheduler, runPaced };
