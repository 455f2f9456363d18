import type { RingComponents } from '../../model/contract.ts';
import { createDriverRing } from './ring/driver.ts';
import { createDeviceRing } from './ring/device.ts';
import { needEvent } from './ring/geometry.ts';
import { createDeviceStatus } from './status.ts';
import { featuresFromBitmap, featuresToBitmap } from './features.ts';

/** the reference virtio ring components (issue 4) */
export const ringComponents: RingComponents | undefined = {
  createDriverRing,
  createDeviceRing,
  createDeviceStatus,
  needEvent,
  featuresFromBitmap,
  featuresToBitmap,
};
