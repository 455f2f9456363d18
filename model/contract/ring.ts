/**
 * Contract of the virtio split ring (issue 4): the driver side (runs on the card), the device side
 * (runs on the host, vringh-like and hardened), device status and feature negotiation. Types only.
 *
 * Both ring sides take the memory they work on as parameters (MemPort), as rust-vmm's
 * virtio-queue does: on MIC the card sees desc/avail in host memory through the SMPT window and
 * its own used ring locally; the host sees desc/avail locally and the used ring and the buffers
 * through BAR0. Indices are free-running u16. Errors the other side can cause are values.
 */
import type { MemFault, MemPort } from './memory.ts';
import type { RequirementId } from '../requirements.ts';

/** a requirement id of the project's table (model/requirements.ts), e.g. "RING-08" */
export type { RequirementId };

export type RingErrorCode =
  /** queue size 0, not a power of two, or above the limit (RING-01) */
  | 'queue-size'
  /** a ring area is misaligned (RING-02) */
  | 'area-misaligned'
  /** a memory access to a ring area or an indirect table faulted */
  | 'mem-fault'
  /** avail idx moved by more than the queue size since last seen (RING-14) */
  | 'avail-idx-jump'
  /** an avail slot names a head >= num (RING-13) */
  | 'head-out-of-range'
  /** `next` outside the table it indexes (RING-09) */
  | 'next-out-of-range'
  /** more descriptors than the queue size, i.e. a loop (RING-08) */
  | 'chain-too-long'
  /** readable and writable byte total above 2^32 (RING-08) */
  | 'chain-bytes-overflow'
  /** a device-readable descriptor after a device-writable one (RING-05) */
  | 'readable-after-writable'
  /** INDIRECT inside an indirect table (RING-10) */
  | 'indirect-nested'
  /** INDIRECT together with NEXT (RING-10) */
  | 'indirect-with-next'
  /** INDIRECT without VIRTIO_RING_F_INDIRECT_DESC negotiated (RING-10) */
  | 'indirect-not-negotiated'
  /** indirect table length 0 or not a multiple of 16 (RING-11) */
  | 'indirect-len'
  /** a buffer or indirect table outside the windows granted to the device (FEAT-06, facts §6.6) */
  | 'outside-window'
  /** an avail slot names a head the device holds and has not returned (RING-19) */
  | 'head-in-flight'
  /** driver side: used idx moved by more than the number in flight (RING-15) */
  | 'used-idx-jump'
  /** driver side: used id not a head in flight (RING-15) */
  | 'used-id-invalid'
  /** driver side: used len above the chain's writable bytes (RING-15) */
  | 'used-len-too-big'
  /** device side: push of a head that is not held (our caller's mistake, still a value) */
  | 'push-not-held'
  /** driver side: not enough free descriptors (not an error of the other side; back-pressure) */
  | 'no-space'
  /** driver side: a chain the caller asked for cannot be built (no segments, too many, bad length) */
  | 'bad-request'
  /** the ring already failed; it stays failed until reset (STATUS-07) */
  | 'broken';

export interface RingError {
  readonly kind: 'ring-error';
  readonly code: RingErrorCode;
  /** the requirement the other side broke */
  readonly req: RequirementId;
  readonly detail: string;
  readonly head?: number;
  readonly fault?: MemFault;
}

/** a buffer segment: [addr, addr+len) in the address space the descriptors use */
export interface Seg {
  readonly addr: number;
  readonly len: number;
}

/** where the three areas live (addresses in the ports given beside them) */
export interface RingPlacement {
  /** queue size: power of two 1..32768 (RING-01); MIC: <= 128 */
  readonly num: number;
  readonly descAddr: number;
  readonly availAddr: number;
  readonly usedAddr: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated */
  readonly eventIdx: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated */
  readonly indirect: boolean;
  /** start both free-running indices here instead of 0 (tests reach the 2^16 wrap quickly) */
  readonly startIdx?: number;
}

export interface DriverRingConfig extends RingPlacement {
  /** the card's view: desc/avail (through the SMPT window on MIC), used, indirect tables */
  readonly mem: MemPort;
  /**
   * memory for indirect tables (card memory, in the address space descriptors use):
   * head h owns [base + h·maxEntries·16, +maxEntries·16)
   */
  readonly indirectPool?: { readonly base: number; readonly maxEntries: number };
  /** zero the three areas at creation (RING-20); default true */
  readonly zero?: boolean;
}

/** what reap() fills in */
export interface UsedOut {
  head: number;
  len: number;
  token: number;
}

/** The driver side (Linux virtio_ring.c, split ring). */
export interface DriverRing {
  readonly num: number;
  readonly numFree: number;
  /** chains added and not yet reaped */
  readonly inFlight: number;
  /** the driver's avail idx shadow (u16) */
  readonly availIdx: number;
  /** the last used idx the driver consumed (u16) */
  readonly lastUsedIdx: number;
  /** first error the device caused; sticky */
  readonly error: RingError | undefined;
  /**
   * Write a chain (readable segments first, then writable; RING-05) and put its head in the next
   * avail slot; not yet visible (publish() makes it so). indirect: use an indirect table (needs the
   * feature and a pool). Returns the head.
   */
  add(readable: readonly Seg[], writable: readonly Seg[], token: number, indirect?: boolean): number | RingError;
  /** store avail idx (after a write barrier, ORD-01); no-op if nothing new */
  publish(): void;
  /** publish(), full barrier, then decide whether the device wants a kick (NOTIF-03, ORD-02) */
  kickPrepare(): boolean;
  /** take one used entry: true and `out` filled, false if none, or the device's error */
  reap(out: UsedOut): boolean | RingError;
  /** ask the device not to interrupt (NOTIF-01/02) */
  disableCallbacks(): void;
  /** re-enable interrupts; false = used entries are already pending (re-check, NOTIF-05) */
  enableCallbacks(): boolean;
  /** after a device reset only (RING-19): take back one buffer never returned; its token, or -1 */
  detachUnused(): number;
  /** writable bytes of the chain at `head` while in flight, -1 otherwise */
  writableBytes(head: number): number;
}

