import { describe, expect, test } from 'vitest';
import { createActor, transition } from 'xstate';
import { getSimplePaths } from 'xstate/graph';
import {
  addDeviceErrno, configChangeErrno, copyDescErrno, isSettled, observe, pollResult,
  VOP_DEVICE_EVENTS, VOP_DEVICE_EVENT_TYPES, VOP_DEVICE_STATES, vopDeviceKey, vopDeviceMachine, vopDeviceShortestPaths,
  type VopDeviceEvent, type VopDeviceInput, type VopDeviceSnapshot,
} from './vop-device.ts';

function run(events: readonly VopDeviceEvent[], input: VopDeviceInput = {}): VopDeviceSnapshot {
  const a = createActor(vopDeviceMachine, { input }).start();
  for (const e of events) {
    if (!a.getSnapshot().can(e)) throw new Error(`refused ${e.type} in ${String(a.getSnapshot().value)}`);
    a.send(e);
  }
  return a.getSnapshot();
}

const ev = (...types: VopDeviceEvent['type'][]): VopDeviceEvent[] =>
  types.map((type) => (type === 'CARD_PROBE_FAIL' ? { type, cause: 'magic' } : { type }) as VopDeviceEvent);

/** every snapshot xstate/graph reaches, from a card that is down and one that is up at open */
function reachable(): VopDeviceSnapshot[] {
  const out: VopDeviceSnapshot[] = [];
  for (const input of [{ cardUp: false }, { cardUp: true }]) for (const p of vopDeviceShortestPaths(input)) out.push(p.state as VopDeviceSnapshot);
  return out;
}

const LIVE = ev('ADD_OK', 'CARD_UP', 'CARD_SCAN', 'USED_ADDR_ACK', 'DRIVER_OK');

/** the event types a state declares (own transitions; the machine has no root ones) */
function declared(state: string): Set<string> {
  const node = vopDeviceMachine.root.states[state];
  if (node === undefined) throw new Error(state);
  return new Set(node.transitions.keys());
}

