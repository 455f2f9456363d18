import type { PropertyDef } from '../harness.ts';

/** the dma properties, in the order they run */
export const properties: readonly PropertyDef[] = [];
