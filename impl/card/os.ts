/**
 * The card OS as far as the lifecycle goes (facts §3.2 card side, §4.1, §5.1): the MIC card driver
 * finds the device page through SPAD14/15, checks its magic (wrong → the driver fails with EIO),
 * registers its shutdown and config doorbells in the boot parameters, scans the devices; later it
 * powers off on the host's request, halts / powers off / restarts on its own, or panics.
 */
import type { CardShutdownKind } from '../../model/constants/lifecycle.ts';
import type { MemPort } from '../../model/contract.ts';
import { BAR4, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { bootParam, MIC_DB_NONE, MIC_MAGIC } from '../../model/layout/device-page.ts';
import { CARD_SHUTDOWN_STATUS, MIC_CRASHED } from '../../model/constants/lifecycle.ts';
import { readField, readOr, writeField } from '../memory/fields.ts';
import { ringHost } from './doorbells.ts';
import { CardVop, type CardVopDeps } from './vop/transport.ts';
import { CardDrivers, type DriverUpcalls } from './drivers/index.ts';

/** virtual time of the orderly shutdown path, report → driver teardown → halt [model choice] */
export const CARD_SHUTDOWN_NS = 10_000_000;

/** what the card OS needs: what its VOP transport needs, and a way to move the card side on */
export interface CardOsDeps extends CardVopDeps {
  /** the card side moves on (os_running → shutting_down → halted / crashed) */
  setSide(s: 'os_running' | 'shutting_down' | 'halted' | 'crashed'): void;
  /** where this generation's virtio drivers report to (the card's services); none: no drivers run */
  readonly upcalls: DriverUpcalls | undefined;
}

export class CardOs {
  /** 'EIO' when the card driver refused the device page */
  driverError: 'EIO' | undefined;
  dp = 0;
  devices: CardVop | undefined;
  /** this generation's virtio drivers: each takes a device of its type as the transport binds it */
  drivers: CardDrivers | undefined;
  private shutdownDb = MIC_DB_NONE;
  private configDb = MIC_DB_NONE;
  private c2hShutdownDb = MIC_DB_NONE;
  private shuttingDown = false;

  constructor(
    private readonly d: CardOsDeps,
    private readonly gen: number,
  ) {}

  /** mic_driver_init / mic_probe: runs once per boot */
  start(): void {
    this.d.setSide('os_running');
    const { regs, view } = this.d;
    const lo = regs.read32(BAR4.SPAD(SPAD_INDEX.DPLO));
    const hi = regs.read32(BAR4.SPAD(SPAD_INDEX.DPHI));
    const dp = typeof lo === 'number' && typeof hi === 'number' ? hi * 2 ** 32 + lo : 0;
    const magic = readField(view, dp, bootParam.fields.magic);
    if (magic !== MIC_MAGIC) {
      this.driverError = 'EIO';
      this.d.sched.trace.record(this.d.who, 'card driver: bad device page magic, EIO');
      return;
    }
    this.dp = dp;
    this.c2hShutdownDb = readOr(view, dp, bootParam.fields.c2h_shutdown_db, MIC_DB_NONE);
    this.shutdownDb = this.d.doorbells.request(() => this.shutdownIsr());
    writeField(view, dp, bootParam.fields.h2c_shutdown_db, this.shutdownDb);
    this.devices = new CardVop(
      {
        sched: this.d.sched, who: this.d.who, view, regs, doorbells: this.d.doorbells, heap: this.d.heap,
        allocCard: (n) => this.d.allocCard(n),
        createDriverRing: (cfg) => this.d.createDriverRing(cfg),
        alive: (g) => this.d.alive(g),
      },
      dp,
      this.gen,
    );
    const vop = this.devices;
    if (this.d.upcalls !== undefined) {
      const drivers = (this.drivers = new CardDrivers(this.d.upcalls, () => vop.devices()));
      vop.onAdd = (dev) => drivers.offer(dev);
    }
    this.configDb = this.d.doorbells.request(() => this.d.sched.post(this.d.who, 'config scan', () => this.scan()));
    writeField(view, dp, bootParam.fields.h2c_config_db, this.configDb);
    this.d.sched.trace.record(this.d.who, `card driver up: shutdown db ${this.shutdownDb}, config db ${this.configDb}`);
    this.scan();
  }

  private scan(): void {
    if (!this.d.alive(this.gen) || this.shuttingDown) return;
    this.devices?.scan();
  }

  /** the host set shutdown_card and rang us: orderly poweroff (facts §4.1) */
  private shutdownIsr(): void {
    if (readOr(this.d.view, this.dp, bootParam.fields.shutdown_card, 0) !== 0) {
      this.d.sched.post(this.d.who, 'orderly poweroff', () => this.orderlyShutdown('poweroff'));
    }
  }

  get running(): boolean {
    return this.driverError === undefined && !this.shuttingDown;
  }

  /** reboot notifier reports the status, then the driver tears down, then the OS stops */
  orderlyShutdown(kind: CardShutdownKind): void {
    if (!this.d.alive(this.gen) || this.shuttingDown) return;
    this.shuttingDown = true;
    this.d.setSide('shutting_down');
    if (this.driverError === undefined) this.report(CARD_SHUTDOWN_STATUS[kind]);
    this.d.sched.after(CARD_SHUTDOWN_NS, this.d.who, 'driver teardown', () => {
      if (!this.d.alive(this.gen)) return;
      if (this.driverError === undefined) {
        const { view, dp } = this;
        writeField(this.d.view, dp, bootParam.fields.h2c_config_db, MIC_DB_NONE);
        this.devices?.teardown();
        writeField(view, dp, bootParam.fields.h2c_shutdown_db, MIC_DB_NONE);
      }
      this.d.doorbells.clear();
      this.d.setSide('halted');
    });
  }

  /** panic notifier: clear both card doorbells, report crashed (facts §4.1) */
  panic(): void {
    if (!this.d.alive(this.gen)) return;
    this.devices?.drop();
    this.d.doorbells.clear();
    if (this.driverError === undefined) {
      writeField(this.d.view, this.dp, bootParam.fields.h2c_config_db, MIC_DB_NONE);
      writeField(this.d.view, this.dp, bootParam.fields.h2c_shutdown_db, MIC_DB_NONE);
      this.report(MIC_CRASHED);
    }
    this.d.setSide('crashed');
  }

  private report(status: number): void {
    writeField(this.d.view, this.dp, bootParam.fields.shutdown_status, status);
    ringHost(this.d.regs, this.c2hShutdownDb);
  }

  private get view(): MemPort {
    return this.d.view;
  }
}
