/**
 * The card side of the lifecycle (facts §3, §4.1): hardware reset, the bootstrap, the card OS and
 * its shutdown or crash. Pure machine; every event is something the card observes (a register
 * write, an interrupt, its own software) or the end of a bounded activity (reset done, shutdown done).
 *
 *   in_reset ──resetDone──▶ bootstrap_ready ──bootstrap.interrupt(good)──▶ os_running
 *                                  └──────────bootstrap.interrupt(bad)──▶ image_rejected
 *   os_running ──shutdownRequest | halt | poweroff | restart──▶ shutting_down ──shutdownDone──▶ halted
 *   os_running | shutting_down ──panic──▶ crashed
 *   any ──hw.reset (RGCR bit 0)──▶ in_reset
 */
import { assign, setup } from 'xstate';
import type { MicStatus } from '../constants/lifecycle.ts';

export type CardSideStateName = 'in_reset' | 'bootstrap_ready' | 'os_running' | 'shutting_down' | 'halted' | 'crashed' | 'image_rejected';
export const CARD_SIDE_STATES: readonly CardSideStateName[] = ['in_reset', 'bootstrap_ready', 'os_running', 'shutting_down', 'halted', 'crashed', 'image_rejected'];

export interface CardSideContext {
  /** the status the card reported (or will report) through the device page */
  readonly reported: MicStatus;
}

export type CardSideEvent =
  | { type: 'hw.reset' }
  | { type: 'hw.resetDone' }
  | { type: 'bootstrap.interrupt'; image: 'good' | 'bad' }
  | { type: 'os.shutdownRequest' }
  | { type: 'os.halt' }
  | { type: 'os.poweroff' }
  | { type: 'os.restart' }
  | { type: 'os.shutdownDone' }
  | { type: 'os.panic' };

export const cardSideMachine = setup({
  types: { context: {} as CardSideContext, events: {} as CardSideEvent },
}).createMachine({
  id: 'cardSide',
  initial: 'in_reset',
  context: { reported: 'nop' },
  on: {
    'hw.reset': { target: '.in_reset', actions: assign({ reported: 'nop' }) },
  },
  states: {
    in_reset: { on: { 'hw.resetDone': 'bootstrap_ready' } },
    bootstrap_ready: {
      on: {
        'bootstrap.interrupt': [
          { guard: ({ event }) => event.image === 'good', target: 'os_running' },
          { target: 'image_rejected' },
        ],
      },
    },
    os_running: {
      on: {
        // the host asks (shutdown_card = 1 + h2c_shutdown_db): orderly poweroff (facts §4.1)
        'os.shutdownRequest': { target: 'shutting_down', actions: assign({ reported: 'poweroff' }) },
        'os.halt': { target: 'shutting_down', actions: assign({ reported: 'halted' }) },
        'os.poweroff': { target: 'shutting_down', actions: assign({ reported: 'poweroff' }) },
        'os.restart': { target: 'shutting_down', actions: assign({ reported: 'restart' }) },
        'os.panic': { target: 'crashed', actions: assign({ reported: 'crashed' }) },
      },
    },
    shutting_down: {
      on: {
        'os.shutdownDone': 'halted',
        'os.panic': { target: 'crashed', actions: assign({ reported: 'crashed' }) },
      },
    },
    halted: {},
    crashed: {},
    image_rejected: {},
  },
});
