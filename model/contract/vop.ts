/**
 * Contract of virtio over PCIe (issue 9; facts §5, §6): the host's char-device interface per card
 * (what mpssd is built on) and the card's virtio devices as their drivers see them. Types only.
 *
 * User memory is explicit: a process opens a card's node with its own address space (a MemPort,
 * usually with holes), and every pointer an ioctl argument carries is an address in that space, so
 * a bad pointer is a real EFAULT. Calls that wait (COPY_DESC through DMA, CONFIG_CHANGE, close)
 * run the simulation while they wait, as a blocking system call lets the rest of the machine run:
 * call them from process context (tests, the CLI, a daemon loop), never from inside a scheduler
 * event.
 */
import type { MemPort } from './memory.ts';
import type { Scheduler } from './sim.ts';
import type { Smpt } from './pcie.ts';
import type { DmaChan } from './dma.ts';
import type { LiveDevice } from './system.ts';

/** errno names the char device returns (facts §6.5) */
export type VopErrno = 'EINVAL' | 'EFAULT' | 'ENODEV' | 'ENOMEM' | 'EIO' | 'EBUSY' | 'EACCES' | 'ENOIOCTLCMD' | 'EBADF';

/** a system call's outcome: its non-negative return value, or the errno (the C call returns −errno) */
export type VopResult = { readonly ok: true; readonly value: number } | { readonly errno: VopErrno };

/** per-device copy statistics (facts §6.6) */
export interface VopStats {
  /** card → host bytes (readable descriptors) */
  readonly inBytes: number;
  /** host → card bytes (writable descriptors) */
  readonly outBytes: number;
  readonly inBytesDma: number;
  readonly outBytesDma: number;
  /** host → card copies that went by CPU because the length was not a multiple of 64 in the room left */
  readonly txLenUnaligned: number;
  /** host → card copies that went by CPU because the card address was not 64-byte aligned */
  readonly txDstUnaligned: number;
}

/** /dev/vop_virtio<N> of every card (facts §6.5) */
export interface VopCharDevice {
  /** open card N's node; `user` is the caller's address space. ENODEV: no such card */
  open(card: number, user: MemPort): { readonly ok: true; readonly fd: number } | { readonly errno: VopErrno };
  /**
   * ioctl(fd, cmd, arg): MIC_VIRTIO_ADD_DEVICE / COPY_DESC / CONFIG_CHANGE with the 64-bit numbers
   * (model/constants/vop.ts); `arg` is an address in the caller's memory. Any other number (the
   * 32-bit ones included) is ENOIOCTLCMD; a closed or unknown fd is EBADF.
   */
  ioctl(fd: number, cmd: number, arg: number): VopResult;
  /** POLLIN|POLLOUT once per wake-up event, then 0; POLLERR when the fd has no device (or it was removed); POLLNVAL for an fd not open */
  poll(fd: number): number;
  /**
   * read-only mapping: offset 0 the device page, 4096 the first ring block, then each next block;
   * every region must start exactly at its offset (EINVAL), PROT_WRITE is EACCES, no device EINVAL.
   * The view is live (it shows the host's memory as it changes); its writes fault.
   */
  mmap(fd: number, offset: number, len: number, prot: number): { readonly ok: true; readonly view: MemPort } | { readonly errno: VopErrno };
  /** release: a device added on this fd is hot-removed (the DEV_REMOVE handshake, facts §6.7) */
  close(fd: number): VopResult;
  /** the copy statistics of the device added on fd */
  stats(fd: number): VopStats | undefined;
}

/** one completed buffer as the card driver reaps it */
export interface CardCompletion {
  readonly token: number;
  /** used length the host reported */
  readonly len: number;
  /** the bytes of the writable segments, in order, up to `len` (as far as they reach) */
  readonly written: Uint8Array;
}

/** why a card driver operation was refused */
export interface CardVirtioError {
  readonly kind: 'card-virtio-error';
  readonly reason: 'not-live' | 'no-queue' | 'no-space' | 'no-memory' | 'bad-request' | 'ring-error';
  readonly detail: string;
}

/**
 * What a card driver hears from its device (the virtio core's probe / remove / vring interrupt):
 *  - live: DRIVER_OK was set after the used-address handshake (queues usable);
 *  - down: the driver lost the device (a reset handshake started, the transport unbound it, the
 *    card crashed or was reset); buffers in flight are in `takeDetached` by then. `gone` is true when
 *    the device will never come back (removal, crash, teardown), false when a reprobe follows;
 *  - interrupt: the device interrupt ran and collected what the host returned (reap each queue).
 */
export interface CardVirtioEvents {
  live?(): void;
  down?(gone: boolean): void;
  interrupt?(): void;
}

