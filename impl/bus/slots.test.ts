/** Pinned ring slots agree with the ports' bytes, fall back when they cannot pin, and never allocate a page to read it. */
import { describe, expect, test } from 'vitest';
import { createSparseMemory, createWindowedView } from '../memory/index.ts';
import { pcieComponents } from '../pcie/index.ts';
import { attachDma } from './attach.ts';
import type { DmaCard, DmaChan, DmaError, MemPort } from '../../model/contract.ts';
import { DMA_PREP_FENCE, SMPT_WINDOW_BASE } from '../../model/constants/dma.ts';
import { RingSlots } from '../dma/slots.ts';
import type { DescWords } from '../dma/descriptor.ts';

const words = (n: number): DescWords => ({ w0: n, w1: n + 1, w2: n + 2, w3: (n + 3) | 0x1000_0000 });
const wordsAt = (m: MemPort, addr: number): number[] => [0, 4, 8, 12].map((o) => m.read32(addr + o) as number);
const isErr = (x: unknown): x is DmaError => typeof x === 'object' && x !== null && (x as { kind?: string }).kind === 'dma-error';

describe('RingSlots', () => {
  test('stores and reads are the port bytes, across pages and with a ring not page aligned', () => {
    const m = createSparseMemory(1 << 20, 'ram');
    const addr = 0x10f80; // 8 slots in the first page, the rest in the next ones
    const size = 300;
    const slots = new RingSlots(m, addr, size, true);
    for (let s = 0; s < size; s++) {
      const w = words(s * 16);
      if (!slots.store(s, w)) {
        expect(slots.pin(s)).toBe(true);
        expect(slots.store(s, w)).toBe(true);
      }
    }
    for (let s = 0; s < size; s++) expect(wordsAt(m, addr + s * 16)).toEqual([s * 16, s * 16 + 1, s * 16 + 2, (s * 16 + 3) | 0x1000_0000]);
    // bytes written through the port show through the pins
    m.write32(addr + 5 * 16 + 8, 0xdeadbeef);
    const w: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
    expect(slots.read(5, w)).toBe(true);
    expect(w.w2).toBe(0xdeadbeef);
    // nothing outside the ring was touched
    expect(m.read32(addr - 4)).toBe(0);
    expect(m.read32(addr + size * 16)).toBe(0);
  });

  test('a released page ends its pin: the slot goes back to the port until pinned again', () => {
    const m = createSparseMemory(1 << 20, 'ram');
    const slots = new RingSlots(m, 0x4000, 512, true);
    expect(slots.pin(3)).toBe(true);
    expect(slots.store(3, words(7))).toBe(true);
    m.fill(0x4000, 4096, 0); // a whole-page zero fill releases the page
    expect(m.pagesAllocated).toBe(0);
    expect(slots.store(3, words(7))).toBe(false);
    const w: DescWords = { w0: 1, w1: 1, w2: 1, w3: 1 };
    expect(slots.read(3, w)).toBe(false);
    expect(slots.pin(3)).toBe(true);
    expect(slots.store(3, words(9))).toBe(true);
    expect(wordsAt(m, 0x4000 + 3 * 16)[0]).toBe(9);
  });

  test('an unmapped window ends the pins taken through it', () => {
    const m = createSparseMemory(1 << 20, 'ram');
    const v = createWindowedView(1 << 24, 'view');
    v.map({ base: 0x10_0000, len: 1 << 20, port: m, target: 0, label: 'w' });
    m.write32(0x2000, 5);
    const slots = new RingSlots(v, 0x10_2000, 16, false);
    expect(slots.pin(0)).toBe(true);
    const w: DescWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
    expect(slots.read(0, w)).toBe(true);
    expect(w.w0).toBe(5);
    v.unmap(0x10_0000);
    expect(slots.read(0, w)).toBe(false);
    expect(slots.pin(0)).toBe(false);
  });

  test('rings the pins cannot hold take the port path', () => {
    const m = createSparseMemory(1 << 20, 'ram');
    const unaligned = new RingSlots(m, 0x1008, 16, true);
    expect(unaligned.pin(0)).toBe(false);
    expect(unaligned.store(0, words(1))).toBe(false);
    const noPin: MemPort = Object.assign(Object.create(m) as MemPort, { pin: undefined });
    const plain = new RingSlots(noPin, 0x1000, 16, true);
    expect(plain.pin(0)).toBe(false);
    expect(m.pagesAllocated).toBe(0);
  });
});

describe('the engine and the client with pinned rings', () => {
  function setup(): { d: DmaCard; host: MemPort & { pagesAllocated: number }; card: MemPort & { pagesAllocated: number }; chan: DmaChan; run: () => void } {
    const p = pcieComponents.createPlatform({ seed: 1 });
    const d = attachDma(p, 0, { ringSize: 64 });
    if (isErr(d)) throw new Error(d.detail);
    const chan = d.host.requestChannel(0);
    if (isErr(chan)) throw new Error(chan.detail);
    return { d, host: p.hostMemory, card: p.cards[0]!.cardMemory, chan, run: () => void p.scheduler.runUntilIdle() };
  }

  function copy(c: DmaChan, dst: number, src: number, len: number): void {
    const tx = c.prepMemcpy(dst, src, len, DMA_PREP_FENCE);
    if (isErr(tx)) throw new Error(tx.detail);
    const cookie = tx.submit();
    if (isErr(cookie)) throw new Error(cookie.detail);
    expect(c.syncWait(cookie)).toBe('complete');
  }

  test('copies stay exact after the ring pages were released under both pins', () => {
    const { d, host, card, chan } = setup();
    const ringBase = d.hostAlloc.base; // channel 0's ring: the first page of the host allocation
    for (let round = 0; round < 3; round++) {
      const src = new Uint8Array(4096).map((_, i) => (i * 13 + round) & 0xff);
      host.write(0x20_0000, src);
      copy(chan, 0x30_0000, SMPT_WINDOW_BASE + 0x20_0000, 4096);
      expect(card.read(0x30_0000, 4096)).toEqual(src);
      // a whole-page zero fill of the ring (nothing outstanding) releases the page both sides pinned
      expect(host.fill(ringBase, 4096, 0)).toBeUndefined();
    }
  });

  test('the engine reads a never-written ring page without allocating it', () => {
    const { d, card, run } = setup();
    const port = d.engine.port('card');
    // channel 5, ring of 8 NOPs in untouched GDDR (raw register writes, as card software could)
    const before = card.pagesAllocated;
    expect(port.writeDcr((port.readDcr() as number) & ~((1 << 10) | (1 << 11)))).toBeUndefined();
    port.writeChan(5, 'DRAR_LO', 0x70_0000);
    port.writeChan(5, 'DRAR_HI', 8 << 4);
    expect(port.writeDcr((port.readDcr() as number) | (1 << 11))).toBeUndefined();
    port.writeChan(5, 'DHPR', 7);
    run();
    expect(d.engine.regs(5).dtpr).toBe(7);
    expect(d.engine.regs(5).dcherr).toBe(0);
    expect(card.pagesAllocated).toBe(before);
  });
});
