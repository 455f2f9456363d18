/**
 * MIC_VIRTIO_COPY_DESC's walk (facts §6.5 COPY_DESC, §6.4), after vop_vringh.c's _vop_virtio_copy
 * and vop_vringh_copy, on the device side of the ring that landed (impl/virtio: it fetches and
 * validates chains; this file only moves bytes along them):
 *  1. with no chain in progress, fetch the next one (none: return 0, out_len 0);
 *  2. per user iovec: readable (card → host) bytes into it first, then its bytes into the writable
 *     (host → card) part; an iovec is done when its length is used up; stop when the chain is;
 *  3. a chain not used up stays current, and the next call goes on at the exact byte;
 *  4. with a chain held, bytes moved and update_used: complete it, notify the card if the ring says
 *     so, and publish the host's avail idx in `_mic_vring_info`.
 * Return: 0; 1 when a chain was fetched and there were no iovecs; a positive DMA status; or an errno.
 * A call that fails part-way completes nothing (README "Decisions"): the chain stays held, its
 * position after the last part that was copied whole, so no used entry ever covers bytes that did
 * not arrive.
 */
import type { DeviceRing, MemFault, MemPort, RingError, VopErrno } from '../../../model/contract.ts';
import { iovec } from '../../../model/layout/vop-user.ts';
import { VOP_NO_HEAD } from '../../../model/constants/vop.ts';
import { copyFromUser, copyToUser, type CopyDeps, type CopyRet } from './copy-paths.ts';
import { dropChain, type HostVdev, type HostVq, type IovPos } from './vdev.ts';

const IOV_BASE = iovec.fields.iov_base.offset;
const IOV_LEN = iovec.fields.iov_len.offset;
/** an iovec length beyond what a JS number holds exactly is more than any chain can take */
const LEN_CAP = BigInt(Number.MAX_SAFE_INTEGER);

export interface WalkDeps extends CopyDeps {
  /** the device side of vq's ring, made now if the card has handed its used ring over; undefined if not */
  ringOf(vdev: HostVdev, vq: HostVq): DeviceRing | RingError | undefined;
  /** ring h2c_vdev_db (the card's doorbell for this device) if the card wrote a valid one */
  notifyCard(vdev: HostVdev): void;
  /** write `_mic_vring_info.avail_idx` of vq */
  publishAvailIdx(vq: HostVq, idx: number): void;
}

export interface CopyOutcome {
  /** non-negative return value or errno */
  readonly ret: CopyRet;
  readonly outLen: number;
}

/** vringh's errors as the ioctl returns them: a fault reading the ring EFAULT, a malformed one EINVAL */
export const ringErrno = (e: RingError): VopErrno => (e.code === 'mem-fault' ? 'EFAULT' : 'EINVAL');

function exhausted(vq: HostVq): boolean {
  const c = vq.chain;
  return !vq.active || c === undefined || (vq.r.i >= c.nReadable && vq.w.i >= c.nWritable);
}

/** zero-length descriptors carry nothing: step over them so they never hold a chain open */
function skipEmpty(pos: IovPos, lens: Float64Array, n: number): void {
  while (pos.i < n && lens[pos.i]! - pos.off === 0) {
    pos.i++;
    pos.off = 0;
  }
}

function fetch(d: WalkDeps, vdev: HostVdev, vq: HostVq): CopyRet {
  const ring = d.ringOf(vdev, vq);
  if (ring === undefined) return 0;
  if ('kind' in ring) return ringErrno(ring);
  const chain = (vq.chain ??= ring.newChain());
  const got = ring.pop(chain);
  if (got === false) return 0;
  if (got !== true) return ringErrno(got);
  dropChain(vq);
  vq.head = chain.head;
  vq.active = true;
  skipEmpty(vq.r, chain.rLen, chain.nReadable);
  skipEmpty(vq.w, chain.wLen, chain.nWritable);
  return 1;
}

