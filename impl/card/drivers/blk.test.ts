/**
 * The card's block driver, with the test as the block device's user-space back end on the real
 * char device: it reads the 16-byte header with COPY_DESC (update_used 0), moves the data, then
 * writes the status byte completing the chain (facts §8.4), and checks what the card asked for.
 */
import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { BLOCK, CONSOLE, HostUser, USER_DATA } from '../host-user.ts';
import type { BlkCompletion } from '../../../model/contract.ts';
const SEG_MAX = 1 << 2;
const RO = 1 << 5;
const HDR_AT = USER_DATA;
const STATUS_AT = USER_DATA + 0x100;
const DATA_AT = USER_DATA + 0x1000;

function config(capacity: number, segMax: number): Uint8Array {
  const c = new Uint8Array(BLOCK.configLen);
  const v = new DataView(c.buffer);
  v.setUint32(0, capacity, true);
  v.setUint32(12, segMax, true);
  return c;
}

function booted(opts: { capacity?: number; segMax?: number; features?: number; console?: boolean; dma?: boolean } = {}) {
  const sys = createReferenceSystem({ cardDrivers: true, trace: false, dma: opts.dma ?? false });
  expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
  sys.settle();
  const host = new HostUser(sys);
  const con = opts.console ? host.add(CONSOLE) : -1;
  const fd = host.add(BLOCK, opts.features ?? SEG_MAX, config(opts.capacity ?? 64, opts.segMax ?? 126));
  sys.settle();
  const svc = sys.cardServices(0);
  const disk = new Uint8Array((opts.capacity ?? 64) * 512);
  /** serve the next request: header, then `dataLen` bytes (from the card for OUT, to it otherwise), then `status` */
  const serve = (dataLen: number, status: number, opt: { skipStatus?: boolean } = {}) => {
    const h = host.copy(fd, 0, [{ base: HDR_AT, len: 16 }], false);
    if (h.outLen === 0) return undefined;
    expect(h.outLen).toBe(16);
    const hv = new DataView(host.read(HDR_AT, 16).buffer);
    const type = hv.getUint32(0, true);
    const sector = hv.getUint32(8, true) + hv.getUint32(12, true) * 2 ** 32;
    let out: Uint8Array | undefined;
    if (dataLen > 0) {
      if (type === 0 && sector * 512 + dataLen <= disk.length) host.mem.write(DATA_AT, disk.subarray(sector * 512, sector * 512 + dataLen));
      if (type === 8) host.mem.write(DATA_AT, new TextEncoder().encode('micvop-disk-0'.padEnd(20, '\0')));
      const d = host.copy(fd, 0, [{ base: DATA_AT, len: dataLen }], opt.skipStatus === true);
      expect(d.outLen).toBe(dataLen);
      if (type === 1) {
        out = host.read(DATA_AT, dataLen);
        if (status === 0) disk.set(out, sector * 512);
      }
    }
    if (opt.skipStatus !== true) {
      host.mem.write8(STATUS_AT, status);
      expect(host.copy(fd, 0, [{ base: STATUS_AT, len: 1 }], true).outLen).toBe(1);
    }
    sys.settle();
    return { type, sector, out };
  };
  return { sys, host, fd, con, svc, disk, serve };
}

