/**
 * Claim: the host never publishes before what it covers. At every store the host makes into memory
 *   the card reads (the finest interleaving: the card runs at the same time and PCIe writes are
 *   posted, so it may look between any two stores), an independent oracle reads what the card
 *   would see and finds it consistent:
 *   - a device entry whose type turns non-zero is complete: every vqconfig names a ring block
 *     whose `_mic_vring_info` magic is in place, and the host's doorbell is in ctrl (facts §5.4:
 *     the real type is written last, after a barrier);
 *   - every used element up to the used idx the host stores was written (id and len) since the
 *     previous used idx store (ORD-03, RING-15: element before idx);
 *   - and on the card's side, at every store its software makes: every avail slot up to the avail
 *     idx the card stores was written since its previous avail idx store (ORD-01);
 *   - with DMA, at every store into a descriptor ring and every DMA register write: the descriptors
 *     a DHPR write announces were stored first and no store hits a slot the engine owns (facts
 *     §7.3, §7.5; the oracle of dma.publication, here on the copies COPY_DESC makes).
 *   Traffic: devices added while the card is up, chains posted and completed through COPY_DESC,
 *   vdev resets and card resets, with and without DMA.
 * Source: facts §5.4 (ADD_DEVICE order), §6.4, §7.3, §7.5; ORD-01, ORD-03, RING-15; DESIGN.md §3 (publication oracle)
 * Level: system
 */
import fc from 'fast-check';
import type { DmaPublication, HostStore, Implementation, MicSystem, VirtioDeviceSpec } from '../../model/contract.ts';
import {
  ctrlOffset, deviceCtrl, deviceDesc, FIRST_ENTRY_OFFSET, MIC_DP_SIZE, MIC_MAGIC, totalDescSize, vqConfig, vqConfigOffset,
} from '../../model/layout/device-page.ts';
import { availSize, availSlotOffset, descTableSize, micVringInfo, micVringInfoOffset, usedElemOffset, vringAvail, vringUsed, vringUsedElem } from '../../model/layout/vring.ts';
import { defineProperty } from '../harness.ts';
import { DATA, VopWorld, type Iov } from './world.ts';
import { DescriptorRingOracle } from '../dma/ringOracle.ts';

const H = deviceDesc.fields;
const U_IDX = vringUsed.fields.idx.offset;
const ELEM = vringUsedElem.size;

interface RingWatch {
  readonly num: number;
  /** used idx as the host last stored it (undefined: not seen since the ring appeared) */
  idx: number | undefined;
  /** per slot: bit 0 id stored, bit 1 len stored, since the last idx store */
  readonly stored: Uint8Array;
}

/** the oracle: fed every host store, it reads what the card would read at that instant */
class PublicationOracle {
  sys: MicSystem | undefined;
  private readonly types = new Map<number, number>();
  private readonly usedWatch = new Map<number, RingWatch>();
  private readonly avails = new Map<number, RingWatch>();
  stores = 0;
  checks = 0;

  /** a reset: the card forgets its rings, so does the oracle */
  forgetRings(): void {
    this.usedWatch.clear();
    this.avails.clear();
  }

  onStore(st: HostStore): void {
    const sys = this.sys;
    if (sys === undefined) return;
    this.stores++;
    if (st.space === 'host-ram') this.entries(sys);
    else if (st.space === 'aperture') this.usedStore(sys, st);
    else this.availStore(sys, st);
  }

