/**
 * What every card virtio driver shares: binding to one device through its event hook (the virtio
 * core's probe / remove / vring interrupt, model/contract/vop.ts CardVirtioEvents). A driver stays
 * with its device across resets (down, then live again) and lets go when the device is gone; the
 * OS's driver set then offers it the next device of its type.
 */
import type { CardCompletion, CardVirtioDevice, CardVirtioError } from '../../../model/contract.ts';

import { isCardVirtioError as isError } from '../../../model/contract/guards.ts';

export { isError };

export const cardError = (reason: CardVirtioError['reason'], detail: string): CardVirtioError => ({ kind: 'card-virtio-error', reason, detail });

const NONE: readonly CardCompletion[] = Object.freeze([]);

export abstract class BoundDriver {
  protected dev: CardVirtioDevice | undefined;
  private unsubscribe: (() => void) | undefined;
  /** the driver let go of its device for good; the owner may offer it another */
  onGone: (() => void) | undefined;

  constructor(
    readonly type: number,
    /** queues the driver needs (its find_vqs fails with fewer) */
    readonly numVq: number,
  ) {}

  /** the device is of the driver's type and has the queues it needs */
  fits(dev: CardVirtioDevice): boolean {
    return dev.type === this.type && dev.numVq >= this.numVq;
  }

  /** a driver is bound to a device that is live */
  get live(): boolean {
    return this.dev?.live === true;
  }

  get bound(): boolean {
    return this.dev !== undefined;
  }

  /** probe: hear the device; if it is live already, start at once */
  bind(dev: CardVirtioDevice): void {
    if (this.dev !== undefined) return;
    this.dev = dev;
    this.unsubscribe = dev.listen({
      live: () => this.onLive(),
      down: (gone) => this.lost(dev, gone),
      interrupt: () => this.onInterrupt(),
    });
    if (dev.live) this.onLive();
  }

  private lost(dev: CardVirtioDevice, gone: boolean): void {
    if (this.dev !== dev) return;
    this.onDown(dev.takeDetached());
    if (!gone) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.dev = undefined;
    this.onGone?.();
  }

  /** completions of vq (none when the device is not live or the ring failed) */
  protected reap(vq: number): readonly CardCompletion[] {
    const r = this.dev?.reap(vq);
    return r === undefined || isError(r) ? NONE : r;
  }

  /** DRIVER_OK: the queues are usable (after every probe and reprobe) */
  protected abstract onLive(): void;
  /** the device interrupt collected completions */
  protected abstract onInterrupt(): void;
  /** the buffers in flight were taken away (their tokens) */
  protected abstract onDown(detached: readonly number[]): void;
}