/** vop_vringh_copy: up to `len` bytes between user memory and one direction of the chain */
function copyDir(d: WalkDeps, vdev: HostVdev, vq: HostVq, user: MemPort, ubuf: number, len: number, read: boolean): { n: number; ret: CopyRet } {
  const c = vq.chain!;
  const pos = read ? vq.r : vq.w;
  const addrs = read ? c.rAddr : c.wAddr;
  const lens = read ? c.rLen : c.wLen;
  const count = read ? c.nReadable : c.nWritable;
  let n = 0;
  while (len > 0 && pos.i < count) {
    const room = lens[pos.i]! - pos.off;
    const part = Math.min(room, len);
    const at = addrs[pos.i]! + pos.off;
    const ret = read ? copyToUser(d, vq, vdev.stats, user, ubuf + n, part, at) : copyFromUser(d, vq, vdev.stats, user, ubuf + n, part, at, room);
    if (ret !== 0) return { n, ret };
    len -= part;
    n += part;
    pos.off += part;
    pos.total += part;
    if (pos.off === lens[pos.i]) {
      pos.i++;
      pos.off = 0;
      skipEmpty(pos, lens, count);
    }
  }
  return { n, ret: 0 };
}

/** _vop_virtio_copy for one vq whose mutex the caller holds */
export function copyDesc(d: WalkDeps, vdev: HostVdev, vq: HostVq, user: MemPort, iovAddr: number, iovcnt: number, updateUsed: boolean): CopyOutcome {
  let outLen = 0;
  let ret: CopyRet = 0;
  if (exhausted(vq)) {
    ret = fetch(d, vdev, vq);
    if (ret === 0 || typeof ret === 'string') return { ret, outLen: 0 };
  }
  let len = 0;
  let ubuf = 0;
  let at = iovAddr;
  while (iovcnt > 0) {
    if (len === 0) {
      // an iovec the kernel cannot copy in is EINVAL, not EFAULT (facts §6.5 step 2)
      const base = user.read64n(at + IOV_BASE);
      // the length as a number, without a BigInt; read64n refuses one beyond 2^53 − 1, which is
      // then read as the 64-bit value it is (and capped)
      let raw: number | bigint | MemFault = user.read64n(at + IOV_LEN);
      if (typeof raw !== 'number' && raw.reason === 'not-safe-integer') raw = user.read64(at + IOV_LEN);
      if (typeof base !== 'number' || (typeof raw !== 'number' && typeof raw !== 'bigint')) {
        ret = 'EINVAL';
        break;
      }
      len = typeof raw === 'number' ? raw : Number(raw > LEN_CAP ? LEN_CAP : raw);
      ubuf = base;
    }
    // a part that failed is not counted in out_len (the position stays after the last whole part)
    const rd = copyDir(d, vdev, vq, user, ubuf, len, true);
    ret = rd.ret;
    if (ret !== 0) break;
    len -= rd.n;
    ubuf += rd.n;
    outLen += rd.n;
    const wr = copyDir(d, vdev, vq, user, ubuf, len, false);
    ret = wr.ret;
    if (ret !== 0) break;
    len -= wr.n;
    ubuf += wr.n;
    outLen += wr.n;
    if (len === 0) {
      iovcnt--;
      at += iovec.size;
    }
    if (exhausted(vq)) break;
  }
  if (ret === 0 || ret === 1) {
    if (vq.head !== VOP_NO_HEAD && outLen > 0 && updateUsed) complete(d, vdev, vq);
  }
  return { ret, outLen };
}

/** vringh_complete_kern + notify + info.avail_idx (facts §6.5 step 4); used len = bytes written (RING-16) */
function complete(d: WalkDeps, vdev: HostVdev, vq: HostVq): void {
  const ring = vq.ring;
  if (ring === undefined) return;
  const head = vq.head;
  const written = vq.w.total;
  dropChain(vq);
  if (ring.push(head, written) !== undefined) return;
  if (ring.needNotify()) d.notifyCard(vdev);
  d.publishAvailIdx(vq, ring.lastAvailIdx);
}
