import { describe, expect, test } from 'vitest';
import { CARD_IMAGE_MAGIC, cardImageHeader, checkCardImage, encodeCardImage, fnv1a32 } from './card-image.ts';

describe('card OS image format', () => {
  test('header table', () => {
    expect(cardImageHeader.size).toBe(32);
    const f = cardImageHeader.fields;
    expect([f.magic.offset, f.version.offset, f.header_len.offset, f.entry.offset, f.payload_len.offset, f.checksum.offset, f.flags.offset, f.os_tag.offset]).toEqual([0, 4, 6, 8, 12, 16, 20, 24]);
  });
  test('golden bytes of a tiny image', () => {
    const img = encodeCardImage({ payload: new Uint8Array([1, 2, 3, 4]), entry: 1, tag: 't' });
    expect(img.length).toBe(36);
    expect(Array.from(img.subarray(0, 16))).toEqual([0x4d, 0x49, 0x43, 0x49, 1, 0, 32, 0, 1, 0, 0, 0, 4, 0, 0, 0]);
    expect(new DataView(img.buffer).getUint32(16, true)).toBe(fnv1a32(new Uint8Array([1, 2, 3, 4])));
    expect(CARD_IMAGE_MAGIC).toBe(0x4943494d);
    expect(checkCardImage(img, img.length)).toEqual({ entry: 1, payloadLen: 4 });
  });
  test('fnv1a32 reference values', () => {
    expect(fnv1a32(new Uint8Array())).toBe(0x811c9dc5);
    expect(fnv1a32(new TextEncoder().encode('a'))).toBe(0xe40c292c);
  });
  test('every kind of damage is refused', () => {
    const img = encodeCardImage({ payload: new Uint8Array(64).fill(7) });
    expect(checkCardImage(img, 10)).toBe('short-header');
    const bad = (mut: (b: Uint8Array) => void) => { const b = img.slice(); mut(b); return checkCardImage(b, b.length); };
    expect(bad((b) => { b[0] = 0; })).toBe('bad-magic');
    expect(bad((b) => { b[4] = 9; })).toBe('bad-version');
    expect(bad((b) => { b[6] = 16; })).toBe('bad-header-len');
    expect(checkCardImage(img.subarray(0, 50), 50)).toBe('truncated');
    expect(checkCardImage(img, 50)).toBe('truncated');
    expect(bad((b) => { b[8] = 200; })).toBe('bad-entry');
    expect(bad((b) => { b[40] = (b[40] ?? 0) ^ 1; })).toBe('bad-checksum');
  });
});
