/**
 * Contract of a whole system: one host and N cards on the bus, the host driver's sysfs-like
 * interface, OS power management, card-side software controls, fault injection, the scheduler and
 * read-only observers (issue 5; DESIGN.md §5). Types only.
 *
 * Time: `settle()` runs the system until nothing is ready and the only pending timers are the PM
 * notifier's 60 s suspend waits (a card reset, all its 45 polls, a shutdown and its report complete
 * inside it: virtual time costs nothing). `timePasses()` lets those waits expire and settles again.
 */
import type { ChoiceSource, Scheduler } from './sim.ts';
import type { MemPort } from './memory.ts';
import type { DmaPublication } from './dma.ts';
import type { CardVirtioDevice, VopCharDevice, VopHostFactory } from './vop.ts';
import type { CardServices } from './devices.ts';

export type LifecycleErrno = 'EINVAL' | 'ENOENT' | 'EACCES' | 'EBUSY' | 'ENODEV' | 'EIO' | 'ENOMEM';

/** a write's outcome: like write(2) on sysfs, success or the errno the writer sees */
export type AttrResult = { readonly ok: true } | { readonly errno: LifecycleErrno };

/**
 * The card as its own software sees it (model/machines/card-side.ts): hardware reset, bootstrap
 * waiting for a download, OS running, OS shutting down, halted after an orderly shutdown, crashed,
 * or an image the bootstrap refused.
 */
export type CardSideState = 'in_reset' | 'bootstrap_ready' | 'os_running' | 'shutting_down' | 'halted' | 'crashed' | 'image_rejected';

/** the ways `corruptImage` damages the next downloaded image */
export type ImageDamage = 'checksum' | 'magic' | 'truncated';

/**
 * What a malicious (or broken) card can do to the host without any card software rule: the card is
 * untrusted (DESIGN.md §6). Values are raw: nothing is range-checked on the card side.
 *  - spad2: write SPAD2 (DOWNLOAD_INFO: ready bit 0, APIC id 9:1, boot address 31:12; facts §3)
 *  - dpByte: write one byte of the device page at `offset` (0..4095, through the card's SMPT window;
 *    facts §5) — e.g. a bootparam field it owns, a ctrl field, or one it does not own
 *  - ringHost: write DBREQ to SDBIC<db> (facts §1.5); a db with no SDBIC register does nothing
 *  - cardMem: bytes anywhere the card's physical view reaches (descriptors, avail, used rings, buffers)
 */
export type HostileCardAction =
  | { readonly kind: 'spad2'; readonly value: number }
  | { readonly kind: 'dpByte'; readonly offset: number; readonly value: number }
  | { readonly kind: 'ringHost'; readonly db: number }
  /**
   * any bytes at a card physical address, through the card's own view: its GDDR (used rings,
   * buffers) or host memory through its SMPT window (the desc/avail blocks the host mapped for it);
   * an address the card cannot reach writes nothing
   */
  | { readonly kind: 'cardMem'; readonly addr: number; readonly bytes: Uint8Array };

/** one host driver write to a BAR4 register, as seen by an observer */
export interface Bar4Write {
  readonly t: number;
  /** absolute BAR4 offset */
  readonly off: number;
  readonly value: number;
  /** host-visible state of the card at the time of the write */
  readonly state: string;
}

/** a virtio device the card OS has bound and brought to DRIVER_OK */
export interface LiveDevice {
  /** virtio device id (1 net, 2 block, 3 console) */
  readonly type: number;
  /** offset of its entry in the device page */
  readonly offset: number;
  readonly numVq: number;
}

/** a card-memory range the card allocated as a used ring (the only card rings the host may write) */
export interface CardRing {
  readonly cardAddr: number;
  readonly len: number;
}

/** one host access into card memory through BAR0, as seen by an observer */
export interface Bar0Access {
  readonly t: number;
  readonly addr: number;
  readonly len: number;
  readonly write: boolean;
  /** host-visible state of the card at the time of the access */
  readonly state: string;
}

export interface VirtioDeviceSpec {
  readonly type: number;
  readonly numVq: number;
  readonly num: number;
  readonly featureLen: number;
  readonly configLen: number;
}

/**
 * a store into memory the other side reads: the host's into host RAM (device page, ring blocks) or
 * card memory through the aperture, or the card software's through its physical view ('card':
 * descriptors and avail in the host's ring blocks through the SMPT window, its used rings)
 */
export interface HostStore {
  readonly space: 'host-ram' | 'aperture' | 'card';
  /** host physical address, card address (aperture offset), or card physical address */
  readonly addr: number;
  readonly len: number;
}

