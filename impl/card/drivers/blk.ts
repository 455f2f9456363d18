/**
 * The card's virtio-blk driver (facts §8.2, §8.4; BLK-02, BLK-04, BLK-06, BLK-09, BLK-10): one
 * queue; a request is the 16-byte header (device-readable, optionally in two descriptors), the data
 * (device-readable for OUT, device-writable for IN and GET_ID, in at most seg_max segments) and one
 * device-writable status byte. Capacity and seg_max come from the config. With VIRTIO_BLK_F_RO
 * offered the driver refuses writes itself; a sector past the capacity is still sent (the device
 * must refuse it, BLK-05), so properties can reach the host's check.
 */
import type { BlkCompletion, BlkRequest, BlkSplit, CardVirtioError } from '../../../model/contract.ts';
import { VIRTIO_ID_BLOCK } from '../../../model/constants/virtio.ts';
import {
  VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_SECTOR_SIZE, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT, virtioBlkConfig, virtioBlkOutHdr,
} from '../../../model/layout/virtio-devices.ts';
import { BoundDriver, cardError } from './bound.ts';
import type { DriverUpcalls } from './upcalls.ts';

export const BLK_VQ = 0;
const STATUS_LEN = 1;
const NO_BYTES = new Uint8Array(0);

interface Pending {
  readonly id: number;
  /** writable data bytes before the status byte */
  readonly dataIn: number;
  readonly done: (c: BlkCompletion) => void;
}

/** the request header bytes through the table (little-endian, as on the bus) */
export function encodeBlkHeader(type: number, sector: number): Uint8Array {
  const b = new Uint8Array(virtioBlkOutHdr.size);
  const f = virtioBlkOutHdr.fields;
  // byte stores rather than a DataView (one allocation fewer per request); ioprio stays 0
  put32(b, f.type.offset, type);
  put32(b, f.sector.offset, sector % 2 ** 32);
  put32(b, f.sector.offset + 4, Math.floor(sector / 2 ** 32));
  return b;
}

/** DataView.setUint32(at, v, true): v taken modulo 2^32, little-endian */
function put32(b: Uint8Array, at: number, v: number): void {
  const u = v >>> 0;
  b[at] = u & 0xff;
  b[at + 1] = (u >>> 8) & 0xff;
  b[at + 2] = (u >>> 16) & 0xff;
  b[at + 3] = u >>> 24;
}

/** split `len` bytes as the caller asked (default one segment); an error text if the split is not valid */
function segments(len: number, want: readonly number[] | undefined, segMax: number): readonly number[] | string {
  if (want === undefined) return len === 0 ? [] : [len];
  let sum = 0;
  for (const n of want) {
    if (!Number.isSafeInteger(n) || n <= 0) return `segment length ${n}`;
    sum += n;
  }
  if (sum !== len) return `segments sum to ${sum}, data is ${len}`;
  if (segMax > 0 && want.length > segMax) return `${want.length} segments, seg_max ${segMax}`;
  return want;
}

export class BlkDriver extends BoundDriver {
  /** vq token → request */
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly up: DriverUpcalls) {
    super(VIRTIO_ID_BLOCK, 1);
  }

  get capacity(): number {
    const f = virtioBlkConfig.fields.capacity;
    const b = this.dev?.readConfig(f.offset, f.size);
    if (b === undefined || b.length < f.size) return 0;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  }

  get segMax(): number {
    if (this.dev === undefined || (this.dev.features & (1 << VIRTIO_BLK_F_SEG_MAX)) === 0) return 0;
    const f = virtioBlkConfig.fields.seg_max;
    const b = this.dev.readConfig(f.offset, f.size);
    return b.length < f.size ? 0 : new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  }

  get readOnly(): boolean {
    return this.dev !== undefined && (this.dev.features & (1 << VIRTIO_BLK_F_RO)) !== 0;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  submit(req: BlkRequest, done: (c: BlkCompletion) => void, split: BlkSplit = {}): number | CardVirtioError {
    const dev = this.dev;
    if (dev === undefined || !dev.live) return cardError('not-live', 'no live block device');
    let type: number;
    let sector = 0;
    let out: Uint8Array = NO_BYTES;
    let dataIn = 0;
    switch (req.type) {
      case 'in':
        [type, sector, dataIn] = [VIRTIO_BLK_T_IN, req.sector, req.sectors * VIRTIO_BLK_SECTOR_SIZE];
        break;
      case 'out':
        if (this.readOnly) return cardError('bad-request', 'write to a read-only disk (VIRTIO_BLK_F_RO)');
        [type, sector, out] = [VIRTIO_BLK_T_OUT, req.sector, req.data];
        break;
      case 'flush':
        type = VIRTIO_BLK_T_FLUSH;
        break;
      case 'get-id':
        [type, dataIn] = [VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_ID_BYTES];
        break;
      default:
        [type, sector, out] = [req.code, req.sector, new Uint8Array(req.dataLen)];
    }
    if (!Number.isSafeInteger(sector) || sector < 0 || !Number.isSafeInteger(dataIn) || dataIn < 0) return cardError('bad-request', `sector ${sector}, length ${dataIn}`);
    const header = encodeBlkHeader(type, sector);
    const cut = split.headerCut;
    if (cut !== undefined && (!Number.isInteger(cut) || cut < 1 || cut >= header.length)) return cardError('bad-request', `header cut ${cut}`);
    // seg_max (a config read) matters only to a split the caller asked for
    const segs = segments(out.length + dataIn, split.data, split.data === undefined ? 0 : this.segMax);
    if (typeof segs === 'string') return cardError('bad-request', segs);
    const readable: Uint8Array[] = cut === undefined ? [header] : [header.subarray(0, cut), header.subarray(cut)];
    const writable: number[] = [];
    let at = 0;
    for (const n of segs) {
      if (out.length > 0) readable.push(out.subarray(at, at + n));
      else writable.push(n);
      at += n;
    }
    writable.push(STATUS_LEN);
    const token = dev.add(BLK_VQ, readable, writable);
    if (typeof token !== 'number') return token;
    const id = this.up.nextBlkId();
    this.pending.set(token, { id, dataIn, done });
    return id;
  }

  kick(): void {
    this.dev?.kick(BLK_VQ);
  }

  protected onLive(): void {}

  protected onInterrupt(): void {
    const done = this.reap(BLK_VQ);
    for (let i = 0; i < done.length; i++) {
      const c = done[i]!;
      const p = this.pending.get(c.token);
      if (p === undefined) continue;
      this.pending.delete(c.token);
      // the status byte is the last writable byte; a completion that does not reach it has none
      const w = c.written;
      const status = w.length > p.dataIn ? w[p.dataIn]! : -1;
      p.done({ status, data: w.subarray(0, Math.min(p.dataIn, w.length)), len: c.len });
    }
  }

  protected onDown(detached: readonly number[]): void {
    const ids: number[] = [];
    for (const t of detached) {
      const p = this.pending.get(t);
      if (p !== undefined) ids.push(p.id);
    }
    this.pending.clear();
    if (ids.length > 0) this.up.lostBlk(ids);
  }
}
