import type { PropertyDef } from '../harness.ts';
import { lifecycleConformance } from './conformance.prop.ts';
import { lifecycleInvariants } from './invariants.prop.ts';

/** the lifecycle properties, in the order they run */
export const properties: readonly PropertyDef[] = [lifecycleConformance, lifecycleInvariants];
