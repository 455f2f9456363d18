/**
 * Claim: driven by fc.commands — ADD_DEVICE (valid, refused, faulting), COPY_DESC (random iovec
 *   shapes, valid and bad vr_idx), CONFIG_CHANGE, poll, mmap, close, the card driver's activity
 *   (add buffers, kick, virtio reset, remove), card boot / reset / shutdown / crash, with random
 *   scheduling interleavings and the card sometimes offline at open — one open file of the VOP char
 *   device refines the vop-device machine: each command is mapped to the machine events it implies
 *   (a blocking call passes its wait state inside the command: CLOSE then GUEST_ACK or
 *   REMOVE_TIMEOUT, CONFIG_CHANGE then GUEST_ACK), the card's and the bottom half's own steps follow
 *   until the machine is settled, and then the observed device (entry type and status bytes,
 *   config_change, vdev_reset, h2c_config_db, the host's device list, the card's binding and
 *   liveness) equals the machine's `observe`; the wait state itself equals it when seen from inside
 *   the call; a call the machine refuses returns the documented errno and leaves the device page as
 *   it was; CONFIG_CHANGE returns 1 when acknowledged and the card's driver sees the new config once;
 *   close waits the full 15 s exactly when the card cannot answer; card buffers are refused
 *   ('not-live') exactly when the machine says the card's driver is not live.
 * Source: facts §5.4, §6.3, §6.4, §6.5, §6.7; model/machines/vop-device.ts; DESIGN.md §6 "Conformance".
 * Level: conformance
 */
import fc from 'fast-check';
import type { CardVirtioDevice, MicSystem } from '../../model/contract.ts';
import { MIC_DP_SIZE } from '../../model/layout/device-page.ts';
import { micRingBlockSize } from '../../model/layout/vring.ts';
import { PROT_READ, PROT_WRITE } from '../../model/constants/vop.ts';
import { addDeviceErrno, configChangeErrno, pollResult } from '../../model/machines/vop-device.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { bootedWorld, DATA, VopWorld, type Iov } from './world.ts';
import {
  addBad, addValid, assertDevice, BAD_ADD_ERRNO, copyVerdict, describe, diffDevice, ENTRY, expectedDevice, mmapVerdict,
  naturalOutcome, pollOk, probeWait, REMOVE_WAIT_NS, resultText, send, settleMachine, SPEC, startMachine,
  type BadAdd, type VopActor,
} from './device-ops.ts';

type Op =
  | { readonly kind: 'add'; readonly bad: BadAdd | null }
  | { readonly kind: 'copy'; readonly iovs: readonly number[]; readonly update: boolean; readonly badVr: boolean }
  | { readonly kind: 'configChange'; readonly fill: number }
  | { readonly kind: 'poll' }
  | { readonly kind: 'mmap'; readonly rings: boolean; readonly badOffset: boolean; readonly write: boolean }
  | { readonly kind: 'close' }
  | { readonly kind: 'cardAdd'; readonly readable: readonly number[]; readonly writable: readonly number[]; readonly kick: boolean }
  | { readonly kind: 'cardVdevReset' }
  | { readonly kind: 'cardRemove' }
  | { readonly kind: 'boot' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'crash' };

const len = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 3000 }));
/** a card buffer segment (a chain of no buffers is a bad request of the driver, not a device-life step) */
const seg = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 3000 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), bad: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom<BadAdd>('numVq5', 'num256', 'fault') }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('copy' as const), iovs: fc.array(len, { maxLength: 3 }), update: fc.boolean(), badVr: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('configChange' as const), fill: fc.nat({ max: 255 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'poll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mmap' as const), rings: fc.boolean(), badOffset: fc.boolean(), write: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'close' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .record({ kind: fc.constant('cardAdd' as const), readable: fc.array(seg, { maxLength: 2 }), writable: fc.array(seg, { maxLength: 2 }), kick: fc.boolean() })
      .filter((c) => c.readable.length + c.writable.length > 0),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'cardVdevReset' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'cardRemove' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'boot' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
);

const showOp = (op: Op): string => {
  const { kind, ...rest } = op;
  return Object.keys(rest).length === 0 ? kind : `${kind} ${JSON.stringify(rest)}`;
};

interface Model {
  readonly actor: VopActor;
  /** the card as the host's state attribute will show it; halted = shut down, the host not yet reset */
  card: 'online' | 'offline' | 'halted';
}
interface Real {
  readonly w: VopWorld;
}

const fill = (n: number, salt: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + salt) & 0xff);

function cardDevice(sys: MicSystem): CardVirtioDevice | undefined {
  return sys.cardVirtio(0).find((d) => d.offset === ENTRY);
}

