/**
 * Claim: the block device, end to end (card virtio-blk driver → ring → COPY_DESC → DMA → daemon →
 *   store and back), behaves as an array of 512-byte sectors (an independent model kept here):
 *   under random batches of reads, writes, flushes, GET_ID and requests of unknown types, with the
 *   16-byte header cut anywhere into two descriptors and the data split into random segments,
 *   every request completes exactly once with the status the model predicts — OK for a request
 *   inside the capacity, IOERR for one that straddles or passes it, for any write (even one the
 *   card sends anyway) to a read-only disk and for a store that fails with EIO, UNSUPP for an
 *   unknown type — a read returns the model's bytes, GET_ID returns the disk's id NUL-padded to 20
 *   bytes, and afterwards the store equals the model byte for byte (a refused or failed request
 *   wrote nothing).
 * Source: BLK-02 (parts found by byte offset), BLK-03 (types, status always written, UNSUPP),
 *   BLK-04 (sector units), BLK-05 (past capacity: IOERR, media untouched), BLK-06 (read-only),
 *   BLK-09 (seg_max), BLK-10 (GET_ID 20 bytes), BLK-13 (used len); facts §8.2 (block device:
 *   seg_max 126, capacity from the file size), §8.4 (block loop); issue 10.
 * Level: system
 */
import fc from 'fast-check';
import type { BlkCompletion, BlkRequest, BlkSplit, Implementation } from '../../model/contract.ts';
import { VIRTIO_BLK_ID_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_SECTOR_SIZE as SECTOR } from '../../model/layout/virtio-devices.ts';
import { VIRTIO_ID_BLOCK } from '../../model/constants/virtio.ts';
import { defineProperty } from '../harness.ts';
import { DevWorld } from './world.ts';

/** request types the card may send that the device does not know (BLK-03) */
const UNKNOWN_TYPES = [2, 3, 5, 7, 9, 10, 11, 13, 14, 0x7fffffff] as const;

interface ReqInput {
  readonly kind: 'in' | 'out' | 'flush' | 'get-id' | 'unknown' | 'forcedOut';
  /** sector as an offset from a base chosen around the capacity edge */
  readonly edge: boolean;
  readonly sector: number;
  readonly sectors: number;
  readonly fill: number;
  readonly code: number;
  readonly headerCut: number | undefined;
  /** data cuts as fractions (per mille) of the data length */
  readonly cuts: readonly number[];
  /** the store fails this request's I/O with EIO (when it reaches the store) */
  readonly eio: boolean;
}

const reqArb: fc.Arbitrary<ReqInput> = fc.record({
  kind: fc.constantFrom('in', 'in', 'out', 'out', 'flush', 'get-id', 'unknown', 'forcedOut'),
  edge: fc.boolean(),
  sector: fc.integer({ min: 0, max: 40 }),
  sectors: fc.integer({ min: 1, max: 4 }),
  fill: fc.integer({ min: 1, max: 255 }),
  code: fc.constantFrom(...UNKNOWN_TYPES),
  headerCut: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined }),
  cuts: fc.array(fc.integer({ min: 1, max: 999 }), { maxLength: 3 }),
  eio: fc.integer({ min: 0, max: 5 }).map((x) => x === 0),
});

interface BlkInput {
  readonly sectors: number;
  readonly readOnly: boolean;
  readonly dma: boolean;
  /** requests in batches: each batch is submitted, kicked once, and run to completion */
  readonly batches: readonly (readonly ReqInput[])[];
}

