import type { PropertyDef } from '../harness.ts';
import { smptModel } from './smpt.prop.ts';

/** the pcie properties, in the order they run */
export const properties: readonly PropertyDef[] = [smptModel];