  /** the vq rings of every typed entry: ring block (card address of desc + avail), used ring, size */
  private rings(sys: MicSystem): { block: number; used: number; num: number }[] {
    const dv = this.page(sys);
    const out: { block: number; used: number; num: number }[] = [];
    for (let off = FIRST_ENTRY_OFFSET; off + deviceDesc.size <= MIC_DP_SIZE; ) {
      const type = dv.getInt8(off + H.type.offset);
      if (type === 0) break;
      const shape = { numVq: dv.getUint8(off + H.num_vq.offset), featureLen: dv.getUint8(off + H.feature_len.offset), configLen: dv.getUint8(off + H.config_len.offset) };
      if (type > 0) {
        for (let i = 0; i < shape.numVq; i++) {
          const vq = off + vqConfigOffset(i);
          const num = dv.getUint16(vq + vqConfig.fields.num.offset, true);
          const block = Number(dv.getBigUint64(vq + vqConfig.fields.address.offset, true));
          const used = Number(dv.getBigUint64(vq + vqConfig.fields.used_address.offset, true));
          if (num > 0 && (num & (num - 1)) === 0) out.push({ block, used, num });
        }
      }
      off += totalDescSize(shape);
    }
    return out;
  }

  /**
   * ORD-01, the card's side: an avail idx the card stores covers only slots it stored since its
   * previous avail idx store. A store over the whole avail ring is the driver setting the ring up
   * (RING-20): the oracle starts that ring afresh and takes its next idx store as the start.
   */
  private availStore(sys: MicSystem, st: HostStore): void {
    const lo = st.addr;
    const hi = st.addr + st.len;
    for (const r of this.rings(sys)) {
      const avail = r.block + descTableSize(r.num);
      const end = avail + availSize(r.num);
      if (hi <= avail || lo >= end) continue;
      let w = this.avails.get(avail);
      if (w === undefined || w.num !== r.num || (lo <= avail && hi >= end)) this.avails.set(avail, (w = { num: r.num, idx: undefined, stored: new Uint8Array(r.num) }));
      for (let s = 0; s < r.num; s++) {
        const at = avail + availSlotOffset(s);
        if (lo < at + 2 && hi > at) w.stored[s] = 3;
      }
      const idxAt = avail + vringAvail.fields.idx.offset;
      if (!(lo < idxAt + 2 && hi > idxAt) || (lo <= avail && hi >= end)) continue;
      const now = sys.observe.cardView(0).read16(idxAt);
      if (typeof now !== 'number') continue;
      if (w.idx !== undefined) {
        this.checks++;
        const n = (now - w.idx) & 0xffff;
        for (let k = 0; k < n && k < r.num; k++) {
          const slot = (w.idx + k) & (r.num - 1);
          if (w.stored[slot] !== 3) throw new Error(`avail idx @0x${avail.toString(16)} stored as ${now} before slot ${slot} (entry ${(w.idx + k) & 0xffff}) was written`);
        }
      }
      w.stored.fill(0);
      w.idx = now;
    }
  }

  private page(sys: MicSystem): DataView {
    const p = sys.observe.devicePage(0);
    return new DataView(p.buffer, p.byteOffset, p.byteLength);
  }

  /** facts §5.4: an entry whose type turns from 0 to a device type must be complete already */
  private entries(sys: MicSystem): void {
    const dv = this.page(sys);
    for (let off = FIRST_ENTRY_OFFSET; off + deviceDesc.size <= MIC_DP_SIZE; ) {
      const type = dv.getInt8(off + H.type.offset);
      const shape = { numVq: dv.getUint8(off + H.num_vq.offset), featureLen: dv.getUint8(off + H.feature_len.offset), configLen: dv.getUint8(off + H.config_len.offset) };
      const before = this.types.get(off) ?? 0;
      this.types.set(off, type);
      if (type > 0 && before <= 0) this.published(sys, dv, off, type, shape.numVq, ctrlOffset(shape));
      if (type === 0) break;
      off += totalDescSize(shape);
    }
  }

