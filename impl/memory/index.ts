import type { MemoryComponents } from '../../model/contract.ts';

/** the reference memory components (placeholder until the memory layer lands) */
export const memoryComponents: MemoryComponents | undefined = undefined;
