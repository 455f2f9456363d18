/**
 * createReferenceSystem (DESIGN.md §2): one host and N cards on the simulated bus, wired and ready —
 * platform (sim, memory, pcie), per card the bootstrap/card OS, the host driver (probed), and
 * optionally our mpssd. The controls and observers are those of model/contract/system.ts.
 */
import type {
  AttrResult, CardSideState, HostileCardAction, ImageDamage, LiveDevice, MicSystem, SystemComponents, SystemConfig, SystemObservers, VirtioDeviceSpec,
} from '../model/contract.ts';
import { encodeCardImage } from '../model/layout/card-image.ts';
import { MIC_DP_SIZE } from '../model/layout/device-page.ts';
import { DEFAULT_FIRMWARE, MIC_SUSPEND_TIMEOUT_NS } from '../model/constants/lifecycle.ts';
import { simComponents } from './sim/index.ts';
import { memoryComponents } from './memory/index.ts';
import { createPlatformWith } from './pcie/index.ts';
import { attachDma } from './bus/index.ts';
import type { DmaCard, DmaPublication } from '../model/contract.ts';
import { MicHostDriver, HostAllocator, readAttr as hostReadAttr, writeAttr as hostWriteAttr, type FirmwareStore } from './host/index.ts';
import { Bar0Spy } from './host/bar0-spy.ts';
import { Bar4Spy } from './host/regs-spy.ts';
import { StoreProbe } from './memory/store-probe.ts';
import { Card, hostileCardAct } from './card/index.ts';
import { Mpssd, DEFAULT_DEVICES } from './daemon/index.ts';
import { VopCharDev, addDeviceSpec } from './host/vop/index.ts';
import type { VopHostFile } from '../model/contract.ts';
import type { DmaChan } from '../model/contract.ts';
import { VOP_DMA_CHANNEL } from '../model/constants/vop.ts';

/** host RAM the driver allocates from: above the first 4 GiB [model choice] */
const HOST_HEAP_BASE = 2 ** 32;
/** a settle that needs more steps than this is a livelock of our own code */
const SETTLE_MAX_STEPS = 2_000_000;
/** DMA rings of the lifecycle system: small (the lifecycle moves no data) [model choice] */
const DMA_RING_SIZE = 256;
/** card memory the DMA drivers take, at the top of GDDR, clear of the card OS heap */
const DMA_CARD_RESERVE = 2 ** 20;

/** the default card OS: a small well-formed image (fixtures/images makes others) */
export function defaultCardImage(): Uint8Array {
  const payload = new Uint8Array(4096);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  return encodeCardImage({ payload, entry: 0, tag: 'uos' });
}

export const DEFAULT_RAMDISK_NAME = 'mic/mic0.image';

export interface ReferenceSystem extends MicSystem {
  readonly drivers: readonly MicHostDriver[];
  readonly cards: readonly Card[];
  readonly daemons: readonly (Mpssd | undefined)[];
}