describe('vop device machine: the life (facts §6.3–§6.7)', () => {
  test('added → discovered → ringsReady → live with the status bytes the card writes', () => {
    const s = run(ev('ADD_OK'));
    expect([s.value, s.context.entry, s.context.status]).toEqual(['added', 'present', 0]);
    expect(s.can({ type: 'CARD_SCAN' })).toBe(false); // nobody scans before the card's VOP driver is up
    const d = run(ev('ADD_OK', 'CARD_UP', 'CARD_SCAN'));
    expect([d.value, d.context.status, d.context.bound]).toEqual(['discovered', 0x03, true]);
    expect(d.can({ type: 'DRIVER_OK' })).toBe(false); // rings first
    const r = run(ev('ADD_OK', 'CARD_UP', 'CARD_SCAN', 'USED_ADDR_ACK'));
    expect([r.value, r.context.status]).toEqual(['ringsReady', 0x03]);
    const l = run(LIVE);
    expect([l.value, l.context.status]).toEqual(['live', 0x07]);
    expect(observe(l)).toEqual({ hostListed: true, entry: 'present', status: 7, configChange: 0, vdevReset: false, h2cConfigDb: true, cardBound: true, cardLive: true });
  });

  test('a card already up at open binds right after ADD_DEVICE', () => {
    expect(run(ev('ADD_OK', 'CARD_SCAN'), { cardUp: true }).value).toBe('discovered');
  });

  test('probe failures: magic mismatch EIO, used-address timeout ENODEV; FAILED written, device stays', () => {
    const m = run([...ev('ADD_OK', 'CARD_UP', 'CARD_SCAN'), { type: 'CARD_PROBE_FAIL', cause: 'magic' }]);
    expect([m.value, m.context.status, m.context.probeErrno, m.context.entry]).toEqual(['failed', 0x83, 'EIO', 'present']);
    const t = run([...ev('ADD_OK', 'CARD_UP', 'CARD_SCAN'), { type: 'CARD_PROBE_FAIL', cause: 'usedAddrTimeout' }]);
    expect(t.context.probeErrno).toBe('ENODEV');
    expect(observe(t).cardLive).toBe(false);
  });

  test('reset handshake: resetting until the host acks, then the driver probes again', () => {
    const r = run([...LIVE, ...ev('CARD_RESET_REQUEST')]);
    expect([r.value, observe(r).vdevReset, observe(r).cardLive]).toEqual(['resetting', true, false]);
    expect(r.can({ type: 'CONFIG_CHANGE' })).toBe(false);
    const a = run([...LIVE, ...ev('CARD_RESET_REQUEST', 'HOST_RESET_ACK')]);
    expect([a.value, a.context.status]).toEqual(['discovered', 0x03]);
    expect(run([...LIVE, ...ev('CARD_RESET_REQUEST', 'HOST_RESET_ACK', 'USED_ADDR_ACK', 'DRIVER_OK')]).value).toBe('live');
  });

  test('config change: config_change 2 while waiting; ack or timeout return to where it started', () => {
    const w = run([...LIVE, ...ev('CONFIG_CHANGE')]);
    expect([w.value, w.context.configChange]).toEqual(['configChanging', 2]);
    expect(w.can({ type: 'CLOSE' })).toBe(false);
    expect(w.can({ type: 'CARD_DOWN' })).toBe(false);
    for (const outcome of ev('GUEST_ACK', 'CONFIG_TIMEOUT')) {
      const s = run([...LIVE, ...ev('CONFIG_CHANGE'), outcome]);
      expect([s.value, s.context.configChange, s.context.status]).toEqual(['live', 0, 0x07]);
      const f = run([...ev('ADD_OK', 'CARD_UP', 'CARD_SCAN', 'CARD_PROBE_FAIL', 'CONFIG_CHANGE'), outcome]);
      expect(f.value).toBe('failed');
    }
  });

  test('card down: host stop resets the device, it stays added for the next boot', () => {
    for (const at of [LIVE, [...LIVE, ...ev('CARD_RESET_REQUEST')], ev('ADD_OK', 'CARD_UP', 'CARD_SCAN')]) {
      const s = run([...at, ...ev('CARD_DOWN')]);
      expect([s.value, s.context.status, s.context.configDb, s.context.bound, s.context.entry]).toEqual(['added', 0, false, false, 'present']);
    }
    expect(run([...LIVE, ...ev('CARD_DOWN', 'CARD_UP', 'CARD_SCAN', 'USED_ADDR_ACK', 'DRIVER_OK')]).value).toBe('live');
  });

  test('host close: DEV_REMOVE then ack or timeout then type −1; without h2c_config_db no handshake', () => {
    const w = run([...LIVE, ...ev('CLOSE')]);
    expect([w.value, w.context.configChange, observe(w).hostListed]).toEqual(['removing', 1, true]);
    const a = run([...LIVE, ...ev('CLOSE', 'GUEST_ACK')]);
    expect([a.value, a.status, a.context.entry, observe(a).cardBound, observe(a).hostListed]).toEqual(['closed', 'done', 'removed', false, false]);
    const t = run([...LIVE, ...ev('CLOSE', 'REMOVE_TIMEOUT')]);
    expect([t.value, t.context.entry, observe(t).cardBound]).toEqual(['closed', 'removed', undefined]);
    const n = run(ev('ADD_OK', 'CLOSE'));
    expect([n.value, n.context.entry]).toEqual(['closed', 'removed']);
    expect(run(ev('CLOSE')).context.entry).toBe('none');
  });

  test('card removal: type −1 with the file open; close then waits in vain for an ack', () => {
    const r = run([...LIVE, ...ev('CARD_REMOVE')]);
    expect([r.value, r.context.entry, r.context.status, r.context.bound]).toEqual(['removed', 'removed', 0, false]);
    const f = run([...ev('ADD_OK', 'CARD_UP', 'CARD_SCAN', 'CARD_PROBE_FAIL', 'CARD_REMOVE')]);
    expect(f.context.status).toBe(0x83); // no driver was active: unregister runs no reset handshake
    const c = run([...LIVE, ...ev('CARD_REMOVE', 'CLOSE')]);
    expect(c.value).toBe('removing');
    expect(c.can({ type: 'GUEST_ACK' })).toBe(false); // the card skips −1 entries
    expect(run([...LIVE, ...ev('CARD_REMOVE', 'CARD_DOWN', 'CLOSE')]).value).toBe('closed');
  });

  test('a second ADD_DEVICE on the file is refused (EBUSY) and changes nothing', () => {
    for (const at of [ev('ADD_OK'), LIVE, [...LIVE, ...ev('CARD_REMOVE')]]) {
      const s = run(at);
      expect(s.can({ type: 'ADD_OK' })).toBe(false);
      expect(s.can({ type: 'ADD_REFUSED' })).toBe(false);
      expect(addDeviceErrno(s)).toBe('EBUSY');
    }
    const u = run(ev('ADD_REFUSED', 'ADD_REFUSED'));
    expect([u.value, addDeviceErrno(u)]).toEqual(['unbound', 'ok']);
  });
});

