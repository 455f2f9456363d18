/**
 * One host VOP device (facts §6.2, §6.4): its entry in the device page, the per-vq ring blocks and
 * bounce buffers, the vringh-like walk state, the statistics, and the wake-up flag poll reads. The
 * host keeps its own copy of everything it sized from user input (num_vq, config_len, each num):
 * the card can rewrite the entry's header bytes, and the host must never size an access by them.
 */
import type { Chain, DeviceRing, VopStats } from '../../../model/contract.ts';
import type { DescShape } from '../../../model/layout/device-page.ts';
import { VOP_NO_HEAD } from '../../../model/constants/vop.ts';

/** a position in one direction of a chain (vringh_kiov: segment index, bytes consumed in it) */
export interface IovPos {
  i: number;
  off: number;
  /** bytes consumed from this direction since the chain was fetched */
  total: number;
}

export interface HostVq {
  readonly index: number;
  readonly num: number;
  /** host RAM address of the ring block (desc + avail + _mic_vring_info), and its card address */
  readonly block: number;
  readonly blockCardAddr: number;
  readonly blockSize: number;
  /** the 64 KiB bounce buffer: host RAM address and the card (DMA) address */
  readonly bounce: number;
  readonly bounceCardAddr: number;
  /** the card's used ring (an aperture offset), once handed over; undefined until then and after a reset */
  usedAddr: number | undefined;
  /** the device side of the ring, made on the first walk after the card handed its used ring over */
  ring: DeviceRing | undefined;
  chain: Chain | undefined;
  /** vvr->head: the chain held, VOP_NO_HEAD when none */
  head: number;
  /** false when riov and wiov are both exhausted (or none was fetched) */
  active: boolean;
  readonly r: IovPos;
  readonly w: IovPos;
}

export interface MutableStats {
  inBytes: number;
  outBytes: number;
  inBytesDma: number;
  outBytesDma: number;
  txLenUnaligned: number;
  txDstUnaligned: number;
}

export class HostVdev {
  /** the host's own copy of the desc header it sized the entry with */
  readonly shape: DescShape;
  readonly stats: MutableStats = { inBytes: 0, outBytes: 0, inBytesDma: 0, outBytesDma: 0, txLenUnaligned: 0, txDstUnaligned: 0 };
  /** poll_wake: set by a card doorbell for this device and by device resets, cleared by poll */
  pollWake = false;
  /** removed (type −1 written by the host); nothing of it is touched any more */
  removed = false;
  /** an ioctl holds the vq mutexes: the bottom half waits for it */
  busy = 0;
  bhPending = false;
  /** a reset the card stop asked for while an ioctl held the mutexes */
  resetPending = false;
  /** the bottom half's scheduler event and its label, made on the first doorbell (host-vop.ts) */
  bhFn: (() => void) | undefined = undefined;
  bhWhat = '';

  constructor(
    readonly type: number,
    /** entry offset in the device page */
    readonly offset: number,
    shape: DescShape,
    readonly vqs: readonly HostVq[],
    readonly c2hDb: number,
  ) {
    this.shape = { numVq: shape.numVq, featureLen: shape.featureLen, configLen: shape.configLen };
  }

  get numVq(): number {
    return this.shape.numVq;
  }

  statsView(): VopStats {
    return { ...this.stats };
  }
}

export function newVq(index: number, num: number, block: number, blockCardAddr: number, blockSize: number, bounce: number, bounceCardAddr: number): HostVq {
  return {
    index, num, block, blockCardAddr, blockSize, bounce, bounceCardAddr,
    usedAddr: undefined, ring: undefined, chain: undefined, head: VOP_NO_HEAD, active: false,
    r: { i: 0, off: 0, total: 0 }, w: { i: 0, off: 0, total: 0 },
  };
}

/** forget the chain held (vringh_kiov_cleanup + head := USHRT_MAX) */
export function dropChain(vq: HostVq): void {
  vq.head = VOP_NO_HEAD;
  vq.active = false;
  vq.r.i = vq.r.off = vq.r.total = 0;
  vq.w.i = vq.w.off = vq.w.total = 0;
}
