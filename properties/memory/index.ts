import type { PropertyDef } from '../harness.ts';

/** the memory properties, in the order they run */
export const properties: readonly PropertyDef[] = [];
