import type { PropertyDef } from '../harness.ts';

/** the lifecycle properties, in the order they run */
export const properties: readonly PropertyDef[] = [];
