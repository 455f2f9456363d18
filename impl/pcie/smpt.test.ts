import { describe, expect, test } from 'vitest';
import { HostSmpt, isSmptError, smptRegHostAddr, smptRegValue } from './smpt.ts';
import { RegisterFileImpl } from './regfile.ts';
import { BAR4 } from '../../model/layout/sbox.ts';

const P = 2 ** 34;
const BASE = 0x80_0000_0000;
const fresh = (): { smpt: HostSmpt; regs: RegisterFileImpl } => {
  const regs = new RegisterFileImpl('t');
  return { smpt: new HostSmpt(regs), regs };
};

describe('SMPT (facts §2)', () => {
  test('identity at init: card address = 0x80_0000_0000 + host address', () => {
    const { smpt, regs } = fresh();
    expect(smpt.map(0x1234_5678, 4096)).toBe(BASE + 0x1234_5678);
    expect(smpt.entries()[0]).toEqual({ hostAddr: 0, refBytes: 4096 });
    expect(regs.peek(BAR4.SMPT(5))).toBe(5 << 2);
    expect(smptRegValue(5 * P + 7)).toBe(20);
    expect(smptRegHostAddr(20)).toBe(5 * P);
  });

  test('a buffer crossing a 16 GiB boundary counts bytes in both entries', () => {
    const { smpt } = fresh();
    expect(smpt.map(P - 100, 300)).toBe(BASE + P - 100);
    expect(smpt.entries()[0]!.refBytes).toBe(100);
    expect(smpt.entries()[1]!.refBytes).toBe(200);
    expect(smpt.unmap(BASE + P - 100, 300)).toBeUndefined();
    expect(smpt.entries()[1]!.refBytes).toBe(0);
  });

  test('size errors', () => {
    const { smpt } = fresh();
    expect(smpt.map(0, 0)).toMatchObject({ reason: 'bad-size' });
    expect(smpt.map(0, 512 * 2 ** 30 + 1)).toMatchObject({ reason: 'bad-size' });
    expect(smpt.map(-1, 1)).toMatchObject({ reason: 'bad-address' });
    expect(smpt.unmap(BASE, 0)).toMatchObject({ reason: 'bad-size' });
  });

  test('out of window', () => {
    const { smpt } = fresh();
    expect(smpt.translate(BASE - 1)).toMatchObject({ reason: 'out-of-window' });
    expect(smpt.translate(BASE + 512 * 2 ** 30)).toMatchObject({ reason: 'out-of-window' });
    expect(smpt.translate(BASE + 512 * 2 ** 30 - 1)).toBe(32 * P - 1);
    expect(smpt.unmap(0x1000, 8)).toMatchObject({ reason: 'out-of-window' });
    expect(smpt.unmap(BASE + 31 * P + P - 4, 8)).toMatchObject({ reason: 'out-of-window' });
  });

  test('non-identity pages take the lowest free entries and reprogram them', () => {
    const { smpt, regs } = fresh();
    expect(smpt.map(100 * P + 8, 2 * P)).toBe(BASE + 8); // 3 pages → entries 0..2
    expect(smpt.entries().slice(0, 3).map((e) => e.hostAddr)).toEqual([100 * P, 101 * P, 102 * P]);
    expect(regs.peek(BAR4.SMPT(1))).toBe(101 * 4);
    // a second map of the same pages reuses them
    expect(smpt.map(101 * P, 16)).toBe(BASE + P);
  });

  test('exhausted table → no-space', () => {
    const { smpt } = fresh();
    for (let i = 0; i < 32; i++) expect(isSmptError(smpt.map((100 + i) * P, 1))).toBe(false);
    expect(smpt.map(200 * P, 1)).toMatchObject({ reason: 'no-space' });
    // mapping a page that is still programmed works (reuse ignores the count)
    expect(smpt.map(105 * P + 3, 1)).toBe(BASE + 5 * P + 3);
  });

  test('quirk: a partial match that breaks contiguity fails without trying free entries', () => {
    const { smpt } = fresh();
    for (let i = 0; i < 4; i++) smpt.map(i * P, 1); // hold entries 0..3 (identity)
    expect(smpt.map(60 * P, 1)).toBe(BASE + 4 * P); // lowest free entry 4 → page 60, held
    // pages 3,4: entry 3 matches page 3, entry 4 (page 60) breaks the run → fail, although 5..31 are free
    const r = smpt.map(3 * P + 5, P);
    expect(r).toMatchObject({ reason: 'no-space' });
    expect((r as { detail: string }).detail).toMatch(/contiguity/);
  });

  test('a partial match running off the end of the table falls back to free entries', () => {
    const { smpt } = fresh();
    // pages 31,32: entry 31 matches page 31, then the table ends → free scan → entries 0,1
    expect(smpt.map(31 * P + 10, P)).toBe(BASE + 10);
    expect(smpt.entries().slice(0, 2).map((e) => e.hostAddr)).toEqual([31 * P, 32 * P]);
  });

  test('unmapping more than mapped reports not-mapped (C warns) and applies the subtraction', () => {
    const { smpt } = fresh();
    expect(smpt.unmap(BASE + 8, 16)).toMatchObject({ reason: 'not-mapped' });
    expect(smpt.entries()[0]!.refBytes).toBe(-16);
  });

  test('restore rewrites the registers from the software copy', () => {
    const { smpt, regs } = fresh();
    smpt.map(77 * P, 1);
    regs.poke(BAR4.SMPT(0), 0);
    smpt.restore();
    expect(regs.peek(BAR4.SMPT(0))).toBe(77 * 4);
  });
});
