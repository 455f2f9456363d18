/**
 * Claim: doorbells hold past their count. With 1 to 40 devices hot-added one by one (more than the
 *   card's 16 doorbells and ten times the host's 4, so both sides share):
 *   - the card takes its shutdown doorbell, then its config doorbell, then one per device, each the
 *     doorbell with the lowest usage count, ties to the lowest index; a device the card removes
 *     gives its doorbell's use back, so the next device takes that one (facts §1.5 mic_next_card_db);
 *   - the host hands out its 4 doorbells round robin, the shutdown doorbell first (facts §1.3
 *     mic_next_db);
 *   - a doorbell shared by several users reaches each of them: a CONFIG_CHANGE is acknowledged by
 *     the card (config doorbell), a card kick wakes the kicking device's poll on the host (shared
 *     host doorbell), a host COPY_DESC with update_used interrupts exactly the right card device
 *     and its buffer comes back (shared card doorbell), a device hot-added last is still found
 *     (config doorbell), and the host's shutdown request still shuts the card down (the shutdown
 *     doorbell, which the 15th device shares).
 * Source: facts §1.3 (mic_next_db, per-source callback lists), §1.5 (16 card doorbells, lowest
 *   usage count), §4.1 (shutdown doorbell), §6.5 (ADD_DEVICE, CONFIG_CHANGE, poll), §6.7; issue 13
 *   item 3 (capacity of doorbell allocation).
 * Level: system
 */
import fc from 'fast-check';
import type { CardVirtioDevice, Implementation, VirtioDeviceSpec } from '../../model/contract.ts';
import { bootParam, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, MIC_DP_SIZE, totalDescSize, ctrlOffset } from '../../model/layout/device-page.ts';
import { CARD_DOORBELL_COUNT, HOST_SRC_DOORBELL_COUNT } from '../../model/constants/pcie.ts';
import { POLLIN } from '../../model/constants/vop.ts';
import { defineProperty } from '../harness.ts';
import { bootedWorld, DATA, type VopWorld } from './world.ts';

/** a device type no card driver binds: the VOP transport alone handles it */
const SPEC: VirtioDeviceSpec = { type: 42, numVq: 1, num: 4, featureLen: 0, configLen: 8 };

interface DoorbellInput {
  readonly devices: number;
  /** the device the card removes before the last hot-add (index modulo devices) */
  readonly remove: number;
  /** devices that get a config change, a kick and a round trip (indices modulo devices) */
  readonly probes: readonly number[];
}

const input: fc.Arbitrary<DoorbellInput> = fc.record({
  devices: fc.oneof({ weight: 1, arbitrary: fc.integer({ min: 1, max: 14 }) }, { weight: 3, arbitrary: fc.integer({ min: 15, max: 40 }) }),
  remove: fc.nat(),
  probes: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
});

/** mic_next_card_db restated: lowest usage count, ties to the lowest index */
const lowest = (usage: number[]): number => usage.indexOf(Math.min(...usage));

interface Added {
  readonly fd: number;
  readonly offset: number;
}

function entries(page: Uint8Array): number[] {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const out: number[] = [];
  const H = deviceDesc.fields;
  for (let off = FIRST_ENTRY_OFFSET; off + deviceDesc.size <= MIC_DP_SIZE; ) {
    const type = dv.getInt8(off + H.type.offset);
    if (type === 0) break;
    out.push(off);
    off += totalDescSize({ numVq: dv.getUint8(off + H.num_vq.offset), featureLen: dv.getUint8(off + H.feature_len.offset), configLen: dv.getUint8(off + H.config_len.offset) });
  }
  return out;
}

function ctrlDb(w: VopWorld, offset: number, field: 'c2h_vdev_db' | 'h2c_vdev_db'): number {
  const page = w.sys.observe.devicePage(0);
  return new DataView(page.buffer, page.byteOffset).getInt8(offset + ctrlOffset(SPEC) + deviceCtrl.fields[field].offset);
}

