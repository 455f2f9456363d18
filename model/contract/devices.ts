/**
 * Contract of the virtio devices end to end (issue 10; facts §8, requirements NET, CON, BLK): the
 * card's drivers and services as a property (or a person) talks to them, and the host daemon built
 * on the char-device interface with its backends. Types only.
 *
 * The card side persists per card across boots: a listener registered once keeps hearing the
 * drivers of every later OS generation; `live` says whether a driver is bound right now. Requests a
 * card reset, crash or device removal takes away are never completed (their callers learn it
 * through `detached`), exactly as a real card loses them with its memory.
 *
 * The daemon runs in process context (model/contract/vop.ts): `pump` issues the blocking calls of
 * the char-device interface, so call it between scheduler steps, never from inside an event.
 */
import type { MicSystem } from './system.ts';
import type { CardVirtioError } from './vop.ts';

/** the card's virtio console (hvc0): two queues, no multiport (facts §8.2) */
export interface CardConsole {
  /** a driver is bound to a live console device */
  readonly live: boolean;
  /** queue bytes for the host; returns how many were taken (fewer when the transmit queue is full) */
  write(bytes: Uint8Array): number;
  /** bytes the host sent, in order, as the driver receives them (the shell hears them too) */
  onInput(fn: (bytes: Uint8Array) => void): () => void;
  /** bytes written and not yet completed by the host */
  readonly pending: number;
  /**
   * the card's shell reads typed lines and answers on this console (default true: a prompt when the
   * console comes up, one answer per line); a property streaming raw bytes both ways turns it off
   */
  shell: boolean;
}

/** counted since the system was made, across every boot of the card */
export interface CardNetStats {
  readonly txFrames: number;
  readonly rxFrames: number;
  /** frames the card dropped (malformed header, no room) */
  readonly rxDropped: number;
  /** receive buffers posted (at DRIVER_OK and one per buffer reaped) */
  readonly refills: number;
  /** times the receive queue was found with no buffer posted while live */
  readonly rxEmpty: number;
}

/** the card's virtio-net driver: legacy 10-byte header, receive buffers of MAX_NET_PKT_SIZE */
export interface CardNet {
  readonly live: boolean;
  /** the MAC the card picked (no VIRTIO_NET_F_MAC offered, facts §8.2) */
  readonly mac: Uint8Array;
  /** send one Ethernet frame (the driver prepends the header); false when the transmit queue is full */
  send(frame: Uint8Array): boolean;
  /** every frame received (header stripped), in order */
  onFrame(fn: (frame: Uint8Array) => void): () => void;
  readonly stats: CardNetStats;
}

/** a block request as the card's block layer issues it */
export type BlkRequest =
  | { readonly type: 'in'; readonly sector: number; readonly sectors: number }
  | { readonly type: 'out'; readonly sector: number; readonly data: Uint8Array }
  | { readonly type: 'flush' }
  | { readonly type: 'get-id' }
  /** any other request type number (the device must answer UNSUPP) */
  | { readonly type: 'raw'; readonly code: number; readonly sector: number; readonly dataLen: number };

/** how the descriptors of one request are split (a property's choice; default one segment each) */
export interface BlkSplit {
  /** data segment lengths (sum = data length); at most seg_max segments */
  readonly data?: readonly number[];
  /** the 16-byte header in two descriptors at this cut (1..15) */
  readonly headerCut?: number;
}

export interface BlkCompletion {
  /** VIRTIO_BLK_S_OK / IOERR / UNSUPP as the host wrote it, or -1 if the status byte never came */
  readonly status: number;
  /** the bytes the host wrote into the data segments ('in', 'get-id') */
  readonly data: Uint8Array;
  /** the used length the host reported */
  readonly len: number;
}

