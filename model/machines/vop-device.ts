/**
 * One virtio device over VOP, as one open file of the host's char device sees it together with the
 * card's VOP transport (facts §5.3, §5.4, §6.3–§6.5, §6.7; issue 9 item 5). Legacy generation
 * (DESIGN.md §1): the card's shutdown leaves the entry's type alone, so a device survives a card
 * reboot; a host stop resets it (status 0) and the next card boot binds it again.
 *
 *   unbound --ADD_OK--> added --CARD_UP--> added(h2c_config_db) --CARD_SCAN--> discovered
 *   discovered --USED_ADDR_ACK--> ringsReady --DRIVER_OK--> live
 *   discovered --CARD_PROBE_FAIL--> failed               magic mismatch (EIO), used-address timeout (ENODEV)
 *   live --CARD_RESET_REQUEST--> resetting --HOST_RESET_ACK--> discovered (the driver probes again)
 *   live|failed --CONFIG_CHANGE--> configChanging --GUEST_ACK|CONFIG_TIMEOUT--> back
 *   live|failed --CARD_REMOVE--> removed                  the card removed it and wrote type −1
 *   any device state --CARD_DOWN--> added                 host stop: status 0, card unbound
 *   --CLOSE--> removing --GUEST_ACK|REMOVE_TIMEOUT--> closed      h2c_config_db valid: DEV_REMOVE
 *   --CLOSE--> closed                                     no h2c_config_db: no handshake (facts §6.7)
 *
 * Granularity. Card and bottom-half steps are events of their own (CARD_SCAN, USED_ADDR_ACK,
 * DRIVER_OK, HOST_RESET_ACK), so the states between them are observable, but each event folds the
 * steps nobody outside can tell apart: CARD_SCAN is the bind (doorbell, h2c_vdev_db, the virtio
 * core's reset handshake at register, ACKNOWLEDGE, DRIVER) up to find_vqs raising
 * used_address_updated; HOST_RESET_ACK is the host's acknowledgement (status 0, vdev_reset 0,
 * host_ack 1, host indices 0), the card's end of the handshake and its probe again up to find_vqs.
 *
 * Host calls that wait (CONFIG_CHANGE, close) are blocking system calls: while one waits nobody can
 * send another call on this file, and a card crash shows as the wait's timeout (the host's stop
 * takes the mutex the call holds, so CARD_DOWN comes after). Their outcomes are the only events of
 * the wait states. `discovered`, `ringsReady`, `resetting` and `added` with the card up are
 * *transient*: the card and the bottom half leave them on their own. CONFIG_CHANGE is declared
 * only in settled states, because from a transient one the pending card work would complete inside
 * the wait; its kernel verdict there is still `configChangeErrno` (see `isSettled`).
 *
 * The errno helpers give the state-dependent verdict of each call on this file, the checks in the
 * kernel's order (facts §6.5); argument checks (EFAULT, vr_idx, sizes) come on top of an 'ok'.
 *
 * `removed` is the entry at −1 with the file still open (the card removed the device); a close
 * writes −1 inside release, so its path ends in `closed`, whose entry is −1 too.
 *
 * Not modelled: a card reset the host never acknowledges (the bottom half always does); a driver
 * probe failing after find_vqs; the legacy card's scan binding a new entry while the host waits on
 * DEV_REMOVE for it (close right after ADD_DEVICE with the card up): the card's binding after such a
 * removal is 'unknown' when the wait timed out.
 *
 * Invariant: in discovered, ringsReady, live, resetting, failed and configChanging the card is bound
 * and up (h2c_config_db valid), so CONFIG_CHANGE passes its EIO check there and close always starts
 * the DEV_REMOVE handshake; the test checks it on every reachable snapshot.
 */
import { assign, setup } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK, VIRTIO_CONFIG_S_DRIVER as DRIVER, VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK, VIRTIO_CONFIG_S_FAILED as FAILED,
} from '../constants/virtio.ts';
import { MIC_VIRTIO_CONFIG_CHANGE_REMOVE as DEV_REMOVE, MIC_VIRTIO_CONFIG_CHANGED as CHANGED } from '../layout/device-page.ts';

/** ctrl.config_change when no host request is pending */
const NO_CHANGE = 0;

export const VOP_DEVICE_STATES = [
  'unbound', 'added', 'discovered', 'ringsReady', 'live', 'resetting', 'failed', 'configChanging', 'removing', 'removed', 'closed',
] as const;
export type VopDeviceState = (typeof VOP_DEVICE_STATES)[number];

