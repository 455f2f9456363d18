import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { BAR4 } from '../../model/layout/sbox.ts';
import { POSTCODE } from '../../model/constants/lifecycle.ts';
import { CardDoorbells } from './doorbells.ts';

describe('card bootstrap and OS', () => {
  test('a damaged image is refused: online on the host, no shutdown doorbell, shutdown ignored', () => {
    for (const how of ['checksum', 'magic', 'truncated'] as const) {
      const s = createReferenceSystem({ daemon: true });
      s.corruptImage(0, how);
      // the daemon booted at start; after a card restart it boots again, now with a damaged image
      expect(s.cardRestart(0)).toEqual({ ok: true });
      s.settle();
      expect(s.observe.state(0)).toBe('online');
      expect(s.observe.cardSide(0)).toBe('image_rejected');
      expect(s.drivers[0]!.regs.peek(BAR4.POSTCODE)).toBe(POSTCODE.BAD_IMAGE);
      expect(s.observe.devicePage(0)[5]).toBe(0xff);
      expect(s.observe.liveDevices(0)).toEqual([]);
      s.writeAttr(0, 'state', 'shutdown');
      s.settle();
      expect(s.observe.state(0)).toBe('online');
    }
  });

  test('wrong device page magic: the card driver fails with EIO and registers nothing', () => {
    const s = createReferenceSystem();
    const page = s.drivers[0]!.dp;
    // a host bug: the magic is gone when the card looks
    const hostMem = (s.drivers[0] as unknown as { d: { hostMemory: { write32(a: number, v: number): void } } }).d.hostMemory;
    s.drivers[0]!.hooks.started.push(() => hostMem.write32(page, 0xdeadbeef));
    s.writeAttr(0, 'state', 'boot');
    s.settle();
    expect(s.cards[0]!.os?.driverError).toBe('EIO');
    expect(s.observe.devicePage(0)[5]).toBe(0xff);
  });

  test('card doorbells: lowest usage count, ties to the lowest index', () => {
    const d = new CardDoorbells();
    expect([d.request(() => {}), d.request(() => {}), d.request(() => {})]).toEqual([0, 1, 2]);
    d.free(1);
    expect(d.request(() => {})).toBe(1);
  });

  test('panic reports crashed and clears both card doorbells', () => {
    const s = createReferenceSystem();
    s.writeAttr(0, 'state', 'boot');
    s.settle();
    expect(s.cardPanic(0)).toEqual({ ok: true });
    s.settle();
    expect([s.observe.state(0), s.observe.shutdownStatus(0), s.observe.cardSide(0)]).toEqual(['shutting_down', 'crashed', 'crashed']);
    expect(Array.from(s.observe.devicePage(0).subarray(5, 8))).toEqual([0xff, 0xff, 0]);
    expect(s.cardHalt(0)).toEqual({ errno: 'ENODEV' });
  });
});

describe('card driver device page check (facts §3.2 card side)', () => {
  test('a wrong magic fails the driver with EIO: no doorbell registered, no device live, host still online', () => {
    const s = createReferenceSystem({ daemon: false, trace: false });
    s.hostileCard(0, { kind: 'dpByte', offset: 0, value: 0x5a });
    expect(s.addDevice(0, { type: 3, numVq: 2, num: 128, featureLen: 4, configLen: 12 })).toMatchObject({ ok: true });
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('online');
    expect(s.cards[0]!.os?.driverError).toBe('EIO');
    const page = s.observe.devicePage(0);
    expect([page[5], page[6]]).toEqual([0xff, 0xff]);
    expect(s.observe.liveDevices(0)).toEqual([]);
    // the shutdown request finds no doorbell: nothing happens
    expect(s.writeAttr(0, 'state', 'shutdown')).toEqual({ ok: true });
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('online');
    // a reset re-initialises the page: the next boot's driver comes up
    s.writeAttr(0, 'state', 'reset');
    s.settle();
    s.writeAttr(0, 'state', 'boot');
    s.settle();
    expect(s.cards[0]!.os?.driverError).toBeUndefined();
    expect(s.observe.liveDevices(0).length).toBe(1);
  });
});
