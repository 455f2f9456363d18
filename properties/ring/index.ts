import type { PropertyDef } from '../harness.ts';
import { conservation } from './conservation.prop.ts';
import { usedBytes } from './usedBytes.prop.ts';
import { noLostWakeup } from './noLostWakeup.prop.ts';
import { hostile } from './hostile.prop.ts';
import { statusConformance } from './status.prop.ts';
import { hostileDevice } from './hostileDevice.prop.ts';
import { ringPrimitives } from './primitives.prop.ts';
import { ringPlacement } from './placement.prop.ts';
import { capacity } from './capacity.prop.ts';
import { ringReentrant } from './reentrant.prop.ts';

/** the ring properties, in the order they run */
export const properties: readonly PropertyDef[] = [conservation, usedBytes, noLostWakeup, hostile, hostileDevice, statusConformance, ringPrimitives, capacity, ringPlacement, ringReentrant];
