/**
 * Claim: with our mpssd running (boot on start, reboot after resume, restart on restart), under
 *   random sysfs writes, PM cycles, card halts/poweroffs/restarts/panics, corrupt images, hanging
 *   resets and time: (1) at every scheduler step, a card that is offline or reset_failed has no live
 *   virtio device, and the host never accesses a card ring through BAR0 while the card is not
 *   online; (2) after every command, no device is live unless the card is online or suspending,
 *   an offline / reset_failed card has pristine boot parameters (re-initialised by the reset), the
 *   state, shutdown_status and the daemon's writes equal the composed card-state + daemon-boot
 *   model, and an online card whose OS runs has exactly the devices the daemon added live; (3) a
 *   suspend/resume cycle of an online card with no fault pending ends online with the same devices;
 *   (4) until a test rewrites cmdline, firmware or bootmode, every card OS the daemon's boots start
 *   received " mem=<MiB>M " + the daemon's command line of facts §8.5, NUL-terminated in 2048 bytes.
 * Source: facts §3.2 step 6, §4.1, §4.2 (legacy mpssd reaction), §5.1, §5.4, §6.7, §8.1, §8.5;
 *   model/machines/daemon-boot.ts
 * Level: system
 */
import fc from 'fast-check';
import type { LiveDevice, MicSystem } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAD_FILES, firmwareFiles } from '../../fixtures/images/card-os.ts';
import { applyOp, opArb, opEvent, resultText, showOp, type Op } from './ops.ts';
import { bootParamPristine, cmdlineInCard, daemonCmdline, expectedCmdline } from './oracle.ts';
import { FIRMWARE_NAME } from '../../fixtures/images/card-os.ts';
import { assertComposite, DaemonComposite } from './composite.ts';
import { driverFailedLeftTraces } from './conformance.prop.ts';
import { bootOutcome } from '../../model/machines/card-state.ts';

const STEP_LIMIT = 200_000;
const CARD_MEMORY = 256 * 2 ** 20;
const key = (ds: readonly LiveDevice[]): string => JSON.stringify([...ds].map((d) => [d.type, d.offset, d.numVq]).sort());

function overlaps(a: { addr: number; len: number }, r: { cardAddr: number; len: number }): boolean {
  return a.addr < r.cardAddr + r.len && r.cardAddr < a.addr + a.len;
}

class StepChecker {
  private seen = 0;
  constructor(private readonly sys: MicSystem) {}

  check(where: string): void {
    const { observe } = this.sys;
    const state = observe.state(0);
    if ((state === 'offline' || state === 'reset_failed') && observe.liveDevices(0).length > 0) {
      throw new Error(`${where}: card is ${state} but ${observe.liveDevices(0).length} virtio device(s) are live`);
    }
    const log = observe.bar0Accesses(0);
    if (log.length > this.seen) {
      const rings = observe.cardRings(0);
      for (let i = this.seen; i < log.length; i++) {
        const a = log[i]!;
        if (a.state !== 'online' && rings.some((r) => overlaps(a, r))) {
          throw new Error(`${where}: host ${a.write ? 'wrote' : 'read'} card ring bytes [0x${a.addr.toString(16)}, +${a.len}) while ${a.state}`);
        }
      }
      this.seen = log.length;
    }
  }

  /** run to quiescence one step at a time, checking after each */
  settle(where: string): void {
    const sched = this.sys.scheduler;
    for (let n = 0; sched.pending() > 0; n++) {
      if (n >= STEP_LIMIT) throw new Error(`${where}: no quiescence after ${STEP_LIMIT} steps`);
      sched.step();
      this.check(where);
    }
    this.sys.settle();
  }
}

