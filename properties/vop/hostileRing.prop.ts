/**
 * Claim: a card that writes anything into device A's ring block — descriptors with wild addresses
 *   (inside the aperture, across its end, beyond it, above 2^40), lengths (0, odd, 64 KiB + 1, up to
 *   2^32 − 1), flags (NEXT, WRITE, INDIRECT in any mix) and next indices (in or out of the table);
 *   avail slots naming any head; avail idx jumps — and rings A's host doorbell, never makes the host
 *   throw or work without bound; COPY_DESC on A returns a value or an errno, and a chain whose
 *   buffer lies beyond the aperture is refused with EINVAL (nothing copied, nothing completed);
 *   every host BAR0 access lies inside the aperture and every host write in card memory lands in a
 *   used ring, in B's buffers or in the region A's descriptors name; device B, beside it, keeps
 *   working byte-exact with its entry untouched. With and without the DMA engine.
 * Source: facts §6.2, §6.5 COPY_DESC, §6.6; RING-08, RING-09, RING-10, RING-13, RING-14; DESIGN.md
 *   §6 "Hostile input"; issue 9 item 6 (descriptors are untrusted)
 * Level: hostile
 */
import fc from 'fast-check';
import type { Bar0Access, CardCompletion, Implementation, MicSystem } from '../../model/contract.ts';
import { deviceCtrl, ctrlOffset, FIRST_ENTRY_OFFSET, totalDescSize, vqConfig, vqConfigOffset } from '../../model/layout/device-page.ts';
import { availSlotOffset, descTableSize, vringAvail, vringDesc } from '../../model/layout/vring.ts';
import { defineProperty } from '../harness.ts';
import { DATA, VopWorld } from './world.ts';

const GIB = 2 ** 30;
const APERTURE = 16 * GIB;
/** where A's descriptors point when they point inside the aperture: nobody else's memory */
const WILD = 8 * GIB;
/** card buffers of the drivers (impl/card/vop/buffers.ts region; B's live there) */
const BUF_LO = 4 * GIB;
const BUF_HI = 6 * GIB;
const NUM = 16;
const SPEC_A = { type: 3, numVq: 2, num: NUM, featureLen: 4, configLen: 8 } as const;
const SPEC_B = { type: 1, numVq: 2, num: NUM, featureLen: 4, configLen: 8 } as const;
const A_OFF = FIRST_ENTRY_OFFSET;
const B_OFF = A_OFF + totalDescSize(SPEC_A);
const B_END = B_OFF + totalDescSize(SPEC_B);

type AddrClass = 'wild' | 'edge' | 'beyond' | 'huge';
type Cmd =
  | { readonly kind: 'desc'; readonly vq: number; readonly i: number; readonly cls: AddrClass; readonly k: number; readonly len: number; readonly flags: number; readonly next: number }
  | { readonly kind: 'slot'; readonly vq: number; readonly slot: number; readonly head: number }
  | { readonly kind: 'idx'; readonly vq: number; readonly delta: number }
  | { readonly kind: 'poison'; readonly vq: number; readonly head: number }
  | { readonly kind: 'copy'; readonly vq: number; readonly len: number; readonly update: boolean }
  | { readonly kind: 'reset' }
  | { readonly kind: 'b'; readonly vq: number; readonly size: number; readonly room: number };

