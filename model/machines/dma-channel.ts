/**
 * One DMA channel's life (facts §7.1, §7.3, §7.5), as software and hardware together make it:
 *
 *   disabled --REQUEST--> idle            alloc_chan_resources: setup sequence, enable
 *   idle|busy --SUBMIT(n)--> busy         prep + submit + issue_pending: n descriptors behind DHPR
 *   busy --STEP--> busy | idle            the engine consumes one descriptor (idle when none left)
 *   busy|draining --FAULT--> error        a bad descriptor: DCHERR set, the channel halts
 *   idle|busy --RELEASE--> draining       teardown submits a fence-only request
 *   draining --STEP--> draining           the engine works through what is left, fence included
 *   draining --POLL[drained]--> disabled  the fence completed: disable, mask
 *   error --REINIT--> idle                ring programmed again (clears DCHERR), setup, enable
 *   error --RELEASE--> disabled           teardown of a halted channel: the drain fails (-EIO), disable
 *
 * The ownership rule: every software event carries the side that sends it, and only the owner of
 * the channel (host 0–3, card 4–7) may send it; an event from the other side is refused.
 * STEP and FAULT are the hardware's. Context `pending` counts issued, unconsumed descriptors.
 */
import { assign, setup } from 'xstate';
import { channelOwner, type DmaSide } from '../constants/dma.ts';

export type DmaChannelEvent =
  | { type: 'REQUEST'; side: DmaSide }
  | { type: 'SUBMIT'; side: DmaSide; descriptors: number }
  | { type: 'STEP' }
  | { type: 'FAULT' }
  | { type: 'RELEASE'; side: DmaSide }
  | { type: 'POLL'; side: DmaSide }
  | { type: 'REINIT'; side: DmaSide };

export interface DmaChannelContext {
  readonly channel: number;
  readonly owner: DmaSide;
  readonly pending: number;
}

export type DmaChannelState = 'disabled' | 'idle' | 'busy' | 'error' | 'draining';

const isOwner = ({ context, event }: { context: DmaChannelContext; event: DmaChannelEvent }): boolean =>
  'side' in event && event.side === context.owner;

export const dmaChannelMachine = setup({
  types: {
    context: {} as DmaChannelContext,
    events: {} as DmaChannelEvent,
    input: {} as { channel: number },
  },
  guards: {
    isOwner,
    isOwnerAndDrained: (a) => isOwner(a) && a.context.pending === 0,
    lastPending: ({ context }) => context.pending === 1,
    morePending: ({ context }) => context.pending > 1,
    anyPending: ({ context }) => context.pending > 0,
  },
  actions: {
    addSubmitted: assign({
      pending: ({ context, event }) => context.pending + (event.type === 'SUBMIT' ? event.descriptors : 0),
    }),
    addFence: assign({ pending: ({ context }) => context.pending + 1 }),
    consumeOne: assign({ pending: ({ context }) => context.pending - 1 }),
    clearPending: assign({ pending: () => 0 }),
  },
}).createMachine({
  id: 'dmaChannel',
  context: ({ input }) => ({ channel: input.channel, owner: channelOwner(input.channel), pending: 0 }),
  initial: 'disabled',
  states: {
    disabled: {
      on: { REQUEST: { guard: 'isOwner', target: 'idle', actions: 'clearPending' } },
    },
    idle: {
      on: {
        SUBMIT: { guard: 'isOwner', target: 'busy', actions: 'addSubmitted' },
        RELEASE: { guard: 'isOwner', target: 'draining', actions: 'addFence' },
      },
    },
    busy: {
      on: {
        SUBMIT: { guard: 'isOwner', target: 'busy', actions: 'addSubmitted' },
        STEP: [
          { guard: 'morePending', target: 'busy', actions: 'consumeOne' },
          { guard: 'lastPending', target: 'idle', actions: 'consumeOne' },
        ],
        FAULT: { guard: 'anyPending', target: 'error' },
        RELEASE: { guard: 'isOwner', target: 'draining', actions: 'addFence' },
      },
    },
    draining: {
      on: {
        STEP: { guard: 'anyPending', target: 'draining', actions: 'consumeOne' },
        FAULT: { guard: 'anyPending', target: 'error' },
        POLL: { guard: 'isOwnerAndDrained', target: 'disabled' },
      },
    },
    error: {
      on: {
        REINIT: { guard: 'isOwner', target: 'idle', actions: 'clearPending' },
        RELEASE: { guard: 'isOwner', target: 'disabled', actions: 'clearPending' },
      },
    },
  },
});

export type DmaChannelMachine = typeof dmaChannelMachine;
