import type { SystemComponents } from '../model/contract.ts';

/** the reference whole-system components (placeholder until the lifecycle layer lands) */
export const systemComponents: SystemComponents | undefined = undefined;