describe('vop device machine: errno helpers per state (facts §6.5)', () => {
  const cases: [string, VopDeviceEvent[], VopDeviceInput, { add: string; copy: string; config: string; poll: string }][] = [
    ['unbound', [], {}, { add: 'ok', copy: 'EINVAL', config: 'EINVAL', poll: 'POLLERR' }],
    ['added, card down', ev('ADD_OK'), {}, { add: 'EBUSY', copy: 'ENODEV', config: 'EIO', poll: 'ok' }],
    ['added, card up', ev('ADD_OK'), { cardUp: true }, { add: 'EBUSY', copy: 'ENODEV', config: 'ok', poll: 'ok' }],
    ['discovered', ev('ADD_OK', 'CARD_UP', 'CARD_SCAN'), {}, { add: 'EBUSY', copy: 'ok', config: 'ok', poll: 'ok' }],
    ['ringsReady', ev('ADD_OK', 'CARD_UP', 'CARD_SCAN', 'USED_ADDR_ACK'), {}, { add: 'EBUSY', copy: 'ok', config: 'ok', poll: 'ok' }],
    ['live', LIVE, {}, { add: 'EBUSY', copy: 'ok', config: 'ok', poll: 'ok' }],
    ['resetting', [...LIVE, ...ev('CARD_RESET_REQUEST')], {}, { add: 'EBUSY', copy: 'ok', config: 'ok', poll: 'ok' }],
    ['failed', ev('ADD_OK', 'CARD_UP', 'CARD_SCAN', 'CARD_PROBE_FAIL'), {}, { add: 'EBUSY', copy: 'ok', config: 'ok', poll: 'ok' }],
    ['configChanging', [...LIVE, ...ev('CONFIG_CHANGE')], {}, { add: 'EBUSY', copy: 'ok', config: 'ok', poll: 'ok' }],
    ['added after card down', [...LIVE, ...ev('CARD_DOWN')], {}, { add: 'EBUSY', copy: 'ENODEV', config: 'EIO', poll: 'ok' }],
    ['removed', [...LIVE, ...ev('CARD_REMOVE')], {}, { add: 'EBUSY', copy: 'ENODEV', config: 'ENODEV', poll: 'POLLERR' }],
    ['removing', [...LIVE, ...ev('CLOSE')], {}, { add: 'EBADF', copy: 'EBADF', config: 'EBADF', poll: 'POLLNVAL' }],
    ['closed', ev('ADD_OK', 'CLOSE'), {}, { add: 'EBADF', copy: 'EBADF', config: 'EBADF', poll: 'POLLNVAL' }],
  ];
  test.each(cases)('%s', (_name, events, input, want) => {
    const s = run(events, input);
    expect({ add: addDeviceErrno(s), copy: copyDescErrno(s), config: configChangeErrno(s), poll: pollResult(s) }).toEqual(want);
  });

  test('in settled states the machine takes exactly the calls the kernel lets through', () => {
    for (const s of reachable()) {
      if (!isSettled(s)) continue;
      const where = `${String(s.value)} ${JSON.stringify(s.context)}`;
      expect(s.can({ type: 'CONFIG_CHANGE' }), where).toBe(configChangeErrno(s) === 'ok');
      expect(s.can({ type: 'ADD_OK' }), where).toBe(addDeviceErrno(s) === 'ok');
      expect(s.can({ type: 'ADD_REFUSED' }), where).toBe(addDeviceErrno(s) === 'ok');
    }
  });

  test('settled and transient states', () => {
    expect(isSettled(run(ev('ADD_OK')))).toBe(true);
    expect(isSettled(run(ev('ADD_OK', 'CARD_UP')))).toBe(false);
    expect(isSettled(run(LIVE))).toBe(true);
    expect(isSettled(run(ev('ADD_OK', 'CARD_UP', 'CARD_SCAN')))).toBe(false);
  });
});