/**
 * A virtio device the card's VOP transport bound (facts §6.3): the small API card drivers use.
 * Buffers are card memory the transport allocates; `add` copies the readable bytes there.
 */
export interface CardVirtioDevice {
  /** device-page offset of its entry (stable identity while bound) */
  readonly offset: number;
  readonly type: number;
  readonly numVq: number;
  /** the status byte as the card wrote it */
  readonly status: number;
  /** DRIVER_OK and the rings are up */
  readonly live: boolean;
  /** bits 0..31 the card accepted (get_features accumulates into 32 bits, facts §6.3) */
  readonly features: number;
  /** config-changed callbacks the host caused (CONFIG_CHANGED acknowledged) */
  readonly configChanges: number;
  /** get_config: bounded by config_len (bytes beyond it read as nothing, facts §6.3) */
  readConfig(offset: number, len: number): Uint8Array;
  /**
   * queue a buffer: readable bytes (device-readable), writable lengths; returns its token. Each
   * segment's card address is ≡ `misalign` (mod 64) (default 0: 64-byte aligned), so callers reach
   * every DMA alignment case.
   */
  add(vq: number, readable: readonly Uint8Array[], writable: readonly number[], misalign?: number): number | CardVirtioError;
  /** publish and notify the host if it wants it (rings c2h_vdev_db); true when the doorbell rang */
  kick(vq: number): boolean;
  /** every completion the host returned so far on vq, oldest first, and forget them */
  reap(vq: number): readonly CardCompletion[] | CardVirtioError;
  /** buffers added and not yet completed on vq */
  inFlight(vq: number): number;
  /** the virtio reset handshake (vdev_reset / host_ack, facts §6.3), then the driver probes again */
  reset(): void;
  /**
   * the card removes the device by itself (its driver unbinds): DEV_REMOVE processed locally, the
   * reset handshake if it was up, type −1 (facts §6.7); false if it is no longer bound
   */
  remove(): boolean;
  /** tokens of buffers the driver took back without a completion (a reset or removal), and forget them */
  takeDetached(): number[];
  /** hear the device's life and interrupts (optional to use: a poller can reap instead); returns unsubscribe */
  listen(events: CardVirtioEvents): () => void;
}

/**
 * What the host driver gives its VOP side for one card (vop_bus / the host's vop_hw_ops, facts
 * §6.1): the device page and host RAM, the aperture, the SMPT, host doorbells, the card's
 * doorbells, the DMA channel, and a way to wait in process context. A host VOP of your own gets
 * exactly this (SystemConfig.hostVop).
 */
export interface VopHostEnv {
  readonly card: number;
  readonly sched: Scheduler;
  /** the agent name the host driver's events run under */
  readonly who: string;
  /** host RAM: the device page, ring blocks and bounce buffers live here */
  readonly hostMem: MemPort;
  /** host address of the 4096-byte device page */
  readonly dp: number;
  /** the aperture: card memory as the host CPU reaches it (used rings, buffers) */
  readonly bar0: MemPort;
  /** map host RAM for the card (ring blocks, bounce buffers) */
  readonly smpt: Smpt;
  /** zeroed host RAM, page aligned; undefined = ENOMEM */
  alloc(size: number): number | undefined;
  /** a host doorbell (round robin) and its handler: the card rings it for a device */
  nextDb(): number;
  onDoorbell(db: number, cb: () => void): void;
  /** ring card doorbell `db` (0..15) */
  sendIntr(db: number): void;
  /** host DMA channel 0 of the card while it is usable, undefined otherwise */
  dmaChan(): DmaChan | undefined;
  /** process context: let `ns` of virtual time pass while the simulation runs */
  sleep(ns: number): void;
}

/** one open file of /dev/vop_virtio<N> */
export interface VopHostFile {
  ioctl(cmd: number, arg: number): VopResult;
  poll(): number;
  mmap(offset: number, len: number, prot: number): { readonly ok: true; readonly view: MemPort } | { readonly errno: VopErrno };
  /** the last close: hot-remove of the file's device */
  release(): VopResult;
  stats(): VopStats | undefined;
}

/** the host side of VOP for one card */
export interface VopHost {
  /** open the card's node; `user` is the caller's address space */
  open(user: MemPort): VopHostFile;
  /** the card stopped: reset every device (facts §4.1 mic_virtio_reset_devices, §6.4 step 2) */
  resetDevices(): void;
  /** the devices user space added and not yet removed, for observers */
  devices(): readonly LiveDevice[];
}

/** how a system makes the host VOP of each card: the reference's, or yours */
export type VopHostFactory = (env: VopHostEnv) => VopHost;
