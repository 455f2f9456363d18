import type { PropertyDef } from '../harness.ts';
import { exactlyOnce } from './exactlyOnce.prop.ts';
import { dataExact } from './data.prop.ts';
import { fenceOrder } from './fence.prop.ts';
import { ownership } from './ownership.prop.ts';
import { errorsHaltAndRecover } from './errors.prop.ts';
import { channelConformance } from './conformance.prop.ts';
import { channelTransitions } from './transitions.prop.ts';
import { ringCapacity } from './capacity.prop.ts';
import { reentrant } from './reentrant.prop.ts';
import { dmaPublication } from './publication.prop.ts';

/** the dma properties, in the order they run */
export const properties: readonly PropertyDef[] = [exactlyOnce, dataExact, fenceOrder, ownership, errorsHaltAndRecover, channelConformance, channelTransitions, ringCapacity, reentrant, dmaPublication];
