/**
 * The host-visible card state of the legacy host driver (facts §4.1, §4.2, §3.1–3.3), with the
 * shutdown status, as a pure XState machine (no invoke, no delays). Time arrives as the event
 * `time.passes` (= at least 60 s of virtual time with nothing else happening).
 *
 * Granularity: one event = one command given to a settled system, followed by settling again:
 * everything that takes bounded virtual time (a card reset, all 45 reset polls, a card shutdown and
 * its report) completes inside the event; only the 60 s PM suspend wait outlives it.
 *
 * The context also carries the hidden facts the host's reaction depends on: whether SPAD2 says
 * "ready for download", whether the card OS registered its shutdown doorbell, armed faults, the
 * string attributes and where the OS PM transition stands. `via` names the transition taken last
 * (coverage, and the errno a write returned).
 *
 * A transition is declared only in the states where its guard can hold (card reports in online and
 * suspending, the PM wait's expiry where a wait can be pending, ...), so every declared transition is
 * one the driver can take; properties/lifecycle/exhaustive.prop.ts checks that xstate/graph paths
 * reach each of them, and lists the few that need a card that lost readiness while offline or asleep.
 */
import { assign, setup } from 'xstate';
import type { MicState, MicStatus } from '../constants/lifecycle.ts';

/**
 * 'driverFailed': the OS runs but its MIC driver found no device page magic and failed with EIO
 * (facts §3.2 card side): no doorbell registered, no device scanned, nothing reported to the host.
 */
export type CardOs = 'none' | 'running' | 'driverFailed' | 'halted' | 'crashed' | 'rejected';
/** where the operating system's suspend stands: running, inside the PM prepare wait, or asleep */
export type PmPhase = 'running' | 'preparing' | 'asleep';
export type Errno = 'EINVAL' | 'ENOENT' | 'EACCES' | 'EBUSY' | 'ENODEV';

export interface CardStateContext {
  readonly status: MicStatus;
  /** SPAD2 bit 0 as the host would read it */
  readonly ready: boolean;
  readonly cardOs: CardOs;
  /** the PM notifier waits for a reset completion (facts §4.2) */
  readonly suspendWait: boolean;
  readonly pm: PmPhase;
  /** the next card reset never completes */
  readonly resetHang: boolean;
  /** the next downloaded image is damaged */
  readonly badImage: boolean;
  /** the card overwrote the device page magic; every stop re-initialises the boot parameters */
  readonly badDpMagic: boolean;
  readonly firmware: string;
  readonly ramdisk: string | null;
  readonly bootmode: string;
  readonly cmdline: string | null;
  /** `log_buf_addr` / `log_buf_len` as they read back (16 hex digits, facts §4.5) */
  readonly logBufAddr: string;
  readonly logBufLen: string;
  /** firmware files that exist */
  readonly files: readonly string[];
  /** files among them that are not valid card OS images */
  readonly badFiles: readonly string[];
  /** result of the last event: 'ok' or the errno returned to the writer */
  readonly result: 'ok' | Errno;
  /** label of the transition taken last */
  readonly via: string;
}

export type CardStateEvent =
  | { type: 'state.boot' }
  | { type: 'state.reset' }
  | { type: 'state.shutdown' }
  | { type: 'state.suspend' }
  | { type: 'state.invalid' }
  | { type: 'attr.cmdline'; value: string }
  | { type: 'attr.firmware'; value: string }
  | { type: 'attr.ramdisk'; value: string }
  | { type: 'attr.bootmode'; value: string }
  | { type: 'attr.log_buf_addr'; value: string }
  | { type: 'attr.log_buf_len'; value: string }
  | { type: 'attr.readonly' }
  | { type: 'attr.unknown' }
  | { type: 'pm.suspend' }
  | { type: 'pm.resume' }
  | { type: 'time.passes' }
  | { type: 'card.halt' }
  | { type: 'card.poweroff' }
  | { type: 'card.restart' }
  | { type: 'card.panic' }
  | { type: 'fault.badImage' }
  | { type: 'fault.resetHang' }
  | { type: 'fault.dpMagic' };

export interface CardStateInput {
  readonly files: readonly string[];
  readonly badFiles?: readonly string[];
}

