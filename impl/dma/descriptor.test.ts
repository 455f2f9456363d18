/** The 32-bit encoders agree with the 64-bit bitfield tables of model/layout/dma.ts. */
import { describe, expect, test } from 'vitest';
import { getBits } from '../../model/layout/table.ts';
import { GENERAL_QW0, GENERAL_QW1, MEMCOPY_QW0, MEMCOPY_QW1, STATUS_QW1 } from '../../model/layout/dma.ts';
import { encodeGeneral, encodeMemcopy, encodeStatus, encodeStatusWords, executeDescriptor, type DescWords } from './descriptor.ts';
import { createSparseMemory, createWindowedView } from '../memory/index.ts';
import { DCHERR_ADDRESS } from '../../model/constants/dma.ts';

const qw = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

describe('descriptor encoding', () => {
  test('memcopy', () => {
    const w: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
    encodeMemcopy(w, 0xff_ffff_ffc0, 0x80_1234_5640, (1 << 20) - 64, true);
    const q0 = qw(w.w0, w.w1);
    const q1 = qw(w.w2, w.w3);
    expect(getBits(q0, MEMCOPY_QW0.fields.sap)).toBe(0x80_1234_5640n);
    expect(getBits(q0, MEMCOPY_QW0.fields.length)).toBe(16383n);
    expect(getBits(q1, MEMCOPY_QW1.fields.dap)).toBe(0xff_ffff_ffc0n);
    expect(getBits(q1, MEMCOPY_QW1.fields.type)).toBe(1n);
    expect(getBits(q1, MEMCOPY_QW1.fields.intr)).toBe(1n);
  });

  test('status and general', () => {
    const w: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
    encodeStatus(w, 0x80_0000_0040, 0xdead_beef_0123_4567n, true);
    expect(qw(w.w0, w.w1)).toBe(0xdead_beef_0123_4567n);
    const q1 = qw(w.w2, w.w3);
    expect(q1).toBe((2n << 60n) | (1n << 59n) | 0x80_0000_0040n);
    expect(getBits(q1, STATUS_QW1.fields.intr)).toBe(1n);
    encodeGeneral(w, 0x1000, 0xcafe_f00d);
    expect(getBits(qw(w.w0, w.w1), GENERAL_QW0.fields.data)).toBe(0xcafe_f00dn);
    expect(getBits(qw(w.w2, w.w3), GENERAL_QW1.fields.type)).toBe(3n);
  });

  test('a STATUS whose second word faults writes nothing', () => {
    const ram = createSparseMemory(1 << 20, 'ram');
    const view = createWindowedView(1 << 24, 'phys');
    // the window ends 4 bytes into the 8-byte destination
    view.map({ base: 0x1000, len: 0x1004, port: ram, target: 0, label: 'w' });
    const w: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
    encodeStatusWords(w, 0x2000, 0x1111_1111, 0x2222_2222, false);
    expect(executeDescriptor(view, w, { off: 0 })).toBe(-DCHERR_ADDRESS);
    expect(ram.read32(0x1000)).toBe(0);
    encodeStatusWords(w, 0x1ff8, 0x1111_1111, 0x2222_2222, true);
    expect(executeDescriptor(view, w, { off: 0 })).toBe(1);
    expect(ram.read64(0xff8)).toBe(0x2222_2222_1111_1111n);
  });

  test('a STATUS reaches an observed port as two reads then two writes, low word first', () => {
    const ram = createSparseMemory(1 << 20, 'ram');
    const log: string[] = [];
    // an observer over the memory: its window is not plain sparse memory, so every access reaches it
    const observed = Object.assign(Object.create(ram) as typeof ram, {
      read32: (a: number) => (log.push(`r${a}`), ram.read32(a)),
      write32: (a: number, v: number) => (log.push(`w${a}`), ram.write32(a, v)),
    });
    const view = createWindowedView(1 << 24, 'phys');
    view.map({ base: 0x10_0000, len: 0x1000, port: observed, target: 0x4000, label: 'obs' });
    view.map({ base: 0x20_0000, len: 0x1000, port: ram, target: 0x8000, label: 'ram' });
    const w: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
    encodeStatusWords(w, 0x10_0010, 0xaaaa_aaaa, 0xbbbb_bbbb, false);
    expect(executeDescriptor(view, w, { off: 0 })).toBe(0);
    expect(log).toEqual([`r${0x4010}`, `r${0x4014}`, `w${0x4010}`, `w${0x4014}`]);
    // plain sparse memory behind the window: the same bytes land
    encodeStatusWords(w, 0x20_0018, 0xcccc_cccc, 0xdddd_dddd, true);
    expect(executeDescriptor(view, w, { off: 0 })).toBe(1);
    expect(ram.read64(0x8018)).toBe(0xdddd_dddd_cccc_ccccn);
    expect(ram.read64(0x4010)).toBe(0xbbbb_bbbb_aaaa_aaaan);
  });
});
