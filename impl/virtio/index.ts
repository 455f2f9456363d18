import type { RingComponents } from '../../model/contract.ts';

/** the reference virtio ring components (placeholder until the virtio layer lands) */
export const ringComponents: RingComponents | undefined = undefined;