/** the states the card and the host's bottom half leave without anyone calling (see isSettled) */
export const TRANSIENT_STATES: readonly VopDeviceState[] = ['discovered', 'ringsReady', 'resetting'];
/** the states inside a blocking call on this file */
export const WAIT_STATES: readonly VopDeviceState[] = ['configChanging', 'removing'];

/** why the card's probe failed at find_vqs (facts §6.3) */
export type ProbeFailCause = 'magic' | 'usedAddrTimeout';

export type VopDeviceEvent =
  /** MIC_VIRTIO_ADD_DEVICE returned 0: entry written, type last (facts §5.4, §6.5) */
  | { type: 'ADD_OK' }
  /** MIC_VIRTIO_ADD_DEVICE failed its checks (EINVAL, EFAULT, ENOMEM, ...): nothing written */
  | { type: 'ADD_REFUSED' }
  /** the card's VOP driver came up: h2c_config_db written into the bootparam (its scan follows) */
  | { type: 'CARD_UP' }
  /** the card's scan bound the entry, up to find_vqs raising used_address_updated */
  | { type: 'CARD_SCAN' }
  /** the host's bottom half took the used rings and cleared used_address_updated (facts §6.4 step 1) */
  | { type: 'USED_ADDR_ACK' }
  /** the card wrote DRIVER_OK */
  | { type: 'DRIVER_OK' }
  /** find_vqs failed; the virtio core wrote FAILED */
  | { type: 'CARD_PROBE_FAIL'; cause: ProbeFailCause }
  /** the card's reset: host_ack 0, vdev_reset 1, c2h_vdev_db rung (facts §6.3) */
  | { type: 'CARD_RESET_REQUEST' }
  /** the bottom half's reset (facts §6.4 step 2), the card's end of the handshake, its probe again */
  | { type: 'HOST_RESET_ACK' }
  /** MIC_VIRTIO_CONFIG_CHANGE passed its checks: config written, config_change 2, h2c_config_db rung */
  | { type: 'CONFIG_CHANGE' }
  /** the card wrote guest_ack 1 (a config change or a DEV_REMOVE); the host clears both fields */
  | { type: 'GUEST_ACK' }
  /** CONFIG_CHANGE gave up waiting (100 × 100 ms) */
  | { type: 'CONFIG_TIMEOUT' }
  /** the card removed the device itself: unbound, guest_ack, type −1 (facts §6.7, VOP card) */
  | { type: 'CARD_REMOVE' }
  /** the card stopped, reset or crashed and the host ran its stop: devices reset, bootparam re-initialised */
  | { type: 'CARD_DOWN' }
  /** release of the file (facts §6.7): DEV_REMOVE when h2c_config_db is valid, else straight to type −1 */
  | { type: 'CLOSE' }
  /** the removal gave up waiting for guest_ack (VOP 15 × 1 s, legacy 100 × 100 ms) */
  | { type: 'REMOVE_TIMEOUT' };

export type VopDeviceEventType = VopDeviceEvent['type'];

export const VOP_DEVICE_EVENT_TYPES: readonly VopDeviceEventType[] = [
  'ADD_OK', 'ADD_REFUSED', 'CARD_UP', 'CARD_SCAN', 'USED_ADDR_ACK', 'DRIVER_OK', 'CARD_PROBE_FAIL', 'CARD_RESET_REQUEST',
  'HOST_RESET_ACK', 'CONFIG_CHANGE', 'GUEST_ACK', 'CONFIG_TIMEOUT', 'CARD_REMOVE', 'CARD_DOWN', 'CLOSE', 'REMOVE_TIMEOUT',
];

/** one event per distinct branch: what xstate/graph traversals feed the machine */
export const VOP_DEVICE_EVENTS: readonly VopDeviceEvent[] = VOP_DEVICE_EVENT_TYPES.flatMap((type): VopDeviceEvent[] =>
  type === 'CARD_PROBE_FAIL' ? [{ type, cause: 'magic' }, { type, cause: 'usedAddrTimeout' }] : [{ type } as VopDeviceEvent],
);