/** one command on system and machine; throws on the first disagreement */
function step(m: Model, r: Real, op: Op): void {
  const { w } = r;
  const sys = w.sys;
  const a = m.actor;
  const s0 = a.getSnapshot();
  const where = showOp(op);
  const fail = (got: string, want: string): never => {
    throw new Error(`${where} in ${describe(s0)}: got ${got}, the machine says ${want}`);
  };
  const page0 = sys.observe.devicePage(0);
  const unchanged = (): void => {
    const page = sys.observe.devicePage(0);
    const at = page.findIndex((b, i) => b !== page0[i]);
    if (at >= 0) throw new Error(`${where} in ${describe(s0)} was refused, yet device page byte ${at} changed (${page0[at]} → ${page[at]})`);
  };
  const expectErrno = (got: string, want: string): void => {
    if (got !== want) fail(got, want);
    unchanged();
  };
  switch (op.kind) {
    case 'add': {
      const want = addDeviceErrno(s0);
      const got = resultText(op.bad === null ? addValid(w) : addBad(w, op.bad));
      if (want !== 'ok') expectErrno(got, want);
      else if (op.bad !== null) {
        expectErrno(got, BAD_ADD_ERRNO[op.bad]);
        send(a, { type: 'ADD_REFUSED' }, where);
      } else {
        if (got !== 'ok 0') fail(got, 'ok 0');
        send(a, { type: 'ADD_OK' }, where);
      }
      break;
    }
    case 'copy': {
      const want = copyVerdict(s0, op.badVr);
      const iovs: Iov[] = [];
      let at = DATA;
      for (const n of op.iovs) {
        w.user.write(at, fill(n, iovs.length));
        iovs.push({ base: at, len: n });
        at += n + 64;
      }
      const got = w.copy(op.badVr ? SPEC.numVq : SPEC.numVq - 1, iovs, op.update).r;
      if (want !== 'ok') expectErrno(resultText(got), want);
      else if (!('ok' in got) || got.value < 0 || got.value > 1) fail(resultText(got), 'ok 0 or ok 1');
      break;
    }
    case 'configChange': {
      const want = configChangeErrno(s0);
      const bytes = fill(SPEC.configLen, op.fill);
      if (want !== 'ok') {
        expectErrno(resultText(w.configChange(bytes)), want);
        break;
      }
      const dev = cardDevice(sys);
      const changes = dev?.configChanges ?? 0;
      const seen = probeWait(sys);
      send(a, { type: 'CONFIG_CHANGE' }, where);
      const waiting = a.getSnapshot();
      const outcome = naturalOutcome(waiting);
      const got = resultText(w.configChange(bytes));
      const inWait = seen();
      if (inWait !== undefined) {
        const d = diffDevice(inWait, expectedDevice(waiting));
        if (d !== undefined) throw new Error(`${where}: inside the wait (${describe(waiting)}): ${d}`);
      }
      const wantRet = outcome.type === 'GUEST_ACK' ? 'ok 1' : 'ok 0';
      if (got !== wantRet) fail(got, `${wantRet} (${outcome.type})`);
      send(a, outcome, where);
      if (outcome.type === 'GUEST_ACK') {
        if (dev === undefined) return fail('no card device', 'the device that answered');
        if (dev.configChanges !== changes + 1) fail(`${dev.configChanges} config-changed callbacks`, `${changes + 1}`);
        const cfg = dev.readConfig(0, SPEC.configLen);
        if (cfg.some((b, i) => b !== bytes[i])) fail(`config [${[...cfg].join(',')}] on the card`, `[${[...bytes].join(',')}]`);
      }
      break;
    }
    case 'poll': {
      const got = sys.vop.poll(w.fd);
      if (!pollOk(s0, got)) fail(`0x${got.toString(16)}`, pollResult(s0));
      break;
    }
    case 'mmap': {
      const want = mmapVerdict(s0, op.write, op.badOffset);
      const length = op.rings ? MIC_DP_SIZE + SPEC.numVq * micRingBlockSize(SPEC.num) : MIC_DP_SIZE;
      const res = sys.vop.mmap(w.fd, op.badOffset ? MIC_DP_SIZE + 64 : 0, length, op.write ? PROT_READ | PROT_WRITE : PROT_READ);
      const got = 'ok' in res ? 'ok' : res.errno;
      if (got !== want) fail(got, want);
      if (!('ok' in res)) unchanged();
      break;
    }
    case 'close': {
      if (s0.value === 'closed') {
        expectErrno(resultText(sys.vop.close(w.fd)), 'EBADF');
        break;
      }
      const t0 = sys.scheduler.now;
      const seen = probeWait(sys);
      send(a, { type: 'CLOSE' }, where);
      const waiting = a.getSnapshot();
      const outcome = waiting.value === 'removing' ? naturalOutcome(waiting) : undefined;
      const got = resultText(sys.vop.close(w.fd));
      if (got !== 'ok 0') fail(got, 'ok 0');
      const waited = sys.scheduler.now - t0;
      const inWait = seen();
      if (outcome !== undefined && inWait !== undefined) {
        const d = diffDevice(inWait, expectedDevice(waiting));
        if (d !== undefined) throw new Error(`${where}: inside the wait (${describe(waiting)}): ${d}`);
      }
      const wantWait = outcome === undefined ? 'no wait' : outcome.type === 'GUEST_ACK' ? 'an answer' : 'the full wait';
      const gotWait = waited === 0 ? 'no wait' : waited < REMOVE_WAIT_NS ? 'an answer' : 'the full wait';
      if (gotWait !== wantWait) fail(`${gotWait} (${waited / 1e9} s)`, `${wantWait} (${outcome?.type ?? 'no handshake'})`);
      if (outcome !== undefined) send(a, outcome, where);
      break;
    }
    case 'cardAdd': {
      const dev = cardDevice(sys);
      if (dev === undefined) break;
      const live = expectedDevice(s0).cardLive;
      if (live === true) dev.reap(0);
      const res = dev.add(0, op.readable.map((n, i) => fill(n, i + 1)), op.writable);
      const got = typeof res === 'number' ? 'added' : res.reason;
      const ok = live === true ? ['added', 'no-space', 'no-memory'] : ['not-live'];
      if (!ok.includes(got)) fail(`card add: ${got}`, ok.join(' or '));
      if (op.kick) dev.kick(0);
      break;
    }
    case 'cardVdevReset': {
      const dev = cardDevice(sys);
      if (dev === undefined || !s0.can({ type: 'CARD_RESET_REQUEST' })) break;
      dev.reset();
      send(a, { type: 'CARD_RESET_REQUEST' }, where);
      break;
    }
    case 'cardRemove': {
      const dev = cardDevice(sys);
      if (dev === undefined || !s0.can({ type: 'CARD_REMOVE' })) break;
      if (!dev.remove()) fail('remove() false', 'the card removes its bound device');
      send(a, { type: 'CARD_REMOVE' }, where);
      break;
    }
    case 'boot': {
      const res = sys.writeAttr(0, 'state', 'boot');
      if (m.card !== 'offline') {
        if ('ok' in res) fail('ok', `an errno (the card is ${m.card})`);
        break;
      }
      if (!('ok' in res)) fail(res.errno, 'ok');
      m.card = 'online';
      if (s0.can({ type: 'CARD_UP' })) send(a, { type: 'CARD_UP' }, where);
      break;
    }
    case 'reset':
    case 'shutdown':
    case 'crash': {
      if (op.kind !== 'reset' && m.card !== 'online') {
        // a crash needs a running card; what a shutdown of a card that is not online returns is the
        // lifecycle's business (lifecycle.conformance): here it must not touch the device
        if (op.kind === 'shutdown') sys.writeAttr(0, 'state', 'shutdown');
        break;
      }
      if (op.kind === 'crash') {
        const p = sys.cardPanic(0);
        if (!('ok' in p)) fail(`panic: ${p.errno}`, 'ok');
        sys.settle();
      }
      const res = sys.writeAttr(0, 'state', op.kind === 'shutdown' ? 'shutdown' : 'reset');
      if (!('ok' in res)) fail(res.errno, 'ok');
      const wasOnline = m.card === 'online';
      m.card = op.kind === 'shutdown' ? 'halted' : 'offline';
      if (wasOnline && s0.can({ type: 'CARD_DOWN' })) send(a, { type: 'CARD_DOWN' }, where);
      break;
    }
  }
  sys.settle();
  settleMachine(a, where);
  assertDevice(sys, a.getSnapshot(), `after ${where}`);
  const online = sys.observe.state(0) === 'online';
  if (online !== (m.card === 'online')) throw new Error(`after ${where}: the card is ${sys.observe.state(0)}, expected ${m.card}`);
}

