/** Every property of the suite, by area, in dependency order. */
import type { PropertyDef } from './harness.ts';
import { properties as sim } from './sim/index.ts';
import { properties as memory } from './memory/index.ts';
import { properties as pcie } from './pcie/index.ts';
import { properties as dma } from './dma/index.ts';
import { properties as ring } from './ring/index.ts';
import { properties as lifecycle } from './lifecycle/index.ts';
import { properties as vop } from './vop/index.ts';
import { properties as devices } from './devices/index.ts';

export const areas: Readonly<Record<string, readonly PropertyDef[]>> = { sim, memory, pcie, dma, ring, lifecycle, vop, devices };
export const allProperties: readonly PropertyDef[] = Object.values(areas).flat();
