/**
 * The life of the virtio device status byte (STATUS-01/02/06/07, FEAT-01..03, LEG-03), as the
 * device observes the driver's writes. One event per status step; a write that is not one of
 * these steps (or that the current state cannot take) must be refused by the implementation.
 *
 *   reset → acknowledged → driver → (modern: featuresOk) → driverOk
 *   any non-reset state → failed on FAILED; any state → reset on RESET (write 0)
 *   DEVICE_ERROR (device side) sets DEVICE_NEEDS_RESET on top of a non-zero status.
 */
import { assign, setup } from 'xstate';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK, VIRTIO_CONFIG_S_DRIVER as DRIVER, VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK, VIRTIO_CONFIG_S_NEEDS_RESET as NEEDS_RESET, VIRTIO_CONFIG_S_FAILED as FAILED,
} from '../constants/virtio.ts';

export interface VirtioStatusContext {
  readonly legacy: boolean;
  readonly offered: bigint;
  readonly accepted: bigint;
  /** the status byte the device shows */
  readonly status: number;
}

export type VirtioStatusEvent =
  | { type: 'ACKNOWLEDGE' }
  | { type: 'DRIVER' }
  | { type: 'FEATURES_OK' }
  | { type: 'DRIVER_OK' }
  | { type: 'FAILED' }
  | { type: 'RESET' }
  | { type: 'WRITE_FEATURES'; bits: bigint }
  | { type: 'DEVICE_ERROR' };

/** the status bit each driver step adds */
export const STEP_BIT = {
  ACKNOWLEDGE: ACK,
  DRIVER: DRIVER,
  FEATURES_OK: FEATURES_OK,
  DRIVER_OK: DRIVER_OK,
  FAILED: FAILED,
} as const;

/** legacy devices can only see bits 0..31 (LEG-03) */
const offeredMask = (c: VirtioStatusContext): bigint => (c.legacy ? c.offered & 0xffff_ffffn : c.offered);

export const virtioStatusMachine = setup({
  types: {} as {
    context: VirtioStatusContext;
    events: VirtioStatusEvent;
    input: { legacy: boolean; offered: bigint };
  },
  guards: {
    modern: ({ context }) => !context.legacy,
    legacyAndAcceptedOffered: ({ context }) => context.legacy && (context.accepted & ~offeredMask(context)) === 0n,
    modernAndAcceptedOffered: ({ context }) => !context.legacy && (context.accepted & ~offeredMask(context)) === 0n,
  },
  actions: {
    addBit: assign({ status: ({ context }, p: { bit: number }) => context.status | p.bit }),
    storeFeatures: assign({ accepted: ({ context, event }) => (event.type === 'WRITE_FEATURES' ? (event.bits < 0n ? 0n : event.bits) : context.accepted) }),
    clear: assign({ status: 0, accepted: 0n }),
    needsReset: assign({ status: ({ context }) => (context.status === 0 ? 0 : context.status | NEEDS_RESET) }),
  },
}).createMachine({
  id: 'virtioStatus',
  context: ({ input }) => ({ legacy: input.legacy, offered: input.offered, accepted: 0n, status: 0 }),
  initial: 'reset',
  on: {
    RESET: { target: '.reset', actions: 'clear' },
    DEVICE_ERROR: { actions: 'needsReset' },
  },
  states: {
    reset: {
      on: { ACKNOWLEDGE: { target: 'acknowledged', actions: { type: 'addBit', params: { bit: ACK } } } },
    },
    acknowledged: {
      on: {
        DRIVER: { target: 'driver', actions: { type: 'addBit', params: { bit: DRIVER } } },
        FAILED: { target: 'failed', actions: { type: 'addBit', params: { bit: FAILED } } },
      },
    },
    driver: {
      on: {
        WRITE_FEATURES: { actions: 'storeFeatures' },
        FEATURES_OK: { guard: 'modernAndAcceptedOffered', target: 'featuresOk', actions: { type: 'addBit', params: { bit: FEATURES_OK } } },
        DRIVER_OK: { guard: 'legacyAndAcceptedOffered', target: 'driverOk', actions: { type: 'addBit', params: { bit: DRIVER_OK } } },
        FAILED: { target: 'failed', actions: { type: 'addBit', params: { bit: FAILED } } },
      },
    },
    featuresOk: {
      on: {
        DRIVER_OK: { target: 'driverOk', actions: { type: 'addBit', params: { bit: DRIVER_OK } } },
        FAILED: { target: 'failed', actions: { type: 'addBit', params: { bit: FAILED } } },
      },
    },
    driverOk: {
      on: { FAILED: { target: 'failed', actions: { type: 'addBit', params: { bit: FAILED } } } },
    },
    failed: {},
  },
});

export type VirtioStatusState = 'reset' | 'acknowledged' | 'driver' | 'featuresOk' | 'driverOk' | 'failed';
