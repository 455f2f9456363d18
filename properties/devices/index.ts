import type { PropertyDef } from '../harness.ts';
import { devicesBlk } from './blk.prop.ts';
import { devicesConsole, devicesNet } from './streams.prop.ts';
import { devicesLinearizable } from './linearizable.prop.ts';
import { devicesLifecycle } from './lifecycle.prop.ts';
import { devicesIp } from './ip.prop.ts';

/** the device properties (issue 10), in the order they run */
export const properties: readonly PropertyDef[] = [devicesConsole, devicesNet, devicesBlk, devicesLinearizable, devicesLifecycle, devicesIp];