export interface VopDeviceContext {
  /** this file's entry in the device page: none, its device type, or −1 */
  readonly entry: 'none' | 'present' | 'removed';
  /** the entry's status byte (the card writes it, host resets zero it) */
  readonly status: number;
  /** ctrl.config_change: non-zero only while the host waits for guest_ack */
  readonly configChange: 0 | 1 | 2;
  /** bootparam.h2c_config_db ≠ −1: the card's VOP driver is up */
  readonly configDb: boolean;
  /** the card holds a virtio device for the entry; 'unknown' after a removal timed out (a dead
   *  card holds nothing, a slow one may still hold it) */
  readonly bound: boolean | 'unknown';
  /** where a config-change wait returns */
  readonly resume: 'live' | 'failed';
  /** a removal started from live: the card's driver stays live until it handles DEV_REMOVE */
  readonly liveAtRemove: boolean;
  /** errno of the card's last failed probe (facts §6.3) */
  readonly probeErrno: 'EIO' | 'ENODEV' | null;
}

export interface VopDeviceInput {
  /** the card's VOP driver is up when the file is opened (default false) */
  readonly cardUp?: boolean;
}

const probeErrnoOf = (cause: ProbeFailCause): 'EIO' | 'ENODEV' => (cause === 'magic' ? 'EIO' : 'ENODEV');

export const vopDeviceMachine = setup({
  types: {
    context: {} as VopDeviceContext,
    events: {} as VopDeviceEvent,
    input: {} as VopDeviceInput,
  },
  guards: {
    cardUp: ({ context }) => context.configDb,
    cardNotUp: ({ context }) => !context.configDb,
    // the card answers DEV_REMOVE only for an entry it still scans (type −1 is skipped, facts §5.4)
    removalAckable: ({ context }) => context.configDb && context.entry === 'present',
    resumeLive: ({ context }) => context.resume === 'live',
    resumeFailed: ({ context }) => context.resume === 'failed',
  },
  actions: {
    added: assign({ entry: 'present', status: 0, bound: false, configChange: NO_CHANGE }),
    cardUp: assign({ configDb: true }),
    // host stop (facts §4.1 stop, §6.4 step 2 on every device; bootparam re-init sets h2c_config_db −1)
    cardDown: assign({ status: 0, bound: false, configDb: false }),
    bound: assign({ bound: true, status: ACK | DRIVER, probeErrno: null }),
    driverOk: assign({ status: ({ context }) => context.status | DRIVER_OK }),
    probeFailed: assign({
      status: ({ context }) => context.status | FAILED,
      probeErrno: ({ context, event }) => (event.type === 'CARD_PROBE_FAIL' ? probeErrnoOf(event.cause) : context.probeErrno),
    }),
    reprobed: assign({ status: ACK | DRIVER, probeErrno: null }),
    configChangeFromLive: assign({ configChange: CHANGED, resume: 'live' }),
    configChangeFromFailed: assign({ configChange: CHANGED, resume: 'failed' }),
    configChangeDone: assign({ configChange: NO_CHANGE }),
    // unregister runs the virtio reset handshake when a driver was active (status 0), not after a failed probe
    cardRemovedLive: assign({ entry: 'removed', bound: false, status: 0 }),
    cardRemovedFailed: assign({ entry: 'removed', bound: false }),
    startRemove: assign({ configChange: DEV_REMOVE, liveAtRemove: false }),
    startRemoveLive: assign({ configChange: DEV_REMOVE, liveAtRemove: true }),
    // the host frees the rings, then writes type −1 (facts §6.7 steps 2–3)
    deletedAcked: assign({ entry: 'removed', configChange: NO_CHANGE, bound: false }),
    deletedTimedOut: assign({ entry: 'removed', configChange: NO_CHANGE, bound: 'unknown' }),
    deletedNoHandshake: assign({ entry: 'removed' }),
  },
}).createMachine({
  id: 'vopDevice',
  context: ({ input }) => ({
    entry: 'none',
    status: 0,
    configChange: NO_CHANGE,
    configDb: input.cardUp ?? false,
    bound: false,
    resume: 'live',
    liveAtRemove: false,
    probeErrno: null,
  }),
  initial: 'unbound',
  states: {
    unbound: {
      on: {
        ADD_OK: { target: 'added', actions: 'added' },
        // refused ADD_DEVICE: nothing written (the self-target makes the event accepted)
        ADD_REFUSED: { target: 'unbound' },
        CARD_UP: { guard: 'cardNotUp', actions: 'cardUp' },
        CARD_DOWN: { actions: 'cardDown' },
        CLOSE: { target: 'closed' },
      },
    },
    added: {
      on: {
        CARD_UP: { guard: 'cardNotUp', actions: 'cardUp' },
        CARD_SCAN: { guard: 'cardUp', target: 'discovered', actions: 'bound' },
        CARD_DOWN: { actions: 'cardDown' },
        CLOSE: [
          { guard: 'cardUp', target: 'removing', actions: 'startRemove' },
          { target: 'closed', actions: 'deletedNoHandshake' },
        ],
      },
    },
    discovered: {
      on: {
        USED_ADDR_ACK: { target: 'ringsReady' },
        CARD_PROBE_FAIL: { target: 'failed', actions: 'probeFailed' },
        CARD_DOWN: { target: 'added', actions: 'cardDown' },
        CLOSE: { target: 'removing', actions: 'startRemove' },
      },
    },
    ringsReady: {
      on: {
        DRIVER_OK: { target: 'live', actions: 'driverOk' },
        CARD_DOWN: { target: 'added', actions: 'cardDown' },
        CLOSE: { target: 'removing', actions: 'startRemove' },
      },
    },
    live: {
      on: {
        CARD_RESET_REQUEST: { target: 'resetting' },
        CONFIG_CHANGE: { target: 'configChanging', actions: 'configChangeFromLive' },
        CARD_REMOVE: { target: 'removed', actions: 'cardRemovedLive' },
        CARD_DOWN: { target: 'added', actions: 'cardDown' },
        CLOSE: { target: 'removing', actions: 'startRemoveLive' },
      },
    },
    resetting: {
      on: {
        HOST_RESET_ACK: { target: 'discovered', actions: 'reprobed' },
        CARD_DOWN: { target: 'added', actions: 'cardDown' },
        CLOSE: { target: 'removing', actions: 'startRemove' },
      },
    },
    failed: {
      on: {
        CONFIG_CHANGE: { target: 'configChanging', actions: 'configChangeFromFailed' },
        CARD_REMOVE: { target: 'removed', actions: 'cardRemovedFailed' },
        CARD_DOWN: { target: 'added', actions: 'cardDown' },
        CLOSE: { target: 'removing', actions: 'startRemove' },
      },
    },
    configChanging: {
      on: {
        GUEST_ACK: [
          { guard: 'resumeLive', target: 'live', actions: 'configChangeDone' },
          { guard: 'resumeFailed', target: 'failed', actions: 'configChangeDone' },
        ],
        CONFIG_TIMEOUT: [
          { guard: 'resumeLive', target: 'live', actions: 'configChangeDone' },
          { guard: 'resumeFailed', target: 'failed', actions: 'configChangeDone' },
        ],
      },
    },
    removing: {
      on: {
        GUEST_ACK: { guard: 'removalAckable', target: 'closed', actions: 'deletedAcked' },
        REMOVE_TIMEOUT: { target: 'closed', actions: 'deletedTimedOut' },
      },
    },
    removed: {
      on: {
        CARD_UP: { guard: 'cardNotUp', actions: 'cardUp' },
        CARD_DOWN: { actions: 'cardDown' },
        CLOSE: [
          { guard: 'cardUp', target: 'removing', actions: 'startRemove' },
          { target: 'closed' },
        ],
      },
    },
    closed: { type: 'final' },
  },
});

