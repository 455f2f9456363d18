import type { PropertyDef } from '../harness.ts';
import { flatModel } from './flat.prop.ts';

/** the memory properties, in the order they run */
export const properties: readonly PropertyDef[] = [flatModel];