/** a single trailing newline is stripped (sysfs_streq / the string stores, facts §4.5) */
export const stripNewline = (v: string): string => (v.endsWith('\n') ? v.slice(0, -1) : v);

/**
 * A log_buf write (facts §4.5: hex addresses): "0x"/"0X" optional, 1+ hex digits, one trailing
 * newline; at most 16 significant digits (64 bits). Returns the read-back text (16 lower-case
 * digits) or undefined for a string the driver refuses with EINVAL.
 */
export function hexAddrText(value: string): string | undefined {
  const m = /^(?:0[xX])?([0-9a-fA-F]+)\n?$/.exec(value);
  if (m === null) return undefined;
  const digits = m[1]!.replace(/^0+/, '').toLowerCase();
  return digits.length > 16 ? undefined : digits.padStart(16, '0');
}

/** the sysfs `state` write → event (sysfs_streq semantics) */
export function stateWriteEvent(value: string): CardStateEvent {
  const v = stripNewline(value);
  if (v === 'boot' || v === 'reset' || v === 'shutdown' || v === 'suspend') return { type: `state.${v}` };
  return { type: 'state.invalid' };
}

/** errno of an event the machine refuses (can() false), facts §4.1 / §4.5 and the system contract */
export function refusal(e: CardStateEvent): Errno {
  switch (e.type) {
    case 'attr.readonly':
      return 'EACCES';
    case 'attr.unknown':
      return 'ENOENT';
    case 'pm.suspend':
    case 'pm.resume':
      return 'EBUSY';
    case 'card.halt':
    case 'card.poweroff':
    case 'card.restart':
    case 'card.panic':
      return 'ENODEV';
    default:
      return 'EINVAL';
  }
}

type Ctx = CardStateContext;
type Patch = Partial<Ctx> & { state?: MicState };

/** the outcome of the hardware reset part of a stop (facts §3.1): hang → reset_failed */
function resetOutcome(c: Ctx, stateAfter: MicState | 'keep'): Patch {
  if (c.resetHang) return { state: 'reset_failed', ready: false, resetHang: false, cardOs: 'none', badDpMagic: false };
  return { ready: true, cardOs: 'none', status: 'nop', badDpMagic: false, ...(stateAfter === 'keep' ? {} : { state: stateAfter }) };
}

/** what the boot (mic_start, facts §3.2) does from offline, in order; returns the patch and result */
export function bootOutcome(c: Ctx): Patch & { result: 'ok' | Errno; via: string } {
  let ready = c.ready;
  const pre: Patch = {};
  if (!ready) {
    if (c.resetHang) return { state: 'reset_failed', ready: false, resetHang: false, cardOs: 'none', result: 'EINVAL', via: 'boot.resetFailed' };
    ready = true;
    Object.assign(pre, { ready: true, cardOs: 'none' as CardOs });
  }
  if (c.firmware === '') return { ...pre, result: 'EINVAL', via: 'boot.emptyFirmware' };
  if (!c.files.includes(c.firmware)) return { ...pre, result: 'ENOENT', via: 'boot.noFirmware' };
  if (c.bootmode === 'linux' && c.ramdisk !== null) {
    if (c.ramdisk === '') return { ...pre, result: 'EINVAL', via: 'boot.emptyRamdisk' };
    if (!c.files.includes(c.ramdisk)) return { ...pre, result: 'ENOENT', via: 'boot.noRamdisk' };
  }
  const bad = c.badImage || c.badFiles.includes(c.firmware);
  return {
    state: 'online',
    ready: false,
    cardOs: bad ? 'rejected' : c.badDpMagic ? 'driverFailed' : 'running',
    badImage: false,
    result: 'ok',
    via: bad ? 'boot.badImage' : c.badDpMagic ? 'boot.driverFailed' : 'boot.ok',
  };
}

/**
 * The card OS shuts the card down from its own side, only while it runs (facts §4.1); an OS whose
 * MIC driver failed halts or panics without a report, so the host notices nothing.
 */