/** the card's virtio-blk driver: one queue, 16-byte header, IN / OUT / FLUSH / GET_ID */
export interface CardBlk {
  readonly live: boolean;
  /** capacity in 512-byte sectors, from the config */
  readonly capacity: number;
  /** seg_max from the config (with VIRTIO_BLK_F_SEG_MAX) */
  readonly segMax: number;
  /** VIRTIO_BLK_F_RO was offered: the driver refuses writes itself */
  readonly readOnly: boolean;
  /**
   * queue a request; `done` runs when the host completes it (from the card's interrupt). Returns the
   * request's id (unique for the card's life; `detached` lists it if a reset, crash or removal takes
   * it) or why it was refused: not-live, bad-request (a write with RO, an invalid split), no-space.
   * A sector past the capacity is sent all the same: the device must refuse it (BLK-05).
   */
  submit(req: BlkRequest, done: (c: BlkCompletion) => void, split?: BlkSplit): number | CardVirtioError;
  kick(): void;
  readonly inFlight: number;
}

/** the card's small IPv4 stack on the net device (ARP, ICMP echo, UDP echo, facts §8.5 address) */
export interface CardIp {
  /** dotted quad from the kernel command line (`ifcfg=static;address,...`), undefined before boot */
  readonly address: string | undefined;
  readonly stats: { readonly arpReplies: number; readonly echoReplies: number; readonly udpEchoes: number; readonly dropped: number };
}

/** one card's drivers and services; the same object for the life of the system */
export interface CardServices {
  readonly console: CardConsole;
  readonly net: CardNet;
  readonly blk: CardBlk;
  readonly ip: CardIp;
  /**
   * what a reset, crash or removal took away since the last call, and forget it: console bytes
   * written and never completed, net frames sent and never completed, block request ids
   */
  detached(): { readonly console: number; readonly net: number; readonly blk: readonly number[] };
}

/** host end of the console (a pty, a socket, or an in-memory twin) */
export interface ConsoleBackend {
  /** bytes typed for the card, if any (taken) */
  take(): Uint8Array | undefined;
  /** bytes the card printed */
  put(bytes: Uint8Array): void;
}

/** host end of the network (a TAP, a UDP tunnel, or an in-memory twin): whole Ethernet frames */
export interface NetBackend {
  /** a frame for the card, if any (taken) */
  take(): Uint8Array | undefined;
  /** a frame the card sent */
  put(frame: Uint8Array): void;
}

/** an I/O error from a store */
export type BlockIoError = { readonly error: 'EIO' };

/** the disk behind the block device (a file, or an in-memory twin) */
export interface BlockBackend {
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  /** the 20-byte GET_ID answer (shorter is zero padded) */
  readonly id: Uint8Array;
  read(offset: number, len: number): Uint8Array | BlockIoError;
  write(offset: number, bytes: Uint8Array): true | BlockIoError;
  flush(): true | BlockIoError;
}

export interface DaemonCardConfig {
  readonly card: number;
  readonly console?: ConsoleBackend;
  readonly net?: NetBackend;
  readonly block?: BlockBackend;
}

export interface DaemonDeviceStats {
  readonly type: number;
  readonly fd: number | undefined;
  readonly toCard: number;
  readonly fromCard: number;
  /** requests answered with a status other than OK (block) or frames refused (net) */
  readonly refused: number;
  /** the last errno a char-device call for this device returned (e.g. ENOMEM while the host's DMA channel is halted) */
  readonly lastErrno?: string;
}

/** our mpssd's device part: per card, open, ADD_DEVICE, and the loops of facts §8.4 */
export interface DeviceDaemon {
  /** open each device node and add the devices; errno text per device that could not be added */
  start(): readonly string[];
  /** process context: run every loop as far as it can go without waiting; true when anything moved */
  pump(): boolean;
  /** close every fd (hot-remove of each device); the daemon can be started again */
  stop(): void;
  /** host-initiated hot-remove of card's device of virtio `type` and its re-add (close, open, ADD_DEVICE); errors as start's */
  restartDevice(card: number, type: number): readonly string[];
  stats(card: number): readonly DaemonDeviceStats[];
}

export interface DaemonComponents {
  createDaemon(sys: MicSystem, cards: readonly DaemonCardConfig[]): DeviceDaemon;
  /**
   * process context: alternate the daemon's pump with scheduler steps until `until()` holds, the
   * system is idle with nothing to pump, or `maxSteps` scheduler steps ran; returns until()
   */
  run(sys: MicSystem, daemon: DeviceDaemon, until: () => boolean, limits?: { readonly maxSteps?: number; readonly maxTimeNs?: number }): boolean;
}
