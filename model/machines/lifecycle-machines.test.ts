import { describe, expect, test } from 'vitest';
import { createActor, type AnyStateMachine } from 'xstate';
import { cardStateMachine, refusal, stateWriteEvent, type CardStateEvent } from './card-state.ts';
import { cardSideMachine } from './card-side.ts';
import { daemonBootMachine } from './daemon-boot.ts';

const FILES = ['mic/uos.img', 'mic/mic0.image'];

function run(events: CardStateEvent[]) {
  const a = createActor(cardStateMachine, { input: { files: FILES } }).start();
  for (const e of events) {
    if (!a.getSnapshot().can(e)) throw new Error(`refused ${e.type}`);
    a.send(e);
  }
  return a.getSnapshot();
}

describe('card-state machine (facts §4.1/§4.2)', () => {
  test('boot → online; shutdown → shutting_down/poweroff; reset → offline/nop', () => {
    expect(run([{ type: 'state.boot' }]).value).toBe('online');
    const s = run([{ type: 'state.boot' }, { type: 'state.shutdown' }]);
    expect([s.value, s.context.status]).toEqual(['shutting_down', 'poweroff']);
    const r = run([{ type: 'state.boot' }, { type: 'state.shutdown' }, { type: 'state.reset' }]);
    expect([r.value, r.context.status, r.context.ready]).toEqual(['offline', 'nop', true]);
  });
  test('boot refused unless offline', () => {
    const s = run([{ type: 'state.boot' }]);
    expect(s.can({ type: 'state.boot' })).toBe(false);
    expect(refusal({ type: 'state.boot' })).toBe('EINVAL');
  });
  test('boot with a hanging reset → reset_failed and EINVAL', () => {
    const s = run([{ type: 'state.boot' }, { type: 'state.reset' }, { type: 'fault.resetHang' }, { type: 'state.boot' }]);
    // after reset the bootstrap is ready, so boot does not reset: online
    expect(s.value).toBe('online');
    const t = run([{ type: 'state.boot' }, { type: 'fault.resetHang' }, { type: 'state.reset' }]);
    expect(t.value).toBe('reset_failed');
    expect(t.context.ready).toBe(false);
  });
  test('missing firmware → ENOENT, stays offline', () => {
    const s = run([{ type: 'attr.firmware', value: 'mic/none.img\n' }, { type: 'state.boot' }]);
    expect([s.value, s.context.result, s.context.firmware]).toEqual(['offline', 'ENOENT', 'mic/none.img']);
  });
  test('PM: online → suspending → suspend write → suspended → reset → resume → offline', () => {
    const s = run([{ type: 'state.boot' }, { type: 'pm.suspend' }]);
    expect([s.value, s.context.suspendWait]).toEqual(['suspending', true]);
    expect(s.can({ type: 'pm.resume' })).toBe(false);
    const t = run([{ type: 'state.boot' }, { type: 'pm.suspend' }, { type: 'state.suspend' }, { type: 'state.reset' }]);
    expect([t.value, t.context.status, t.context.pm]).toEqual(['suspended', 'nop', 'asleep']);
    const u = run([{ type: 'state.boot' }, { type: 'pm.suspend' }, { type: 'state.suspend' }, { type: 'state.reset' }, { type: 'pm.resume' }]);
    expect(u.value).toBe('offline');
  });
  test('PM timeout forces a stop', () => {
    const s = run([{ type: 'fault.badImage' }, { type: 'state.boot' }, { type: 'pm.suspend' }, { type: 'state.suspend' }, { type: 'time.passes' }]);
    expect([s.value, s.context.cardOs, s.context.ready]).toEqual(['suspended', 'none', true]);
  });
  test('card panic → shutting_down/crashed; card commands need a running OS', () => {
    const s = run([{ type: 'state.boot' }, { type: 'card.panic' }]);
    expect([s.value, s.context.status]).toEqual(['shutting_down', 'crashed']);
    expect(s.can({ type: 'card.halt' })).toBe(false);
    expect(refusal({ type: 'card.halt' })).toBe('ENODEV');
  });
  test('card reports are declared only where the card OS can run (online, suspending)', () => {
    const declaring = Object.entries(cardStateMachine.root.states)
      .filter(([, node]) => node.transitions.has('card.halt'))
      .map(([name]) => name);
    expect(declaring.sort()).toEqual(['online', 'suspending']);
    expect(cardStateMachine.root.transitions.has('card.halt')).toBe(false);
  });
  test('state write parsing (sysfs_streq)', () => {
    expect(stateWriteEvent('boot\n').type).toBe('state.boot');
    expect(stateWriteEvent('boot\n\n').type).toBe('state.invalid');
    expect(stateWriteEvent(' boot').type).toBe('state.invalid');
  });
});

describe('card-side machine', () => {
  test('reset → ready → os → shutdown → halted', () => {
    const a = createActor(cardSideMachine).start();
    for (const e of [{ type: 'hw.resetDone' }, { type: 'bootstrap.interrupt', image: 'good' }, { type: 'os.restart' }, { type: 'os.shutdownDone' }] as const) a.send(e);
    expect(a.getSnapshot().value).toBe('halted');
    expect(a.getSnapshot().context.reported).toBe('restart');
    a.send({ type: 'hw.reset' });
    expect(a.getSnapshot().value).toBe('in_reset');
  });
});

describe('daemon boot policy', () => {
  test('boot on start, reboot on resume, restart on restart', () => {
    const a = createActor(daemonBootMachine).start();
    a.send({ type: 'daemon.start', state: 'offline' });
    expect(a.getSnapshot().context.writes).toEqual(['boot']);
    a.send({ type: 'host.state', state: 'suspending' });
    expect(a.getSnapshot().context.writes).toEqual(['suspend']);
    a.send({ type: 'host.status', status: 'poweroff' });
    expect(a.getSnapshot().context.writes).toEqual(['reset']);
    a.send({ type: 'host.state', state: 'suspended' });
    expect(a.getSnapshot().context.writes).toEqual([]);
    a.send({ type: 'host.state', state: 'offline' });
    expect(a.getSnapshot().context.writes).toEqual(['boot']);
    a.send({ type: 'host.state', state: 'shutting_down' });
    a.send({ type: 'host.status', status: 'restart' });
    a.send({ type: 'host.state', state: 'offline' });
    expect(a.getSnapshot().context.writes).toEqual(['boot']);
  });
});

// a machine must be pure: no invoke, no delayed transitions
test.each([cardStateMachine, cardSideMachine, daemonBootMachine] as AnyStateMachine[])('%# machine is pure', (m) => {
  const json = JSON.stringify(m.definition);
  expect(json).not.toMatch(/"invoke":\[\{/);
  expect(json).not.toMatch(/"after"/);
});
