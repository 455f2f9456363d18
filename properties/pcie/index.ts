import type { PropertyDef } from '../harness.ts';
import { smptModel } from './smpt.prop.ts';
import { hostDoorbells } from './hostDoorbells.prop.ts';
import { cardIrqs } from './cardIrqs.prop.ts';
import { barSizing } from './barSizing.prop.ts';
import { bar0IsCardMemory } from './bar0.prop.ts';
import { cardMmio } from './cardMmio.prop.ts';
import { smptCapacity } from './smptCapacity.prop.ts';

/** the pcie properties, in the order they run */
export const properties: readonly PropertyDef[] = [barSizing, bar0IsCardMemory, smptModel, hostDoorbells, cardIrqs, cardMmio, smptCapacity];