const vq = fc.integer({ min: 0, max: 1 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('desc' as const), vq, i: fc.integer({ min: 0, max: NUM - 1 }), cls: fc.constantFrom<AddrClass>('wild', 'wild', 'edge', 'beyond', 'huge'),
      k: fc.nat({ max: 1 << 20 }), len: fc.constantFrom(0, 1, 63, 64, 4096, 65537, 2 ** 20, 2 ** 31, 2 ** 32 - 1), flags: fc.nat({ max: 7 }), next: fc.nat({ max: NUM + 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('slot' as const), vq, slot: fc.nat({ max: NUM - 1 }), head: fc.nat({ max: NUM + 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('idx' as const), vq, delta: fc.oneof(fc.integer({ min: 1, max: NUM }), fc.integer({ min: NUM + 1, max: 0xffff })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('poison' as const), vq, head: fc.nat({ max: NUM - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('copy' as const), vq, len: fc.nat({ max: 9000 }), update: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('b' as const), vq, size: fc.integer({ min: 1, max: 3000 }), room: fc.integer({ min: 1, max: 3000 }) }) },
);

const le16 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff);

class Run {
  private readonly w: VopWorld;
  private readonly sys: MicSystem;
  private readonly fdA: number;
  private readonly fdB: number;
  private barSeen = 0;
  /** where A's descriptors pointed inside the aperture, so host writes there are the card's doing */
  private readonly named: { lo: number; hi: number }[] = [];
  /** A's vq untouched by the attacker since the card set it up (then its next chain is the attacker's next) */
  private readonly clean = [true, true];

  constructor(impl: Implementation, dma: boolean) {
    this.sys = impl.system!.createSystem({ trace: false, dma, cardMemoryBytes: APERTURE });
    const boot = this.sys.writeAttr(0, 'state', 'boot');
    if (!('ok' in boot)) throw new Error(`boot refused: ${boot.errno}`);
    this.sys.settle();
    this.w = new VopWorld(impl, this.sys);
    this.fdA = this.w.fd;
    this.fdB = this.w.open();
    for (const [fd, spec] of [[this.fdA, SPEC_A], [this.fdB, SPEC_B]] as const) {
      const r = this.w.add(spec, 0, fd);
      if (!('ok' in r)) throw new Error(`ADD_DEVICE refused: ${r.errno}`);
    }
    this.sys.settle();
    if (this.sys.cardVirtio(0).filter((d) => d.live).length !== 2) throw new Error('A and B are not both live');
    // the boot's downloads are not the VOP's business
    this.barSeen = this.sys.observe.bar0Accesses(0).length;
  }

  private page(): DataView {
    const p = this.sys.observe.devicePage(0);
    return new DataView(p.buffer, p.byteOffset, p.byteLength);
  }

  /** A's ring block for vq, as the card finds it in A's vq config */
  private block(q: number): number {
    return Number(this.page().getBigUint64(A_OFF + vqConfigOffset(q) + vqConfig.fields.address.offset, true));
  }

  private write(addr: number, bytes: Uint8Array): void {
    this.sys.hostileCard(0, { kind: 'cardMem', addr, bytes });
  }

  private kickA(): void {
    const db = this.page().getInt8(A_OFF + ctrlOffset(SPEC_A) + deviceCtrl.fields.c2h_vdev_db.offset);
    if (db >= 0) this.sys.hostileCard(0, { kind: 'ringHost', db });
  }

  private descBytes(addr: number, len: number, flags: number, next: number): Uint8Array {
    const b = new Uint8Array(vringDesc.size);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(vringDesc.fields.addr.offset, BigInt(addr), true);
    dv.setUint32(vringDesc.fields.len.offset, len >>> 0, true);
    dv.setUint16(vringDesc.fields.flags.offset, flags, true);
    dv.setUint16(vringDesc.fields.next.offset, next, true);
    return b;
  }

  private availIdx(q: number): number {
    const v = this.sys.observe.cardView(0).read16(this.block(q) + descTableSize(NUM) + vringAvail.fields.idx.offset);
    return typeof v === 'number' ? v : 0;
  }

  /** publish `head` in the next avail slot of A's vq q */
  private publish(q: number, head: number): void {
    const avail = this.block(q) + descTableSize(NUM);
    const idx = this.availIdx(q);
    this.write(avail + availSlotOffset(idx % NUM), le16(head));
    this.write(avail + vringAvail.fields.idx.offset, le16((idx + 1) & 0xffff));
  }

  step(c: Cmd, where: string): void {
    const bBefore = this.sys.observe.devicePage(0).slice(B_OFF, B_END);
    switch (c.kind) {
      case 'desc': {
        const addr = c.cls === 'wild' ? WILD + c.k * 4096 : c.cls === 'edge' ? APERTURE - (c.k % 8192) : c.cls === 'beyond' ? APERTURE + c.k : 2 ** 40 + c.k;
        if (addr < APERTURE) this.named.push({ lo: addr, hi: addr + c.len + 64 });
        this.clean[c.vq] = false;
        this.write(this.block(c.vq) + c.i * vringDesc.size, this.descBytes(addr, c.len, c.flags, c.next));
        this.kickA();
        break;
      }
      case 'slot':
        this.clean[c.vq] = false;
        this.write(this.block(c.vq) + descTableSize(NUM) + availSlotOffset(c.slot), le16(c.head));
        this.kickA();
        break;
      case 'idx':
        this.clean[c.vq] = false;
        this.write(this.block(c.vq) + descTableSize(NUM) + vringAvail.fields.idx.offset, le16((this.availIdx(c.vq) + c.delta) & 0xffff));
        this.kickA();
        break;
      case 'poison': {
        // one readable descriptor wholly beyond the aperture, published: the host must refuse it
        this.write(this.block(c.vq) + c.head * vringDesc.size, this.descBytes(APERTURE + 4096, 512, 0, 0));
        this.publish(c.vq, c.head);
        this.kickA();
        this.sys.settle();
        const r = this.w.copy(c.vq, [{ base: DATA, len: 4096 }], true, { fd: this.fdA });
        // on a ring nothing else touched since it was set up, the poisoned chain is the next one: it
        // must be refused as outside the granted window; after other attacks any errno will do, a
        // success that moved bytes only if A's descriptors named something inside the aperture
        if (this.clean[c.vq] && !(!('ok' in r.r) && r.r.errno === 'EINVAL')) throw new Error(`${where}: COPY_DESC of a chain beyond the aperture returned ${JSON.stringify(r.r)}, expected EINVAL`);
        if ('ok' in r.r && r.outLen > 0 && this.named.length === 0) throw new Error(`${where}: COPY_DESC moved ${r.outLen} bytes, and no descriptor of A names memory inside the aperture`);
        this.clean[c.vq] = false;
        break;
      }
      case 'copy': {
        this.clean[c.vq] = false;
        const r = this.w.copy(c.vq, [{ base: DATA + 0x10000, len: c.len }], c.update, { fd: this.fdA });
        if (!('ok' in r.r) && !['EINVAL', 'EFAULT', 'ENODEV'].includes(r.r.errno)) throw new Error(`${where}: COPY_DESC on A returned ${r.r.errno}`);
        break;
      }
      case 'reset': {
        const a = this.sys.cardVirtio(0).find((d) => d.offset === A_OFF);
        a?.reset();
        this.sys.settle();
        // the card probes again: find_vqs zeroes desc and avail, the host forgets its ring state
        if (a?.live === true) this.clean.fill(true);
        break;
      }
      case 'b':
        this.roundB(c.vq, c.size, c.room, where);
        break;
    }
    this.sys.settle();
    this.checkBar0(where);
    if (c.kind !== 'b') {
      const bAfter = this.sys.observe.devicePage(0).slice(B_OFF, B_END);
      const at = bAfter.findIndex((v, i) => v !== bBefore[i]);
      if (at >= 0) throw new Error(`${where}: byte ${B_OFF + at} of B's entry changed while only A was attacked`);
    }
  }

  private roundB(q: number, size: number, room: number, where: string): void {
    const b = this.sys.cardVirtio(0).find((d) => d.offset === B_OFF);
    if (b === undefined || !b.live) throw new Error(`${where}: B is not live`);
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 13 + size) & 0xff);
    const t = b.add(q, [payload], [room]);
    if (typeof t !== 'number') throw new Error(`${where}: B add refused: ${t.reason}`);
    b.kick(q);
    this.sys.settle();
    const reply = Uint8Array.from({ length: room }, (_, i) => (i * 7 + room) & 0xff);
    this.w.user.write(DATA + 0x100000 + size, reply);
    const r = this.w.copy(q, [{ base: DATA + 0x100000, len: size + room }], true, { fd: this.fdB });
    if (!('ok' in r.r) || r.outLen !== size + room) throw new Error(`${where}: COPY_DESC on B returned ${JSON.stringify(r.r)} out_len ${r.outLen}`);
    const got = this.w.readUser(DATA + 0x100000, size);
    if (got.some((v, i) => v !== payload[i])) throw new Error(`${where}: B's bytes arrived changed`);
    this.sys.settle();
    const done = b.reap(q);
    const one = Array.isArray(done) && done.length === 1 ? (done[0] as CardCompletion) : undefined;
    if (one === undefined || one.token !== t || one.len !== room || one.written.some((v, i) => v !== reply[i])) {
      throw new Error(`${where}: B reaped ${JSON.stringify(done)}, expected token ${t} with ${room} bytes`);
    }
  }

  private checkBar0(where: string): void {
    const log = this.sys.observe.bar0Accesses(0);
    const rings = this.sys.observe.cardRings(0);
    const inside = (a: Bar0Access, lo: number, hi: number): boolean => a.addr >= lo && a.addr + a.len <= hi;
    for (; this.barSeen < log.length; this.barSeen++) {
      const a = log[this.barSeen]!;
      const what = `host BAR0 ${a.write ? 'write' : 'read'} [0x${a.addr.toString(16)}, +${a.len})`;
      if (!(a.addr >= 0 && a.addr + a.len <= APERTURE)) throw new Error(`${where}: ${what} outside the aperture`);
      if (!a.write) continue;
      const ok = rings.some((r) => inside(a, r.cardAddr, r.cardAddr + r.len)) || inside(a, BUF_LO, BUF_HI) || this.named.some((n) => inside(a, n.lo, n.hi));
      if (!ok) throw new Error(`${where}: ${what} lands in no used ring, no card buffer and nothing A's descriptors named`);
    }
  }
}

export const vopHostileRing = defineProperty({
  id: 'vop.hostileRing',
  claim: 'wild descriptors, avail slots and avail idx jumps in A\'s ring block never make the host throw, loop, or touch card memory nobody named; beyond-aperture chains are refused; B keeps working',
  source: 'facts §6.2, §6.5, §6.6; RING-08..10, RING-13, RING-14; DESIGN.md §6; issue 9 item 6',
  level: 'hostile',
  requires: ['system', 'memory'],
  runs: 60,
  build: (impl) =>
    fc.property(fc.boolean(), fc.array(cmdArb, { minLength: 1, maxLength: 25 }), (dma, cmds) => {
      const run = new Run(impl, dma);
      cmds.forEach((c, i) => run.step(c, `command ${i} (${c.kind})`));
    }),
});
