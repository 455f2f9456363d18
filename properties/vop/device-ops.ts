/**
 * The vop-device machine (model/machines/vop-device.ts) against a system: what of one file's device
 * life can be seen from outside (device-page bytes, the host's device list, the card's devices), the
 * machine's verdict on every call of the file in a given snapshot, and the card-side levers the
 * exhaustive replay needs to reach the failure and timeout branches. Shared by vop.conformance and
 * vop.exhaustive.
 *
 * The file owns the first entry of the device page (facts §5.4: the slot search starts right after
 * the boot parameters), so every byte read here is at a fixed offset.
 */
import { createActor, type Actor } from 'xstate';
import type { MicSystem, VirtioDeviceSpec, VopErrno, VopResult } from '../../model/contract.ts';
import {
  bootParam, ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, MIC_DP_SIZE, vqConfig, vqConfigOffset,
} from '../../model/layout/device-page.ts';
import { POLLERR, POLLIN, POLLNVAL, POLLOUT, PROT_READ, PROT_WRITE, VOP_REMOVE_ACK_POLLS, VOP_REMOVE_ACK_POLL_NS } from '../../model/constants/vop.ts';
import { CARD_DOORBELL_COUNT } from '../../model/constants/pcie.ts';
import {
  addDeviceErrno, configChangeErrno, copyDescErrno, isSettled, observe, pollResult, vopDeviceMachine,
  type VopDeviceEvent, type VopDeviceObservation, type VopDeviceSnapshot, type VopDeviceView,
} from '../../model/machines/vop-device.ts';
import { descBlock, HOLE, type VopWorld } from './world.ts';

/** the device every run adds: two queues (so vr_idx 1 is valid and 2 is not), config bytes to change */
export const SPEC: VirtioDeviceSpec = { type: 3, numVq: 2, num: 16, featureLen: 4, configLen: 8 };
/** the file's entry in the device page, and its ctrl block */
export const ENTRY = FIRST_ENTRY_OFFSET;
export const CTRL = ENTRY + ctrlOffset(SPEC);

export { POLLNVAL } from '../../model/constants/vop.ts';

/** ADD_DEVICE blocks the kernel refuses, with the errno of facts §6.5 ADD_DEVICE */
export type BadAdd = 'numVq5' | 'num256' | 'fault';
export const BAD_ADD_ERRNO: Readonly<Record<BadAdd, VopErrno>> = { numVq5: 'EINVAL', num256: 'EINVAL', fault: 'EFAULT' };

export function addValid(w: VopWorld): VopResult {
  return w.add(SPEC);
}

export function addBad(w: VopWorld, bad: BadAdd): VopResult {
  if (bad === 'fault') return w.addBlock(descBlock(SPEC), w.fd, HOLE);
  if (bad === 'numVq5') return w.add({ ...SPEC, numVq: 5 });
  return w.add({ ...SPEC, num: 256 });
}

// ---- observation ------------------------------------------------------------------------------------

/** the machine's observation plus the one ctrl flag that tells discovered from ringsReady */
export interface DeviceObs extends VopDeviceObservation {
  readonly usedAddressUpdated: boolean | undefined;
}

/** what the system shows of the file's device, in the machine's terms */
export function observeDevice(sys: MicSystem): DeviceObs {
  const page = sys.observe.devicePage(0);
  const type = page[ENTRY + deviceDesc.fields.type.offset]!;
  const entry = type === 0 ? 'none' : type === 0xff ? 'removed' : 'present';
  const ctrl = (f: keyof typeof deviceCtrl.fields): number => (entry === 'none' ? 0 : page[CTRL + deviceCtrl.fields[f].offset]!);
  const dev = sys.cardVirtio(0).find((d) => d.offset === ENTRY);
  return {
    hostListed: sys.observe.addedDevices(0).some((d) => d.offset === ENTRY),
    entry,
    status: entry === 'none' ? undefined : page[ENTRY + deviceDesc.fields.status.offset],
    configChange: ctrl('config_change') as 0 | 1 | 2,
    vdevReset: ctrl('vdev_reset') !== 0,
    h2cConfigDb: page[bootParam.fields.h2c_config_db.offset] !== 0xff,
    cardBound: dev !== undefined,
    cardLive: dev?.live === true,
    usedAddressUpdated: ctrl('used_address_updated') !== 0,
  };
}

