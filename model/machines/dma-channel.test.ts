import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { dmaChannelMachine } from './dma-channel.ts';

function actor(channel: number) {
  const a = createActor(dmaChannelMachine, { input: { channel } });
  a.start();
  return a;
}

describe('dma channel machine', () => {
  test('a host channel goes through its life', () => {
    const a = actor(0);
    expect(a.getSnapshot().value).toBe('disabled');
    a.send({ type: 'REQUEST', side: 'host' });
    expect(a.getSnapshot().value).toBe('idle');
    a.send({ type: 'SUBMIT', side: 'host', descriptors: 2 });
    expect(a.getSnapshot().value).toBe('busy');
    a.send({ type: 'STEP' });
    expect(a.getSnapshot().matches('busy')).toBe(true);
    a.send({ type: 'STEP' });
    expect(a.getSnapshot().value).toBe('idle');
    a.send({ type: 'RELEASE', side: 'host' });
    expect(a.getSnapshot().value).toBe('draining');
    expect(a.getSnapshot().can({ type: 'POLL', side: 'host' })).toBe(false);
    a.send({ type: 'STEP' });
    a.send({ type: 'POLL', side: 'host' });
    expect(a.getSnapshot().value).toBe('disabled');
  });

  test('ownership: the other side can send nothing', () => {
    const a = actor(5);
    const s = a.getSnapshot();
    expect(s.can({ type: 'REQUEST', side: 'host' })).toBe(false);
    expect(s.can({ type: 'REQUEST', side: 'card' })).toBe(true);
    a.send({ type: 'REQUEST', side: 'card' });
    expect(a.getSnapshot().can({ type: 'SUBMIT', side: 'host', descriptors: 1 })).toBe(false);
    expect(a.getSnapshot().can({ type: 'RELEASE', side: 'host' })).toBe(false);
  });

  test('errors halt until re-init or release', () => {
    const a = actor(1);
    a.send({ type: 'REQUEST', side: 'host' });
    expect(a.getSnapshot().can({ type: 'FAULT' })).toBe(false);
    a.send({ type: 'SUBMIT', side: 'host', descriptors: 3 });
    a.send({ type: 'FAULT' });
    expect(a.getSnapshot().value).toBe('error');
    expect(a.getSnapshot().can({ type: 'SUBMIT', side: 'host', descriptors: 1 })).toBe(false);
    expect(a.getSnapshot().can({ type: 'STEP' })).toBe(false);
    a.send({ type: 'REINIT', side: 'host' });
    expect(a.getSnapshot().value).toBe('idle');
    expect(a.getSnapshot().context.pending).toBe(0);
  });
});
