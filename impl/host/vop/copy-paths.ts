/**
 * The host's data copies between a card buffer and user memory (facts §6.6), one descriptor part
 * at a time:
 *  - card → user (a readable descriptor): with a DMA channel always by DMA into the vring's 64 KiB
 *    bounce buffer, the source rounded down to 64 bytes and every chunk's length rounded up to 64
 *    (so up to 63 bytes are read on either side of the buffer; the aperture is a multiple of 64,
 *    so they stay inside it), then the wanted bytes out of the bounce buffer; without a channel a
 *    CPU copy from the aperture.
 *  - user → card (a writable descriptor): by DMA only when the card address is 64-byte aligned and
 *    the rounded length fits in what is left of the descriptor (the counters record the fallback);
 *    otherwise the CPU path through the bounce buffer in ≤ 64 KiB pieces (the 2020 fix).
 * Every DMA transfer is prep (with FENCE) → submit → issue → dma_sync_wait on the host channel.
 * A return of 0 is success, a positive number the DMA status of a wait that did not complete
 * (DMA_ERROR), an errno a refused step (no channel EBUSY, prep or submit ENOMEM, a user fault EFAULT).
 */
import type { DmaChan, MemPort, VopErrno } from '../../../model/contract.ts';
import { DMA_PREP_FENCE } from '../../../model/constants/dma.ts';
import { DMA_ERROR_STATUS, VOP_DMA_ALIGN, VOP_DMA_WAIT_NS, VOP_INT_DMA_BUF_SIZE } from '../../../model/constants/vop.ts';
import { alignUp as alignTo } from '../../../model/layout/table.ts';
import { copyBetween } from '../../memory/copy.ts';
import type { HostVq, MutableStats } from './vdev.ts';

export type CopyRet = number | VopErrno;

export interface CopyDeps {
  /** host RAM, where the bounce buffers live */
  readonly hostMem: MemPort;
  /** the aperture: card memory as the host's CPU reaches it */
  readonly bar0: MemPort;
  /** host channel 0 of the card while the card is up and the host DMA device bound, else undefined */
  dmaChan(): DmaChan | undefined;
}

const ALIGN_MASK = VOP_DMA_ALIGN - 1;
const alignUp = (n: number): number => alignTo(n, VOP_DMA_ALIGN);

/** vop_sync_dma: one fenced memcpy, waited for synchronously */
function syncDma(chan: DmaChan, dst: number, src: number, len: number): CopyRet {
  const tx = chan.prepMemcpy(dst, src, len, DMA_PREP_FENCE);
  if ('kind' in tx) return 'ENOMEM';
  const cookie = tx.submit();
  if (typeof cookie !== 'number') return 'ENOMEM';
  chan.issuePending();
  if (chan.syncWait(cookie, VOP_DMA_WAIT_NS) === 'complete') return 0;
  // [decision] a channel the failed copy left halted (DCHERR) is set up again, so the caller's next
  // COPY_DESC can use DMA; this one still fails and completes nothing. Linux's mic_x100_dma has no
  // such recovery: the channel stayed halted until the card was reset and the module re-probed.
  if (chan.phase === 'halted') chan.reinit();
  return DMA_ERROR_STATUS;
}

/** vop_virtio_copy_to_user: `len` bytes of the card buffer at `cardAddr` into user memory at `ubuf` */
export function copyToUser(d: CopyDeps, vq: HostVq, stats: MutableStats, user: MemPort, ubuf: number, len: number, cardAddr: number): CopyRet {
  const chan = d.dmaChan();
  if (chan === undefined) {
    if (copyBetween(d.bar0, cardAddr, user, ubuf, len) !== undefined) return 'EFAULT';
    stats.inBytes += len;
    return 0;
  }
  let off = cardAddr & ALIGN_MASK;
  let src = cardAddr - off;
  let left = len + off;
  let delivered = 0;
  while (left > 0) {
    const part = Math.min(left, VOP_INT_DMA_BUF_SIZE);
    const st = syncDma(chan, vq.bounceCardAddr, src, alignUp(part));
    if (st !== 0) return st;
    const want = part - off;
    // the user pointer advances by what was delivered (the Linux code advanced it by the whole
    // chunk, skipping `off` bytes of user memory after a first unaligned chunk: README "Decisions")
    if (copyBetween(d.hostMem, vq.bounce + off, user, ubuf + delivered, want) !== undefined) return 'EFAULT';
    delivered += want;
    stats.inBytesDma += want;
    stats.inBytes += want;
    src += part;
    left -= part;
    off = 0;
  }
  return 0;
}

/**
 * vop_virtio_copy_from_user: `len` bytes of user memory at `ubuf` into the card buffer at
 * `cardAddr`, where `room` bytes of the descriptor are left (the DMA may write up to the rounded length)
 */
export function copyFromUser(d: CopyDeps, vq: HostVq, stats: MutableStats, user: MemPort, ubuf: number, len: number, cardAddr: number, room: number): CopyRet {
  const chan = d.dmaChan();
  if (chan !== undefined) {
    if ((cardAddr & ALIGN_MASK) !== 0) stats.txDstUnaligned += len;
    else if (alignUp(len) > room) stats.txLenUnaligned += len;
    else {
      for (let done = 0; done < len; ) {
        const part = Math.min(len - done, VOP_INT_DMA_BUF_SIZE);
        if (copyBetween(user, ubuf + done, d.hostMem, vq.bounce, part) !== undefined) return 'EFAULT';
        const st = syncDma(chan, cardAddr + done, vq.bounceCardAddr, alignUp(part));
        if (st !== 0) return st;
        done += part;
        stats.outBytesDma += part;
        stats.outBytes += part;
      }
      return 0;
    }
  }
  // CPU path: user → bounce buffer → I/O memory, in pieces the bounce buffer holds
  for (let done = 0; done < len; ) {
    const part = Math.min(len - done, VOP_INT_DMA_BUF_SIZE);
    if (copyBetween(user, ubuf + done, d.hostMem, vq.bounce, part) !== undefined) return 'EFAULT';
    if (copyBetween(d.hostMem, vq.bounce, d.bar0, cardAddr + done, part) !== undefined) return 'EFAULT';
    done += part;
  }
  stats.outBytes += len;
  return 0;
}
