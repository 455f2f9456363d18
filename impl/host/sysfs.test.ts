import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { parseHexAddr } from './hex-attr.ts';

describe('log_buf_addr / log_buf_len (facts §4.5, §8.1)', () => {
  test('hex addresses with optional 0x and one trailing newline', () => {
    expect(parseHexAddr('ffffffff81a3c2e0')).toBe(0xffffffff81a3c2e0n);
    expect(parseHexAddr('0xFFFFFFFF81A3C2E0\n')).toBe(0xffffffff81a3c2e0n);
    expect(parseHexAddr('0X10')).toBe(16n);
    expect(parseHexAddr('0')).toBe(0n);
    expect(parseHexAddr('0000000000000000000000001')).toBe(1n);
    expect(parseHexAddr('ffffffffffffffff')).toBe((1n << 64n) - 1n);
  });

  test.each(['', '\n', '0x', '0x\n', '1\n\n', '+1', '-1', ' 1', '1 ', 'g', '0x0x1', '10000000000000000', '0x1ffffffffffffffff'])('%j is refused', (v) => {
    expect(parseHexAddr(v)).toBeUndefined();
  });

  test('written values read back; a refused write is EINVAL and changes nothing', () => {
    const s = createReferenceSystem();
    expect(s.readAttr(0, 'log_buf_addr')).toBe('0000000000000000');
    expect(s.writeAttr(0, 'log_buf_addr', 'ffffffff81a3c2e0\n')).toEqual({ ok: true });
    expect(s.writeAttr(0, 'log_buf_len', '0xffffffff81a3c2dc')).toEqual({ ok: true });
    expect(s.writeAttr(0, 'log_buf_addr', '0x1ffffffffffffffff')).toEqual({ errno: 'EINVAL' });
    expect(s.writeAttr(0, 'log_buf_len', '')).toEqual({ errno: 'EINVAL' });
    expect(s.readAttr(0, 'log_buf_addr')).toBe('ffffffff81a3c2e0');
    expect(s.readAttr(0, 'log_buf_len')).toBe('ffffffff81a3c2dc');
  });
});