export interface SystemConfig {
  readonly cards?: number;
  readonly seed?: number;
  /** interleaving choices (fast-check values in properties) */
  readonly choices?: ChoiceSource;
  readonly trace?: boolean;
  /** run our mpssd: adds `devices` and applies the boot policy (default false) */
  readonly daemon?: boolean;
  /**
   * the card OS runs its virtio drivers and services (`cardServices`): they bind every console, net
   * and block device the transport finds and post buffers on it. Default: on with `daemon`, off
   * without it, where a test drives the card's devices itself through `cardVirtio`.
   */
  readonly cardDrivers?: boolean;
  /** virtio devices the daemon adds to each card (default: console + net as mpssd does) */
  readonly devices?: readonly VirtioDeviceSpec[];
  /** the host's firmware search path: name → file bytes (default: a good card OS image as 'mic/uos.img' and a ramdisk 'mic/mic0.image') */
  readonly firmware?: Readonly<Record<string, Uint8Array>>;
  readonly cardMemoryBytes?: number;
  /**
   * attach the DMA engine and mic bus per card (default false): the host registers MBUS_DEV_DMA_HOST
   * at card start and removes it at stop, the card OS registers MBUS_DEV_DMA_MIC when it comes up
   */
  readonly dma?: boolean;
  /**
   * record every host BAR0 access and BAR4 write for the observers (default true); long runs and
   * benchmarks turn it off, and `bar0Accesses` / `hostRegWrites` then stay empty
   */
  readonly accessLogs?: boolean;
  /**
   * Called after every store the host driver makes into host RAM or through the aperture, and every
   * store the card's software makes through its physical view, before the next one (DESIGN.md §3:
   * the finest granularity). On the real bus the card runs at the same time
   * and PCIe writes are posted, so each call is a point where the card could look: a publication
   * oracle checks there that what the card would read is consistent. Setting it routes every host
   * store through a probe (no pinned fast path). A store the host makes while the callback runs is
   * a bug of the callback.
   */
  readonly publications?: (card: number, store: HostStore) => void;
  /**
   * With `dma`: every store a DMA client makes into its descriptor ring and every register write it
   * makes (DmaAttachOptions.publications, per card), so the descriptor rings the host VOP copies
   * through are checked at the finest granularity too. Unset: the DMA clients keep their pinned
   * fast path.
   */
  readonly dmaPublications?: (card: number, point: DmaPublication) => void;
  /**
   * the host VOP of every card (default: the reference's). A plug-in replaces just this layer and
   * runs the VOP properties against it: `{ ...reference, system: { createSystem: (c) =>
   * reference.system.createSystem({ ...c, hostVop: ours }) } }`
   */
  readonly hostVop?: VopHostFactory;
  /** PCI revision (stepping) */
  readonly revision?: number;
  readonly deviceId?: number;
}

export interface MicSystem {
  readonly scheduler: Scheduler;
  readonly cardCount: number;

  /** sysfs class `mic`, device micN (facts §4.5); a single trailing newline of `value` is stripped */
  writeAttr(card: number, name: string, value: string): AttrResult;
  /** attribute text without the trailing newline sysfs would print; unknown name → ENOENT */
  readAttr(card: number, name: string): string | { readonly errno: LifecycleErrno };

  /**
   * MIC_VIRTIO_ADD_DEVICE from user space on card's device node (facts §6.5), as mpssd issues it:
   * the offset of the new entry in the device page, or the errno (EINVAL for a desc the driver
   * refuses or no free slot, ENOMEM). Fields a C u8/u16 could not hold are EINVAL. No settle.
   */
  addDevice(card: number, spec: VirtioDeviceSpec): { readonly ok: true; readonly offset: number } | { readonly errno: LifecycleErrno };

  /**
   * The host char devices /dev/vop_virtio<N> (facts §6.5): what user space (mpssd) is built on.
   * Calls that wait run the simulation (process context, see model/contract/vop.ts).
   */
  readonly vop: VopCharDevice;
  /** the virtio devices card N's VOP transport bound, as its drivers use them (empty when no OS runs) */
  cardVirtio(card: number): readonly CardVirtioDevice[];
  /**
   * card N's virtio drivers and small services (model/contract/devices.ts): the same object for the
   * life of the system, following every OS generation of the card
   */
  cardServices(card: number): CardServices;

  /** OS power management (facts §4.2): PM prepare notifier; EBUSY while a PM transition is in progress */
  pmSuspend(): AttrResult;
  /** post suspend notifier; EBUSY unless the system is asleep (prepare finished) */
  pmResume(): AttrResult;

  /** card software (facts §4.1); ENODEV when the card OS is not running */
  cardHalt(card: number): AttrResult;
  cardPoweroff(card: number): AttrResult;
  cardRestart(card: number): AttrResult;
  cardPanic(card: number): AttrResult;

  /** damage the next image the host downloads to this card */
  corruptImage(card: number, how: ImageDamage): void;
  /** the next hardware reset of this card never completes (SPAD2 never says ready) */
  resetNeverCompletes(card: number): void;
  /** the card misbehaves at once (hostile input to the host, DESIGN.md §6); no settle */
  hostileCard(card: number, action: HostileCardAction): void;

  /** run until nothing is ready and only PM suspend waits are pending */
  settle(): void;
  /** let at least 60 s of virtual time pass, then settle */
  timePasses(): void;

  readonly observe: SystemObservers;
}

export interface SystemObservers {
  state(card: number): string;
  shutdownStatus(card: number): string;
  cardSide(card: number): CardSideState;
  /** a copy of the 4096-byte device page */
  devicePage(card: number): Uint8Array;
  liveDevices(card: number): readonly LiveDevice[];
  /** the devices the daemon added (device-page offsets), empty without the daemon */
  addedDevices(card: number): readonly LiveDevice[];
  cardRings(card: number): readonly CardRing[];
  /** every host BAR0 access since creation */
  bar0Accesses(card: number): readonly Bar0Access[];
  /** every BAR4 register write of the host driver since creation (doorbells, SPADs, reset, interrupt enables) */
  hostRegWrites(card: number): readonly Bar4Write[];
  /** the card's physical address space (read it, never write it) */
  cardView(card: number): MemPort;
  /** names of the DMA mbus devices registered for this card (empty without `dma`) */
  mbusDevices(card: number): readonly string[];
  /** the daemon's state writes, in order */
  daemonWrites(card: number): readonly string[];
  trace(): string;
}

export interface SystemComponents {
  createSystem(config?: SystemConfig): MicSystem;
}