  private published(sys: MicSystem, dv: DataView, off: number, type: number, numVq: number, ctrl: number): void {
    this.checks++;
    const where = `entry @${off} published with type ${type}`;
    const db = dv.getInt8(off + ctrl + deviceCtrl.fields.c2h_vdev_db.offset);
    if (db === -1) throw new Error(`${where} before its host doorbell (c2h_vdev_db −1)`);
    const view = sys.observe.cardView(0);
    for (let i = 0; i < numVq; i++) {
      const vq = off + vqConfigOffset(i);
      const addr = Number(dv.getBigUint64(vq + vqConfig.fields.address.offset, true));
      const num = dv.getUint16(vq + vqConfig.fields.num.offset, true);
      if (addr === 0) throw new Error(`${where} before vq ${i}'s ring address`);
      const magic = view.read32(addr + micVringInfoOffset(num) + micVringInfo.fields.magic.offset);
      if (magic !== ((MIC_MAGIC + type + i) >>> 0)) throw new Error(`${where} before vq ${i}'s ring block shows its magic (reads ${String(magic)})`);
    }
  }

  /** ORD-03: a used idx store covers only elements stored since the previous one */
  private usedStore(sys: MicSystem, st: HostStore): void {
    const dv = this.page(sys);
    for (let off = FIRST_ENTRY_OFFSET; off + deviceDesc.size <= MIC_DP_SIZE; ) {
      const type = dv.getInt8(off + H.type.offset);
      if (type === 0) break;
      const shape = { numVq: dv.getUint8(off + H.num_vq.offset), featureLen: dv.getUint8(off + H.feature_len.offset), configLen: dv.getUint8(off + H.config_len.offset) };
      if (type > 0) {
        for (let i = 0; i < shape.numVq; i++) {
          const vq = off + vqConfigOffset(i);
          const ua = Number(dv.getBigUint64(vq + vqConfig.fields.used_address.offset, true));
          const num = dv.getUint16(vq + vqConfig.fields.num.offset, true);
          if (ua !== 0 && num > 0) this.usedRing(sys, st, ua, num);
        }
      }
      off += totalDescSize(shape);
    }
  }

  private usedRing(sys: MicSystem, st: HostStore, ua: number, num: number): void {
    const lo = st.addr;
    const hi = st.addr + st.len;
    const ringEnd = ua + usedElemOffset(num);
    if (hi <= ua || lo >= ringEnd) return;
    let w = this.usedWatch.get(ua);
    if (w === undefined || w.num !== num) this.usedWatch.set(ua, (w = { num, idx: undefined, stored: new Uint8Array(num) }));
    for (let s = 0; s < num; s++) {
      const e = ua + usedElemOffset(s);
      if (lo < e + 4 && hi > e) w.stored[s]! |= 1;
      if (lo < e + ELEM && hi > e + 4) w.stored[s]! |= 2;
    }
    if (!(lo < ua + U_IDX + 2 && hi > ua + U_IDX)) return;
    const now = sys.observe.cardView(0).read16(ua + U_IDX);
    if (typeof now !== 'number') return;
    this.checks++;
    const from = w.idx ?? ((now - 1) & 0xffff);
    const n = (now - from) & 0xffff;
    if (n > num) throw new Error(`used idx @0x${ua.toString(16)} moved from ${from} to ${now}: more than the ${num} entries of the ring`);
    for (let k = 0; k < n; k++) {
      const slot = (from + k) & (num - 1);
      if (w.stored[slot] !== 3) throw new Error(`used idx @0x${ua.toString(16)} stored as ${now} before element ${(from + k) & 0xffff} (slot ${slot}) was written (${w.stored[slot] === 0 ? 'neither id nor len' : w.stored[slot] === 1 ? 'no len' : 'no id'})`);
    }
    w.stored.fill(0);
    w.idx = now;
  }
}

type Cmd =
  | { readonly kind: 'addDevice'; readonly type: number; readonly num: number }
  | { readonly kind: 'traffic'; readonly dev: number; readonly size: number; readonly room: number; readonly update: boolean }
  | { readonly kind: 'vdevReset'; readonly dev: number }
  | { readonly kind: 'cardReset' };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('addDevice' as const), type: fc.constantFrom(1, 2, 3), num: fc.constantFrom(4, 16, 128) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('traffic' as const), dev: fc.nat(3), size: fc.integer({ min: 1, max: 3000 }), room: fc.integer({ min: 0, max: 3000 }), update: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('vdevReset' as const), dev: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cardReset' as const }) },
);

