/**
 * The reference implementation: one candidate that satisfies model/ (DESIGN.md §2).
 * `reference` is what properties/systems.ts hands to the suite under the name "reference".
 */
import type { Implementation } from '../model/contract.ts';
import { simComponents } from './sim/index.ts';
import { memoryComponents } from './memory/index.ts';
import { pcieComponents } from './pcie/index.ts';
import { dmaComponents } from './bus/index.ts';
import { ringComponents } from './virtio/index.ts';
import { systemComponents } from './system.ts';
import { daemonComponents } from './daemon/index.ts';

function present<K extends keyof Implementation>(key: K, v: Implementation[K] | undefined): Partial<Implementation> {
  return v === undefined ? {} : { [key]: v };
}

export const reference: Implementation = {
  name: 'reference',
  ...present('sim', simComponents),
  ...present('memory', memoryComponents),
  ...present('pcie', pcieComponents),
  ...present('dma', dmaComponents),
  ...present('ring', ringComponents),
  ...present('system', systemComponents),
  ...present('daemon', daemonComponents),
};
export { createReferenceSystem } from './system.ts';
/** the reference host VOP, for a plug-in that wraps or replaces it (SystemConfig.hostVop) */
export { referenceVopHost } from './host/vop/index.ts';
