import type { PropertyDef } from '../harness.ts';

/** the sim properties, in the order they run */
export const properties: readonly PropertyDef[] = [];