export function createReferenceSystem(config: SystemConfig = {}): ReferenceSystem {
  const sched = simComponents.createScheduler({
    ...(config.seed !== undefined ? { seed: config.seed } : {}),
    ...(config.choices !== undefined ? { choices: config.choices } : {}),
    trace: config.trace ?? true,
  });
  const platform = createPlatformWith(
    { sim: simComponents, memory: memoryComponents },
    {
      cards: config.cards ?? 1,
      scheduler: sched,
      ...(config.cardMemoryBytes !== undefined ? { cardMemoryBytes: config.cardMemoryBytes } : {}),
      ...(config.revision !== undefined ? { revision: config.revision } : {}),
      ...(config.deviceId !== undefined ? { deviceId: config.deviceId } : {}),
    },
  );
  const files: Record<string, Uint8Array> = { ...(config.firmware ?? { [DEFAULT_FIRMWARE]: defaultCardImage(), [DEFAULT_RAMDISK_NAME]: new Uint8Array(8192).fill(0x5a) }) };
  const store: FirmwareStore = { get: (name) => (Object.hasOwn(files, name) ? files[name] : undefined) };
  const alloc = new HostAllocator(platform.hostMemory, HOST_HEAP_BASE, platform.hostMemory.size);

  const cards: Card[] = [];
  const drivers: MicHostDriver[] = [];
  const spies: (Bar0Spy | undefined)[] = [];
  const regSpies: (Bar4Spy | undefined)[] = [];
  const daemons: (Mpssd | undefined)[] = [];
  // VOP copies use host channel 0 while the card is up and the host DMA device bound (facts §6.6)
  const vopChans: (DmaChan | undefined)[] = platform.cards.map(() => undefined);
  platform.cards.forEach((ep, i) => {
    const pubCard = config.publications;
    const view = pubCard ? new StoreProbe(ep.cardView, (addr, len) => pubCard(i, { space: 'card', addr, len })) : ep.cardView;
    cards.push(new Card(sched, ep, view, config.cardDrivers ?? config.daemon === true));
    let drv: MicHostDriver | undefined;
    // the access logs grow with every host access: off, the driver reaches BAR0 and BAR4 directly
    const logs = config.accessLogs ?? true;
    const spy = logs ? new Bar0Spy(ep.bar0, () => sched.now, () => drv?.state ?? 'offline') : undefined;
    const regSpy = logs ? new Bar4Spy(ep.regs, () => sched.now, () => drv?.state ?? 'offline') : undefined;
    // with a publication oracle, every host store into memory the card reads is a point it can look at
    const pub = config.publications;
    const hostMemory = pub ? new StoreProbe(platform.hostMemory, (addr, len) => pub(i, { space: 'host-ram', addr, len })) : platform.hostMemory;
    const bar0 = pub ? new StoreProbe(spy ?? ep.bar0, (addr, len) => pub(i, { space: 'aperture', addr, len })) : (spy ?? ep.bar0);
    drv = new MicHostDriver({
      sched, ep, smpt: platform.smpt[i]!, hostMemory, alloc, firmware: store,
      bar0, regs: regSpy ?? ep.regs, dmaChan: () => vopChans[i],
      ...(config.hostVop !== undefined ? { hostVop: config.hostVop } : {}),
      sleep: (ns) => void sched.runFor(ns, SETTLE_MAX_STEPS),
    });
    const err = drv.probe();
    if (err !== undefined) throw new Error(`mic${i}: probe failed with ${err}`);
    drivers.push(drv);
    spies.push(spy);
    regSpies.push(regSpy);
  });

  // DMA integration (facts §7.1, §7.6): engine and bus per card; devices follow the card's lifecycle
  const dmaCards: (DmaCard | undefined)[] = [];
  if (config.dma === true) {
    platform.cards.forEach((ep, i) => {
      const dmaPub = config.dmaPublications;
      const dc = attachDma(platform, i, {
        ringSize: DMA_RING_SIZE,
        cardAllocBase: ep.cardMemory.size - DMA_CARD_RESERVE,
        ...(dmaPub !== undefined ? { publications: (p: DmaPublication) => dmaPub(i, p) } : {}),
      });
      if ('kind' in dc) throw new Error(`mic${i}: DMA attach failed: ${dc.detail}`);
      dmaCards.push(dc);
      const dev = (side: 'host' | 'card') => dc.bus.devices().find((d) => d.side === side);
      const hostDev = dev('host');
      const cardDev = dev('card');
      // attachDma registers both at once; a card that is not started has neither
      if (hostDev) dc.bus.unregisterDevice(hostDev);
      if (cardDev) dc.bus.unregisterDevice(cardDev);
      drivers[i]!.hooks.started.push(() => {
        if (hostDev === undefined) return;
        dc.bus.registerDevice(hostDev);
        const ch = dc.host.requestChannel(VOP_DMA_CHANNEL);
        vopChans[i] = 'kind' in ch ? undefined : ch;
      });
      drivers[i]!.hooks.stopping.push(() => {
        vopChans[i] = undefined;
        if (hostDev) dc.bus.unregisterDevice(hostDev);
      });
      cards[i]!.hooks.osUp.push(() => cardDev && dc.bus.registerDevice(cardDev));
      cards[i]!.hooks.osDown.push(() => cardDev && dc.bus.unregisterDevice(cardDev));
    });
  }

  let pm: 'running' | 'preparing' | 'asleep' | 'resuming' = 'running';

  // settle's predicate runs after every step: a loop, and made once with its limits (no allocation)
  const pmWaits = (): number => {
    let n = 0;
    for (let i = 0; i < drivers.length; i++) if (drivers[i]!.pmTimer !== undefined) n++;
    return n;
  };
  const quiet = (): boolean => sched.pending() === pmWaits();
  const settleLimits = { maxSteps: SETTLE_MAX_STEPS } as const;
  const settle = (): void => {
    const ok = sched.runUntil(quiet, settleLimits);
    if (!ok) throw new Error('settle: the system did not quiesce (livelock in the simulated system)');
  };

  const drv = (card: number): MicHostDriver => {
    const d = drivers[card];
    if (d === undefined) throw new RangeError(`no card ${card}`);
    return d;
  };
  const cardOf = (card: number): Card => {
    const c = cards[card];
    if (c === undefined) throw new RangeError(`no card ${card}`);
    return c;
  };

  const writeAttr = (card: number, name: string, value: string): AttrResult => {
    let result: AttrResult | undefined;
    hostWriteAttr(drv(card), name, value, (r) => {
      result = r;
    });
    if (result === undefined) sched.runUntil(() => result !== undefined, { maxSteps: SETTLE_MAX_STEPS });
    if (result === undefined) throw new Error(`sysfs write ${name}=${JSON.stringify(value)} never completed`);
    return result;
  };

  /** the notifier runs for each card in turn, as the kernel's PM notifier chain does */
  const chain = (step: (d: MicHostDriver, next: () => void) => void, end: () => void): void => {
    const go = (i: number): void => {
      if (i >= drivers.length) return end();
      step(drivers[i]!, () => go(i + 1));
    };
    go(0);
  };

  // ADD_DEVICE from a spec (mpssd inside the simulation, MicSystem.addDevice): through the char
  // device, from a small address space of its own; the files stay open, as mpssd keeps them
  const keptFiles: VopHostFile[] = [];
  const addDeviceOn = (card: number, spec: VirtioDeviceSpec) =>
    addDeviceSpec(drv(card).vop, memoryComponents.createSparseMemory(4096, `mpssd.mic${card}`), spec, (f) => keptFiles.push(f));

  if (config.daemon === true) {
    drivers.forEach((d, i) => {
      daemons.push(
        new Mpssd({
          sched,
          who: `mpssd.mic${i}`,
          cardId: i,
          readState: () => d.state,
          readStatus: () => d.shutdownStatus,
          writeState: (verb, done) => hostWriteAttr(d, 'state', verb, done),
          writeAttr: (name, value, done) => hostWriteAttr(d, name, value, done),
          addDevice: (spec) => addDeviceOn(i, spec),
          onStateChange: (fn) => d.onStateChange(fn),
        }),
      );
    });
  }

  // power-on: the bootstraps come up; then the daemon starts
  settle();
  daemons.forEach((m) => m?.start(config.devices ?? DEFAULT_DEVICES));
  settle();

  const card = (fn: (c: Card) => boolean) => (i: number): AttrResult => (fn(cardOf(i)) ? { ok: true } : { errno: 'ENODEV' });

  const observe: SystemObservers = {
    state: (i) => drv(i).state,
    shutdownStatus: (i) => drv(i).shutdownStatus,
    cardSide: (i): CardSideState => cardOf(i).side,
    devicePage: (i) => {
      const r = platform.hostMemory.read(drv(i).dp, MIC_DP_SIZE);
      return r instanceof Uint8Array ? r : new Uint8Array(MIC_DP_SIZE);
    },
    liveDevices: (i): readonly LiveDevice[] => cardOf(i).liveDevices(),
    addedDevices: (i): readonly LiveDevice[] =>
      drv(i).vop.devices(),
    cardRings: (i) => cardOf(i).cardRings(),
    bar0Accesses: (i) => spies[i]?.log ?? [],
    hostRegWrites: (i) => regSpies[i]?.log ?? [],
    cardView: (i) => platform.cards[i]!.cardView,
    daemonWrites: (i) => daemons[i]?.writes ?? [],
    mbusDevices: (i) => dmaCards[i]?.bus.devices().map((d) => d.name) ?? [],
    trace: () => sched.trace.text(),
  };

  const vop = new VopCharDev((i) => drivers[i]?.vop);

  return {
    scheduler: sched,
    cardCount: drivers.length,
    vop,
    cardVirtio: (i) => cardOf(i).virtioDevices(),
    cardServices: (i) => cardOf(i).services,
    drivers,
    cards,
    daemons,
    writeAttr,
    readAttr: (i, name) => hostReadAttr(drv(i), platform.cards[i]!.deviceId, platform.cards[i]!.revision, name),
    addDevice: (i, spec) => addDeviceOn(i, spec),
    pmSuspend(): AttrResult {
      if (pm !== 'running') return { errno: 'EBUSY' };
      pm = 'preparing';
      chain((d, next) => d.pmPrepare(next), () => {
        pm = 'asleep';
      });
      return { ok: true };
    },
    pmResume(): AttrResult {
      if (pm !== 'asleep') return { errno: 'EBUSY' };
      pm = 'resuming';
      chain((d, next) => d.pmComplete(next), () => {
        pm = 'running';
      });
      return { ok: true };
    },
    cardHalt: card((c) => c.shutdownFromCard('halt')),
    cardPoweroff: card((c) => c.shutdownFromCard('poweroff')),
    cardRestart: card((c) => c.shutdownFromCard('restart')),
    cardPanic: card((c) => c.panic()),
    corruptImage: (i, how: ImageDamage) => cardOf(i).damageNextImage(how),
    resetNeverCompletes: (i) => sched.faults.arm(cardOf(i).resetFault, { times: 1 }),
    hostileCard: (i, action: HostileCardAction) => {
      cardOf(i);
      hostileCardAct(platform.cards[i]!, action);
    },
    settle,
    timePasses(): void {
      sched.runFor(MIC_SUSPEND_TIMEOUT_NS + 1_000_000_000, SETTLE_MAX_STEPS);
      settle();
    },
    observe,
  };
}

export const systemComponents: SystemComponents = { createSystem: createReferenceSystem };