/**
 * What the machine says the system shows. Fields it leaves open are undefined: the status of a closed
 * file's entry, the card's binding after a removal timed out (and so whether it runs), and in
 * `closed` the card's doorbell (the file's life is over; the card goes on). used_address_updated is
 * raised in `discovered` (CARD_SCAN runs up to find_vqs raising it) and cleared in `ringsReady`.
 */
export function expectedDevice(s: VopDeviceView): Partial<DeviceObs> {
  const o = observe(s);
  const st = s.value as string;
  const closed = st === 'closed';
  return {
    ...o,
    h2cConfigDb: closed ? undefined : o.h2cConfigDb,
    // REMOVING_CARD_LIVE: observe() says false in `removing`, but until the card handles DEV_REMOVE its
    // driver still runs a device that was live (facts §6.7: the unregister's reset handshake ends it);
    // the context does not say where the removal started, so this field is left open there
    cardLive: o.cardBound === undefined ? undefined : o.cardLive,
    usedAddressUpdated: st === 'discovered' ? true : st === 'ringsReady' ? false : undefined,
  };
}

/** the fields where the system differs from the machine, as text; undefined when they agree */
export function diffDevice(got: DeviceObs, want: Partial<DeviceObs>): string | undefined {
  const bad: string[] = [];
  for (const k of Object.keys(want) as (keyof DeviceObs)[]) {
    const w = want[k];
    if (w === undefined) continue;
    if (got[k] !== w) bad.push(`${k} is ${JSON.stringify(got[k])}, machine says ${JSON.stringify(w)}`);
  }
  return bad.length === 0 ? undefined : bad.join('; ');
}

export function assertDevice(sys: MicSystem, s: VopDeviceView, where: string): void {
  const d = diffDevice(observeDevice(sys), expectedDevice(s));
  if (d !== undefined) throw new Error(`${where}: in ${describe(s)}: ${d}`);
}

export function describe(s: VopDeviceView): string {
  const c = s.context;
  return `${String(s.value)} (entry ${c.entry}, status 0x${c.status.toString(16)}, card ${c.configDb ? 'up' : 'down'}, bound ${String(c.bound)})`;
}

// ---- the machine -------------------------------------------------------------------------------------

export type VopActor = Actor<typeof vopDeviceMachine>;

export function startMachine(cardUp: boolean): VopActor {
  return createActor(vopDeviceMachine, { input: { cardUp } }).start();
}

/** send an event the machine must take */
export function send(a: VopActor, e: VopDeviceEvent, why: string): void {
  const s = a.getSnapshot();
  if (!s.can(e)) throw new Error(`${why}: the machine refuses ${e.type} in ${describe(s)}`);
  a.send(e);
}

/**
 * The card's and the bottom half's own work, as the machine names it, until the snapshot is settled
 * (isSettled): the scan the config doorbell asked for, the used-address handshake, DRIVER_OK, the
 * host's reset acknowledgement. The card in these runs never fails a probe, so that branch is not taken.
 */
export function autonomous(s: VopDeviceSnapshot): VopDeviceEvent | undefined {
  switch (s.value) {
    case 'added':
      return s.context.configDb ? { type: 'CARD_SCAN' } : undefined;
    case 'discovered':
      return { type: 'USED_ADDR_ACK' };
    case 'ringsReady':
      return { type: 'DRIVER_OK' };
    case 'resetting':
      return { type: 'HOST_RESET_ACK' };
    default:
      return undefined;
  }
}

export function settleMachine(a: VopActor, why: string): VopDeviceEvent[] {
  const taken: VopDeviceEvent[] = [];
  for (let e = autonomous(a.getSnapshot()); e !== undefined; e = autonomous(a.getSnapshot())) {
    send(a, e, why);
    taken.push(e);
  }
  if (!isSettled(a.getSnapshot()) && a.getSnapshot().value !== 'closed') throw new Error(`${why}: the machine is not settled in ${describe(a.getSnapshot())}`);
  return taken;
}

/**
 * How a blocking call ends when nobody interferes: a card that is up and holds the entry answers
 * (GUEST_ACK); DEV_REMOVE for an entry the card does not hold is never answered (REMOVE_TIMEOUT).
 * A card that is up and has not yet bound the entry binds it in the scan the DEV_REMOVE doorbell
 * runs and does not look at config_change for a new entry (facts §5.4, vop_scan_devices), so it
 * does not answer either: the machine lists that case as not modelled.
 */
export function naturalOutcome(s: VopDeviceSnapshot): VopDeviceEvent {
  if (s.value === 'configChanging') return { type: 'GUEST_ACK' };
  return s.can({ type: 'GUEST_ACK' }) && s.context.bound === true ? { type: 'GUEST_ACK' } : { type: 'REMOVE_TIMEOUT' };
}