export type VopDeviceMachine = typeof vopDeviceMachine;
export type VopDeviceSnapshot = ReturnType<VopDeviceMachine['transition']>;

/** what the helpers read: a snapshot, or its value and context */
export interface VopDeviceView {
  readonly value: unknown;
  readonly context: VopDeviceContext;
}

const stateOf = (s: VopDeviceView): VopDeviceState => s.value as VopDeviceState;

/** errno names the helpers give (a subset of the char device's, model/contract) */
export type VopDeviceErrno = 'EINVAL' | 'ENODEV' | 'EIO' | 'EBUSY' | 'EBADF';

/**
 * A file inside release (removing) or released (closed) has no descriptor any more: every call on
 * it is EBADF. (A call in flight holds the file, so release cannot overlap one.)
 */
const fileGone = (s: VopDeviceView): boolean => stateOf(s) === 'closed' || stateOf(s) === 'removing';

/** vop_vdev_inited: no device or type 0 → EINVAL, type −1 → ENODEV (facts §6.5) */
function initedErrno(c: VopDeviceContext): VopDeviceErrno | 'ok' {
  if (c.entry === 'none') return 'EINVAL';
  if (c.entry === 'removed') return 'ENODEV';
  return 'ok';
}

/** ADD_DEVICE: one device per file, a second one is EBUSY and changes nothing [model decision, issue 9] */
export function addDeviceErrno(s: VopDeviceView): VopDeviceErrno | 'ok' {
  if (fileGone(s)) return 'EBADF';
  return stateOf(s) === 'unbound' ? 'ok' : 'EBUSY';
}

