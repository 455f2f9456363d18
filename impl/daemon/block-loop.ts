/**
 * The block device's loop (facts §8.4 block; BLK-02..07, BLK-10, BLK-13): per chain the card
 * posted, two COPY_DESC calls on the same held chain:
 *  1. (update_used 0) the 16-byte `virtio_blk_outhdr` and every further readable byte (OUT data)
 *     into the bounce buffer;
 *  2. (update_used 1) the writable data (IN / GET_ID) and the status byte, the last byte of the chain.
 * The parts are found by byte offset (BLK-02), so a header split over several descriptors, or data
 * and status sharing one, is served like any other request. [decision: mpssd refuses a head
 * descriptor that is not exactly 16 readable bytes with NEXT; we size the chain from the
 * descriptor table instead and need only ≥ 16 readable and ≥ 1 writable bytes]
 * A request is checked before any store is touched; a bad one (short header, wrong data direction
 * or length, past capacity, a write to a read-only disk, a GET_ID area that is not 20 bytes, a
 * backend EIO) answers IOERR, an unknown type UNSUPP, and nothing reaches the store. The walk cannot
 * reach the status byte without passing the writable data, so a refused IN fills its data area with
 * zeros (no stale host bytes leak).
 * FLUSH goes to the backend (BLK-07). [decision: mpssd answers FLUSH as unsupported; we support it
 * and, as mpssd, offer SEG_MAX only (and RO for a read-only disk), not VIRTIO_BLK_F_FLUSH]
 * A chain we cannot size, without a writable byte, or with more data than seg_max segments of
 * 64 KiB is completed at once without a status (the card sees used len 0).
 */
import type { BlockBackend } from '../../model/contract.ts';
import {
  virtioBlkOutHdr, VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
} from '../../model/layout/virtio-devices.ts';
import { SLOT_DATA, type Iov } from './user.ts';
import type { ChainShape } from './ring-view.ts';
import { BURST, Xfer, type DeviceLoop, type LoopStats, type Port } from './xfer.ts';

/** seg_max mpssd advertises: 128 entries − header − status (facts §8.2) */
export const BLK_SEG_MAX = 126;
/** the most data one request may carry: seg_max segments of the block layer's 64 KiB maximum */
export const BLK_MAX_DATA = BLK_SEG_MAX * 65536;

const HDR_LEN = virtioBlkOutHdr.size;
const HDR_AT = SLOT_DATA;
const STATUS_AT = SLOT_DATA + 64;
const BOUNCE = SLOT_DATA + 4096;
const H = virtioBlkOutHdr.fields;
/** OUT data up to this many bytes goes to the store from one buffer the loop keeps */
const OUT_SCRATCH = 65536;

interface Request {
  readonly shape: ChainShape;
  x: Xfer;
  final: boolean;
}

function segs(list: Iov[]): Iov[] {
  const out: Iov[] = [];
  for (let i = 0; i < list.length; i++) if (list[i]!.len > 0) out.push(list[i]!);
  return out;
}

/** `len` bytes at `offset` are whole sectors inside the disk */
const fits = (len: number, offset: number, disk: BlockBackend): boolean => len % VIRTIO_BLK_SECTOR_SIZE === 0 && offset + len <= disk.sizeBytes;

export class BlockLoop implements DeviceLoop {
  /** toCard: bytes read for the card (IN, GET_ID); fromCard: bytes written to the store; refused: non-OK answers */
  readonly stats: LoopStats = { toCard: 0, fromCard: 0, refused: 0 };
  private req: Request | undefined;
  private readonly hdr = new Uint8Array(HDR_LEN);
  private readonly hdrView = new DataView(this.hdr.buffer);
  private scratch: Uint8Array | undefined;

  constructor(private readonly disk: BlockBackend) {}

  wantsToSend(): boolean {
    return false;
  }

  drop(): void {
    this.req = undefined;
  }

  pump(p: Port): boolean {
    if (!p.ring.ready()) {
      this.drop();
      return false;
    }
    let moved = false;
    for (let n = 0; n < BURST; n++) {
      if (this.req === undefined) {
        if (!p.ring.pending(0)) return moved;
        this.req = this.plan(p, p.ring.shape(0));
      }
      const r = this.req;
      const before = r.x.done;
      const st = r.x.step(p);
      if (r.x.done > before) moved = true;
      switch (st) {
        case 'retry':
        case 'error':
          return moved;
        case 'none':
        case 'down':
          this.req = undefined;
          return moved;
        case 'short':
          // the chain ended before the descriptor table said (a card rewriting its ring)
          this.stats.refused++;
          this.req = undefined;
          continue;
        case 'done':
          if (r.final) this.req = undefined;
          else {
            // header (and OUT data) in: decide, then answer with the writable part and the status
            r.x = this.answer(p, r.shape);
            r.final = true;
          }
      }
    }
    return moved;
  }

  /** a chain refused whole: complete at once, one byte in (or, writable-only, an IOERR byte out), no status position */
  private bad(p: Port, s: ChainShape): Request {
    const b = p.slot;
    this.stats.refused++;
    p.user.mem.write8(b + STATUS_AT, VIRTIO_BLK_S_IOERR);
    const len = s.readable >= HDR_LEN ? HDR_LEN : 1;
    return { shape: s, x: new Xfer(0, [{ base: b + (s.readable >= HDR_LEN ? HDR_AT : STATUS_AT), len }], true), final: true };
  }

