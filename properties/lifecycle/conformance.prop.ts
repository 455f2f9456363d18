/**
 * Claim: driven by fc.commands — every sysfs write (valid and invalid strings, read-only and
 *   unknown attributes), PM suspend/resume, card halt/poweroff/restart/panic, corrupt images,
 *   resets that never complete and time passing — the system refines the card-state machine:
 *   a command the machine accepts returns the machine's result, one it refuses (can() false)
 *   returns the documented errno and changes nothing; after every command the observed state,
 *   shutdown_status, string attributes and card side equal the machine's; after every successful
 *   Linux-mode boot the command line in card memory is " mem=<MiB>M[ <cmdline>]" cut to 2047 bytes;
 *   log_buf_addr/log_buf_len take exactly the hex addresses kstrtoul(…, 16) does (EINVAL otherwise);
 *   after the card overwrote the device page magic, the next boot's card driver fails (EIO): it
 *   registers no doorbell, no device goes live, and the host goes on as the machine says; every
 *   boot leaves the shutdown doorbell source mapped to one MSI-X vector (MXAR), resets in between.
 * Source: facts §1.3, §3.1–3.3, §4.1, §4.2, §4.5, §5.1; model/machines/card-state.ts; DESIGN.md §6 "Conformance".
 * Level: conformance
 */
import fc from 'fast-check';
import { createActor, type Actor } from 'xstate';
import type { MicSystem } from '../../model/contract.ts';
import { cardStateMachine, refusal } from '../../model/machines/card-state.ts';
import { defineProperty } from '../harness.ts';
import { bootParam } from '../../model/layout/device-page.ts';
import { BAR4, REG_ARRAYS } from '../../model/layout/sbox.ts';
import { CARD_MMIO_BASE } from '../../model/constants/pcie.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { BAD_FILES, firmwareFiles, FIRMWARE_NAME } from '../../fixtures/images/card-os.ts';
import { applyOp, opArb, opEvent, resultText, showOp, type Op } from './ops.ts';
import { cmdlineInCard, expectedCmdline, expectedSide } from './oracle.ts';

export const CARD_MEMORY = 256 * 2 ** 20;

interface Model {
  actor: Actor<typeof cardStateMachine>;
}
interface Real {
  sys: MicSystem;
  imageLen: number;
}

/** compares everything observable with the machine snapshot; throws on the first difference */
export function assertMatches(sys: MicSystem, actor: Actor<typeof cardStateMachine>, what: string): void {
  const snap = actor.getSnapshot();
  const c = snap.context;
  const got = {
    state: sys.readAttr(0, 'state'),
    shutdown_status: sys.readAttr(0, 'shutdown_status'),
    cmdline: sys.readAttr(0, 'cmdline'),
    firmware: sys.readAttr(0, 'firmware'),
    ramdisk: sys.readAttr(0, 'ramdisk'),
    bootmode: sys.readAttr(0, 'bootmode'),
    log_buf_addr: sys.readAttr(0, 'log_buf_addr'),
    log_buf_len: sys.readAttr(0, 'log_buf_len'),
    family: sys.readAttr(0, 'family'),
    side: sys.observe.cardSide(0),
  };
  const want = {
    state: snap.value,
    shutdown_status: c.status,
    cmdline: c.cmdline ?? '',
    firmware: c.firmware,
    ramdisk: c.ramdisk ?? '',
    bootmode: c.bootmode,
    log_buf_addr: c.logBufAddr,
    log_buf_len: c.logBufLen,
    family: 'x100',
    side: expectedSide(c),
  };
  for (const k of Object.keys(want) as (keyof typeof want)[]) {
    if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) {
      throw new Error(`after ${what}: ${k} is ${JSON.stringify(got[k])}, machine says ${JSON.stringify(want[k])} (via ${c.via})`);
    }
  }
  if (c.cardOs === 'driverFailed') {
    const bad = driverFailedLeftTraces(sys);
    if (bad !== undefined) throw new Error(`after ${what}: the card driver met a bad device page magic (EIO), yet ${bad}`);
  }
}

/**
 * facts §1.3, §3.2 step 8: a boot re-programs the MSI-X maps from the host's copy, whatever the card
 * reset left in MXAR0..15; so after it the host's shutdown doorbell source (bootparam
 * c2h_shutdown_db, facts §5.1) has its bit in exactly one vector's MXAR.
 */
