import type { DmaComponents } from '../../model/contract.ts';

/** the reference dma components (placeholder until the dma layer lands) */
export const dmaComponents: DmaComponents | undefined = undefined;
