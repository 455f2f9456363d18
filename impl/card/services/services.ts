/**
 * One card's drivers and services as the contract shows them (model/contract/devices.ts
 * CardServices): made once per card, they follow every OS generation. Each boot the card OS makes
 * new drivers (impl/card/drivers/) and hands them here; listeners, counters, the shell and the IP
 * stack stay. Driver events arrive through `upcalls`.
 */
import type {
  BlkCompletion, BlkRequest, BlkSplit, CardBlk, CardConsole, CardNet, CardNetStats, CardServices, CardVirtioDevice, CardVirtioError, Scheduler,
} from '../../../model/contract.ts';
import { cardMac, type CardDrivers, type DriverUpcalls, type NetCounters } from '../drivers/index.ts';
import { cardError } from '../drivers/bound.ts';
import { IpStack } from './ip.ts';
import { Shell } from './shell.ts';

/** a listener list replaced, never edited, so a dispatch loop keeps the list it started with */
class Listeners<T> {
  private list: readonly ((v: T) => void)[] = [];
  add(fn: (v: T) => void): () => void {
    this.list = [...this.list, fn];
    return () => {
      this.list = this.list.filter((f) => f !== fn);
    };
  }
  fire(v: T): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) l[i]!(v);
  }
}

export const CARD_MODEL = 'Intel(R) Xeon Phi(TM) coprocessor x100 (micvop)';

export class CardServiceSet implements CardServices {
  readonly console: CardConsole;
  readonly net: CardNet;
  readonly blk: CardBlk;
  readonly ip: IpStack;
  readonly shell: Shell;
  readonly upcalls: DriverUpcalls;
  private drivers: CardDrivers | undefined;
  private bootNs = 0;
  private lost = { console: 0, net: 0, blk: [] as number[] };
  private readonly input = new Listeners<Uint8Array>();
  private readonly frames = new Listeners<Uint8Array>();
  private readonly counters: NetCounters = { txFrames: 0, rxFrames: 0, rxDropped: 0, refills: 0, rxEmpty: 0 };
  private nextBlk = 1;

  constructor(
    readonly cardId: number,
    private readonly sched: Scheduler,
    private readonly devices: () => readonly CardVirtioDevice[],
  ) {
    const self = this;
    const mac = cardMac(cardId);
    let shellOn = true;
    this.console = {
      get live() {
        return self.drivers?.console.live ?? false;
      },
      get pending() {
        return self.drivers?.console.pending ?? 0;
      },
      get shell() {
        return shellOn;
      },
      set shell(on: boolean) {
        shellOn = on;
      },
      write: (b) => this.drivers?.console.write(b) ?? 0,
      onInput: (fn) => this.input.add(fn),
    };
    const stats: CardNetStats = this.counters;
    this.net = {
      get live() {
        return self.drivers?.net.live ?? false;
      },
      mac,
      send: (f) => this.drivers?.net.send(f) ?? false,
      onFrame: (fn) => this.frames.add(fn),
      stats,
    };
    this.blk = {
      get live() {
        return self.drivers?.blk.live ?? false;
      },
      get capacity() {
        return self.drivers?.blk.capacity ?? 0;
      },
      get segMax() {
        return self.drivers?.blk.segMax ?? 0;
      },
      get readOnly() {
        return self.drivers?.blk.readOnly ?? false;
      },
      get inFlight() {
        return self.drivers?.blk.inFlight ?? 0;
      },
      submit: (req: BlkRequest, done: (c: BlkCompletion) => void, split?: BlkSplit): number | CardVirtioError =>
        this.drivers?.blk.submit(req, done, split) ?? cardError('not-live', 'no card OS'),
      kick: () => this.drivers?.blk.kick(),
    };
    this.ip = new IpStack(mac, (f) => this.net.send(f));
    this.shell = new Shell({
      name: `mic${cardId}`,
      identity: () => `mic${cardId} ${CARD_MODEL}`,
      uptimeNs: () => this.sched.now - this.bootNs,
      devices: () => this.devices(),
      blk: this.blk,
      write: (b) => this.console.write(b),
    });
    this.upcalls = {
      cardId,
      net: this.counters,
      consoleLive: () => {
        if (this.console.shell) this.shell.live();
      },
      consoleInput: (b) => {
        this.input.fire(b);
        if (this.console.shell) this.shell.input(b);
      },
      consoleDrained: () => this.shell.drained(),
      netFrame: (f) => {
        this.frames.fire(f);
        this.ip.input(f);
      },
      lostConsole: (n) => void (this.lost.console += n),
      lostNet: (n) => void (this.lost.net += n),
      lostBlk: (ids) => void this.lost.blk.push(...ids),
      nextBlkId: () => this.nextBlk++,
    };
  }

  /** a card OS generation came up with these drivers and this kernel command line */
  boot(drivers: CardDrivers, cmdline: string | undefined): void {
    this.drivers = drivers;
    this.bootNs = this.sched.now;
    this.ip.configure(cmdline);
  }

  detached(): { readonly console: number; readonly net: number; readonly blk: readonly number[] } {
    const d = this.lost;
    this.lost = { console: 0, net: 0, blk: [] };
    return d;
  }
}
