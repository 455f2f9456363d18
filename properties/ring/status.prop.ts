/**
 * Claim: the device status byte follows the virtio status machine: every driver write that is a
 *   legal step (one new bit in order, FEATURES_OK only in 1.x and only with accepted ⊆ offered,
 *   legacy DRIVER_OK only with accepted ⊆ offered bits 0..31, FAILED after ACKNOWLEDGE, 0 = reset)
 *   is taken, every other write and every feature write outside DRIVER..FEATURES_OK is refused with
 *   a typed error and changes nothing, and the status, the accepted features and `live` read back
 *   as the machine says after every command.
 * Source: STATUS-01, STATUS-02, STATUS-04, STATUS-06, STATUS-07, FEAT-01, FEAT-02, FEAT-03, LEG-03, RESET-03,
 *   RESET-04 (a set accepted before a reset is accepted after it: the machine's guard has no history)
 * Level: conformance
 */
import fc from 'fast-check';
import { createActor } from 'xstate';
import type { Implementation } from '../../model/contract.ts';
import { VIRTIO_CONFIG_S_NEEDS_RESET as NEEDS_RESET, VIRTIO_CONFIG_S_DRIVER_OK } from '../../model/constants/virtio.ts';
import { virtioStatusMachine, STEP_BIT, type VirtioStatusEvent } from '../../model/machines/virtio-status.ts';
import { defineProperty } from '../harness.ts';
import { noteCoverage } from '../report/coverage.ts';
import { takenTransition } from '../lifecycle/paths.ts';

type Cmd =
  | { readonly kind: 'step'; readonly step: keyof typeof STEP_BIT }
  | { readonly kind: 'raw'; readonly value: number }
  /** the next initialization step in order (skip: the one after it), so runs get deep */
  | { readonly kind: 'next'; readonly skip: boolean }
  | { readonly kind: 'reset' }
  | { readonly kind: 'features'; readonly pick: 'subset' | 'any'; readonly bits: bigint }
  | { readonly kind: 'deviceError' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('step' as const), step: fc.constantFrom(...(Object.keys(STEP_BIT) as (keyof typeof STEP_BIT)[])) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('raw' as const), value: fc.nat({ max: 255 }) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('next' as const), skip: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('features' as const), pick: fc.constantFrom('subset' as const, 'any' as const), bits: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deviceError' as const }) },
);

const input = fc.record({
  legacy: fc.boolean(),
  offered: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  cmds: fc.array(cmd, { maxLength: 40 }),
});

/** the machine event a whole-byte write means, given the status the machine shows (null: no legal step) */
function eventOf(value: number, status: number): VirtioStatusEvent | null {
  const v = value & 0xff;
  if (v === 0) return { type: 'RESET' };
  const cur = status & ~NEEDS_RESET;
  const want = v & ~NEEDS_RESET;
  for (const [name, bit] of Object.entries(STEP_BIT)) {
    if ((cur & bit) === 0 && want === (cur | bit)) return { type: name as keyof typeof STEP_BIT };
  }
  return null;
}

const ORDER = [STEP_BIT.ACKNOWLEDGE, STEP_BIT.DRIVER, STEP_BIT.FEATURES_OK, STEP_BIT.DRIVER_OK] as const;

/** the first step of the 1.x order not yet in status (or the one after it) */
function nextStep(status: number, skip: boolean): number {
  const i = ORDER.findIndex((b) => (status & b) === 0);
  if (i < 0) return STEP_BIT.FAILED;
  return ORDER[Math.min(ORDER.length - 1, i + (skip ? 1 : 0))]!;
}

function run(impl: Implementation, legacy: boolean, offered: bigint, cmds: readonly Cmd[]): string | undefined {
  const dev = impl.ring!.createDeviceStatus({ legacy, offered });
  const model = createActor(virtioStatusMachine, { input: { legacy, offered } });
  model.start();
  if (dev.read() !== 0) return `status after power-on is ${dev.read()}, not 0 (STATUS-01)`;
  for (const [i, c] of cmds.entries()) {
    const snap = model.getSnapshot();
    const status = snap.context.status;
    let ev: VirtioStatusEvent | null;
    let result: { kind: string } | undefined;
    if (c.kind === 'features') {
      const bits = c.pick === 'subset' ? c.bits & offered : c.bits;
      ev = { type: 'WRITE_FEATURES', bits };
      result = dev.writeFeatures(bits);
    } else if (c.kind === 'deviceError') {
      ev = { type: 'DEVICE_ERROR' };
      dev.needsReset();
      result = undefined;
    } else {
      // a driver rewrites the whole byte it last read (NEEDS_RESET included)
      const value = c.kind === 'reset' ? 0 : c.kind === 'raw' ? c.value : c.kind === 'next' ? status | nextStep(status, c.skip) : status | STEP_BIT[c.step];
      ev = eventOf(value, status);
      result = dev.write(value);
      if (ev === null && result === undefined) return `#${i}: write 0x${value.toString(16)} over 0x${status.toString(16)} accepted, the machine has no such step`;
    }
    const legal = ev !== null && snap.can(ev);
    if (legal && result !== undefined) return `#${i} ${JSON.stringify(c, (_, x) => (typeof x === 'bigint' ? x.toString(16) : x))}: refused in ${String(snap.value)}, the machine takes it`;
    if (!legal && result === undefined) return `#${i} ${JSON.stringify(c, (_, x) => (typeof x === 'bigint' ? x.toString(16) : x))}: accepted in ${String(snap.value)}, the machine refuses it`;
    if (result !== undefined && (result.kind !== 'status-error' || !/^[A-Z]+-\d\d$/.test((result as { req?: string }).req ?? ''))) return `#${i}: refusal is not a typed status error naming a requirement`;
    if (legal) {
      // machine coverage for the verify report (properties/report/coverage.ts)
      const t = takenTransition(virtioStatusMachine, snap, ev!);
      model.send(ev!);
      noteCoverage(virtioStatusMachine, { states: [String(model.getSnapshot().value)], transitions: t === undefined ? [] : [t] });
    }
    const after = model.getSnapshot();
    if (dev.read() !== after.context.status) return `#${i}: status reads 0x${dev.read().toString(16)}, machine says 0x${after.context.status.toString(16)} (${String(after.value)})`;
    if (dev.accepted !== after.context.accepted) return `#${i}: accepted features 0x${dev.accepted.toString(16)}, machine says 0x${after.context.accepted.toString(16)}`;
    const live = after.value === 'driverOk' && (after.context.status & NEEDS_RESET) === 0 && (after.context.status & VIRTIO_CONFIG_S_DRIVER_OK) !== 0;
    if (dev.live !== live) return `#${i}: live is ${dev.live}, machine says ${live} (STATUS-04)`;
  }
  return undefined;
}

export const statusConformance = defineProperty({
  id: 'ring.status',
  claim: 'the device status byte and accepted features follow the virtio status machine; illegal writes are refused with typed errors and change nothing',
  source: 'STATUS-01/02/04/06/07, FEAT-01/02/03, LEG-03, RESET-03/04',
  level: 'conformance',
  requires: ['ring'],
  runs: 300,
  build: (impl) =>
    fc.property(input, ({ legacy, offered, cmds }) => {
      const e = run(impl, legacy, offered, cmds);
      if (e) throw new Error(e);
      return true;
    }),
});