/** virtual time the host gives a DEV_REMOVE before it stops waiting (facts §6.7, VOP) */
export const REMOVE_WAIT_NS = VOP_REMOVE_ACK_POLLS * VOP_REMOVE_ACK_POLL_NS;

// ---- the calls' verdicts -------------------------------------------------------------------------------

const fileGone = (s: VopDeviceView): boolean => s.value === 'closed' || s.value === 'removing';

/** COPY_DESC's errno; a bad vr_idx is checked after the inited test and before the status (facts §6.5) */
export function copyVerdict(s: VopDeviceView, badVrIdx: boolean): VopErrno | 'ok' {
  const v = copyDescErrno(s);
  if (!badVrIdx) return v;
  if (fileGone(s)) return 'EBADF';
  if (s.context.entry === 'none') return 'EINVAL';
  if (s.context.entry === 'removed') return 'ENODEV';
  return 'EINVAL';
}

/** mmap (vop_mmap): inited, then PROT_WRITE, then the offsets (facts §6.5 mmap) */
export function mmapVerdict(s: VopDeviceView, write: boolean, badOffset: boolean): VopErrno | 'ok' {
  if (fileGone(s)) return 'EBADF';
  if (s.context.entry === 'none') return 'EINVAL';
  if (s.context.entry === 'removed') return 'ENODEV';
  if (write) return 'EACCES';
  return badOffset ? 'EINVAL' : 'ok';
}

/** poll(2) of a closed fd is POLLNVAL ("fd not open") */
export function pollOk(s: VopDeviceView, got: number): boolean {
  const v = pollResult(s);
  if (v === 'POLLNVAL') return got === POLLNVAL;
  if (v === 'POLLERR') return got === POLLERR;
  return got === 0 || got === (POLLIN | POLLOUT);
}

export const resultText = (r: VopResult | { ok: true } | { errno: string }): string => ('errno' in r ? r.errno : `ok${'value' in r ? ` ${String(r.value)}` : ''}`);

/** a COPY_DESC with no iovecs on vq `vr` */
export function copyNothing(w: VopWorld, vr: number): VopResult {
  return w.copy(vr, [], false).r;
}

/**
 * Every call the file can make without waiting, checked against the machine's verdict: poll,
 * COPY_DESC (valid and bad vr_idx, no iovecs), mmap (the device page, a bad offset, PROT_WRITE),
 * and ADD_DEVICE / CONFIG_CHANGE where the verdict is a refusal (an accepted one changes the state).
 * A refused call leaves the device page as it was. Not for wait states (no call can be made then).
 */
export function checkCalls(w: VopWorld, s: VopDeviceSnapshot, where: string): void {
  const sys = w.sys;
  const fail = (what: string, got: string, want: string): never => {
    throw new Error(`${where}: ${what} in ${describe(s)} gave ${got}, the machine says ${want}`);
  };
  const unchanged = (what: string, before: Uint8Array): void => {
    const after = sys.observe.devicePage(0);
    const at = after.findIndex((b, i) => b !== before[i]);
    if (at >= 0) throw new Error(`${where}: refused ${what} in ${describe(s)} changed device page byte ${at} (${before[at]} → ${after[at]})`);
  };
  const p = sys.vop.poll(w.fd);
  if (!pollOk(s, p)) fail('poll', `0x${p.toString(16)}`, pollResult(s));
  if (pollResult(s) === 'ok' && sys.vop.poll(w.fd) !== 0) fail('a second poll with nothing in between', 'an event', '0');
  for (const bad of [false, true]) {
    const want = copyVerdict(s, bad);
    const before = sys.observe.devicePage(0);
    const r = copyNothing(w, bad ? SPEC.numVq : SPEC.numVq - 1);
    const got = resultText(r);
    if (want === 'ok' ? !('ok' in r) || (r.value !== 0 && r.value !== 1) : got !== want) fail(`COPY_DESC (vr_idx ${bad ? 'bad' : 'valid'})`, got, want);
    if (want !== 'ok') unchanged('COPY_DESC', before);
  }
  for (const [write, badOffset] of [[false, false], [false, true], [true, false]] as const) {
    const want = mmapVerdict(s, write, badOffset);
    const m = sys.vop.mmap(w.fd, badOffset ? 8 : 0, MIC_DP_SIZE, write ? PROT_READ | PROT_WRITE : PROT_READ);
    const got = 'ok' in m ? 'ok' : m.errno;
    if (got !== want) fail(`mmap(${badOffset ? 8 : 0}, ${write ? 'PROT_WRITE' : 'PROT_READ'})`, got, want);
    if ('ok' in m) {
      const seen = m.view.read(0, MIC_DP_SIZE);
      const page = sys.observe.devicePage(0);
      if (!(seen instanceof Uint8Array) || seen.some((b, i) => b !== page[i])) fail('the mmap view of the device page', 'other bytes', 'the device page');
    }
  }
  const add = addDeviceErrno(s);
  if (add !== 'ok') {
    const before = sys.observe.devicePage(0);
    const got = resultText(addValid(w));
    if (got !== add) fail('ADD_DEVICE', got, add);
    unchanged('ADD_DEVICE', before);
  }
  const cfg = configChangeErrno(s);
  if (cfg !== 'ok') {
    const before = sys.observe.devicePage(0);
    const got = resultText(w.configChange(new Uint8Array(SPEC.configLen).fill(0xee)));
    if (got !== cfg) fail('CONFIG_CHANGE', got, cfg);
    unchanged('CONFIG_CHANGE', before);
  }
}