describe('vop device machine: xstate/graph', () => {
  test('shortest paths reach every state, over whole snapshots and over the abstract key', () => {
    const seen = new Set(reachable().map((s) => String(s.value)));
    expect([...seen].sort()).toEqual([...VOP_DEVICE_STATES].sort());
    for (const cardUp of [false, true]) {
      const abstract = new Set(vopDeviceShortestPaths({ cardUp }, true).map((p) => String(p.state.value)));
      expect([...abstract].sort()).toEqual([...VOP_DEVICE_STATES].sort());
    }
  });

  test('the abstract key is a congruence: equal keys accept the same events and step to equal keys', () => {
    const byKey = new Map<string, VopDeviceSnapshot>();
    for (const s of reachable()) {
      const k = vopDeviceKey(s);
      const other = byKey.get(k);
      if (other === undefined) {
        byKey.set(k, s);
        continue;
      }
      for (const e of VOP_DEVICE_EVENTS) {
        expect(s.can(e), `${k} ${e.type}`).toBe(other.can(e));
        if (s.can(e)) expect(vopDeviceKey(transition(vopDeviceMachine, s, e)[0])).toBe(vopDeviceKey(transition(vopDeviceMachine, other, e)[0]));
      }
    }
  });

  test('simple paths over the abstract key stay few', () => {
    const paths = getSimplePaths(vopDeviceMachine, { input: {}, events: VOP_DEVICE_EVENTS, serializeState: vopDeviceKey });
    expect(new Set(paths.map((p) => String(p.state.value))).size).toBe(VOP_DEVICE_STATES.length);
    expect(paths.length).toBeLessThan(2000);
  });

  test('every declared transition is taken by a shortest path extended by one event', () => {
    const declaredAll = new Set<string>();
    for (const [state, node] of Object.entries(vopDeviceMachine.root.states)) {
      for (const [type, defs] of node.transitions) defs.forEach((_, i) => declaredAll.add(`${state}:${type}#${i}`));
    }
    expect(vopDeviceMachine.root.transitions.size).toBe(0);
    const taken = new Set<string>();
    for (const s of reachable()) {
      for (const e of VOP_DEVICE_EVENTS) {
        const [t] = vopDeviceMachine.getTransitionData(s, e);
        if (t === undefined) continue;
        taken.add(`${String(s.value)}:${e.type}#${(t.source.transitions.get(e.type) ?? []).indexOf(t)}`);
      }
    }
    expect([...declaredAll].filter((d) => !taken.has(d))).toEqual([]);
    expect(VOP_DEVICE_EVENT_TYPES.every((type) => [...declaredAll].some((d) => d.includes(`:${type}#`)))).toBe(true);
  });

  test('invariant: where the card is bound it is up', () => {
    const boundStates = ['discovered', 'ringsReady', 'live', 'resetting', 'failed', 'configChanging'];
    for (const s of reachable()) {
      if (boundStates.includes(String(s.value))) expect([s.value, s.context.bound, s.context.configDb]).toEqual([s.value, true, true]);
      if (s.context.bound === true) expect(s.context.configDb).toBe(true);
    }
  });

  test('refused events: can() false, and sending one changes nothing', () => {
    for (const s of reachable()) {
      const own = declared(String(s.value));
      for (const e of VOP_DEVICE_EVENTS) {
        if (!own.has(e.type)) expect(s.can(e), `${String(s.value)} ${e.type}`).toBe(false);
        if (s.can(e)) continue;
        const [next] = transition(vopDeviceMachine, s, e);
        expect([next.value, next.context]).toEqual([s.value, s.context]);
      }
    }
  });

  test('close from every state ends in closed (a wait ends first, by its timeout)', () => {
    for (const s0 of reachable()) {
      let s = s0;
      for (let i = 0; i < 3 && s.value !== 'closed'; i++) {
        const e: VopDeviceEvent = s.can({ type: 'CLOSE' }) ? { type: 'CLOSE' } : s.value === 'removing' ? { type: 'REMOVE_TIMEOUT' } : { type: 'CONFIG_TIMEOUT' };
        expect(s.can(e), `${String(s.value)} ${e.type}`).toBe(true);
        [s] = transition(vopDeviceMachine, s, e);
      }
      expect(s.value).toBe('closed');
      expect(s.status).toBe('done');
      expect(s.context.entry).not.toBe('present');
      expect(VOP_DEVICE_EVENTS.some((e) => s.can(e))).toBe(false);
    }
  });

  test('the machine is pure: no invoke, no delayed transitions', () => {
    const json = JSON.stringify(vopDeviceMachine.definition);
    expect(json).not.toMatch(/"invoke":\[\{/);
    expect(json).not.toMatch(/"after"/);
  });
});
