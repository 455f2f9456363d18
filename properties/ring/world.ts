/**
 * A MIC-shaped world for ring properties (facts §6.2): host RAM holds desc + avail, card GDDR holds
 * the used ring and the buffers. The card reaches host memory through its SMPT window
 * (0x80_0000_0000 + hostAddr); the host reaches card memory only through BAR0 windows, which are
 * exactly what the device is granted. Every device-side port is wrapped in a recorder so
 * properties can check which addresses the device touched.
 */
import type { DeviceRing, DriverRing, Implementation, MemFault, MemPort, RingComponents, RingError, SparseMemory, WindowedView } from '../../model/contract.ts';
import { availSize, usedSize, vringInit } from '../../model/layout/vring.ts';

export const SMPT_BASE = 0x80_0000_0000;
export const HOST_RAM = 1 << 30;
/** 16 GiB X100 GDDR (sparse: costs only what is touched) */
export const CARD_RAM = 16 * 2 ** 30;
export const HOST_RING = 0x10_0000;
export const CARD_USED = 0x20_0000;
export const CARD_INDIRECT = 0x100_0000;
export const CARD_BUF = 0x200_0000;
/** card buffers above 4 GiB (the high word of a descriptor address is not 0) */
export const CARD_BUF_HIGH = 8 * 2 ** 30;
/** BAR0 grants: card memory minus a 2 MiB hole at 6 GiB (a hostile address may land in it) */
export const HOLE_BASE = 6 * 2 ** 30;
export const HOLE_LEN = 2 * 2 ** 20;
/** pages `migrate` uses as scratch (nothing else lives there) */
export const HOST_SCRATCH = 0x3000_0000;
export const CARD_SCRATCH = 0x1_0000_0000;

export interface Access {
  readonly port: string;
  readonly addr: number;
  readonly len: number;
  readonly write: boolean;
  readonly fault: boolean;
  /** a pin (MemPort.pin) of [addr, addr+len), for writing when `write`: its accesses are not seen one by one */
  readonly pin?: boolean;
}

/**
 * A MemPort that forwards to `inner` and records every access and whether it faulted into `log`
 * (nothing when there is no log). With `pins`
 * it also forwards `pin` and records each pin taken as one access of the whole range (what the
 * holder may then touch without being seen); without, the ring has to use the port's methods.
 */
export function recording(inner: MemPort, log: Access[] | undefined, pins = true): MemPort {
  const rec = <T>(addr: number, len: number, write: boolean, r: T): T => {
    log?.push({ port: inner.name, addr, len, write, fault: isFault(r) });
    return r;
  };
  const port: MemPort & { windows?: () => unknown } = {
    name: inner.name,
    size: inner.size,
    read8: (a) => rec(a, 1, false, inner.read8(a)),
    read16: (a) => rec(a, 2, false, inner.read16(a)),
    read32: (a) => rec(a, 4, false, inner.read32(a)),
    read64: (a) => rec(a, 8, false, inner.read64(a)),
    read64n: (a) => rec(a, 8, false, inner.read64n(a)),
    write8: (a, v) => rec(a, 1, true, inner.write8(a, v)),
    write16: (a, v) => rec(a, 2, true, inner.write16(a, v)),
    write32: (a, v) => rec(a, 4, true, inner.write32(a, v)),
    write64: (a, v) => rec(a, 8, true, inner.write64(a, v)),
    readInto: (a, d) => rec(a, d.length, false, inner.readInto(a, d)),
    read: (a, n) => rec(a, n, false, inner.read(a, n)),
    write: (a, s) => rec(a, s.length, true, inner.write(a, s)),
    fill: (a, n, b) => rec(a, n, true, inner.fill(a, n, b)),
    copy: (d, s, n) => rec(d, n, true, inner.copy(d, s, n)),
  };
  const w = (inner as { windows?: () => unknown }).windows;
  if (typeof w === 'function') port.windows = () => w.call(inner);
  if (pins && inner.pin !== undefined) {
    port.pin = (a, n, write) => {
      const p = inner.pin!(a, n, write);
      if (p !== undefined) log?.push({ port: inner.name, addr: a, len: n, write, fault: false, pin: true });
      return p;
    };
  }
  return port;
}

/**
 * A cap on the accesses a device may make, enforced by the ports it is given (not by the device's
 * own step counter): `limit` accesses after `arm`, then every further access throws. Hostile inputs
 * use it to bound a case's work, so a walk without a loop bound fails after a few hundred reads
 * instead of after the 2^28 that a 2^32-byte cap on a looping chain would allow.
 */
