import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { BAR4, REG_ARRAYS, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { bootParam } from '../../model/layout/device-page.ts';
import { BOOTSTRAP_BOOT_ADDR, MIC_RESET_TO } from '../../model/constants/lifecycle.ts';
import { STEPPING } from '../../model/constants/pcie.ts';
import { commandLineBytes } from './loader.ts';
import { writeField } from '../memory/fields.ts';

describe('host driver (facts §3, §4.1, §4.5)', () => {
  test('probe writes the device page address to SPAD14/15 and initialises the bootparam', () => {
    const s = createReferenceSystem();
    const d = s.drivers[0]!;
    const regs = (s as unknown as { drivers: { regs: { peek(o: number): number } }[] }).drivers[0]!.regs;
    expect(regs.peek(BAR4.SPAD(SPAD_INDEX.DPHI)) * 2 ** 32 + regs.peek(BAR4.SPAD(SPAD_INDEX.DPLO))).toBe(d.dpCardAddr);
    const page = s.observe.devicePage(0);
    expect(Array.from(page.subarray(0, 9))).toEqual([0x00, 0xee, 0xff, 0xc0, 0, 0xff, 0xff, 0, 0]);
  });

  test('boot copies image, SPAD5, command line and ramdisk; a second boot is EINVAL', () => {
    const s = createReferenceSystem({ cardMemoryBytes: 256 * 2 ** 20 });
    expect(s.writeAttr(0, 'cmdline', 'console=hvc0\n')).toEqual({ ok: true });
    expect(s.writeAttr(0, 'ramdisk', 'mic/mic0.image')).toEqual({ ok: true });
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('online');
    const regs = s.drivers[0]!.regs;
    const size = regs.peek(BAR4.SPAD(SPAD_INDEX.FW_SIZE));
    const view = s.observe.cardView(0);
    const cl = view.read(BOOTSTRAP_BOOT_ADDR + size, 32) as Uint8Array;
    expect(new TextDecoder().decode(cl.subarray(0, cl.indexOf(0)))).toBe(' mem=256M console=hvc0');
    expect(view.read8(2 * BOOTSTRAP_BOOT_ADDR)).toBe(0x5a);
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ errno: 'EINVAL' });
  });

  test('command line is cut at 2047 bytes plus NUL', () => {
    const b = commandLineBytes(16 * 2 ** 30, 'x'.repeat(5000));
    expect(b.length).toBe(2048);
    expect(b[2047]).toBe(0);
    expect(new TextDecoder().decode(b.subarray(0, 12))).toBe(' mem=16384M ');
  });

  test('a reset that never completes: 45 polls at 1 s after a 1 s settle, then reset_failed', () => {
    const s = createReferenceSystem();
    s.writeAttr(0, 'state', 'boot');
    s.settle();
    s.resetNeverCompletes(0);
    const t0 = s.scheduler.now;
    s.writeAttr(0, 'state', 'reset');
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('reset_failed');
    expect(s.scheduler.now - t0).toBe((MIC_RESET_TO + 1) * 1e9);
    // sticky: mic_stop leaves reset_failed even when the next reset completes
    s.writeAttr(0, 'state', 'reset');
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('reset_failed');
    expect(s.observe.cardSide(0)).toBe('bootstrap_ready');
  });

  test('sysfs strings and errnos', () => {
    const s = createReferenceSystem({ revision: STEPPING.B1 });
    expect(s.readAttr(0, 'family')).toBe('x100');
    expect(s.readAttr(0, 'stepping')).toBe('B1');
    expect(createReferenceSystem({ revision: 0x33 }).readAttr(0, 'stepping')).toBe('??');
    expect(s.readAttr(0, 'shutdown_status')).toBe('nop');
    expect(s.writeAttr(0, 'family', 'x')).toEqual({ errno: 'EACCES' });
    expect(s.writeAttr(0, 'nosuch', 'x')).toEqual({ errno: 'ENOENT' });
    expect(s.readAttr(0, 'nosuch')).toEqual({ errno: 'ENOENT' });
    expect(s.writeAttr(0, 'bootmode', 'flash')).toEqual({ errno: 'EINVAL' });
    expect(s.writeAttr(0, 'bootmode', 'elf\n')).toEqual({ ok: true });
    expect(s.readAttr(0, 'bootmode')).toBe('elf');
    expect(s.writeAttr(0, 'state', 'boot\n\n')).toEqual({ errno: 'EINVAL' });
    expect(s.writeAttr(0, 'firmware', 'mic/none.img')).toEqual({ ok: true });
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ errno: 'ENOENT' });
  });

  test('DMA integration: mbus devices follow start and stop', () => {
    const s = createReferenceSystem({ dma: true, cardMemoryBytes: 256 * 2 ** 20 });
    expect(s.observe.mbusDevices(0)).toEqual([]);
    s.writeAttr(0, 'state', 'boot');
    s.settle();
    expect([...s.observe.mbusDevices(0)].sort()).toEqual(['mic0.dma-host', 'mic0.dma-mic']);
    s.writeAttr(0, 'state', 'reset');
    s.settle();
    expect(s.observe.mbusDevices(0)).toEqual([]);
  });

  test('two cards with mpssd: a PM cycle brings both back online with their devices', () => {
    const s = createReferenceSystem({ cards: 2, daemon: true, cardMemoryBytes: 256 * 2 ** 20 });
    const before = [0, 1].map((i) => JSON.stringify(s.observe.liveDevices(i)));
    expect(s.observe.liveDevices(1).length).toBe(2);
    expect(s.pmSuspend()).toEqual({ ok: true });
    expect(s.pmSuspend()).toEqual({ errno: 'EBUSY' });
    s.settle();
    expect([s.observe.state(0), s.observe.state(1)]).toEqual(['suspended', 'suspended']);
    expect(s.pmResume()).toEqual({ ok: true });
    s.settle();
    expect([s.observe.state(0), s.observe.state(1)]).toEqual(['online', 'online']);
    expect([0, 1].map((i) => JSON.stringify(s.observe.liveDevices(i)))).toEqual(before);
  });

  // the card writes the bootparam doorbells (facts §5.1): a value that names no card doorbell must
  // not make the host throw (DESIGN.md §7); the host rings nothing for it
  test.each([100, 16, -5])('a card-written h2c_shutdown_db of %i: shutdown is not thrown, nothing is rung', (db) => {
    const s = createReferenceSystem({ cardMemoryBytes: 256 * 2 ** 20 });
    s.writeAttr(0, 'state', 'boot');
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('online');
    const card = s.observe.cardView(0);
    expect(writeField(card, s.drivers[0]!.dpCardAddr, bootParam.fields.h2c_shutdown_db, db)).toBeUndefined();
    const regs = s.drivers[0]!.regs;
    const rdmasr = Array.from({ length: REG_ARRAYS.RDMASR.count }, (_, r) => regs.peek(BAR4.RDMASR(r)));
    const apicicr = Array.from({ length: REG_ARRAYS.APICICR.count }, (_, i) => regs.peek(BAR4.APICICR(i)));
    expect(s.writeAttr(0, 'state', 'shutdown')).toEqual({ ok: true });
    expect(Array.from({ length: REG_ARRAYS.RDMASR.count }, (_, r) => regs.peek(BAR4.RDMASR(r)))).toEqual(rdmasr);
    expect(Array.from({ length: REG_ARRAYS.APICICR.count }, (_, i) => regs.peek(BAR4.APICICR(i)))).toEqual(apicicr);
    s.settle();
  });

  test('same seed, same commands: byte-identical trace', () => {
    const run = () => {
      const s = createReferenceSystem({ seed: 5, daemon: true });
      s.cardRestart(0);
      s.settle();
      s.pmSuspend();
      s.settle();
      s.pmResume();
      s.settle();
      return s.observe.trace();
    };
    const a = run();
    expect(a.length).toBeGreaterThan(1000);
    expect(run()).toBe(a);
  });
});