  // no closures in the per-request paths: each one costs an allocation (and, under tsx, a __name)
  private plan(p: Port, shape: ChainShape | undefined): Request {
    const mem = p.user.mem;
    const b = p.slot;
    if (shape === undefined) return this.bad(p, { readable: 0, writable: 0 });
    const { readable: r, writable: w } = shape;
    if (w < 1 || r > HDR_LEN + BLK_MAX_DATA || w - 1 > BLK_MAX_DATA) return this.bad(p, shape);
    if (r < HDR_LEN) {
      // a header the chain cannot hold: pass the readable bytes, zeros, IOERR in the last byte
      this.stats.refused++;
      mem.fill(b + BOUNCE, r + w - 1, 0);
      mem.write8(b + STATUS_AT, VIRTIO_BLK_S_IOERR);
      return { shape, x: new Xfer(0, segs([{ base: b + BOUNCE, len: r + w - 1 }, { base: b + STATUS_AT, len: 1 }]), true), final: true };
    }
    return { shape, x: new Xfer(0, segs([{ base: b + HDR_AT, len: HDR_LEN }, { base: b + BOUNCE, len: r - HDR_LEN }]), false), final: false };
  }

  /** the request is in user memory: check it, run it against the store, plan the answer */
  private answer(p: Port, shape: ChainShape): Xfer {
    const mem = p.user.mem;
    const b = p.slot;
    mem.readInto(b + HDR_AT, this.hdr);
    const dataIn = shape.readable - HDR_LEN;
    const dataOut = shape.writable - 1;
    const status = this.execute(p, dataIn, dataOut);
    if (status !== VIRTIO_BLK_S_OK) {
      this.stats.refused++;
      if (dataOut > 0) mem.fill(b + BOUNCE, dataOut, 0);
    }
    mem.write8(b + STATUS_AT, status);
    return new Xfer(0, segs([{ base: b + BOUNCE, len: dataOut }, { base: b + STATUS_AT, len: 1 }]), true);
  }

  /**
   * the buffer an OUT request's data is handed to the store in: up to 64 KiB one kept for the loop
   * (a fresh ArrayBuffer costs 1–2 µs at 4 KiB, more than the rest of the request's host side),
   * beyond that a fresh one. A store copies the bytes during `write`, as pwrite(2) does.
   */
  private outBytes(len: number): Uint8Array {
    if (len > OUT_SCRATCH) return new Uint8Array(len);
    this.scratch ??= new Uint8Array(OUT_SCRATCH);
    return this.scratch.subarray(0, len);
  }

  private execute(p: Port, dataIn: number, dataOut: number): number {
    const mem = p.user.mem;
    const bounce = p.slot + BOUNCE;
    const dv = this.hdrView;
    const type = dv.getUint32(H.type.offset, true);
    const lo = dv.getUint32(H.sector.offset, true);
    const hi = dv.getUint32(H.sector.offset + 4, true);
    // sector·512 past 2^53 is past any capacity
    const offset = hi >= 2 ** 21 ? Number.POSITIVE_INFINITY : (hi * 2 ** 32 + lo) * VIRTIO_BLK_SECTOR_SIZE;
    const disk = this.disk;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        if (dataIn !== 0 || !fits(dataOut, offset, disk)) return VIRTIO_BLK_S_IOERR;
        if (dataOut === 0) return VIRTIO_BLK_S_OK;
        const got = disk.read(offset, dataOut);
        if (!(got instanceof Uint8Array) || got.length !== dataOut) return VIRTIO_BLK_S_IOERR;
        mem.write(bounce, got);
        this.stats.toCard += dataOut;
        return VIRTIO_BLK_S_OK;
      }
      case VIRTIO_BLK_T_OUT: {
        if (dataOut !== 0 || !fits(dataIn, offset, disk) || disk.readOnly) return VIRTIO_BLK_S_IOERR;
        if (dataIn === 0) return VIRTIO_BLK_S_OK;
        const bytes = this.outBytes(dataIn);
        if (mem.readInto(bounce, bytes) !== undefined) bytes.fill(0);
        if (disk.write(offset, bytes) !== true) return VIRTIO_BLK_S_IOERR;
        this.stats.fromCard += dataIn;
        return VIRTIO_BLK_S_OK;
      }
      case VIRTIO_BLK_T_FLUSH:
        return dataIn === 0 && dataOut === 0 && disk.flush() === true ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
      case VIRTIO_BLK_T_GET_ID: {
        // BLK-10: exactly 20 writable bytes, the id NUL padded
        if (dataIn !== 0 || dataOut !== VIRTIO_BLK_ID_BYTES) return VIRTIO_BLK_S_IOERR;
        const id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
        id.set(disk.id.subarray(0, VIRTIO_BLK_ID_BYTES));
        mem.write(bounce, id);
        this.stats.toCard += VIRTIO_BLK_ID_BYTES;
        return VIRTIO_BLK_S_OK;
      }
      default:
        return VIRTIO_BLK_S_UNSUPP;
    }
  }
}