export const lifecycleInvariants = defineProperty({
  id: 'lifecycle.invariants',
  claim: 'no live device or card-ring access while not online, bootparams re-initialised by resets, daemon policy as modelled, same devices after suspend/resume',
  source: 'facts §4.1, §4.2, §5.1, §5.4, §6.7; model/machines/daemon-boot.ts',
  level: 'system',
  requires: ['system'],
  runs: 200,
  build: (impl) =>
    fc.property(fc.array(opArb({ attrs: 1 }), { minLength: 1, maxLength: 25 }), interleaving(200), (ops: Op[], choices) => {
      const files = firmwareFiles();
      const sys = impl.system!.createSystem({ daemon: true, choices: choicesFrom(choices), firmware: files, cardMemoryBytes: CARD_MEMORY, trace: false });
      const model = new DaemonComposite(Object.keys(files), BAD_FILES);
      const steps = new StepChecker(sys);
      const added = key(sys.observe.addedDevices(0));
      if (sys.observe.addedDevices(0).length === 0) throw new Error('the daemon added no device');
      let cycle: { live: string; clean: boolean } | undefined;
      // the boot inputs are the daemon's until a test writes one of them
      let bootInputsOurs = true;
      const imageLen = files[FIRMWARE_NAME]!.length;
      const after = (what: string): void => {
        const { observe } = sys;
        const state = observe.state(0);
        const c = model.host.context;
        assertComposite(sys, model, what);
        const live = observe.liveDevices(0);
        if (state !== 'online' && state !== 'suspending' && live.length > 0) throw new Error(`after ${what}: ${live.length} device(s) live while ${state}`);
        if (state === 'offline' || state === 'reset_failed') {
          const bad = bootParamPristine(observe.devicePage(0), c.badDpMagic);
          if (bad !== undefined) throw new Error(`after ${what}: card ${state} but bootparam not re-initialised: ${bad}`);
        }
        if (c.cardOs === 'driverFailed') {
          const bad = driverFailedLeftTraces(sys);
          if (bad !== undefined) throw new Error(`after ${what}: the card driver failed on a bad device page magic, yet ${bad}`);
        }
        if (state === 'online' && c.cardOs === 'running' && key(live) !== added) {
          throw new Error(`after ${what}: online with live devices ${key(live)}, the daemon added ${added}`);
        }
        if (bootInputsOurs && state === 'online' && c.cardOs === 'running') {
          const want = expectedCmdline(CARD_MEMORY, daemonCmdline(0));
          const got = cmdlineInCard(sys, imageLen);
          if (want.length + 1 > 2048 || got !== want) throw new Error(`after ${what}: the card OS got command line ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        }
      };
      after('creation');
      for (const op of ops) {
        const c = model.host.context;
        if (op.kind === 'pmSuspend' && c.pm === 'running') {
          const online = sys.observe.state(0) === 'online' && sys.observe.cardSide(0) === 'os_running';
          // clean: nothing pending that would keep the daemon's boot after resume from succeeding
          cycle = online ? { live: key(sys.observe.liveDevices(0)), clean: !c.resetHang && bootOutcome({ ...c, ready: true }).via === 'boot.ok' } : undefined;
        } else if (op.kind !== 'pmResume' && op.kind !== 'time' && cycle !== undefined) cycle.clean = false;
        if (op.kind === 'attr' && (op.name === 'cmdline' || op.name === 'firmware' || op.name === 'bootmode')) bootInputsOurs = false;
        const want = model.command(opEvent(op));
        const got = resultText(applyOp(sys, op));
        steps.settle(showOp(op));
        if (got !== want) throw new Error(`${showOp(op)} returned ${got}, model says ${want}`);
        after(showOp(op));
        if (op.kind === 'pmResume' && got === 'ok' && cycle !== undefined) {
          if (cycle.clean && (sys.observe.state(0) !== 'online' || key(sys.observe.liveDevices(0)) !== cycle.live)) {
            throw new Error(`suspend/resume cycle ended ${sys.observe.state(0)} with devices ${key(sys.observe.liveDevices(0))}, before: ${cycle.live}`);
          }
          cycle = undefined;
        }
      }
    }),
});
