import type { PropertyDef } from '../harness.ts';
import { lifecycleConformance } from './conformance.prop.ts';
import { lifecycleInvariants } from './invariants.prop.ts';
import { exhaustiveCardSide, exhaustiveCardState } from './exhaustive.prop.ts';
import { exhaustiveDaemonBoot } from './exhaustive-daemon.prop.ts';
import { lifecycleHostileCard } from './hostileCard.prop.ts';
import { lifecycleAddDevice } from './addDevice.prop.ts';

/** the lifecycle properties, in the order they run */
export const properties: readonly PropertyDef[] = [lifecycleConformance, lifecycleInvariants, exhaustiveCardState, exhaustiveCardSide, exhaustiveDaemonBoot, lifecycleHostileCard, lifecycleAddDevice];
