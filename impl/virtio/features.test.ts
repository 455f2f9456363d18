import { describe, expect, test } from 'vitest';
import { featuresFromBitmap, featuresToBitmap } from './features.ts';

describe('MIC feature bitmaps (facts §5.3)', () => {
  test('bit i is byte i>>3, bit i&7', () => {
    expect(featuresToBitmap((1n << 0n) | (1n << 9n) | (1n << 28n), 4)).toEqual(Uint8Array.of(0x01, 0x02, 0x00, 0x10));
    expect(featuresFromBitmap(Uint8Array.of(0x01, 0x02, 0x00, 0x10))).toBe((1n << 0n) | (1n << 9n) | (1n << 28n));
  });

  test('bits that do not fit feature_len are dropped', () => {
    expect(featuresToBitmap(1n << 32n, 4)).toEqual(new Uint8Array(4));
    expect(featuresFromBitmap(featuresToBitmap(0xdead_beefn, 4))).toBe(0xdead_beefn);
  });
});
