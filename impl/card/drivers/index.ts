/**
 * The virtio drivers of one card OS generation: the transport offers every device it binds, each
 * driver takes the first device of its type, stays with it across resets, and when it is gone takes
 * the next one of its type the transport still has. A new OS generation makes a new set.
 */
import type { CardVirtioDevice } from '../../../model/contract.ts';
import type { BoundDriver } from './bound.ts';
import { BlkDriver } from './blk.ts';
import { ConsoleDriver } from './console.ts';
import { NetDriver } from './net.ts';
import type { DriverUpcalls } from './upcalls.ts';

export { BlkDriver, encodeBlkHeader } from './blk.ts';
export { ConsoleDriver, CONSOLE_BUF } from './console.ts';
export { NetDriver, cardMac } from './net.ts';
export type { DriverUpcalls, NetCounters } from './upcalls.ts';

export class CardDrivers {
  readonly console: ConsoleDriver;
  readonly net: NetDriver;
  readonly blk: BlkDriver;
  private readonly all: readonly BoundDriver[];

  /** `devices()`: the devices the transport has bound right now, for a driver looking for another */
  constructor(
    up: DriverUpcalls,
    private readonly devices: () => readonly CardVirtioDevice[],
  ) {
    this.console = new ConsoleDriver(up);
    this.net = new NetDriver(up);
    this.blk = new BlkDriver(up);
    this.all = [this.console, this.net, this.blk];
    for (const d of this.all) d.onGone = () => this.rebind(d);
  }

  /** the transport bound a new device (before its probe: the driver hears it go live) */
  offer(dev: CardVirtioDevice): void {
    for (const d of this.all) if (d.fits(dev) && !d.bound) return d.bind(dev);
  }

  private rebind(d: BoundDriver): void {
    const next = this.devices().find((v) => d.fits(v));
    if (next !== undefined) d.bind(next);
  }
}