const blkInput: fc.Arbitrary<BlkInput> = fc.record({
  sectors: fc.integer({ min: 8, max: 48 }),
  readOnly: fc.boolean(),
  dma: fc.boolean(),
  batches: fc.array(fc.array(reqArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
});

function split(len: number, cuts: readonly number[]): number[] | undefined {
  if (len === 0 || cuts.length === 0) return undefined;
  const at = [...new Set(cuts.map((c) => Math.floor((len * c) / 1000)).filter((c) => c > 0 && c < len))].sort((a, b) => a - b);
  if (at.length === 0) return undefined;
  const segs: number[] = [];
  let prev = 0;
  for (const c of [...at, len]) {
    segs.push(c - prev);
    prev = c;
  }
  return segs;
}

/** the sector-array model: what each request must return, and its effect */
class SectorModel {
  readonly bytes: Uint8Array;
  constructor(
    readonly capacity: number,
    readonly readOnly: boolean,
    readonly id: Uint8Array,
  ) {
    this.bytes = new Uint8Array(capacity * SECTOR);
  }
  inRange(sector: number, n: number): boolean {
    return sector + n <= this.capacity;
  }
}

/** what one request must do: its status (-2: the driver refuses it itself), the data it must return */
interface Expect {
  readonly req: BlkRequest;
  readonly status: number;
  readonly data?: Uint8Array;
  got?: BlkCompletion;
  readonly what: string;
  readonly eio: boolean;
  readonly split: BlkSplit;
}

/** the model's answer to request number k */
function expectation(r: ReqInput, k: number, model: SectorModel): Expect {
  const sector = r.edge ? Math.max(0, model.capacity - 2 + (r.sector % 5)) : r.sector % (model.capacity + 2);
  let req: BlkRequest;
  let status: number;
  let data: Uint8Array | undefined;
  let touches = false;
  switch (r.kind) {
    case 'in':
      req = { type: 'in', sector, sectors: r.sectors };
      status = model.inRange(sector, r.sectors) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
      touches = status === VIRTIO_BLK_S_OK;
      data = touches ? model.bytes.slice(sector * SECTOR, (sector + r.sectors) * SECTOR) : undefined;
      break;
    case 'out':
    case 'forcedOut': {
      const bytes = new Uint8Array(r.sectors * SECTOR).map((_, i) => (r.fill + i * 7 + k) & 0xff);
      // 'forcedOut' is an OUT the card sends even to a read-only disk (its driver would refuse it)
      req = r.kind === 'out' ? { type: 'out', sector, data: bytes } : { type: 'raw', code: 1, sector, dataLen: bytes.length };
      const ok = model.inRange(sector, r.sectors) && !model.readOnly;
      status = ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
      touches = ok;
      if (r.kind === 'out' && model.readOnly) status = -2; // the driver refuses it itself
      break;
    }
    case 'flush':
      req = { type: 'flush' };
      status = VIRTIO_BLK_S_OK;
      touches = true;
      break;
    case 'get-id':
      req = { type: 'get-id' };
      status = VIRTIO_BLK_S_OK;
      data = new Uint8Array(VIRTIO_BLK_ID_BYTES);
      data.set(model.id.subarray(0, VIRTIO_BLK_ID_BYTES));
      break;
    default:
      req = { type: 'raw', code: r.code, sector, dataLen: 0 };
      status = VIRTIO_BLK_S_UNSUPP;
  }
  const eio = r.eio && touches;
  if (eio) {
    status = VIRTIO_BLK_S_IOERR;
    data = undefined;
  }
  const dataLen = req.type === 'in' ? req.sectors * SECTOR : req.type === 'out' ? req.data.length : req.type === 'raw' ? req.dataLen : 0;
  const cuts = split(dataLen, r.cuts);
  const s: BlkSplit = { ...(r.headerCut !== undefined ? { headerCut: r.headerCut } : {}), ...(cuts ? { data: cuts } : {}) };
  return { req, status, ...(data ? { data } : {}), what: `request ${k} ${JSON.stringify({ ...r, sector })}`, eio, split: s };
}

class BlkRig {
  readonly w: DevWorld;
  readonly model: SectorModel;
  notOk = 0;
  n = 0;

  constructor(impl: Implementation, input: BlkInput) {
    const w = (this.w = new DevWorld(impl, { dma: input.dma, sectors: input.sectors, readOnly: input.readOnly, console: false, net: false }));
    if (w.startErrors.length > 0) throw new Error(`daemon start: ${w.startErrors.join('; ')}`);
    if (!w.waitLive({ blk: true })) throw new Error('the block device never came up on the card');
    const blk = w.services.blk;
    if (blk.capacity !== input.sectors) throw new Error(`capacity ${blk.capacity}, the disk has ${input.sectors} sectors (BLK-04)`);
    if (blk.readOnly !== input.readOnly) throw new Error(`readOnly ${blk.readOnly}, the disk is ${input.readOnly ? '' : 'not '}read-only (BLK-06)`);
    // facts §8.2: seg_max = 128 − 2 data segments (BLK-09)
    if (blk.segMax !== 126) throw new Error(`seg_max ${blk.segMax}, mpssd offers 126 (BLK-09)`);
    this.model = new SectorModel(input.sectors, input.readOnly, w.disk.id);
  }

  /** queue one request (alone, with the store armed to fail, when the model says EIO); false if the driver refused it as it should */
  submit(e: Expect, queued: Expect[]): void {
    const { w, model } = this;
    const blk = w.services.blk;
    if (e.eio) {
      // the failure is armed for the next store call: everything queued before it completes first
      blk.kick();
      if (!w.run(() => queued.every((x) => x.got !== undefined))) throw new Error(`requests before ${e.what} never completed`);
      w.disk.failNext = 1;
    }
    const id = blk.submit(e.req, (c) => {
      if (e.got !== undefined) throw new Error(`${e.what} completed twice`);
      e.got = c;
    }, e.split);
    if (typeof id !== 'number') {
      if (e.status !== -2) throw new Error(`${e.what}: the driver refused it: ${id.reason} ${id.detail}`);
      return;
    }
    if (e.status === -2) throw new Error(`${e.what}: the driver queued a write to a read-only disk (BLK-06)`);
    queued.push(e);
    // the model takes a write when it is queued: the device serves a queue's chains in order
    const req = e.req;
    if (e.status === VIRTIO_BLK_S_OK && (req.type === 'out' || (req.type === 'raw' && req.code === 1))) {
      if (req.type === 'out') model.bytes.set(req.data, req.sector * SECTOR);
      else model.bytes.fill(0, req.sector * SECTOR, req.sector * SECTOR + req.dataLen);
    }
    // one request at a time when the store must fail it (the failure is armed per request)
    if (e.eio) {
      blk.kick();
      if (!w.run(() => e.got !== undefined)) throw new Error(`${e.what} never completed`);
      w.disk.failNext = 0;
    }
  }

  batch(batch: readonly ReqInput[]): void {
    const queued: Expect[] = [];
    for (const r of batch) this.submit(expectation(r, this.n++, this.model), queued);
    const blk = this.w.services.blk;
    blk.kick();
    if (!this.w.run(() => queued.every((e) => e.got !== undefined))) {
      throw new Error(`a batch never completed: ${queued.filter((e) => e.got === undefined).map((e) => e.what).join('; ')}`);
    }
    if (blk.inFlight !== 0) throw new Error(`every request completed, yet the driver counts ${blk.inFlight} in flight`);
    for (const e of queued) this.answered(e);
    this.storeMatches();
  }

  /** status, data and used len of one completed request */
  private answered(e: Expect): void {
    const got = e.got!;
    if (got.status !== VIRTIO_BLK_S_OK) this.notOk++;
    if (got.status !== e.status) throw new Error(`${e.what}: status ${got.status}, expected ${e.status} (BLK-03/05/06)`);
    if (e.data !== undefined && !bytesEqual(got.data, e.data)) throw new Error(`${e.what}: the data read differs from the model`);
    // BLK-13: used len = the writable bytes the walk passed (the whole data area, even zeroed for a refusal) + the status
    const writableData = e.req.type === 'in' ? e.req.sectors * SECTOR : e.req.type === 'get-id' ? VIRTIO_BLK_ID_BYTES : 0;
    if (got.len !== writableData + 1) throw new Error(`${e.what}: used len ${got.len}, expected ${writableData + 1} (BLK-13)`);
  }

  /** the daemon's books and the store against the model */
  private storeMatches(): void {
    const { w, model } = this;
    const st = w.daemon.stats(0).find((d) => d.type === VIRTIO_ID_BLOCK);
    if (st === undefined || st.refused !== this.notOk) throw new Error(`the daemon counts ${st?.refused} refused requests, the card saw ${this.notOk} answered with an error status`);
    if (w.disk.violations.length > 0) throw new Error(`the daemon misused the store: ${w.disk.violations.join('; ')}`);
    if (!bytesEqual(w.disk.bytes, model.bytes)) {
      const at = w.disk.bytes.findIndex((b, i) => b !== model.bytes[i]);
      throw new Error(`the store differs from the model at byte ${at} (sector ${Math.floor(at / SECTOR)}): a refused or failed request wrote, or a write landed elsewhere`);
    }
  }
}

function check(impl: Implementation, input: BlkInput): void {
  const rig = new BlkRig(impl, input);
  for (const batch of input.batches) rig.batch(batch);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const devicesBlk = defineProperty({
  id: 'devices.blk',
  claim: 'the block device end to end behaves as an array of 512-byte sectors with the right status for every request',
  source: 'BLK-02, BLK-03, BLK-04, BLK-05, BLK-06, BLK-09, BLK-10, BLK-13; facts §8.2, §8.4',
  level: 'system',
  requires: ['system', 'daemon'],
  runs: 12,
  build: (impl) => fc.property(blkInput, (input) => {
    check(impl, input);
    return true;
  }),
});
