import type { PcieComponents } from '../../model/contract.ts';

/** the reference pcie components (placeholder until the pcie layer lands) */
export const pcieComponents: PcieComponents | undefined = undefined;