export function shutdownSourceUnmapped(sys: MicSystem): string | undefined {
  const source = sys.observe.devicePage(0)[bootParam.fields.c2h_shutdown_db.offset]!;
  const view = sys.observe.cardView(0);
  const vectors: number[] = [];
  for (let v = 0; v < REG_ARRAYS.MXAR.count; v++) {
    const mxar = view.read32(CARD_MMIO_BASE + BAR4.MXAR(v));
    if (typeof mxar === 'number' && (mxar & (1 << source)) !== 0) vectors.push(v);
  }
  return vectors.length === 1 ? undefined : `shutdown doorbell source ${source} is in MXAR of vectors [${vectors.join(', ')}], want exactly one`;
}

/**
 * facts §3.2 card side: a card driver that found a wrong magic failed with EIO before registering
 * anything: h2c_shutdown_db and h2c_config_db stay −1 and no virtio device goes live.
 */
export function driverFailedLeftTraces(sys: MicSystem): string | undefined {
  const page = sys.observe.devicePage(0);
  const shutdownDb = page[bootParam.fields.h2c_shutdown_db.offset];
  const configDb = page[bootParam.fields.h2c_config_db.offset];
  if (shutdownDb !== 0xff || configDb !== 0xff) return `it registered doorbells (shutdown ${shutdownDb}, config ${configDb})`;
  const live = sys.observe.liveDevices(0).length;
  return live > 0 ? `${live} virtio device(s) are live` : undefined;
}

/** one command on system and machine: result or refusal errno, then everything observable */
export function conformStep(sys: MicSystem, actor: Actor<typeof cardStateMachine>, op: Op, imageLen: number): void {
  const ev = opEvent(op);
  const before = actor.getSnapshot();
  const legal = before.can(ev);
  const res = resultText(applyOp(sys, op));
  sys.settle();
  if (legal) {
    actor.send(ev);
    const want = actor.getSnapshot().context.result;
    if (res !== want) throw new Error(`${showOp(op)} returned ${res}, machine says ${want} (via ${actor.getSnapshot().context.via})`);
  } else if (res !== refusal(ev)) {
    throw new Error(`${showOp(op)} is refused by the machine in ${JSON.stringify(before.value)}: expected ${refusal(ev)}, got ${res}`);
  }
  assertMatches(sys, actor, showOp(op));
  const c = actor.getSnapshot().context;
  if (legal && (c.via === 'boot.ok' || c.via === 'boot.badImage' || c.via === 'boot.driverFailed')) {
    const bad = shutdownSourceUnmapped(sys);
    if (bad !== undefined) throw new Error(`after ${showOp(op)} (${c.via}): ${bad}`);
  }
  if (legal && c.via === 'boot.ok' && c.bootmode === 'linux' && c.firmware === FIRMWARE_NAME) {
    const got = cmdlineInCard(sys, imageLen);
    const want = expectedCmdline(CARD_MEMORY, c.cmdline);
    if (got !== want) throw new Error(`command line in card memory ${JSON.stringify(got.slice(0, 60))}… (${got.length}) ≠ ${JSON.stringify(want.slice(0, 60))}… (${want.length})`);
  }
}

class OpCommand implements fc.Command<Model, Real> {
  constructor(readonly op: Op) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    conformStep(r.sys, m.actor, this.op, r.imageLen);
  }
  toString(): string {
    return showOp(this.op);
  }
}

export const lifecycleConformance = defineProperty({
  id: 'lifecycle.conformance',
  claim: 'sysfs, PM, card and fault commands on a system refine the card-state machine (state, shutdown_status, attributes, errnos, card side)',
  source: 'facts §3.1–3.3, §4.1, §4.2, §4.5; model/machines/card-state.ts',
  level: 'conformance',
  requires: ['system'],
  runs: 300,
  build: (impl) =>
    fc.property(fc.commands([opArb().map((op) => new OpCommand(op))], { maxCommands: 30, size: '+1' }), interleaving(60), (cmds, choices) => {
      const files = firmwareFiles();
      const sys = impl.system!.createSystem({ choices: choicesFrom(choices), firmware: files, cardMemoryBytes: CARD_MEMORY, trace: false });
      const actor = createActor(cardStateMachine, { input: { files: Object.keys(files), badFiles: BAD_FILES } }).start();
      assertMatches(sys, actor, 'creation');
      fc.modelRun(() => ({ model: { actor }, real: { sys, imageLen: files[FIRMWARE_NAME]!.length } }), cmds);
    }),
});