class OpCommand implements fc.Command<Model, Real> {
  constructor(readonly op: Op) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    step(m, r, this.op);
  }
  toString(): string {
    return showOp(this.op);
  }
}

export const vopConformance = defineProperty({
  id: 'vop.conformance',
  claim: 'char-device calls, card driver activity and card boot/reset/shutdown/crash on one open file refine the vop-device machine: observed device life, errnos, return values and no change on refusal',
  source: 'facts §5.4, §6.3–§6.5, §6.7; model/machines/vop-device.ts',
  level: 'conformance',
  requires: ['system', 'memory'],
  runs: 150,
  build: (impl) =>
    fc.property(
      fc.boolean(),
      fc.boolean(),
      fc.commands([opArb.map((op) => new OpCommand(op))], { maxCommands: 30, size: '+1' }),
      interleaving(60),
      (cardUp, dma, cmds, choices) => {
        const opts = { dma, choices: choicesFrom(choices) };
        const w = cardUp ? bootedWorld(impl, opts) : new VopWorld(impl, impl.system!.createSystem({ trace: false, ...opts }));
        const actor = startMachine(cardUp);
        assertDevice(w.sys, actor.getSnapshot(), 'at open');
        fc.modelRun(() => ({ model: { actor, card: cardUp ? ('online' as const) : ('offline' as const) }, real: { w } }), cmds);
      },
    ),
});
