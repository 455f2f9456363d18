import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../system.ts';
import { BAR4, REG_ARRAYS } from '../../model/layout/sbox.ts';

const mxars = (s: ReturnType<typeof createReferenceSystem>): number[] =>
  Array.from({ length: REG_ARRAYS.MXAR.count }, (_, v) => s.drivers[0]!.regs.read32(BAR4.MXAR(v)) as number);

describe('MSI-X map restore (facts §1.3, §3.2 step 8)', () => {
  test('probe maps each doorbell source with a handler to its own vector', () => {
    const s = createReferenceSystem({ daemon: true, trace: false });
    const d = s.drivers[0]!;
    // shutdown db 0, console db 1, net db 2 (round robin, facts §1.3)
    expect(d.msiMap.slice(0, 4)).toEqual([0b0001, 0b0010, 0b0100, 0]);
    expect(mxars(s)).toEqual(d.msiMap);
  });

  test('a card reset clears MXAR0..15; the next boot restores them from the software copy', () => {
    const s = createReferenceSystem({ daemon: true, trace: false });
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('online');
    const programmed = [...s.drivers[0]!.msiMap];
    expect(s.writeAttr(0, 'state', 'reset')).toEqual({ ok: true });
    s.settle();
    expect(s.readAttr(0, 'state')).toBe('offline');
    expect(mxars(s).every((v) => v === 0)).toBe(true);
    expect(s.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    s.settle();
    expect(mxars(s)).toEqual(programmed);
  });
});