const cardReports = {
  'card.halt': [{ guard: 'osRunning', target: 'shutting_down', actions: 'cardHalt' }, { guard: 'driverFailed', actions: 'silentHalt' }],
  'card.poweroff': [{ guard: 'osRunning', target: 'shutting_down', actions: 'cardPoweroff' }, { guard: 'driverFailed', actions: 'silentHalt' }],
  'card.restart': [{ guard: 'osRunning', target: 'shutting_down', actions: 'cardRestart' }, { guard: 'driverFailed', actions: 'silentHalt' }],
  'card.panic': [{ guard: 'osRunning', target: 'shutting_down', actions: 'cardPanic' }, { guard: 'driverFailed', actions: 'silentPanic' }],
} as const;

export const cardStateMachine = setup({
  types: {
    context: {} as CardStateContext,
    events: {} as CardStateEvent,
    input: {} as CardStateInput,
  },
  guards: {
    osRunning: ({ context }) => context.cardOs === 'running',
    driverFailed: ({ context }) => context.cardOs === 'driverFailed',
    pmRunning: ({ context }) => context.pm === 'running',
    pmAsleep: ({ context }) => context.pm === 'asleep',
    waiting: ({ context }) => context.suspendWait,
    hang: ({ context }) => context.resetHang,
    ready: ({ context }) => context.ready,
    validHexAddr: ({ event }) => (event.type === 'attr.log_buf_addr' || event.type === 'attr.log_buf_len') && hexAddrText(event.value) !== undefined,
    validBootmode: ({ event }) => event.type === 'attr.bootmode' && (stripNewline(event.value) === 'linux' || stripNewline(event.value) === 'elf'),
    waitingHang: ({ context }) => context.suspendWait && context.resetHang,
    bootResetFails: ({ context }) => bootOutcome(context).state === 'reset_failed',
    bootStarts: ({ context }) => bootOutcome(context).state === 'online',
    asleepNotReadyHang: ({ context }) => context.pm === 'asleep' && !context.ready && context.resetHang,
    asleepNotReady: ({ context }) => context.pm === 'asleep' && !context.ready,
  },
  actions: {
    // post-suspend for a card that is not suspended: warn and return (facts §4.2)
    resumeNothing: assign({ pm: 'running', result: 'ok', via: 'pm.resume.nothing' }),
    // the 60 s PM wait expires: → suspended and forced stop (facts §4.2)
    timeout: assign(({ context }) => ({ ...omitState(resetOutcome(context, 'keep')), suspendWait: false, pm: 'asleep' as PmPhase, result: 'ok' as const, via: 'time.timeout' })),
    timeoutResetFailed: assign(({ context }) => ({ ...omitState(resetOutcome(context, 'keep')), suspendWait: false, pm: 'asleep' as PmPhase, result: 'ok' as const, via: 'time.timeout.resetFailed' })),
    timeNothing: assign({ result: 'ok', via: 'time.nothing' }),
    // the card reports through the device page and the shutdown doorbell (facts §4.1); the panic
    // notifier clears the card doorbells, then reports crashed
    cardHalt: assign({ status: 'halted', cardOs: 'halted', result: 'ok', via: 'card.halt' }),
    cardPoweroff: assign({ status: 'poweroff', cardOs: 'halted', result: 'ok', via: 'card.poweroff' }),
    cardRestart: assign({ status: 'restart', cardOs: 'halted', result: 'ok', via: 'card.restart' }),
    cardPanic: assign({ status: 'crashed', cardOs: 'crashed', result: 'ok', via: 'card.panic' }),
    silentHalt: assign({ cardOs: 'halted', result: 'ok', via: 'card.silentHalt' }),
    silentPanic: assign({ cardOs: 'crashed', result: 'ok', via: 'card.silentPanic' }),
  },
}).createMachine({
  id: 'cardState',
  initial: 'offline',
  context: ({ input }) => ({
    status: 'nop',
    ready: true,
    cardOs: 'none',
    suspendWait: false,
    pm: 'running',
    resetHang: false,
    badImage: false,
    badDpMagic: false,
    firmware: 'mic/uos.img',
    ramdisk: null,
    bootmode: 'linux',
    cmdline: null,
    logBufAddr: '0000000000000000',
    logBufLen: '0000000000000000',
    files: input.files,
    badFiles: input.badFiles ?? [],
    result: 'ok',
    via: 'init',
  }),
  // events every state handles alike
  on: {
    'attr.cmdline': { actions: assign(({ event }) => ({ cmdline: stripNewline(event.value), result: 'ok' as const, via: 'attr.cmdline' })) },
    'attr.firmware': { actions: assign(({ event }) => ({ firmware: stripNewline(event.value), result: 'ok' as const, via: 'attr.firmware' })) },
    'attr.ramdisk': { actions: assign(({ event }) => ({ ramdisk: stripNewline(event.value), result: 'ok' as const, via: 'attr.ramdisk' })) },
    'attr.bootmode': {
      guard: 'validBootmode',
      actions: assign(({ event }) => ({ bootmode: stripNewline(event.value), result: 'ok' as const, via: 'attr.bootmode' })),
    },
    'attr.log_buf_addr': {
      guard: 'validHexAddr',
      actions: assign(({ event }) => ({ logBufAddr: hexAddrText(event.value) ?? '', result: 'ok' as const, via: 'attr.log_buf_addr' })),
    },
    'attr.log_buf_len': {
      guard: 'validHexAddr',
      actions: assign(({ event }) => ({ logBufLen: hexAddrText(event.value) ?? '', result: 'ok' as const, via: 'attr.log_buf_len' })),
    },
    'fault.badImage': { actions: assign({ badImage: true, result: 'ok', via: 'fault.badImage' }) },
    'fault.resetHang': { actions: assign({ resetHang: true, result: 'ok', via: 'fault.resetHang' }) },
    // the card writes a wrong magic into the device page (facts §3.2 card side; a hostile card)
    'fault.dpMagic': { actions: assign({ badDpMagic: true, result: 'ok', via: 'fault.dpMagic' }) },
    'state.shutdown': { actions: assign({ result: 'ok', via: 'shutdown.ignored' }) },
    'state.suspend': { actions: assign({ result: 'ok', via: 'suspend.ignored' }) },
    // reset from any state but offline: stop (facts §4.1); the completion ends a PM wait
    'state.reset': [
      {
        guard: 'hang',
        target: '.reset_failed',
        actions: assign(({ context }) => ({
          ...omitState(resetOutcome(context, 'keep')),
          ...endWait(context),
          result: 'ok' as const,
          via: 'reset.failed',
        })),
      },
      {
        target: '.offline',
        actions: assign(({ context }) => ({ ...omitState(resetOutcome(context, 'keep')), ...endWait(context), result: 'ok' as const, via: 'reset.ok' })),
      },
    ],
    // no PM wait is pending (the states that can hold one say otherwise)
    'time.passes': { actions: 'timeNothing' },
  },
  // Transitions that depend on where the OS PM transition stands, on the PM wait or on a running card
  // OS are declared only in the host states where that can hold, so that every declared transition
  // is one the driver can take: the card OS runs only while the host says online or suspending
  // (card reports, facts §4.1); a PM wait is pending only in suspending, suspended and a
  // shutting_down entered from suspending (facts §4.2); PM prepare finds the OS running only outside
  // suspending/suspended, post-suspend finds it asleep only outside suspending.
  states: {
    offline: {
      on: {
        'state.boot': [
          { guard: 'bootResetFails', target: 'reset_failed', actions: assign(({ context }) => ctxOf(bootOutcome(context))) },
          { guard: 'bootStarts', target: 'online', actions: assign(({ context }) => ctxOf(bootOutcome(context))) },
          { actions: assign(({ context }) => ctxOf(bootOutcome(context))) },
        ],
        // reset of an offline card does nothing (mic_stop without force)
        'state.reset': { actions: assign({ result: 'ok', via: 'reset.offline' }) },
        'pm.suspend': { guard: 'pmRunning', target: 'suspended', actions: assign({ pm: 'asleep', result: 'ok', via: 'pm.suspend.offline' }) },
        'pm.resume': { guard: 'pmAsleep', actions: 'resumeNothing' },
      },
    },
    online: {
      on: {
        'state.shutdown': {
          guard: 'osRunning',
          target: 'shutting_down',
          // the card powers off in an orderly way and reports poweroff (facts §4.1)
          actions: assign({ status: 'poweroff', cardOs: 'halted', result: 'ok', via: 'shutdown.online' }),
        },
        'pm.suspend': { guard: 'pmRunning', target: 'suspending', actions: assign({ pm: 'preparing', suspendWait: true, result: 'ok', via: 'pm.suspend.online' }) },
        'pm.resume': { guard: 'pmAsleep', actions: 'resumeNothing' },
        ...cardReports,
      },
    },
    shutting_down: {
      on: {
        'pm.suspend': { guard: 'pmRunning', target: 'suspended', actions: assign({ pm: 'preparing', suspendWait: true, result: 'ok', via: 'pm.suspend.shuttingDown' }) },
        'pm.resume': { guard: 'pmAsleep', actions: 'resumeNothing' },
        // a shutdown reported while suspending keeps the PM wait (facts §4.1, §4.2)
        'time.passes': [
          { guard: 'waitingHang', target: 'reset_failed', actions: 'timeoutResetFailed' },
          { guard: 'waiting', target: 'suspended', actions: 'timeout' },
          { actions: 'timeNothing' },
        ],
      },
    },
    // mic_stop checks the state after the hardware reset: once reset_failed, even a reset that
    // completes leaves it reset_failed (and the status untouched); only the reset itself happens
    reset_failed: {
      on: {
        'state.reset': {
          actions: assign(({ context }) => ({
            ready: !context.resetHang,
            resetHang: false,
            badDpMagic: false,
            cardOs: 'none' as CardOs,
            ...endWait(context),
            result: 'ok' as const,
            via: context.resetHang ? 'reset.resetFailed.again' : 'reset.resetFailed',
          })),
        },
        // the PM notifier does nothing for reset_failed (facts §4.2 "other states: nothing")
        'pm.suspend': { guard: 'pmRunning', actions: assign({ pm: 'asleep', result: 'ok', via: 'pm.suspend.nothing' }) },
        'pm.resume': { guard: 'pmAsleep', actions: 'resumeNothing' },
      },
    },
    suspending: {
      on: {
        'state.suspend': {
          guard: 'osRunning',
          target: 'suspended',
          actions: assign({ status: 'poweroff', cardOs: 'halted', result: 'ok', via: 'suspend.suspending' }),
        },
        // suspending always holds the PM wait (it is entered only by PM prepare from online)
        'time.passes': [
          { guard: 'hang', target: 'reset_failed', actions: 'timeoutResetFailed' },
          { target: 'suspended', actions: 'timeout' },
        ],
        ...cardReports,
      },
    },
    suspended: {
      on: {
        'state.reset': [
          { guard: 'hang', target: 'reset_failed', actions: assign(({ context }) => ({ ...omitState(resetOutcome(context, 'keep')), ...endWait(context), result: 'ok' as const, via: 'reset.suspended.failed' })) },
          // mic_stop keeps `suspended` (facts §4.1)
          { actions: assign(({ context }) => ({ ...omitState(resetOutcome(context, 'keep')), ...endWait(context), result: 'ok' as const, via: 'reset.suspended' })) },
        ],
        'pm.resume': [
          // not ready → forced stop first; the state becomes offline whatever the reset did (facts §4.2)
          { guard: 'asleepNotReadyHang', target: 'offline', actions: assign({ pm: 'running', ready: false, resetHang: false, cardOs: 'none', badDpMagic: false, result: 'ok', via: 'pm.resume.resetFailed' }) },
          { guard: 'asleepNotReady', target: 'offline', actions: assign({ pm: 'running', ready: true, cardOs: 'none', status: 'nop', badDpMagic: false, result: 'ok', via: 'pm.resume.reset' }) },
          { guard: 'pmAsleep', target: 'offline', actions: assign({ pm: 'running', result: 'ok', via: 'pm.resume' }) },
        ],
        'time.passes': [
          { guard: 'waitingHang', target: 'reset_failed', actions: 'timeoutResetFailed' },
          { guard: 'waiting', target: 'suspended', actions: 'timeout' },
          { actions: 'timeNothing' },
        ],
      },
    },
  },
});

function endWait(c: Ctx): Partial<Ctx> {
  return c.suspendWait ? { suspendWait: false, pm: 'asleep' } : {};
}

function omitState(p: Patch): Partial<Ctx> {
  const { state: _s, ...rest } = p;
  return rest;
}

function ctxOf(p: Patch & { result: 'ok' | Errno; via: string }): Partial<Ctx> {
  return omitState(p);
}