export interface DeviceRingConfig extends RingPlacement {
  /** where desc + avail live for the device (host-local memory on MIC) */
  readonly ringMem: MemPort;
  /** where the used ring lives (card memory through BAR0 on MIC) */
  readonly usedMem: MemPort;
  /** the address space descriptor addresses refer to (card memory through BAR0 on MIC) */
  readonly bufMem: MemPort;
  /**
   * the ranges of bufMem granted to the device; a buffer or indirect table must lie inside one.
   * Default: the windows of bufMem when it is a WindowedView, else [0, bufMem.size).
   */
  readonly grants?: readonly Seg[];
  /** called once, with the first error the driver causes: the host sets DEVICE_NEEDS_RESET (STATUS-07) */
  readonly onError?: (e: RingError) => void;
}

/** a fetched chain; the arrays are reused by the next pop() into the same Chain */
export interface Chain {
  head: number;
  /** readable segments: addresses and lengths, counts below */
  readonly rAddr: Float64Array;
  readonly rLen: Float64Array;
  readonly wAddr: Float64Array;
  readonly wLen: Float64Array;
  nReadable: number;
  nWritable: number;
  readableBytes: number;
  writableBytes: number;
  /** descriptor reads this walk took */
  steps: number;
}

/** The device side (Linux vringh.c, hardened: every descriptor validated, bounded walk). */
export interface DeviceRing {
  readonly num: number;
  /** next avail idx to consume (u16) */
  readonly lastAvailIdx: number;
  /** the device's used idx shadow (u16) */
  readonly usedIdx: number;
  /** first error the driver caused; sticky until reset (the device then needs reset, STATUS-07) */
  readonly error: RingError | undefined;
  /** total descriptor reads over the ring's life (the hostile property bounds it) */
  readonly walkSteps: number;
  /** a Chain with arrays sized for this ring */
  newChain(): Chain;
  /** available chains not yet fetched, or the error (RING-14) */
  available(): number | RingError;
  /** fetch and validate the next chain into `chain`; false = none available */
  pop(chain: Chain): boolean | RingError;
  /** complete a fetched chain with the bytes written (RING-15/16) */
  push(head: number, len: number): RingError | undefined;
  /** whether the driver wants an interrupt for what was pushed since the last call (NOTIF-01/02) */
  needNotify(): boolean;
  /** ask the driver not to kick (NOTIF-03) */
  disableNotify(): void;
  /** re-enable kicks; true = chains became available meanwhile, go on (NOTIF-05) */
  enableNotify(): boolean;
  /** copy the chain's readable bytes from `offset` into dst; bytes copied or fault */
  readChain(chain: Chain, offset: number, dst: Uint8Array): number | MemFault;
  /** copy src into the chain's writable part from `offset`; bytes copied or fault */
  writeChain(chain: Chain, offset: number, src: Uint8Array): number | MemFault;
  /** forget all state (device reset, RESET-03): indices back to startIdx, error cleared */
  reset(): void;
}

/** ---- status and features (STATUS, FEAT, LEG-03) ---- */

export type StatusErrorCode =
  /** a write that clears bits without resetting, or adds more than one bit (STATUS-02) */
  | 'status-order'
  /** a step out of order (DRIVER before ACKNOWLEDGE, DRIVER_OK before DRIVER/FEATURES_OK) (STATUS-02) */
  | 'status-step'
  /** FEATURES_OK in the legacy interface (LEG-03) */
  | 'legacy-no-features-ok'
  /** accepted features not a subset of the offered ones (FEAT-01/02) */
  | 'features-not-offered'
  /** feature write outside the negotiation window (FEAT-03) */
  | 'features-frozen'
  /** anything but reset after FAILED (STATUS-06) */
  | 'after-failed';

export interface StatusError {
  readonly kind: 'status-error';
  readonly code: StatusErrorCode;
  readonly req: RequirementId;
  readonly detail: string;
}

/** The device's view of the status byte and the two MIC feature bitmaps. */
export interface DeviceStatus {
  readonly legacy: boolean;
  /** the status byte as the driver reads it */
  read(): number;
  /** a driver write of the whole byte; 0 resets; refused writes change nothing */
  write(value: number): StatusError | undefined;
  readonly offered: bigint;
  readonly accepted: bigint;
  /** the driver writes the accepted bitmap */
  writeFeatures(accepted: bigint): StatusError | undefined;
  /** the device hit an error (e.g. a malformed ring): set DEVICE_NEEDS_RESET (STATUS-07) */
  needsReset(): void;
  /** DRIVER_OK set and not failed: the device may process buffers (STATUS-04) */
  readonly live: boolean;
}

export interface RingComponents {
  createDriverRing(cfg: DriverRingConfig): DriverRing | RingError;
  createDeviceRing(cfg: DeviceRingConfig): DeviceRing | RingError;
  createDeviceStatus(opts: { legacy: boolean; offered: bigint }): DeviceStatus;
  /** vring_need_event(event, new, old) (NOTIF-02) */
  needEvent(event: number, newIdx: number, oldIdx: number): boolean;
  /** MIC feature bitmap (feature_len bytes, bit i = byte i>>3 bit i&7) to bits and back */
  featuresFromBitmap(bytes: Uint8Array): bigint;
  featuresToBitmap(bits: bigint, len: number): Uint8Array;
}