describe('card block driver over the host char device', () => {
  test('capacity, seg_max and RO from the config and features', () => {
    const a = booted({ capacity: 1000, segMax: 7 });
    expect([a.svc.blk.live, a.svc.blk.capacity, a.svc.blk.segMax, a.svc.blk.readOnly]).toEqual([true, 1000, 7, false]);
    const b = booted({ features: RO });
    expect([b.svc.blk.segMax, b.svc.blk.readOnly]).toEqual([0, true]);
  });

  test.each([false, true])('write then read a sector; headers and data split into descriptors as asked arrive the same (DMA %s)', (dma) => {
    const { svc, serve } = booted({ dma });
    const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7 + 1) & 0xff);
    const got: BlkCompletion[] = [];
    const id = svc.blk.submit({ type: 'out', sector: 5, data }, (c) => got.push(c), { headerCut: 5, data: [100, 412, 512] });
    expect(typeof id).toBe('number');
    svc.blk.kick();
    expect(svc.blk.inFlight).toBe(1);
    const r = serve(1024, 0)!;
    expect([r.type, r.sector, Array.from(r.out!)]).toEqual([1, 5, Array.from(data)]);
    // the used length is what the host wrote: the status byte alone (RING-16, BLK-13)
    expect(got).toEqual([{ status: 0, data: new Uint8Array(0), len: 1 }]);
    svc.blk.submit({ type: 'in', sector: 5, sectors: 2 }, (c) => got.push(c), { data: [1, 1023] });
    svc.blk.kick();
    expect(serve(1024, 0)).toMatchObject({ type: 0, sector: 5 });
    expect([got[1]!.status, got[1]!.len]).toEqual([0, 1025]);
    expect(Array.from(got[1]!.data)).toEqual(Array.from(data));
    expect(svc.blk.inFlight).toBe(0);
  });

  test('flush, GET_ID and a raw type are sent as asked; a sector past the capacity is still sent', () => {
    const { svc, serve } = booted({ capacity: 8 });
    const got: BlkCompletion[] = [];
    svc.blk.submit({ type: 'flush' }, (c) => got.push(c));
    svc.blk.submit({ type: 'get-id' }, (c) => got.push(c));
    svc.blk.submit({ type: 'raw', code: 0x1234, sector: 9, dataLen: 0 }, (c) => got.push(c));
    svc.blk.submit({ type: 'in', sector: 8, sectors: 1 }, (c) => got.push(c));
    svc.blk.kick();
    expect(serve(0, 0)).toMatchObject({ type: 4, sector: 0 });
    expect(serve(20, 0)).toMatchObject({ type: 8 });
    expect(serve(0, 2)).toMatchObject({ type: 0x1234, sector: 9 });
    expect(serve(512, 1)).toMatchObject({ type: 0, sector: 8 });
    expect(got.map((c) => c.status)).toEqual([0, 0, 2, 1]);
    expect(new TextDecoder().decode(got[1]!.data)).toBe('micvop-disk-0'.padEnd(20, '\0'));
  });

  test('the driver refuses what it must: writes with RO, splits over seg_max or not summing up, not live', () => {
    const ro = booted({ features: SEG_MAX | RO });
    const w = ro.svc.blk.submit({ type: 'out', sector: 0, data: new Uint8Array(512) }, () => undefined);
    expect(w).toMatchObject({ kind: 'card-virtio-error', reason: 'bad-request' });
    expect(typeof ro.svc.blk.submit({ type: 'in', sector: 0, sectors: 1 }, () => undefined)).toBe('number');
    const { svc, sys } = booted({ segMax: 2 });
    expect(svc.blk.submit({ type: 'in', sector: 0, sectors: 1 }, () => undefined, { data: [100, 100, 312] })).toMatchObject({ reason: 'bad-request' });
    expect(svc.blk.submit({ type: 'in', sector: 0, sectors: 1 }, () => undefined, { data: [100, 100] })).toMatchObject({ reason: 'bad-request' });
    expect(svc.blk.submit({ type: 'in', sector: 0, sectors: 1 }, () => undefined, { headerCut: 16 })).toMatchObject({ reason: 'bad-request' });
    sys.cardVirtio(0)[0]!.reset();
    expect(svc.blk.submit({ type: 'flush' }, () => undefined)).toMatchObject({ reason: 'not-live' });
  });

  test('a completion that never reaches the status byte has status -1', () => {
    const { svc, serve } = booted();
    const got: BlkCompletion[] = [];
    svc.blk.submit({ type: 'in', sector: 1, sectors: 1 }, (c) => got.push(c));
    svc.blk.kick();
    serve(512, 0, { skipStatus: true });
    expect(got.map((c) => [c.status, c.data.length, c.len])).toEqual([[-1, 512, 512]]);
  });

  test('requests a reset or a card crash takes away are detached, never completed; the driver comes back', () => {
    const { sys, svc, serve } = booted();
    const done: number[] = [];
    const ids = [0, 1, 2].map((s) => svc.blk.submit({ type: 'in', sector: s, sectors: 1 }, () => done.push(s)) as number);
    svc.blk.kick();
    sys.cardVirtio(0)[0]!.reset();
    sys.settle();
    expect(svc.detached().blk).toEqual(ids);
    expect(svc.blk.live).toBe(true);
    const again = svc.blk.submit({ type: 'in', sector: 3, sectors: 1 }, () => done.push(3)) as number;
    svc.blk.kick();
    expect(serve(512, 0)).toMatchObject({ sector: 3 });
    expect(done).toEqual([3]);
    const lost = svc.blk.submit({ type: 'flush' }, () => done.push(-1)) as number;
    expect(lost).toBeGreaterThan(again);
    expect(sys.cardPanic(0)).toEqual({ ok: true });
    sys.settle();
    expect(svc.blk.live).toBe(false);
    expect(svc.detached().blk).toEqual([lost]);
  });

  test('the shell writes and reads a sector through the driver and answers when the completion comes', () => {
    const { sys, host, con, serve } = booted({ console: true });
    const typed = (s: string) => {
      host.put(con, 0, new TextEncoder().encode(s));
      sys.settle();
    };
    const printed = () => {
      let out = '';
      for (let b = host.take(con, 1); b !== undefined; b = host.take(con, 1)) out += new TextDecoder().decode(b);
      return out;
    };
    expect(printed()).toBe('mic0$ ');
    typed('write 3 hello disk\n');
    expect(printed()).toBe('');
    expect(serve(512, 0)).toMatchObject({ type: 1, sector: 3 });
    expect(printed()).toBe('write 3: ok\nmic0$ ');
    typed('read 3\n');
    expect(serve(512, 0)).toMatchObject({ type: 0, sector: 3 });
    expect(printed()).toBe('read 3: ok hello disk\nmic0$ ');
    typed('read 70\n');
    serve(512, 1);
    typed('read x\n');
    expect(printed()).toBe('read 70: ioerr\nmic0$ usage: read <sector>\nmic0$ ');
  });
});
