import type { PropertyDef } from '../harness.ts';

/** the ring properties, in the order they run */
export const properties: readonly PropertyDef[] = [];
