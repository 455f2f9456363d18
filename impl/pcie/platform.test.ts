import { describe, expect, test } from 'vitest';
import { pcieComponents } from './index.ts';
import { BAR4, SDBIC_DBREQ } from '../../model/layout/sbox.ts';
import { CARD_MMIO_BASE, SMPT_WINDOW_BASE, SMPT_PAGE_SIZE } from '../../model/constants/pcie.ts';

const GiB = 2 ** 30;

describe('platform wiring', () => {
  test('BAR0 lands in card memory and faults beyond the aperture', () => {
    const p = pcieComponents.createPlatform({ cards: 2, seed: 1 });
    const c = p.cards[1]!;
    expect(c.bar0.size).toBe(16 * GiB);
    expect(c.bar0.write32(0x1000, 0xdeadbeef)).toBeUndefined();
    expect(c.cardMemory.read32(0x1000)).toBe(0xdeadbeef);
    expect(c.cardView.read32(0x1000)).toBe(0xdeadbeef);
    expect(p.cards[0]!.cardMemory.read32(0x1000)).toBe(0);
    const f = c.bar0.read32(16 * GiB);
    expect(typeof f).toBe('object');
    expect((f as { reason: string }).reason).toBe('out-of-range');
  });

  test('card sees its MMIO block at 0x08_007C_0000', () => {
    const p = pcieComponents.createPlatform();
    const c = p.cards[0]!;
    c.regs.write32(BAR4.SPAD(14), 0x1234);
    expect(c.cardView.read32(CARD_MMIO_BASE + BAR4.SPAD(14))).toBe(0x1234);
    c.cardView.write32(CARD_MMIO_BASE + BAR4.SPAD(15), 0x55);
    expect(c.regs.read32(BAR4.SPAD(15))).toBe(0x55);
    expect(typeof c.cardView.read8(CARD_MMIO_BASE + BAR4.SPAD(15))).toBe('object');
  });

  test('identity SMPT at probe: card address 0x80_0000_0000 + host address (host < 64 GiB)', () => {
    const p = pcieComponents.createPlatform();
    const c = p.cards[0]!;
    p.hostMemory.write32(0x2000, 0xcafef00d);
    expect(c.cardView.read32(SMPT_WINDOW_BASE + 0x2000)).toBe(0xcafef00d);
    expect(c.regs.peek(BAR4.SMPT(3))).toBe(3 << 2);
    expect(p.smpt[0]!.translate(SMPT_WINDOW_BASE + 3 * SMPT_PAGE_SIZE + 5)).toBe(3 * SMPT_PAGE_SIZE + 5);
    // entry 4 points at 64 GiB, past host memory: nothing there
    const f = c.cardView.read32(SMPT_WINDOW_BASE + 4 * SMPT_PAGE_SIZE);
    expect((f as { reason: string }).reason).toBe('unmapped');
  });

  test('remapping an entry moves the card window', () => {
    const p = pcieComponents.createPlatform();
    const c = p.cards[0]!;
    const smpt = p.smpt[0]!;
    // hold every identity entry so that host page 40 must take a reprogrammed one
    p.hostMemory.write32(2 * SMPT_PAGE_SIZE + 8, 77);
    const a = smpt.map(2 * SMPT_PAGE_SIZE + 8, 4);
    expect(a).toBe(SMPT_WINDOW_BASE + 2 * SMPT_PAGE_SIZE + 8);
    const b = smpt.map(40 * SMPT_PAGE_SIZE, 4096);
    expect(b).toBe(SMPT_WINDOW_BASE); // lowest free entry (0) reprogrammed
    expect(c.regs.peek(BAR4.SMPT(0))).toBe(40 << 2);
    expect(c.cardView.read32(a as number)).toBe(77);
  });

  test('card rings host doorbell through MMIO; delivery is a scheduler event; ack clears', () => {
    const p = pcieComponents.createPlatform({ seed: 3 });
    const c = p.cards[0]!;
    const got: number[] = [];
    c.onHostInterrupt((bits) => {
      got.push(bits);
      c.regs.write32(BAR4.SICR0, bits);
    });
    c.regs.write32(BAR4.SICE0, 0xf);
    c.cardView.write32(CARD_MMIO_BASE + BAR4.SDBIC(2), SDBIC_DBREQ);
    expect(c.regs.peek(BAR4.SICR0)).toBe(4);
    expect(got).toEqual([]);
    p.scheduler.runUntilIdle();
    expect(got).toEqual([4]);
    expect(c.regs.peek(BAR4.SICR0)).toBe(0);
  });

  test('masked doorbell stays pending and fires on unmask', () => {
    const p = pcieComponents.createPlatform({ seed: 3 });
    const c = p.cards[0]!;
    const got: number[] = [];
    c.onHostInterrupt((bits) => got.push(bits));
    c.regs.write32(BAR4.SICE0, 0xf);
    c.regs.write32(BAR4.SICC0, 0x1);
    expect(c.regs.read32(BAR4.SICE0)).toBe(0xe);
    expect(c.regs.read32(BAR4.SICC0)).toBe(0);
    c.regs.write32(BAR4.SDBIC(0), SDBIC_DBREQ);
    p.scheduler.runUntilIdle();
    expect(got).toEqual([]);
    c.regs.write32(BAR4.SICE0, 0x1);
    p.scheduler.runUntilIdle();
    expect(got).toEqual([1]);
    // not acked: ringing again coalesces
    c.regs.write32(BAR4.SDBIC(0), SDBIC_DBREQ);
    p.scheduler.runUntilIdle();
    expect(got).toEqual([1]);
    c.regs.write32(BAR4.SICR0, 1);
    c.regs.write32(BAR4.SDBIC(0), SDBIC_DBREQ);
    p.scheduler.runUntilIdle();
    expect(got).toEqual([1, 1]);
  });

  test('host→card doorbells: APICICR send bit and RDMASR', () => {
    const p = pcieComponents.createPlatform({ seed: 5 });
    const c = p.cards[0]!;
    const irqs: number[] = [];
    c.onCardIrq((irq) => irqs.push(irq));
    c.regs.write32(BAR4.APICICR(7), 229 | (1 << 13));
    c.regs.write32(BAR4.RDMASR(8 - 8 + 17), 0);
    c.regs.write32(BAR4.RDMASR(15 - 8 + 17), 0);
    c.regs.write32(BAR4.APICICR(1), 1 << 13);
    p.scheduler.runUntilIdle();
    expect([...irqs].sort((a, b) => a - b)).toEqual([27, 33, 34, 41]);
    expect(c.regs.peek(BAR4.APICICR(7))).toBe(229);
  });
});