/** COPY_DESC before its argument checks: inited, then status 0 → ENODEV (facts §6.5) */
export function copyDescErrno(s: VopDeviceView): VopDeviceErrno | 'ok' {
  if (fileGone(s)) return 'EBADF';
  const inited = initedErrno(s.context);
  if (inited !== 'ok') return inited;
  return s.context.status === 0 ? 'ENODEV' : 'ok';
}

/** CONFIG_CHANGE before the config copy: inited, then h2c_config_db −1 → EIO (facts §6.5) */
export function configChangeErrno(s: VopDeviceView): VopDeviceErrno | 'ok' {
  if (fileGone(s)) return 'EBADF';
  const inited = initedErrno(s.context);
  if (inited !== 'ok') return inited;
  return s.context.configDb ? 'ok' : 'EIO';
}

/** poll: not inited or removed → POLLERR; otherwise POLLIN|POLLOUT once per wake-up, else 0 ('ok') */
export function pollResult(s: VopDeviceView): 'POLLERR' | 'POLLNVAL' | 'ok' {
  if (fileGone(s)) return 'POLLNVAL';
  return initedErrno(s.context) === 'ok' ? 'ok' : 'POLLERR';
}

/**
 * Nothing pending on the card or in the host's bottom half for this device and no call waiting:
 * the state stays until someone acts. `added` with the card up is not settled (the scan the
 * doorbell asked for is pending).
 */
export function isSettled(s: VopDeviceView): boolean {
  const st = stateOf(s);
  if (TRANSIENT_STATES.includes(st) || WAIT_STATES.includes(st)) return false;
  return !(st === 'added' && s.context.configDb);
}

/** what can be seen from outside: device page bytes, the host's device list, the card's devices */
export interface VopDeviceObservation {
  /** the host lists a device for this file (until release deletes it) */
  readonly hostListed: boolean;
  /** the entry's type byte: none (the file owns no entry), the device type, or −1 */
  readonly entry: 'none' | 'present' | 'removed';
  /** the entry's status byte; undefined when the file owns no entry or is closed */
  readonly status: number | undefined;
  readonly configChange: 0 | 1 | 2;
  /** ctrl.vdev_reset: the card asked for a reset the host has not acknowledged */
  readonly vdevReset: boolean;
  readonly h2cConfigDb: boolean;
  /** the card holds a virtio device for the entry; undefined when not known (a removal timed out) */
  readonly cardBound: boolean | undefined;
  /** the card's driver runs on it (DRIVER_OK written, rings up, no reset in progress) */
  readonly cardLive: boolean;
}

export function observe(s: VopDeviceView): VopDeviceObservation {
  const st = stateOf(s);
  const c = s.context;
  const closed = st === 'closed';
  return {
    hostListed: st !== 'unbound' && !closed,
    entry: c.entry,
    status: c.entry === 'none' || closed ? undefined : c.status,
    configChange: c.configChange,
    vdevReset: st === 'resetting',
    h2cConfigDb: c.configDb,
    cardBound: c.bound === 'unknown' ? undefined : c.bound,
    cardLive: st === 'live' || (st === 'configChanging' && c.resume === 'live') || (st === 'removing' && c.liveAtRemove),
  };
}

/**
 * The abstract snapshot for graph traversals: the state value and the context the guards read. A
 * congruence (every action writes those fields from constants), so paths over it are the machine's;
 * status, bound and probeErrno follow from the path.
 */
export function vopDeviceKey(s: VopDeviceView): string {
  const c = s.context;
  return JSON.stringify([s.value, c.entry, c.configDb, s.value === 'configChanging' ? c.resume : s.value === 'removing' ? c.liveAtRemove : null]);
}

/**
 * xstate/graph shortest paths over VOP_DEVICE_EVENTS; `abstract` serialises with vopDeviceKey
 * (fewer vertices, what getSimplePaths needs), otherwise every distinct snapshot is a vertex. The
 * first step of each path is xstate.init.
 */
export function vopDeviceShortestPaths(input: VopDeviceInput = {}, abstract = false) {
  return getShortestPaths(vopDeviceMachine, abstract ? { input, events: VOP_DEVICE_EVENTS, serializeState: vopDeviceKey } : { input, events: VOP_DEVICE_EVENTS });
}
