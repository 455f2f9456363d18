/**
 * The reference pcie components (issue 2 items 4–6): the card as a PCIe endpoint, the SMPT and the
 * platform wiring host memory and cards on one scheduler.
 */
import type { PcieComponents } from '../../model/contract.ts';
import { simComponents } from '../sim/index.ts';
import { memoryComponents } from '../memory/index.ts';
import { createPlatformWith } from './platform.ts';

export { createPlatformWith, type ReferencePlatform, type PlatformDeps } from './platform.ts';
export { X100Endpoint } from './endpoint.ts';
export { HostSmpt, isSmptError, smptRegValue, smptRegHostAddr } from './smpt.ts';
export { hostSendIntr, cardSendIntr } from './doorbells.ts';

export const pcieComponents: PcieComponents = {
  createPlatform(config) {
    return createPlatformWith({ sim: simComponents, memory: memoryComponents }, config);
  },
};
