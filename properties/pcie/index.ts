import type { PropertyDef } from '../harness.ts';

/** the pcie properties, in the order they run */
export const properties: readonly PropertyDef[] = [];