export class WorkBudget {
  used = 0;
  limit = Infinity;
  what = '';
  arm(limit: number, what: string): void {
    this.used = 0;
    this.limit = limit;
    this.what = what;
  }
  disarm(): void {
    this.limit = Infinity;
  }
  tick(): void {
    if (++this.used > this.limit) {
      this.limit = Infinity;
      throw new WorkBoundExceeded(`${this.what}: more than ${this.used - 1} memory accesses (work bound)`);
    }
  }
}

export class WorkBoundExceeded extends Error {}

/** a DataView on the same bytes whose every get/set first charges `budget` (for pins) */
function chargedView(v: DataView, budget: WorkBudget): DataView {
  const c = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (const k of Object.getOwnPropertyNames(DataView.prototype)) {
    if (!/^(get|set)[A-Z]/.test(k)) continue;
    const f = (DataView.prototype as unknown as Record<string, (...a: unknown[]) => unknown>)[k]!;
    Object.defineProperty(c, k, {
      value(this: DataView, ...a: unknown[]) {
        budget.tick();
        return f.apply(this, a);
      },
    });
  }
  return c;
}

/** `inner` with every access, and every access through a pin it hands out, charged to `budget` */
export function budgeted(inner: MemPort, budget: WorkBudget): MemPort {
  const charge = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    budget.tick();
    return f.apply(inner, a);
  };
  const port: MemPort & { windows?: () => unknown } = {
    name: inner.name,
    size: inner.size,
    read8: charge(inner.read8),
    read16: charge(inner.read16),
    read32: charge(inner.read32),
    read64: charge(inner.read64),
    read64n: charge(inner.read64n),
    write8: charge(inner.write8),
    write16: charge(inner.write16),
    write32: charge(inner.write32),
    write64: charge(inner.write64),
    readInto: charge(inner.readInto),
    read: charge(inner.read),
    write: charge(inner.write),
    fill: charge(inner.fill),
    copy: charge(inner.copy),
  };
  const w = (inner as { windows?: () => unknown }).windows;
  if (typeof w === 'function') port.windows = () => w.call(inner);
  if (inner.pin !== undefined) {
    port.pin = (a, n, write) => {
      budget.tick();
      const p = inner.pin!(a, n, write);
      return p === undefined ? undefined : { view: chargedView(p.view, budget), lease: p.lease };
    };
  }
  return port;
}

/** a port with every method of `inner` but `pin`: the ring then works through the checked methods */
export function withoutPins(inner: MemPort): MemPort {
  return recording(inner, undefined, false);
}

/**
 * Unmap every window of the views and map it again unchanged: the bytes stay where they are, but
 * every pin taken through the views loses its lease, so the rings must re-open their areas.
 */
export function remap(...views: WindowedView[]): void {
  for (const v of views) {
    for (const w of [...v.windows()]) {
      v.unmap(w.base);
      v.map({ base: w.base, len: w.len, port: w.port, target: w.target, label: w.label });
    }
  }
}

const PAGE = 4096;

/**
 * Move the pages of [addr, addr+len) to other backing store without changing what the port reads
 * (like page migration): each page is released (whole-page zero fill) and written back, after a
 * scratch page has taken its old backing. A pin of the old page then shows someone else's bytes,
 * so a ring that kept using a pin whose lease died reads or writes the wrong memory.
 */
export function migrate(mem: SparseMemory, addr: number, len: number, scratch: number): void {
  for (let page = Math.floor(addr / PAGE) * PAGE; page < addr + len; page += PAGE) {
    const bytes = mem.read(page, PAGE);
    if (isFault(bytes)) throw new Error(`migrate: ${bytes.reason} at 0x${page.toString(16)}`);
    mem.fill(scratch, PAGE, 0);
    mem.fill(page, PAGE, 0);
    mem.write8(scratch, 1);
    mem.write(page, bytes);
  }
}

/** what `remap` and `migrate` do to a world: its rings' pins all lose their leases, no byte changes */
export function shake(w: World): void {
  remap(w.cardView, w.bar0);
  const o = vringInit(w.cfg.num, 4096);
  migrate(w.hostRam, w.hostDesc, o.avail + availSize(w.cfg.num), HOST_SCRATCH);
  migrate(w.cardRam, w.cardUsed, usedSize(w.cfg.num), CARD_SCRATCH);
}

