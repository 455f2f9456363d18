import type { PropertyDef } from '../harness.ts';
import { sameSeedSameTrace, traceDigestIsOfText } from './determinism.prop.ts';
import { anyChoicesValidRun } from './validRun.prop.ts';
import { pollLoopIsCheap, timersInOrder } from './timers.prop.ts';
import { faultHooks } from './faults.prop.ts';

/** the sim properties, in the order they run */
export const properties: readonly PropertyDef[] = [sameSeedSameTrace, traceDigestIsOfText, anyChoicesValidRun, timersInOrder, pollLoopIsCheap, faultHooks];
