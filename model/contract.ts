/**
 * The system contract (DESIGN.md §5): how properties drive and observe an implementation.
 * Types only. An implementation provides any subset of the component groups; a property that
 * needs a group the implementation lacks is skipped with the reason.
 */
import type { SimComponents } from './contract/sim.ts';
import type { MemoryComponents } from './contract/memory.ts';
import type { PcieComponents } from './contract/pcie.ts';
import type { DmaComponents } from './contract/dma.ts';
import type { RingComponents } from './contract/ring.ts';
import type { SystemComponents } from './contract/system.ts';
import type { DaemonComponents } from './contract/devices.ts';

export type * from './contract/sim.ts';
export type * from './contract/memory.ts';
export type * from './contract/pcie.ts';
export type * from './contract/dma.ts';
export type * from './contract/ring.ts';
export type * from './contract/system.ts';
export type * from './contract/vop.ts';
export type * from './contract/devices.ts';

export interface Implementation {
  readonly name: string;
  readonly sim?: SimComponents;
  readonly memory?: MemoryComponents;
  readonly pcie?: PcieComponents;
  readonly dma?: DmaComponents;
  readonly ring?: RingComponents;
  readonly system?: SystemComponents;
  /** our mpssd's device part (issue 10): built on the char-device interface of `system` */
  readonly daemon?: DaemonComponents;
}

/** the component groups, in dependency order */
export type Capability = keyof Omit<Implementation, 'name'>;
