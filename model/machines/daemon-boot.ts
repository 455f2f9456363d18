/**
 * The boot policy of our mpssd (facts §4.2 legacy reaction, §8.1, §8.6): boot on start, reset after
 * a card shutdown, boot again after a restart and after a resume. Pure machine: the daemon's inputs
 * are state changes it is woken for, the shutdown_status values it polls, and the end of its 60-poll
 * wait. What it writes to sysfs `state` is the machine's output, in `context.writes` (the writes the
 * last event caused, in order).
 */
import { assign, setup } from 'xstate';
import type { MicState, MicStatus, StateVerb } from '../constants/lifecycle.ts';

export interface DaemonBootContext {
  /** set on `suspending`: boot when the card is offline again (legacy mpssd) */
  readonly bootOnResume: boolean;
  /** the card reported `restart`: boot after the reset */
  readonly restart: boolean;
  readonly writes: readonly StateVerb[];
}

export type DaemonBootEvent =
  | { type: 'daemon.start'; state: MicState }
  | { type: 'host.state'; state: MicState }
  | { type: 'host.status'; status: MicStatus }
  | { type: 'poll.timeout' };

const FINAL: readonly MicStatus[] = ['halted', 'poweroff', 'restart', 'crashed'];

export const daemonBootMachine = setup({
  types: { context: {} as DaemonBootContext, events: {} as DaemonBootEvent },
  guards: {
    startsOffline: ({ event }) => event.type === 'daemon.start' && event.state === 'offline',
    sawSuspending: ({ event }) => event.type === 'host.state' && event.state === 'suspending',
    sawShuttingDown: ({ event }) => event.type === 'host.state' && event.state === 'shutting_down',
    sawOfflineBootOnResume: ({ event, context }) => event.type === 'host.state' && event.state === 'offline' && context.bootOnResume,
    statusRestart: ({ event }) => event.type === 'host.status' && event.status === 'restart',
    statusFinal: ({ event }) => event.type === 'host.status' && FINAL.includes(event.status),
    resetDoneBoot: ({ event, context }) => event.type === 'host.state' && event.state === 'offline' && (context.restart || context.bootOnResume),
    resetDone: ({ event }) => event.type === 'host.state' && (event.state === 'offline' || event.state === 'suspended' || event.state === 'reset_failed'),
  },
}).createMachine({
  id: 'daemonBoot',
  initial: 'stopped',
  context: { bootOnResume: false, restart: false, writes: [] },
  states: {
    stopped: {
      on: {
        'daemon.start': [
          { guard: 'startsOffline', target: 'watching', actions: assign({ writes: ['boot'] }) },
          { target: 'watching', actions: assign({ writes: [] }) },
        ],
      },
    },
    watching: {
      on: {
        'host.state': [
          // facts §4.2: remember boot-on-resume, write suspend, then handle the shutdown
          { guard: 'sawSuspending', target: 'awaitingStatus', actions: assign({ bootOnResume: true, writes: ['suspend'] }) },
          { guard: 'sawShuttingDown', target: 'awaitingStatus', actions: assign({ writes: [] }) },
          { guard: 'sawOfflineBootOnResume', actions: assign({ bootOnResume: false, writes: ['boot'] }) },
          { actions: assign({ writes: [] }) },
        ],
      },
    },
    awaitingStatus: {
      on: {
        'host.status': [
          { guard: 'statusRestart', target: 'resetting', actions: assign({ restart: true, writes: ['reset'] }) },
          { guard: 'statusFinal', target: 'resetting', actions: assign({ writes: ['reset'] }) },
          { actions: assign({ writes: [] }) },
        ],
        // 60 polls without a final status: reset anyway
        'poll.timeout': { target: 'resetting', actions: assign({ writes: ['reset'] }) },
      },
    },
    resetting: {
      on: {
        'host.state': [
          // mpssd's reset helper takes offline or suspended as "reset done" (facts §4.2)
          {
            guard: 'resetDoneBoot',
            target: 'watching',
            actions: assign({ restart: false, bootOnResume: false, writes: ['boot'] }),
          },
          { guard: 'resetDone', target: 'watching', actions: assign({ writes: [] }) },
          // a poll before the asynchronous stop has run sees the old state: keep polling (facts §4.1, §8.6)
          { actions: assign({ writes: [] }) },
        ],
      },
    },
  },
});