export interface WorldConfig {
  readonly num: number;
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  readonly startIdx: number;
  /** entries per indirect table in the driver's pool */
  readonly poolEntries?: number;
  /** whether the rings may pin their areas (default true); false runs them on the ports' methods */
  readonly pins?: boolean;
}

export interface World {
  readonly cfg: WorldConfig;
  readonly ring: RingComponents;
  readonly hostRam: SparseMemory;
  readonly cardRam: SparseMemory;
  readonly cardView: WindowedView;
  readonly bar0: WindowedView;
  /** what the device touched, through its three ports */
  readonly deviceLog: Access[];
  /** device-side addresses of the areas (host RAM for desc/avail, card physical for used) */
  readonly hostDesc: number;
  readonly hostAvail: number;
  readonly cardUsed: number;
  readonly drv: DriverRing;
  readonly dev: DeviceRing;
}

import { isRingError, isFault } from '../../model/contract/guards.ts';

export { isRingError, isFault };

export function createViews(impl: Implementation): Pick<World, 'hostRam' | 'cardRam' | 'cardView' | 'bar0'> {
  const M = impl.memory!;
  const hostRam = M.createSparseMemory(HOST_RAM, 'host.ram');
  const cardRam = M.createSparseMemory(CARD_RAM, 'card.gddr');
  const cardView = M.createWindowedView(2 * SMPT_BASE, 'card.phys');
  cardView.map({ base: 0, len: CARD_RAM, port: cardRam, target: 0, label: 'gddr' });
  cardView.map({ base: SMPT_BASE, len: HOST_RAM, port: hostRam, target: 0, label: 'smpt' });
  const bar0 = M.createWindowedView(CARD_RAM, 'host.bar0');
  bar0.map({ base: 0, len: HOLE_BASE, port: cardRam, target: 0, label: 'bar0.lo' });
  bar0.map({ base: HOLE_BASE + HOLE_LEN, len: CARD_RAM - HOLE_BASE - HOLE_LEN, port: cardRam, target: HOLE_BASE + HOLE_LEN, label: 'bar0.hi' });
  return { hostRam, cardRam, cardView, bar0 };
}

/** build driver and device over the MIC windows; a setup failure is a property failure */
export function buildWorld(impl: Implementation, cfg: WorldConfig): World {
  const ring = impl.ring!;
  const views = createViews(impl);
  const o = vringInit(cfg.num, 4096);
  const hostDesc = HOST_RING + o.desc;
  const hostAvail = HOST_RING + o.avail;
  const deviceLog: Access[] = [];
  const placement = { num: cfg.num, usedAddr: CARD_USED, eventIdx: cfg.eventIdx, indirect: cfg.indirect, startIdx: cfg.startIdx };
  const pins = cfg.pins !== false;
  const drv = ring.createDriverRing({
    ...placement,
    mem: pins ? views.cardView : withoutPins(views.cardView),
    descAddr: SMPT_BASE + hostDesc,
    availAddr: SMPT_BASE + hostAvail,
    ...(cfg.indirect ? { indirectPool: { base: CARD_INDIRECT, maxEntries: cfg.poolEntries ?? Math.min(cfg.num, 8) } } : {}),
  });
  if (isRingError(drv)) throw new Error(`driver ring setup: ${drv.code} ${drv.detail}`);
  const dev = ring.createDeviceRing({
    ...placement,
    ringMem: recording(views.hostRam, deviceLog, pins),
    usedMem: recording(views.bar0, deviceLog, pins),
    bufMem: recording(views.bar0, deviceLog, pins),
    descAddr: hostDesc,
    availAddr: hostAvail,
  });
  if (isRingError(dev)) throw new Error(`device ring setup: ${dev.code} ${dev.detail}`);
  return { cfg, ring, ...views, deviceLog, hostDesc, hostAvail, cardUsed: CARD_USED, drv, dev };
}

/** the BAR0 grants, restated: card memory without the hole */
export function granted(addr: number, len: number): boolean {
  const end = addr + len;
  return (addr >= 0 && end <= HOLE_BASE) || (addr >= HOLE_BASE + HOLE_LEN && end <= CARD_RAM);
}

/** u16 helpers restating free-running index arithmetic */
export const u16 = (n: number): number => ((n % 0x10000) + 0x10000) % 0x10000;