// ---- inside a wait ------------------------------------------------------------------------------------

/**
 * Observes the device from inside a blocking call: an event posted just before the call runs during
 * its first sleep. Its observation is kept only if the card had not reacted yet (guest_ack still 0,
 * the entry's type and the card's binding as before the call): the agents' order is a scheduling
 * choice, and after the card's answer the system is past the wait state.
 */
export function probeWait(sys: MicSystem): () => DeviceObs | undefined {
  const before = observeDevice(sys);
  let seen: DeviceObs | undefined;
  let ran = false;
  sys.scheduler.post('vop.observer', 'observe inside the wait', () => {
    ran = true;
    const page = sys.observe.devicePage(0);
    const o = observeDevice(sys);
    if (page[CTRL + deviceCtrl.fields.guest_ack.offset] === 0 && o.entry === before.entry && o.cardBound === before.cardBound) seen = o;
  });
  return () => (ran ? seen : undefined);
}

// ---- card-side levers for the exhaustive replay ---------------------------------------------------------

/** a doorbell number no card handler serves: the card ignores it (a card that does not answer) */
function deafDoorbell(sys: MicSystem): number {
  const page = sys.observe.devicePage(0);
  const used = new Set([page[bootParam.fields.h2c_shutdown_db.offset], page[bootParam.fields.h2c_config_db.offset], page[CTRL + deviceCtrl.fields.h2c_vdev_db.offset]]);
  for (let db = CARD_DOORBELL_COUNT - 1; db >= 0; db--) if (!used.has(db)) return db;
  throw new Error('every card doorbell is in use');
}

/** one device-page byte the card rewrites, and the way back */
export interface Lever {
  readonly what: string;
  undo(): void;
}

function pokeByte(sys: MicSystem, offset: number, value: number, what: string): Lever {
  const old = sys.observe.devicePage(0)[offset]!;
  sys.hostileCard(0, { kind: 'dpByte', offset, value });
  return { what, undo: () => sys.hostileCard(0, { kind: 'dpByte', offset, value: old }) };
}

/** the card's config doorbell points at a doorbell nobody serves: CONFIG_CHANGE and DEV_REMOVE go unanswered */
export function deafenCard(sys: MicSystem): Lever {
  return pokeByte(sys, bootParam.fields.h2c_config_db.offset, deafDoorbell(sys), 'h2c_config_db → an unserved doorbell');
}

/**
 * Makes the card's next probe of the entry fail (facts §6.3 find_vqs): 'magic' moves vqconfig[0].address
 * by 8 bytes, so the vring info magic the card checks is not there (EIO); 'usedAddrTimeout' sets
 * c2h_vdev_db to −1 before the card binds the entry, so the host never hears of the used ring and
 * the card's 100 × 100 ms wait ends in ENODEV.
 */
export function breakProbe(sys: MicSystem, cause: 'magic' | 'usedAddrTimeout'): Lever {
  if (cause === 'magic') {
    const at = ENTRY + vqConfigOffset(0) + vqConfig.fields.address.offset;
    const old = sys.observe.devicePage(0)[at]!;
    return pokeByte(sys, at, (old + 8) & 0xff, 'vqconfig[0].address + 8');
  }
  return pokeByte(sys, CTRL + deviceCtrl.fields.c2h_vdev_db.offset, 0xff, 'c2h_vdev_db → −1');
}