function run(impl: Implementation, dma: boolean, cmds: readonly Cmd[]): void {
  const oracle = new PublicationOracle();
  // with DMA, the host VOP's copies go through host channel 0's descriptor ring: probed too
  const rings = new DescriptorRingOracle();
  const sys = impl.system!.createSystem({
    trace: false,
    dma,
    accessLogs: false,
    publications: (_card, st) => oracle.onStore(st),
    ...(dma ? { dmaPublications: (_card: number, p: DmaPublication) => rings.onPoint(p) } : {}),
  });
  oracle.sys = sys;
  const boot = sys.writeAttr(0, 'state', 'boot');
  if (!('ok' in boot)) throw new Error(`boot refused: ${boot.errno}`);
  sys.settle();
  const w = new VopWorld(impl, sys);
  const fds: number[] = [];
  const add = (type: number, num: number): void => {
    const spec: VirtioDeviceSpec = { type, numVq: 2, num, featureLen: 4, configLen: 8 };
    const fd = fds.length === 0 ? w.fd : w.open();
    const r = w.add(spec, 0, fd);
    if ('ok' in r) fds.push(fd);
    sys.settle();
  };
  add(3, 16);
  let copied = false;
  cmds.forEach((c, i) => {
    const where = `command ${i} (${c.kind})`;
    if (c.kind === 'addDevice') return add(c.type, c.num);
    if (c.kind === 'cardReset') {
      for (const verb of ['reset', 'boot']) {
        const r = sys.writeAttr(0, 'state', verb);
        if (!('ok' in r)) throw new Error(`${where}: ${verb} refused: ${r.errno}`);
        sys.settle();
        oracle.forgetRings();
      }
      return;
    }
    const devs = sys.cardVirtio(0);
    const dev = devs[c.dev % Math.max(1, devs.length)];
    if (dev === undefined || !dev.live) return;
    const fd = fds[devs.indexOf(dev)] ?? w.fd;
    if (c.kind === 'vdevReset') {
      dev.reset();
      sys.settle();
      oracle.forgetRings();
      return;
    }
    const payload = Uint8Array.from({ length: c.size }, (_, k) => (k * 7 + i) & 0xff);
    const t = dev.add(0, [payload], c.room > 0 ? [c.room] : []);
    if (typeof t !== 'number') return;
    dev.kick(0);
    sys.settle();
    const iovs: Iov[] = [{ base: DATA, len: c.size + c.room }];
    const r = w.copy(0, iovs, c.update, { fd });
    if (!('ok' in r.r)) throw new Error(`${where}: COPY_DESC ${r.r.errno}`);
    copied = true;
    sys.settle();
    dev.reap(0);
  });
  if (oracle.checks === 0) throw new Error(`the oracle saw ${oracle.stores} host stores but checked nothing: no publication was observed`);
  if (dma && copied && rings.checks === 0) throw new Error(`COPY_DESC copied by DMA, but the descriptor-ring oracle saw ${rings.stores} ring stores and no DHPR write`);
}

export const vopPublication = defineProperty({
  id: 'vop.publication',
  claim: 'at every store into memory the other side reads, a device entry with a type is complete, every used element up to the stored used idx and every avail slot up to the stored avail idx was written first, and with DMA every descriptor before the DHPR write that announces it',
  source: 'facts §5.4, §6.4, §7.3, §7.5; ORD-01, ORD-03, RING-15; DESIGN.md §3',
  level: 'system',
  requires: ['system', 'memory'],
  runs: 15,
  build: (impl) => fc.property(fc.boolean(), fc.array(cmdArb, { minLength: 1, maxLength: 25 }), (dma, cmds) => run(impl, dma, cmds)),
});
