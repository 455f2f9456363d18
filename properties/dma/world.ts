/**
 * Builds a DMA test world from an Implementation: one platform (one card) on a scheduler whose
 * interleaving choices come from fast-check values, with the DMA stack attached.
 */
import type { DmaAttachOptions, DmaCard, DmaChan, DmaError, DmaSide, Implementation, Platform, Scheduler } from '../../model/contract.ts';
import { channelOwner } from '../../model/constants/dma.ts';
import { choicesFrom } from '../choices.ts';

export interface DmaWorld {
  readonly platform: Platform;
  readonly sched: Scheduler;
  readonly dma: DmaCard;
}

export const GiB = 2 ** 30;
export const MiB = 2 ** 20;
export const KiB = 1024;

import { isDmaError } from '../../model/contract/guards.ts';

export { isDmaError };

export function buildWorld(impl: Implementation, choices: readonly number[], ringSize?: number, extra: DmaAttachOptions = {}): DmaWorld {
  const sched = impl.sim!.createScheduler({ seed: 1, choices: choicesFrom(choices), trace: false });
  const platform = impl.pcie!.createPlatform({ scheduler: sched, cards: 1 });
  const dma = impl.dma!.attachDma(platform, 0, ringSize === undefined ? extra : { ...extra, ringSize });
  if (isDmaError(dma)) throw new Error(`attachDma failed: ${dma.detail}`);
  return { platform, sched, dma };
}

export function clientOf(w: DmaWorld, side: DmaSide) {
  return side === 'host' ? w.dma.host : w.dma.card;
}

/** request channel n from its owner; a refusal here is a failure of the property */
export function request(w: DmaWorld, n: number): DmaChan {
  const c = clientOf(w, channelOwner(n)).requestChannel(n);
  if (isDmaError(c)) throw new Error(`request of channel ${n} refused: ${c.detail}`);
  return c;
}

/**
 * The channel state as the registers show it (DCR enable bit, DCHERR, DHPR/DTPR), plus the one
 * software fact registers cannot show: the owner's client is draining the channel for teardown.
 */
export function observedState(w: DmaWorld, n: number): 'disabled' | 'idle' | 'busy' | 'error' | 'draining' {
  const r = w.dma.engine.regs(n);
  // a disabled channel is disabled whatever DCHERR still holds (it clears when the ring is programmed again)
  if (!r.enabled) return 'disabled';
  if (r.dcherr !== 0) return 'error';
  if (clientOf(w, channelOwner(n)).phase(n) === 'draining') return 'draining';
  return r.dhpr !== r.dtpr ? 'busy' : 'idle';
}

/** descriptors issued and not yet consumed, from the registers */
export function outstanding(w: DmaWorld, n: number, ringSize: number): number {
  const r = w.dma.engine.regs(n);
  return (r.dhpr - r.dtpr + ringSize) % ringSize;
}
