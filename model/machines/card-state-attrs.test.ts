import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { cardStateMachine, hexAddrText } from './card-state.ts';

describe('card-state: log_buf attributes and the device page magic fault', () => {
  test('hexAddrText restates kstrtoul(…, 16) with one trailing newline', () => {
    expect(hexAddrText('0xFFFFFFFF81A3C2E0\n')).toBe('ffffffff81a3c2e0');
    expect(hexAddrText('1')).toBe('0000000000000001');
    expect(hexAddrText('0000000000000000000ff')).toBe('00000000000000ff');
    for (const bad of ['', '0x', '\n', '1\n\n', '+1', ' 1', 'g', '10000000000000000']) expect(hexAddrText(bad)).toBeUndefined();
  });

  test('a bad magic makes the next boot a failed driver; a reset re-initialises the page', () => {
    const a = createActor(cardStateMachine, { input: { files: ['mic/uos.img'] } }).start();
    a.send({ type: 'fault.dpMagic' });
    a.send({ type: 'state.boot' });
    expect([a.getSnapshot().value, a.getSnapshot().context.cardOs, a.getSnapshot().context.via]).toEqual(['online', 'driverFailed', 'boot.driverFailed']);
    expect(a.getSnapshot().can({ type: 'card.halt' })).toBe(true);
    a.send({ type: 'card.halt' });
    expect([a.getSnapshot().value, a.getSnapshot().context.status, a.getSnapshot().context.cardOs]).toEqual(['online', 'nop', 'halted']);
    a.send({ type: 'state.reset' });
    a.send({ type: 'state.boot' });
    expect(a.getSnapshot().context.cardOs).toBe('running');
  });
});
