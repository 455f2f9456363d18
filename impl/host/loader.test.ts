/**
 * The boot address comes from the card (SPAD2, facts §3): the host refuses one above 2 GiB or one
 * where the image does not fit (facts §3.2 steps 2–3), and — beyond the kernel [model choice] — one
 * where the command line or ramdisk would land past the aperture. A refused boot writes nothing.
 */
import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { BAR4, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { cardImageHeader, encodeCardImage } from '../../model/layout/card-image.ts';
import { loadCardOs, type LoadParams } from './loader.ts';
import { memoryComponents } from '../memory/index.ts';
import type { MemPort, RegisterFile } from '../../model/contract.ts';

const MIB = 2 ** 20;

/** a system whose bootstrap offers `addr` (ready bit set) */
function offering(addr: number, cardMemoryBytes: number) {
  const s = createReferenceSystem({ cardMemoryBytes, trace: false });
  s.hostileCard(0, { kind: 'spad2', value: (addr | 1) >>> 0 });
  return s;
}

function refusedCleanly(addr: number, cardMemoryBytes: number, errno = 'EINVAL'): void {
  const s = offering(addr, cardMemoryBytes);
  const bar0Before = s.observe.bar0Accesses(0).length;
  const regsBefore = s.observe.hostRegWrites(0).length;
  expect(s.writeAttr(0, 'state', 'boot')).toEqual({ errno });
  s.settle();
  expect(s.readAttr(0, 'state')).toBe('offline');
  expect(s.observe.bar0Accesses(0).length).toBe(bar0Before);
  expect(s.observe.hostRegWrites(0).length).toBe(regsBefore);
  expect(s.observe.cardSide(0)).toBe('bootstrap_ready');
}

describe('SPAD2 boot address checks (facts §3.2)', () => {
  test.each([0x8000_1000, 0xc000_0000, 0xffff_f000])('boot address %i (above 2 GiB): EINVAL, nothing written (4 GiB aperture, so the image would fit)', (addr) => {
    refusedCleanly(addr, 4096 * MIB);
  });

  test('exactly 2 GiB is allowed: the card boots from there', () => {
    const s = offering(0x8000_0000, 4096 * MIB);
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('online');
    expect(s.observe.cardSide(0)).toBe('os_running');
    expect(s.observe.bar0Accesses(0).some((a) => a.write && a.addr === 0x8000_0000)).toBe(true);
  });

  test.each([0, 1])('image not fitting below the aperture end (%i page(s) below the top): EINVAL, nothing written', (pages) => {
    refusedCleanly(256 * MIB - 4096 * pages, 256 * MIB);
  });

  test('a missing firmware file is reported before the fit check (ENOENT), still nothing written', () => {
    const s = offering(256 * MIB - 4096, 256 * MIB);
    expect(s.writeAttr(0, 'firmware', 'mic/none.img')).toEqual({ ok: true });
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ errno: 'ENOENT' });
    expect(s.readAttr(0, 'state')).toBe('offline');
  });
});

/** a recording stand-in for BAR0 and BAR4, for the loader on its own */
function fakes(aperture: number, spad2: number) {
  const writes: { addr: number; len: number }[] = [];
  const mem: MemPort = memoryComponents.createSparseMemory(aperture, 'bar0');
  const bar0: MemPort = new Proxy(mem, {
    get(t, p, r) {
      if (p === 'write') return (a: number, src: Uint8Array) => (writes.push({ addr: a, len: src.length }), t.write(a, src));
      const v = Reflect.get(t, p, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  const spads = new Map<number, number>([[BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO), spad2]]);
  const regs = {
    size: 0x20000,
    read32: (off: number) => spads.get(off) ?? 0,
    write32: (off: number, v: number) => void spads.set(off, v >>> 0),
    peek: (off: number) => spads.get(off) ?? 0,
    poke: (off: number, v: number) => void spads.set(off, v),
    hook: () => undefined,
  } as RegisterFile;
  return { bar0, regs, writes, spads };
}

describe('loader: everything must fit before anything is written [model choice]', () => {
  const aperture = 256 * MIB;
  // the image ends 6 bytes before a page boundary: at two pages below the top it fits, its command line does not
  const image = encodeCardImage({ payload: new Uint8Array(2 * 4096 - 6 - cardImageHeader.size), entry: 0, tag: 'uos' });
  const params = (f: ReturnType<typeof fakes>, over: Partial<LoadParams> = {}): LoadParams => ({
    regs: f.regs,
    bar0: f.bar0,
    apertureLen: aperture,
    firmware: { get: (n) => (n === 'img' ? image : n === 'rd' ? new Uint8Array(8192) : undefined) },
    firmwareName: 'img',
    ramdiskName: null,
    bootmode: 'linux',
    cmdline: null,
    ...over,
  });

  test('command line past the aperture: EINVAL, no write, SPAD5 untouched', () => {
    expect(image.length).toBe(2 * 4096 - 6);
    const f = fakes(aperture, aperture - 8192 + 1);
    expect(loadCardOs(params(f))).toEqual({ errno: 'EINVAL' });
    expect(f.writes).toEqual([]);
    expect(f.spads.has(BAR4.SPAD(SPAD_INDEX.FW_SIZE))).toBe(false);
  });

  test('elf mode writes no command line: the same address is accepted', () => {
    const f = fakes(aperture, aperture - 8192 + 1);
    expect(loadCardOs(params(f, { bootmode: 'elf' }))).toMatchObject({ ok: true, bootAddr: aperture - 8192 });
    expect(f.writes).toEqual([{ addr: aperture - 8192, len: image.length }]);
  });

  test('ramdisk at 2 × boot address past the aperture: EINVAL, no write; a missing ramdisk stays ENOENT', () => {
    const addr = 200 * MIB;
    const f = fakes(aperture, addr + 1);
    expect(loadCardOs(params(f, { ramdiskName: 'rd' }))).toEqual({ errno: 'EINVAL' });
    expect(loadCardOs(params(f, { ramdiskName: 'nope' }))).toEqual({ errno: 'ENOENT' });
    expect(f.writes).toEqual([]);
    expect(loadCardOs(params(f))).toMatchObject({ ok: true, bootAddr: addr });
  });
});