function run(impl: Implementation, x: DoorbellInput): void {
  const w = bootedWorld(impl, { dma: false, accessLogs: false });
  const { sys } = w;
  const page0 = sys.observe.devicePage(0);
  const bp = (f: 'c2h_shutdown_db' | 'h2c_shutdown_db' | 'h2c_config_db'): number => new DataView(page0.buffer, page0.byteOffset).getInt8(bootParam.fields[f].offset);
  const usage = new Array<number>(CARD_DOORBELL_COUNT).fill(0);
  const take = (what: string, got: number): void => {
    const want = lowest(usage);
    if (got !== want) throw new Error(`${what} got card doorbell ${got}; the lowest usage count (${JSON.stringify(usage)}) is doorbell ${want}`);
    usage[want]!++;
  };
  take('the shutdown handler', bp('h2c_shutdown_db'));
  take('the config handler', bp('h2c_config_db'));
  let hostNext = bp('c2h_shutdown_db') + 1;

  const added: Added[] = [];
  let fresh = true;
  const addOne = (what: string): Added => {
    // one device per open file, as mpssd does it
    const fd = fresh ? w.fd : w.open();
    fresh = false;
    const r = w.add(SPEC, 0, fd);
    if (!('ok' in r)) throw new Error(`${what}: ADD_DEVICE refused: ${r.errno}`);
    sys.settle();
    const offs = entries(sys.observe.devicePage(0));
    const offset = offs[offs.length - 1]!;
    const dev = sys.cardVirtio(0).find((d) => d.offset === offset);
    if (dev === undefined || !dev.live) throw new Error(`${what} (entry @${offset}) was not found by the card (${sys.cardVirtio(0).length} devices bound): the config doorbell did not reach it`);
    take(what, ctrlDb(w, offset, 'h2c_vdev_db'));
    const hostDb = ctrlDb(w, offset, 'c2h_vdev_db');
    if (hostDb !== hostNext % HOST_SRC_DOORBELL_COUNT) throw new Error(`${what} got host doorbell ${hostDb}; round robin gives ${hostNext % HOST_SRC_DOORBELL_COUNT}`);
    hostNext++;
    const a = { fd, offset };
    added.push(a);
    return a;
  };
  for (let i = 0; i < x.devices; i++) addOne(`device ${i}`);

  const devOf = (a: Added): CardVirtioDevice => {
    const d = sys.cardVirtio(0).find((v) => v.offset === a.offset);
    if (d === undefined || !d.live) throw new Error(`device @${a.offset} is not live`);
    return d;
  };

  /** config change (config doorbell), kick (its host doorbell), round trip (its card doorbell) */
  const probe = (a: Added, p: number): void => {
    const dev = devOf(a);
    const who = `device @${a.offset} (card doorbell ${ctrlDb(w, a.offset, 'h2c_vdev_db')}, host doorbell ${ctrlDb(w, a.offset, 'c2h_vdev_db')})`;
    const before = dev.configChanges;
    const c = w.configChange(new Uint8Array(8).fill(p & 0xff), a.fd);
    sys.settle();
    if (!('ok' in c) || dev.configChanges !== before + 1) throw new Error(`${who}: CONFIG_CHANGE ${JSON.stringify(c)}, the card acknowledged ${dev.configChanges - before} config changes`);
    // a wake left from earlier events is taken first; then only the kick may wake the host's poll
    sys.vop.poll(a.fd);
    let irqs = 0;
    const stop = dev.listen({ interrupt: () => void irqs++ });
    const t = dev.add(0, [new Uint8Array([1, 2, 3, 4])], [16]);
    if (typeof t !== 'number') throw new Error(`${who}: add refused: ${t.detail}`);
    if (!dev.kick(0)) throw new Error(`${who}: the first kick of a fresh ring did not ring the host`);
    sys.settle();
    if ((sys.vop.poll(a.fd) & POLLIN) === 0) throw new Error(`${who}: the card's kick did not wake the host's poll`);
    const r = w.copy(0, [{ base: DATA, len: 20 }], true, { fd: a.fd });
    if (!('ok' in r.r)) throw new Error(`${who}: COPY_DESC ${JSON.stringify(r.r)}`);
    sys.settle();
    stop();
    if (irqs === 0) throw new Error(`${who}: the host completed its buffer but its card doorbell never reached it`);
    const done = dev.reap(0);
    if ('kind' in done || done.length !== 1 || done[0]!.token !== t) throw new Error(`${who}: reap gave ${JSON.stringify(done)}, expected token ${t}`);
  };
  for (const p of x.probes) probe(added[p % added.length]!, p);

  // the card removes one device: its doorbell's use goes back, and the next hot-add takes the lowest again
  const gone = added[x.remove % added.length]!;
  const goneDb = ctrlDb(w, gone.offset, 'h2c_vdev_db');
  if (!devOf(gone).remove()) throw new Error(`device @${gone.offset} could not be removed`);
  sys.settle();
  usage[goneDb]!--;
  added.splice(added.indexOf(gone), 1);
  // the users left on the removed device's doorbell still hear it
  for (const a of added) if (ctrlDb(w, a.offset, 'h2c_vdev_db') === goneDb) probe(a, 0x5a);
  probe(addOne('the device hot-added after a removal'), 0xa5);

  // the shutdown doorbell, shared from the 15th device on, still reaches the shutdown handler
  const s = sys.writeAttr(0, 'state', 'shutdown');
  if (!('ok' in s)) throw new Error(`shutdown refused: ${s.errno}`);
  sys.settle();
  const side = sys.observe.cardSide(0);
  if (side !== 'halted') throw new Error(`after the host's shutdown request the card is ${side} (host state ${sys.observe.state(0)}): the shutdown doorbell did not reach its handler`);
}

export const vopDoorbells = defineProperty({
  id: 'vop.doorbells',
  claim: 'card doorbells go to the lowest usage count and host doorbells round robin, past 16 and 4 users; a shared doorbell reaches every user (config, kick, completion, hot-add, shutdown)',
  source: 'facts §1.3, §1.5, §4.1, §6.5, §6.7; issue 13 item 3',
  level: 'system',
  requires: ['system', 'memory'],
  runs: 15,
  build: (impl) =>
    fc.property(input, (x) => {
      run(impl, x);
      return true;
    }),
});
