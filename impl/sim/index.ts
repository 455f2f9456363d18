import type { SimComponents } from '../../model/contract.ts';

/** the reference sim components (placeholder until the sim layer lands) */
export const simComponents: SimComponents | undefined = undefined;
