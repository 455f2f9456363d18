/**
 * The MIC virtual bus (facts §7.6, include/linux/mic_bus.h): the host and card drivers register
 * devices (MBUS_DEV_DMA_HOST = 2 for the host's channels, MBUS_DEV_DMA_MIC = 3 for the card's);
 * drivers register with an id table and are probed for every matching device, in either order.
 */
import type { DmaError, MbusDevice, MbusDriver, MicBus } from '../../model/contract.ts';
import { MBUS_DEV_ANY_ID } from '../../model/constants/dma.ts';

export class MicBusImpl implements MicBus {
  private readonly devs: MbusDevice[] = [];
  private readonly drivers: MbusDriver[] = [];
  private readonly bound = new Map<MbusDevice, MbusDriver>();
  /** probe failures, kept for observers (a failed probe leaves the device unbound) */
  readonly probeErrors: { dev: string; error: DmaError }[] = [];

  private matches(drv: MbusDriver, dev: MbusDevice): boolean {
    return drv.idTable.some((id) => id === MBUS_DEV_ANY_ID || id === dev.id);
  }

  private tryBind(dev: MbusDevice): void {
    if (this.bound.has(dev)) return;
    for (const drv of this.drivers) {
      if (!this.matches(drv, dev)) continue;
      const e = drv.probe(dev);
      if (e === undefined) {
        this.bound.set(dev, drv);
        return;
      }
      this.probeErrors.push({ dev: dev.name, error: e });
    }
  }

  registerDevice(dev: MbusDevice): void {
    if (this.devs.includes(dev)) return;
    this.devs.push(dev);
    this.tryBind(dev);
  }

  unregisterDevice(dev: MbusDevice): void {
    const i = this.devs.indexOf(dev);
    if (i < 0) return;
    this.devs.splice(i, 1);
    const drv = this.bound.get(dev);
    if (drv) {
      this.bound.delete(dev);
      drv.remove(dev);
    }
  }

  registerDriver(drv: MbusDriver): void {
    if (this.drivers.includes(drv)) return;
    this.drivers.push(drv);
    for (const dev of this.devs) this.tryBind(dev);
  }

  devices(): readonly MbusDevice[] {
    return [...this.devs];
  }

  boundDriver(dev: MbusDevice): string | undefined {
    return this.bound.get(dev)?.name;
  }
}
