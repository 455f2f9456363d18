/** Unit tests of the DMA stack on one card: client API over the engine, bus binding, errors. */
import { describe, expect, test } from 'vitest';
import { pcieComponents } from '../pcie/index.ts';
import { attachDma } from './attach.ts';
import { DMA_PREP_FENCE, DMA_PREP_INTERRUPT, MBUS_DEV_DMA_HOST, MIC_DMA_DCAR_IM0, SMPT_WINDOW_BASE } from '../../model/constants/dma.ts';
import type { DmaCard, DmaChan, DmaError } from '../../model/contract.ts';

const isErr = (x: unknown): x is DmaError => typeof x === 'object' && x !== null && (x as { kind?: string }).kind === 'dma-error';

function setup(ringSize = 64) {
  const p = pcieComponents.createPlatform({ seed: 1 });
  const d = attachDma(p, 0, { ringSize });
  if (isErr(d)) throw new Error(d.detail);
  return { p, d: d as DmaCard };
}

function chan(c: DmaChan | DmaError): DmaChan {
  if (isErr(c)) throw new Error(c.detail);
  return c;
}

describe('dma client over the engine', () => {
  test('host→card and card→host copies, callbacks once, fence + interrupt', () => {
    const { p, d } = setup();
    const ch = chan(d.host.requestChannel(0));
    const src = new Uint8Array(4096).map((_, i) => i * 7);
    p.hostMemory.write(0x10000, src);
    const tx = ch.prepMemcpy(0x2000, SMPT_WINDOW_BASE + 0x10000, 4096, DMA_PREP_FENCE | DMA_PREP_INTERRUPT);
    if (isErr(tx)) throw new Error(tx.detail);
    let called = 0;
    tx.callback = () => called++;
    const c = tx.submit();
    expect(c).toBe(1);
    expect(ch.syncWait(c as number)).toBe('complete');
    expect(p.cards[0]!.cardMemory.read(0x2000, 4096)).toEqual(src);
    p.scheduler.runUntilIdle();
    expect(called).toBe(1);

    const cc = chan(d.card.requestChannel());
    expect(cc.channel).toBe(4);
    const tx2 = cc.prepMemcpy(SMPT_WINDOW_BASE + 0x40000, 0x2000, 4096, DMA_PREP_INTERRUPT);
    if (isErr(tx2)) throw new Error(tx2.detail);
    let c2 = 0;
    tx2.callback = () => c2++;
    const k = tx2.submit() as number;
    cc.issuePending();
    // the interrupt thread runs the cleanup: the callback runs without polling
    p.scheduler.runUntilIdle();
    expect(c2).toBe(1);
    expect(cc.txStatus(k)).toBe('complete');
    expect(p.hostMemory.read(0x40000, 4096)).toEqual(src);
    expect(ch.release()).toBeUndefined();
    expect(d.engine.regs(0).enabled).toBe(false);
  });

  test('unaligned requests are refused and change nothing', () => {
    const { d } = setup();
    const ch = chan(d.card.requestChannel(5));
    const before = d.engine.regs(5);
    for (const [dst, src, len] of [[0x1000, 0x2000, 1], [0x1000, 0x2000, 63], [0x1001, 0x2000, 64], [0x1000, 0x2020, 128]] as const) {
      expect(ch.prepMemcpy(dst, src, len, 0)).toMatchObject({ errno: 'EINVAL', reason: 'unaligned' });
    }
    expect(ch.prepMemcpy(0x1000, 0x2000, 0, 0)).toMatchObject({ reason: 'zero-length' });
    expect(d.engine.regs(5)).toEqual(before);
  });

  test('a host-to-host copy halts the channel; re-init recovers; the auto-issue level', () => {
    const { p, d } = setup();
    const ch1 = chan(d.host.requestChannel(1));
    const t3 = ch1.prepMemcpy(SMPT_WINDOW_BASE + 0x80000, SMPT_WINDOW_BASE + 0x10000, 64, 0);
    if (isErr(t3)) throw new Error(t3.detail);
    let res = '';
    t3.callback = (r) => (res = r);
    const k3 = t3.submit() as number;
    expect(ch1.syncWait(k3, 1000)).toBe('error');
    expect(d.engine.regs(1).dcherr).not.toBe(0);
    expect(ch1.phase).toBe('halted');
    expect(ch1.prepMemcpy(0, 64, 64, 0)).toMatchObject({ errno: 'EIO', reason: 'channel-halted' });
    expect(ch1.reinit()).toBeUndefined();
    expect(res).toBe('aborted');
    expect(ch1.txStatus(k3)).toBe('error');
    expect(ch1.phase).toBe('active');
    // five one-descriptor submissions stay pending; the sixth crosses the level and rings DHPR
    const head0 = d.engine.regs(1).dhpr;
    const cookies: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = ch1.prepMemcpy(0x80000 + i * 64, SMPT_WINDOW_BASE + 0x10000, 64, 0);
      if (isErr(t)) throw new Error(t.detail);
      cookies.push(t.submit() as number);
      if (i < 5) expect(d.engine.regs(1).dhpr).toBe(head0);
    }
    expect(d.engine.regs(1).dhpr).not.toBe(head0);
    p.scheduler.runUntilIdle();
    for (const c of cookies) expect(ch1.txStatus(c)).toBe('complete');
  });

  test('ownership: wrong side refused by the API and by the hardware ports', () => {
    const { d } = setup();
    expect(d.card.requestChannel(0)).toMatchObject({ errno: 'EPERM', reason: 'wrong-owner' });
    expect(d.host.requestChannel(7)).toMatchObject({ errno: 'EPERM', reason: 'wrong-owner' });
    expect(d.engine.port('card').writeChan(0, 'DHPR', 3)).toMatchObject({ errno: 'EPERM' });
    expect(d.engine.port('host').writeDcr(d.engine.port('host').readDcr() | (1 << 9))).toMatchObject({ errno: 'EPERM' });
    expect(d.engine.violations().length).toBe(2);
  });

  test('the real ring size works, the same head twice is an error, and bus removal unbinds', () => {
    const { p, d } = setup(131068);
    const ch = chan(d.card.requestChannel(6));
    expect(ch.ringSize).toBe(131068);
    const t = ch.prepMemcpy(0x10_0000, 0x20_0000, 1024 * 1024, 0);
    if (isErr(t)) throw new Error(t.detail);
    expect(ch.syncWait(t.submit() as number)).toBe('complete');
    const port = d.engine.port('card');
    port.writeChan(6, 'DHPR', d.engine.regs(6).dhpr);
    expect(d.engine.regs(6).dcherr).not.toBe(0);
    const dev = d.bus.devices().find((x) => x.id === MBUS_DEV_DMA_HOST)!;
    expect(d.bus.boundDriver(dev)).toBe('mic_x100_dma');
    d.bus.unregisterDevice(dev);
    expect(d.host.requestChannel(0)).toMatchObject({ errno: 'ENODEV', reason: 'no-device' });
    void p;
  });

  test('a copy outside memory is an address error', () => {
    const { p, d } = setup();
    const ch = chan(d.card.requestChannel(4));
    const t = ch.prepMemcpy(p.cards[0]!.cardMemory.size - 64, 0x1000, 128, 0);
    if (isErr(t)) throw new Error(t.detail);
    expect(ch.syncWait(t.submit() as number, 1000)).toBe('error');
    expect(d.engine.regs(4).dcherr).not.toBe(0);
  });

  test('a stalled engine makes syncWait give up after 5 s of virtual time', () => {
    const { p, d } = setup();
    const ch = chan(d.card.requestChannel(7));
    p.scheduler.faults.arm('dma.ch7.stall');
    const t = ch.prepMemcpy(0x1000, 0x2000, 64, 0);
    if (isErr(t)) throw new Error(t.detail);
    const t0 = p.scheduler.now;
    expect(ch.syncWait(t.submit() as number)).toBe('error');
    expect(p.scheduler.now - t0).toBeGreaterThanOrEqual(5_000_000_000);
    expect(d.engine.regs(7).dcherr).toBe(0);
  });

  test('prepInterrupt emits the doubled status and its callback runs from the interrupt', () => {
    const { p, d } = setup();
    const ch = chan(d.host.requestChannel(2));
    expect(ch.prepInterrupt(0)).toMatchObject({ reason: 'zero-length' });
    const t = ch.prepInterrupt(DMA_PREP_INTERRUPT);
    if (isErr(t)) throw new Error(t.detail);
    let ran = 0;
    t.callback = () => ran++;
    const head = d.engine.regs(2).dhpr;
    t.submit();
    ch.issuePending();
    expect((d.engine.regs(2).dhpr - head + 64) % 64).toBe(2);
    p.scheduler.runUntilIdle();
    expect(ran).toBe(1);
  });

  test('the raw BAR4 path reads and stores what the hardware holds', () => {
    const { p, d } = setup();
    const regs = p.cards[0]!.regs;
    chan(d.card.requestChannel(4));
    const base = 0x1a000 + 4 * 0x40;
    // DTPR is the hardware's: a raw write is ignored
    regs.write32(base + 0x08, 17);
    expect(regs.read32(base + 0x08)).toBe(0);
    expect(regs.peek(base + 0x08)).toBe(0);
    expect(regs.read32(0x1a280)).toBe(d.engine.port('card').readDcr());
  });

  test('a card interrupt still in flight at teardown does not unmask the released channel', () => {
    const { p, d } = setup();
    const ch = chan(d.card.requestChannel(4));
    p.scheduler.faults.arm('dma.ch4.descError');
    const t = ch.prepMemcpy(0x60000, 0x20000, 64, 0);
    if (isErr(t)) throw new Error(t.detail);
    t.submit();
    ch.issuePending();
    // run only up to the halt: its interrupt is raised and not yet delivered
    expect(p.scheduler.runUntil(() => d.engine.regs(4).dcherr !== 0)).toBe(true);
    expect(ch.release()?.errno).toBe('EIO');
    const torn = d.engine.regs(4);
    expect(torn.enabled).toBe(false);
    expect(torn.dcar & MIC_DMA_DCAR_IM0).not.toBe(0);
    // the late delivery finds the channel released (facts §7.3: disable, mask) and leaves it so
    p.scheduler.runUntilIdle();
    expect(d.engine.regs(4)).toEqual(torn);
  });
});

