/**
 * Claim: every invalid argument to the VOP char device is refused with its documented errno and
 *   changes nothing. One case per run, each with random parameters, on a card that is online,
 *   never booted or reset, with or without a neighbour device (live, or removed by closing its fd):
 *   ADD_DEVICE with a bad header (type ≤ 0, num_vq > 4, aligned size > 256; EINVAL even when the
 *   rest of the block is unmapped), a bad vq size (0, > 128, not a power of two), a fault at the
 *   header or the block (EFAULT), a header rewritten between the kernel's two reads (EINVAL), a
 *   second ADD_DEVICE on one fd (EBUSY); unknown ioctl numbers and the 32-bit ones (ENOIOCTLCMD);
 *   closed and never-opened fds (EBADF, poll POLLNVAL); COPY_DESC / CONFIG_CHANGE / mmap / poll
 *   without a device (EINVAL, POLLERR) or with a device the page shows as not created (type 0:
 *   EINVAL) or removed (type −1: ENODEV); COPY_DESC's checks in the kernel's order — struct fault
 *   EFAULT, vr_idx ≥ the host's own num_vq EINVAL (whatever num_vq the card wrote), status 0
 *   ENODEV — then a fault in the iovec array (EINVAL) or in a data buffer (EFAULT) with a chain
 *   posted, and a fault writing out_len back (EFAULT); CONFIG_CHANGE with the config bytes
 *   unmapped (EFAULT, before the doorbell check) or no valid config doorbell (EIO); mmap with
 *   PROT_WRITE (EACCES) or an offset/length that is not whole regions (EINVAL), against an
 *   independent table of the regions. "Nothing changed": the device page bytes, the host's device
 *   list, the card's devices (status, liveness, config changes, buffers in flight), the fd's
 *   statistics (not after a data fault: the kernel counts a CPU fallback before it copies) and,
 *   for COPY_DESC, out_len in user memory; a failed ADD_DEVICE leaves the fd free
 *   for a valid one, and a COPY_DESC that failed on an iovec or a buffer leaves the chain whole
 *   for the next call.
 * Source: facts §6.5 (ADD_DEVICE steps 1–3, COPY_DESC preconditions and steps 2 and 5,
 *   CONFIG_CHANGE, poll, mmap); README char-device table and "Decisions" / Virtio over PCIe (one
 *   fd one device, vq sizes, vr_idx by the host's num_vq, a COPY_DESC failing part-way completes
 *   nothing) and / Card lifecycle (a card doorbell outside 0..15 is none); issue 9 "invalid
 *   arguments"; RING-01
 * Level: hostile
 */
import fc from 'fast-check';
import type { Implementation, MemFault, MemPort, VopResult } from '../../model/contract.ts';
import {
  bootParam, descSize, deviceDesc, MIC_DP_SIZE, vqConfig, vqConfigOffset, hostFeaturesOffset,
} from '../../model/layout/device-page.ts';
import { iovec, micCopyDesc } from '../../model/layout/vop-user.ts';
import { micRingBlockSize } from '../../model/layout/vring.ts';
import {
  MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_ADD_DEVICE_32, MIC_VIRTIO_CONFIG_CHANGE, MIC_VIRTIO_CONFIG_CHANGE_32, MIC_VIRTIO_COPY_DESC,
  MIC_VIRTIO_COPY_DESC_32, POLLERR, POLLNVAL, PROT_READ, PROT_WRITE,
} from '../../model/constants/vop.ts';
import { defineProperty } from '../harness.ts';
import { ARGS, ARGS_LEN, bootedWorld, DATA, DATA_LEN, HOLE, VopWorld } from './world.ts';

/** the first unmapped byte after the argument area, and after the data area */
const ARGS_END = ARGS + ARGS_LEN;
const DATA_END = DATA + DATA_LEN;
/** where this property lays out its own arguments (inside the args area, clear of the world's slots) */
const MY_DESC = ARGS + 0x4_0000;
const MY_COPY = ARGS + 0x4_1000;
const MY_IOV = ARGS + 0x4_2000;
const MY_CONFIG = ARGS + 0x4_3000;
const OUT_LEN_MARK = 0xdead;
const PAGE = 4096;

// ---------------------------------------------------------------------------------------------
// device specs and desc blocks

interface DevSpec {
  readonly type: number;
  readonly numVq: number;
  /** vqconfig[i].num */
  readonly nums: readonly number[];
  readonly featureLen: number;
  readonly configLen: number;
}

/** the raw header bytes (any u8 values) */
interface Hdr {
  readonly typeByte: number;
  readonly numVq: number;
  readonly featureLen: number;
  readonly configLen: number;
}

/** a desc block laid out from the byte tables, as mpssd would build it */
function blockOf(h: Hdr, nums: readonly number[]): Uint8Array {
  const shape = { numVq: h.numVq, featureLen: h.featureLen, configLen: h.configLen };
  const b = new Uint8Array(descSize(shape));
  const f = deviceDesc.fields;
  b[f.type.offset] = h.typeByte;
  b[f.num_vq.offset] = h.numVq;
  b[f.feature_len.offset] = h.featureLen;
  b[f.config_len.offset] = h.configLen;
  const dv = new DataView(b.buffer);
  for (let i = 0; i < h.numVq; i++) dv.setUint16(vqConfigOffset(i) + vqConfig.fields.num.offset, nums[i % Math.max(1, nums.length)] ?? 4, true);
  // offer every feature bit the bitmap holds (the card takes what it knows)
  for (let i = 0; i < h.featureLen; i++) b[hostFeaturesOffset(shape) + i] = 0xff;
  return b;
}

const specBlock = (s: DevSpec): Uint8Array => blockOf({ typeByte: s.type, numVq: s.numVq, featureLen: s.featureLen, configLen: s.configLen }, s.nums);

/** the header rules restated (facts §6.5 step 1 + README): s8 type 1..127, num_vq ≤ 4, aligned size ≤ 256 */
function headerValid(h: Hdr): boolean {
  const type = h.typeByte >= 0x80 ? h.typeByte - 0x100 : h.typeByte;
  const size = 8 + 24 * h.numVq + 2 * h.featureLen + h.configLen;
  return type >= 1 && h.numVq <= 4 && Math.ceil(size / 8) * 8 <= 256;
}

const pow2 = fc.constantFrom(1, 2, 4, 8, 16, 32, 64, 128);
const devSpec = (o: { minVq?: number; minConfig?: number } = {}): fc.Arbitrary<DevSpec> =>
  fc
    .record({
      type: fc.integer({ min: 1, max: 127 }),
      nums: fc.array(pow2, { minLength: o.minVq ?? 1, maxLength: 4 }),
      featureLen: fc.integer({ min: 0, max: 8 }),
      configLen: fc.integer({ min: o.minConfig ?? 0, max: 48 }),
    })
    .map((r) => ({ type: r.type, numVq: r.nums.length, nums: r.nums, featureLen: r.featureLen, configLen: r.configLen }));

/** the neighbour's device (another fd) */
const NEIGHBOUR: DevSpec = { type: 1, numVq: 1, nums: [8], featureLen: 4, configLen: 0 };

// ---------------------------------------------------------------------------------------------
// user memory proxies: what the kernel reads and writes through them, the test controls

/** a user address space that forwards to `inner`, with two hooks */
class UserProxy implements MemPort {
  readonly name: string;
  readonly size: number;

  constructor(
    private readonly inner: MemPort,
    /** called after every read that returned data, with its range */
    private readonly afterRead: (addr: number, len: number) => void,
    /** a write that this returns true for faults, and writes nothing */
    private readonly refuse: (addr: number, len: number) => boolean,
  ) {
    this.name = `${inner.name} (proxy)`;
    this.size = inner.size;
  }

  private fault(addr: number, len: number): MemFault {
    return { kind: 'mem-fault', reason: 'unmapped', space: this.name, addr, len };
  }

  private r<T>(addr: number, len: number, v: T): T {
    if (typeof v !== 'object' || v === null || !('kind' in v)) this.afterRead(addr, len);
    return v;
  }

  read8(a: number) { return this.r(a, 1, this.inner.read8(a)); }
  read16(a: number) { return this.r(a, 2, this.inner.read16(a)); }
  read32(a: number) { return this.r(a, 4, this.inner.read32(a)); }
  read64(a: number) { return this.r(a, 8, this.inner.read64(a)); }
  read64n(a: number) { return this.r(a, 8, this.inner.read64n(a)); }
  readInto(a: number, dst: Uint8Array) {
    const e = this.inner.readInto(a, dst);
    if (e === undefined) this.afterRead(a, dst.length);
    return e;
  }
  read(a: number, len: number) { return this.r(a, len, this.inner.read(a, len)); }
  write8(a: number, v: number) { return this.refuse(a, 1) ? this.fault(a, 1) : this.inner.write8(a, v); }
  write16(a: number, v: number) { return this.refuse(a, 2) ? this.fault(a, 2) : this.inner.write16(a, v); }
  write32(a: number, v: number) { return this.refuse(a, 4) ? this.fault(a, 4) : this.inner.write32(a, v); }
  write64(a: number, v: bigint | number) { return this.refuse(a, 8) ? this.fault(a, 8) : this.inner.write64(a, v); }
  write(a: number, src: Uint8Array) { return this.refuse(a, src.length) ? this.fault(a, src.length) : this.inner.write(a, src); }
  fill(a: number, len: number, b: number) { return this.refuse(a, len) ? this.fault(a, len) : this.inner.fill(a, len, b); }
  copy(dst: number, src: number, len: number) {
    if (this.refuse(dst, len)) return this.fault(dst, len);
    const e = this.inner.copy(dst, src, len);
    if (e === undefined) this.afterRead(src, len);
    return e;
  }
}

const overlaps = (a: number, len: number, b: number, blen: number): boolean => len > 0 && a < b + blen && b < a + len;

// ---------------------------------------------------------------------------------------------
// the cases

/**
 * online: booted, devices live. preboot: never booted. resetBefore: booted, then reset before the
 * run's own device is added. resetAfter: reset after the run's own device went live.
 */
type CardState = 'online' | 'preboot' | 'resetBefore' | 'resetAfter';
type Neighbour = 'none' | 'live' | 'removed';
/** a pointer that faults: in the hole, or the object straddles the end of the args area with `mapped` bytes mapped */
type BadPtr = { readonly at: 'hole'; readonly off: number } | { readonly at: 'straddle'; readonly mapped: number };

interface Chain {
  /** card → host (readable by the host) or host → card (writable) */
  readonly dir: 'r' | 'w';
  readonly len: number;
}

type DevOp = 'copy' | 'config' | 'mmap' | 'poll';
type OffSel = { readonly s: 'start'; readonly i: number } | { readonly s: 'delta'; readonly i: number; readonly d: number } | { readonly s: 'page'; readonly p: number } | { readonly s: 'raw'; readonly v: number };
type LenSel = { readonly s: 'regions'; readonly n: number; readonly d: number } | { readonly s: 'page'; readonly p: number } | { readonly s: 'raw'; readonly v: number };

type Case =
  | { readonly kind: 'addHeader'; readonly hdr: Hdr; readonly rest: 'mapped' | 'unmapped' }
  | { readonly kind: 'addNum'; readonly spec: DevSpec; readonly vq: number; readonly num: number }
  | { readonly kind: 'addFault'; readonly spec: DevSpec; readonly ptr: BadPtr }
  | { readonly kind: 'addChanged'; readonly spec: DevSpec; readonly byte: number; readonly xor: number }
  | { readonly kind: 'addBusy'; readonly spec: DevSpec; readonly second: DevSpec }
  | { readonly kind: 'ioctlUnknown'; readonly cmd: number; readonly withDevice: boolean; readonly argHole: boolean }
  | { readonly kind: 'badFd'; readonly how: 'closed' | 'closedWithDevice' | 'never'; readonly never: number; readonly op: 'add' | 'copy' | 'config' | 'mmap' | 'poll' | 'close' }
  | { readonly kind: 'noDevice'; readonly op: DevOp; readonly argHole: boolean }
  | { readonly kind: 'pageType'; readonly spec: DevSpec; readonly typeByte: 0 | 0xff; readonly op: DevOp }
  | { readonly kind: 'copyChecks'; readonly spec: DevSpec; readonly status0: 'no' | 'card'; readonly vr: number; readonly cardNumVq: number | undefined; readonly struct: BadPtr | undefined }
  | { readonly kind: 'copyIov'; readonly spec: DevSpec; readonly chain: Chain; readonly zeros: number; readonly ptr: BadPtr; readonly extra: number }
  | { readonly kind: 'copyData'; readonly spec: DevSpec; readonly chain: Chain; readonly ptr: BadPtr; readonly extra: number }
  | { readonly kind: 'outLen'; readonly spec: DevSpec; readonly chain: Chain | undefined }
  | { readonly kind: 'configFault'; readonly spec: DevSpec; readonly ptr: BadPtr }
  | { readonly kind: 'configNoDb'; readonly spec: DevSpec; readonly db: number | undefined }
  | { readonly kind: 'mmap'; readonly spec: DevSpec; readonly off: OffSel; readonly len: LenSel; readonly prot: number };

interface Run {
  readonly card: CardState;
  readonly neighbour: Neighbour;
  readonly dma: boolean;
  readonly c: Case;
}

/** a bad pointer for an object of `size` bytes (straddling needs size ≥ 2) */
const badPtr = (size: number): fc.Arbitrary<BadPtr> =>
  size < 2
    ? fc.record({ at: fc.constant('hole' as const), off: fc.nat(0xffff) })
    : fc.oneof(
        fc.record({ at: fc.constant('hole' as const), off: fc.nat(0xffff) }),
        fc.record({ at: fc.constant('straddle' as const), mapped: fc.integer({ min: 1, max: size - 1 }) }),
      );
const ptrAddr = (p: BadPtr, base: number = HOLE, end: number = ARGS_END): number => (p.at === 'hole' ? base + p.off : end - p.mapped);

const chainArb: fc.Arbitrary<Chain> = fc.record({ dir: fc.constantFrom('r' as const, 'w' as const), len: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 5000 })) });

const cmdSet = new Set([MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_COPY_DESC, MIC_VIRTIO_CONFIG_CHANGE]);
const unknownCmd: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(MIC_VIRTIO_ADD_DEVICE_32, MIC_VIRTIO_COPY_DESC_32, MIC_VIRTIO_CONFIG_CHANGE_32) },
  // one bit away from a real number
  fc.tuple(fc.constantFrom(...cmdSet), fc.integer({ min: 0, max: 31 })).map(([c, b]) => (c ^ (1 << b)) >>> 0),
  fc.nat({ max: 0xffffffff }),
).filter((c) => !cmdSet.has(c));

const hdrArb: fc.Arbitrary<Hdr> = fc
  .oneof(
    // type 0 or negative, the rest fine
    {
      weight: 2,
      arbitrary: fc.record({
        typeByte: fc.oneof(fc.constant(0), fc.integer({ min: 0x80, max: 0xff })),
        numVq: fc.integer({ min: 0, max: 4 }),
        featureLen: fc.integer({ min: 0, max: 8 }),
        configLen: fc.integer({ min: 0, max: 32 }),
      }),
    },
    // too many vqs
    fc.record({ typeByte: fc.integer({ min: 1, max: 127 }), numVq: fc.integer({ min: 5, max: 255 }), featureLen: fc.integer({ min: 0, max: 8 }), configLen: fc.integer({ min: 0, max: 32 }) }),
    // a block just over 256 bytes once aligned to 8
    fc
      .record({ typeByte: fc.integer({ min: 1, max: 127 }), numVq: fc.integer({ min: 0, max: 4 }), featureLen: fc.integer({ min: 0, max: 8 }), over: fc.integer({ min: 1, max: 8 }) })
      .map(({ over, ...h }) => ({ ...h, configLen: 256 + over - (8 + 24 * h.numVq + 2 * h.featureLen) })),
    // too big a block, or anything
    fc.record({ typeByte: fc.integer({ min: 1, max: 127 }), numVq: fc.integer({ min: 0, max: 4 }), featureLen: fc.integer({ min: 0, max: 255 }), configLen: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ typeByte: fc.nat(0xff), numVq: fc.nat(0xff), featureLen: fc.nat(0xff), configLen: fc.nat(0xff) }),
  )
  .filter((h) => !headerValid(h));

const badNum: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 129, max: 0xffff }),
  fc.constantFrom(256, 512, 0x8000),
  fc.integer({ min: 3, max: 128 }).filter((n) => (n & (n - 1)) !== 0),
);

const offSel: fc.Arbitrary<OffSel> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ s: fc.constant('start' as const), i: fc.nat(4) }) },
  { weight: 3, arbitrary: fc.record({ s: fc.constant('delta' as const), i: fc.nat(4), d: fc.integer({ min: -PAGE, max: 2 * PAGE }).filter((d) => d !== 0) }) },
  { weight: 2, arbitrary: fc.record({ s: fc.constant('page' as const), p: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('raw' as const), v: fc.integer({ min: -PAGE, max: 2 ** 24 }) }) },
);
const lenSel: fc.Arbitrary<LenSel> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      s: fc.constant('regions' as const),
      n: fc.integer({ min: 1, max: 5 }),
      // whole regions, or a page short / over (ring blocks are two pages: the end lands inside one), or anything near
      d: fc.oneof(
        { weight: 3, arbitrary: fc.constant(0) },
        { weight: 3, arbitrary: fc.constantFrom(-PAGE, PAGE, -PAGE - 1, PAGE + 1, -2 * PAGE + 1) },
        { weight: 1, arbitrary: fc.integer({ min: -PAGE, max: PAGE }) },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ s: fc.constant('page' as const), p: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('raw' as const), v: fc.integer({ min: -PAGE, max: 2 ** 20 }) }) },
);

const devOp = fc.constantFrom<DevOp>('copy', 'config', 'mmap', 'poll');

const k = <K extends Case['kind']>(kind: K) => fc.constant(kind);

const copyChecksArb = devSpec().chain((spec) =>
  fc.record({
    kind: k('copyChecks'),
    spec: fc.constant(spec),
    status0: fc.constantFrom('no' as const, 'card' as const),
    // just past the host's vqs, up to the most a page may claim, any u8, or a valid index
    vr: fc.oneof(
      { weight: 2, arbitrary: fc.constant(spec.numVq) },
      { weight: 1, arbitrary: fc.integer({ min: spec.numVq, max: 4 }) },
      { weight: 2, arbitrary: fc.integer({ min: spec.numVq, max: 0xff }) },
      { weight: 3, arbitrary: fc.nat(spec.numVq - 1) },
    ),
    cardNumVq: fc.option(fc.integer({ min: spec.numVq + 1, max: 0xff }), { nil: undefined }),
    // mostly a readable struct, so the later checks are reached
    struct: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: badPtr(micCopyDesc.size) }),
  }),
);
const copyIovArb = fc.record({ kind: k('copyIov'), spec: devSpec(), chain: chainArb, zeros: fc.nat(3), ptr: badPtr(iovec.size), extra: fc.nat(3) });
const copyDataArb = fc.record({
  kind: k('copyData'),
  spec: devSpec(),
  chain: chainArb,
  ptr: fc.oneof(badPtr(2), fc.record({ at: fc.constant('straddle' as const), mapped: fc.nat(4999) })),
  extra: fc.nat(64),
});
const mmapArb = fc.record({
  kind: k('mmap'),
  spec: devSpec(),
  off: offSel,
  len: lenSel,
  prot: fc.constantFrom(PROT_READ, PROT_READ, PROT_READ, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE),
});

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: k('addHeader'), hdr: hdrArb, rest: fc.constantFrom('mapped' as const, 'unmapped' as const) }) },
  devSpec().chain((spec) => fc.record({ kind: k('addNum'), spec: fc.constant(spec), vq: fc.nat(spec.numVq - 1), num: badNum })),
  devSpec().chain((spec) => fc.record({ kind: k('addFault'), spec: fc.constant(spec), ptr: badPtr(descSize(spec)) })),
  fc.record({
    kind: k('addChanged'),
    spec: devSpec(),
    byte: fc.nat(deviceDesc.size - 1),
    // 0: the rewrite puts back the same bytes (the control: ADD_DEVICE succeeds)
    xor: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 0xff }) }, { weight: 1, arbitrary: fc.constant(0) }),
  }),
  fc.record({ kind: k('addBusy'), spec: devSpec(), second: devSpec() }),
  fc.record({ kind: k('ioctlUnknown'), cmd: unknownCmd, withDevice: fc.boolean(), argHole: fc.boolean() }),
  fc.record({
    kind: k('badFd'),
    how: fc.constantFrom('closed' as const, 'closedWithDevice' as const, 'never' as const),
    never: fc.oneof(fc.integer({ min: -3, max: 2 }), fc.integer({ min: 10_000, max: 0x7fffffff })),
    op: fc.constantFrom('add' as const, 'copy' as const, 'config' as const, 'mmap' as const, 'poll' as const, 'close' as const),
  }),
  fc.record({ kind: k('noDevice'), op: devOp, argHole: fc.boolean() }),
  fc.record({ kind: k('pageType'), spec: devSpec(), typeByte: fc.constantFrom(0 as const, 0xff as const), op: devOp }),
  { weight: 3, arbitrary: copyChecksArb },
  { weight: 2, arbitrary: copyIovArb },
  copyDataArb,
  fc.record({ kind: k('outLen'), spec: devSpec(), chain: fc.option(chainArb, { nil: undefined }) }),
  devSpec({ minConfig: 1 }).chain((spec) => fc.record({ kind: k('configFault'), spec: fc.constant(spec), ptr: badPtr(spec.configLen) })),
  fc.record({
    kind: k('configNoDb'),
    spec: devSpec(),
    // undefined: no card OS runs (the card state decides); a number: the s8 the card wrote as its config doorbell
    db: fc.option(fc.oneof(fc.constant(-1), fc.integer({ min: 16, max: 127 }), fc.integer({ min: -128, max: -2 })), { nil: undefined }),
  }),
  { weight: 3, arbitrary: mmapArb },
);

/** cases that need the card running (a chain posted, or a card write into the page) */
const ONLINE_ONLY = new Set<Case['kind']>(['copyIov', 'copyData', 'outLen', 'pageType']);

const runArb: fc.Arbitrary<Run> = fc
  .record({
    card: fc.constantFrom<CardState>('online', 'online', 'preboot', 'resetBefore', 'resetAfter'),
    neighbour: fc.constantFrom<Neighbour>('none', 'live', 'removed'),
    dma: fc.boolean(),
    c: caseArb,
  })
  .map((r) => {
    const c = r.c;
    if (ONLINE_ONLY.has(c.kind) || (c.kind === 'configNoDb' && c.db !== undefined)) return { ...r, card: 'online' as const };
    // no config doorbell because no card OS runs
    if (c.kind === 'configNoDb' && r.card === 'online') return { ...r, card: 'resetAfter' as const };
    return r;
  });

// ---------------------------------------------------------------------------------------------
// the world of one run

interface Snapshot {
  readonly page: Uint8Array;
  readonly added: string;
  readonly card: string;
  readonly stats: string;
}

const fillOf = (n: number, salt: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 29 + salt * 7 + 3) & 0xff);

class Env {
  readonly w: VopWorld;
  readonly where: string;

  constructor(
    impl: Implementation,
    readonly run: Run,
  ) {
    this.where = `card ${run.card}, neighbour ${run.neighbour}, ${run.c.kind}`;
    if (run.card === 'preboot') {
      const sys = impl.system!.createSystem({ trace: false, dma: run.dma });
      this.w = new VopWorld(impl, sys);
    } else this.w = bootedWorld(impl, { dma: run.dma });
    if (run.neighbour !== 'none') {
      const fd = this.w.open();
      this.must(this.add(NEIGHBOUR, fd), 'the neighbour ADD_DEVICE');
      this.settle();
      if (run.neighbour === 'removed') this.must(this.w.sys.vop.close(fd), 'closing the neighbour');
    }
    if (run.card === 'resetBefore') this.reset();
  }

  reset(): void {
    const r = this.sys.writeAttr(0, 'state', 'reset');
    if (!('ok' in r)) this.fail(`state reset refused: ${r.errno}`);
    this.sys.settle();
    if (this.sys.observe.state(0) !== 'offline') this.fail(`the card is ${this.sys.observe.state(0)} after a reset`);
  }

  get sys() {
    return this.w.sys;
  }

  get online(): boolean {
    return this.run.card === 'online';
  }

  settle(): void {
    this.sys.settle();
  }

  fail(msg: string): never {
    throw new Error(`${this.where}: ${msg}`);
  }

  must(r: VopResult, what: string): void {
    if (!('ok' in r)) this.fail(`${what} refused: ${r.errno}`);
  }

  /** ADD_DEVICE of `block` at `at`, writing whatever of it lies in mapped user memory */
  addAt(block: Uint8Array, fd: number, at: number): VopResult {
    if (at >= ARGS && at < ARGS_END) this.w.user.write(at, block.subarray(0, Math.min(block.length, ARGS_END - at)));
    return this.sys.vop.ioctl(fd, MIC_VIRTIO_ADD_DEVICE, at);
  }

  add(spec: DevSpec, fd: number): VopResult {
    return this.addAt(specBlock(spec), fd, MY_DESC);
  }

  /**
   * The run's own device on `fd`: added, live on the card when it is online, then the card reset
   * if the run says so. Returns its device-page offset.
   */
  ownDevice(spec: DevSpec, fd = this.w.fd): number {
    const before = new Set(this.sys.observe.addedDevices(0).map((d) => d.offset));
    this.must(this.add(spec, fd), `ADD_DEVICE of ${JSON.stringify(spec)}`);
    const mine = this.sys.observe.addedDevices(0).find((d) => !before.has(d.offset));
    if (mine === undefined) this.fail('ADD_DEVICE succeeded but the host lists no new device');
    this.settle();
    if (this.online && this.w.cardDevice(mine.offset)?.live !== true) this.fail(`the card did not bring the device @${mine.offset} up`);
    if (this.run.card === 'resetAfter' && this.sys.observe.state(0) === 'online') this.reset();
    return mine.offset;
  }

  /** the card posts one buffer on vq 0 of the device at `offset` and kicks; returns its token and bytes */
  post(offset: number, chain: Chain): { token: number; bytes: Uint8Array } {
    const dev = this.w.cardDevice(offset);
    if (dev === undefined || !dev.live) this.fail(`no live card device @${offset} to post on`);
    const bytes = fillOf(chain.len, chain.len);
    const token = chain.dir === 'r' ? dev.add(0, [bytes], []) : dev.add(0, [], [chain.len]);
    if (typeof token !== 'number') this.fail(`the card could not post ${JSON.stringify(chain)}: ${token.reason} ${token.detail}`);
    dev.kick(0);
    this.sys.settle();
    return { token, bytes };
  }

  /** the card writes one byte of its device page (what a card-side removal, reset or a hostile card leaves) */
  cardWrites(offset: number, value: number): void {
    this.sys.hostileCard(0, { kind: 'dpByte', offset, value: value & 0xff });
  }

  snapshot(fd?: number): Snapshot {
    const cardDevs = this.sys.cardVirtio(0).map((d) => ({
      offset: d.offset,
      type: d.type,
      numVq: d.numVq,
      status: d.status,
      live: d.live,
      features: d.features,
      configChanges: d.configChanges,
      inFlight: Array.from({ length: d.numVq }, (_, i) => d.inFlight(i)),
    }));
    return {
      page: this.sys.observe.devicePage(0),
      added: JSON.stringify(this.sys.observe.addedDevices(0)),
      card: JSON.stringify(cardDevs),
      stats: fd === undefined ? '' : JSON.stringify(this.sys.vop.stats(fd) ?? null),
    };
  }

  unchanged(before: Snapshot, what: string, fd?: number): void {
    const now = this.snapshot(fd);
    const i = now.page.findIndex((b, k) => b !== before.page[k]);
    if (i >= 0) this.fail(`${what}: device page byte ${i} changed ${before.page[i]} → ${now.page[i]}`);
    if (now.added !== before.added) this.fail(`${what}: the host's devices changed ${before.added} → ${now.added}`);
    if (now.card !== before.card) this.fail(`${what}: the card's devices changed ${before.card} → ${now.card}`);
    if (now.stats !== before.stats) this.fail(`${what}: the fd's statistics changed ${before.stats} → ${now.stats}`);
  }

  expectErrno(r: VopResult, errno: string, what: string): void {
    if ('ok' in r || r.errno !== errno) this.fail(`${what} returned ${JSON.stringify(r)}, expected ${errno}`);
  }

  /** a COPY_DESC with the struct at `copyAt` and the iovecs at `iovAt`; out_len is pre-set to a mark */
  copy(fd: number, vr: number, iovs: readonly { base: number; len: number }[], opts: { copyAt?: number; iovAt?: number; iovcnt?: number; update?: boolean } = {}): { r: VopResult; outLen: number | undefined } {
    const iovAt = opts.iovAt ?? MY_IOV;
    const copyAt = opts.copyAt ?? MY_COPY;
    const u = this.w.user;
    iovs.forEach((v, i) => {
      u.write64(iovAt + i * iovec.size + iovec.fields.iov_base.offset, v.base);
      u.write64(iovAt + i * iovec.size + iovec.fields.iov_len.offset, v.len);
    });
    const f = micCopyDesc.fields;
    u.write64(copyAt + f.iov.offset, iovAt);
    u.write32(copyAt + f.iovcnt.offset, opts.iovcnt ?? iovs.length);
    u.write8(copyAt + f.vr_idx.offset, vr);
    u.write8(copyAt + f.update_used.offset, opts.update === false ? 0 : 1);
    u.write32(copyAt + f.out_len.offset, OUT_LEN_MARK);
    const r = this.sys.vop.ioctl(fd, MIC_VIRTIO_COPY_DESC, copyAt);
    const out = u.read32(copyAt + f.out_len.offset);
    return { r, outLen: typeof out === 'number' ? out : undefined };
  }

  /** out_len must still hold the mark (when it is in mapped memory at all) */
  outLenUntouched(outLen: number | undefined, what: string): void {
    if (outLen !== undefined && outLen !== OUT_LEN_MARK) this.fail(`${what}: out_len was written (0x${outLen.toString(16)}) although the call failed`);
  }

  /**
   * After a COPY_DESC that failed on an iovec or a buffer: the chain is still whole, so one valid
   * call moves all of it and completes it, and the card gets exactly that buffer back.
   */
  chainIntact(fd: number, offset: number, chain: Chain, posted: { token: number; bytes: Uint8Array }): void {
    const mine = fillOf(chain.len, 99);
    this.w.user.write(DATA, mine);
    const { r, outLen } = this.copy(fd, 0, [{ base: DATA, len: chain.len }]);
    if (!('ok' in r) || r.value !== 0) this.fail(`the COPY_DESC after the failed one returned ${JSON.stringify(r)}, expected 0`);
    if (outLen !== chain.len) this.fail(`the COPY_DESC after the failed one moved ${String(outLen)} bytes, the chain holds ${chain.len}`);
    if (chain.dir === 'r') {
      const got = this.w.readUser(DATA, chain.len);
      const bad = got.findIndex((b, i) => b !== posted.bytes[i]);
      if (bad >= 0) this.fail(`after the failed COPY_DESC, readable byte ${bad} arrived as ${got[bad]}, the card posted ${posted.bytes[bad]}`);
    }
    this.sys.settle();
    const done = this.w.cardDevice(offset)!.reap(0);
    if (!Array.isArray(done) || done.length !== 1 || done[0]!.token !== posted.token) this.fail(`the card reaped ${JSON.stringify(done)}, expected token ${posted.token} once`);
    if (chain.dir === 'w') {
      const c = done[0]!;
      if (c.len !== chain.len) this.fail(`used length ${c.len}, the host wrote ${chain.len} bytes`);
      const bad = mine.findIndex((b, i) => c.written[i] !== b);
      if (bad >= 0) this.fail(`writable byte ${bad} reached the card as ${c.written[bad]}, the caller wrote ${mine[bad]}`);
    }
  }

  /** the mmap regions restated: the device page, then each ring block in vq order (facts §6.5 mmap) */
  static regions(spec: DevSpec): { starts: number[]; ends: number[] } {
    const starts = [0];
    const ends = [MIC_DP_SIZE];
    for (const n of spec.nums) {
      starts.push(ends[ends.length - 1]!);
      ends.push(ends[ends.length - 1]! + micRingBlockSize(n));
    }
    return { starts, ends };
  }
}

/** errno (or POLLERR) of an op on a fd whose device is not usable */
function devOpOn(e: Env, fd: number, op: DevOp, argHole: boolean): VopResult | number {
  const arg = argHole ? HOLE : op === 'copy' ? MY_COPY : MY_CONFIG;
  if (op === 'copy') return e.copy(fd, 0, [{ base: DATA, len: 16 }], { copyAt: argHole ? HOLE : MY_COPY }).r;
  if (op === 'config') return e.sys.vop.ioctl(fd, MIC_VIRTIO_CONFIG_CHANGE, arg);
  if (op === 'mmap') {
    const m = e.sys.vop.mmap(fd, 0, PAGE, PROT_READ);
    return 'ok' in m ? { ok: true, value: 0 } : m;
  }
  return e.sys.vop.poll(fd);
}

function expectDevOp(e: Env, got: VopResult | number, op: DevOp, errno: string, what: string): void {
  if (op === 'poll') {
    if (got !== POLLERR) e.fail(`${what}: poll returned ${String(got)}, expected POLLERR (${POLLERR})`);
    return;
  }
  e.expectErrno(got as VopResult, errno, what);
}

// ---------------------------------------------------------------------------------------------
// one case

function runCase(impl: Implementation, run: Run): void {
  const e = new Env(impl, run);
  const { w, sys } = e;
  const c = run.c;
  switch (c.kind) {
    case 'addHeader': {
      // EINVAL from the 8-byte header alone: the rest of the block may be unmapped
      const block = blockOf(c.hdr, [4]);
      const at = c.rest === 'mapped' ? MY_DESC : ARGS_END - deviceDesc.size;
      const before = e.snapshot();
      e.expectErrno(e.addAt(block, w.fd, at), 'EINVAL', `ADD_DEVICE with header ${JSON.stringify(c.hdr)} (block ${c.rest})`);
      e.unchanged(before, 'a refused ADD_DEVICE');
      e.ownDevice({ type: 2, numVq: 1, nums: [4], featureLen: 0, configLen: 0 });
      return;
    }
    case 'addNum': {
      const nums = c.spec.nums.map((n, i) => (i === c.vq ? c.num : n));
      const block = blockOf({ typeByte: c.spec.type, numVq: c.spec.numVq, featureLen: c.spec.featureLen, configLen: c.spec.configLen }, nums);
      const before = e.snapshot();
      e.expectErrno(e.addAt(block, w.fd, MY_DESC), 'EINVAL', `ADD_DEVICE with vq ${c.vq} of ${c.num} entries`);
      e.unchanged(before, 'a refused ADD_DEVICE');
      e.ownDevice(c.spec);
      return;
    }
    case 'addFault': {
      const block = specBlock(c.spec);
      const before = e.snapshot();
      e.expectErrno(e.addAt(block, w.fd, ptrAddr(c.ptr)), 'EFAULT', `ADD_DEVICE with the desc block ${JSON.stringify(c.ptr)} (${block.length} bytes)`);
      e.unchanged(before, 'a faulting ADD_DEVICE');
      e.ownDevice(c.spec);
      return;
    }
    case 'addChanged': {
      // the test rewrites the header in user memory right after the kernel's first read of it
      const block = specBlock(c.spec);
      const changed = block.slice(0, deviceDesc.size);
      changed[c.byte]! ^= c.xor;
      let reads = 0;
      const proxy = new UserProxy(
        w.user,
        (a, len) => {
          if (reads === 0 && a <= MY_DESC && a + len >= MY_DESC + deviceDesc.size) {
            reads++;
            w.user.write(MY_DESC, changed);
          }
        },
        () => false,
      );
      const o = sys.vop.open(0, proxy);
      if (!('ok' in o)) return e.fail(`open with a proxy user space refused: ${o.errno}`);
      w.user.write(MY_DESC, block);
      const before = e.snapshot();
      const r = sys.vop.ioctl(o.fd, MIC_VIRTIO_ADD_DEVICE, MY_DESC);
      if (reads === 0) e.fail('ADD_DEVICE never read the 8-byte header in one access');
      if (c.xor === 0) {
        e.must(r, 'ADD_DEVICE whose header was rewritten with the same bytes');
        if (sys.observe.addedDevices(0).length !== JSON.parse(before.added).length + 1) e.fail('ADD_DEVICE succeeded but the host lists no new device');
        return;
      }
      e.expectErrno(r, 'EINVAL', `ADD_DEVICE whose header byte ${c.byte} changed by ^0x${c.xor.toString(16)} between the two reads`);
      e.unchanged(before, 'a double-fetch ADD_DEVICE');
      e.ownDevice(c.spec, o.fd);
      return;
    }
    case 'addBusy': {
      e.ownDevice(c.spec);
      const before = e.snapshot(w.fd);
      e.expectErrno(e.add(c.second, w.fd), 'EBUSY', 'a second ADD_DEVICE on one fd');
      e.unchanged(before, 'a second ADD_DEVICE', w.fd);
      return;
    }
    case 'ioctlUnknown': {
      if (c.withDevice) e.ownDevice({ type: 3, numVq: 1, nums: [8], featureLen: 4, configLen: 8 });
      // a valid desc block and a valid mic_copy_desc where the arguments point: a number taken for a real one would act
      w.user.write(MY_DESC, specBlock({ type: 1, numVq: 1, nums: [4], featureLen: 0, configLen: 0 }));
      const before = e.snapshot(w.fd);
      const r = sys.vop.ioctl(w.fd, c.cmd, c.argHole ? HOLE : MY_DESC);
      e.expectErrno(r, 'ENOIOCTLCMD', `ioctl 0x${c.cmd.toString(16)}`);
      e.unchanged(before, 'an unknown ioctl', w.fd);
      return;
    }
    case 'badFd': {
      let fd = c.never;
      if (c.how !== 'never') {
        fd = w.open();
        if (c.how === 'closedWithDevice') e.ownDevice({ type: 1, numVq: 1, nums: [4], featureLen: 0, configLen: 0 }, fd);
        e.must(sys.vop.close(fd), 'the first close');
        if (e.online) sys.settle();
      }
      w.user.write(MY_DESC, specBlock({ type: 1, numVq: 1, nums: [4], featureLen: 0, configLen: 0 }));
      const before = e.snapshot();
      const what = `${c.op} on ${c.how === 'never' ? 'never-opened' : c.how} fd ${fd}`;
      if (c.op === 'poll') {
        const p = sys.vop.poll(fd);
        if (p !== POLLNVAL) e.fail(`${what}: poll returned ${p}, expected POLLNVAL (${POLLNVAL})`);
      } else if (c.op === 'mmap') {
        const m = sys.vop.mmap(fd, 0, PAGE, PROT_READ);
        e.expectErrno('ok' in m ? { ok: true, value: 0 } : m, 'EBADF', what);
      } else if (c.op === 'close') e.expectErrno(sys.vop.close(fd), 'EBADF', what);
      else {
        const cmd = c.op === 'add' ? MIC_VIRTIO_ADD_DEVICE : c.op === 'copy' ? MIC_VIRTIO_COPY_DESC : MIC_VIRTIO_CONFIG_CHANGE;
        e.expectErrno(sys.vop.ioctl(fd, cmd, c.op === 'add' ? MY_DESC : c.op === 'copy' ? MY_COPY : MY_CONFIG), 'EBADF', what);
      }
      e.unchanged(before, what);
      return;
    }
    case 'noDevice': {
      const before = e.snapshot();
      expectDevOp(e, devOpOn(e, w.fd, c.op, c.argHole), c.op, 'EINVAL', `${c.op} on a fd without a device${c.argHole ? ' (argument in a hole)' : ''}`);
      e.unchanged(before, `${c.op} without a device`);
      return;
    }
    case 'pageType': {
      const off = e.ownDevice(c.spec);
      e.cardWrites(off + deviceDesc.fields.type.offset, c.typeByte);
      const before = e.snapshot(w.fd);
      const errno = c.typeByte === 0 ? 'EINVAL' : 'ENODEV';
      expectDevOp(e, devOpOn(e, w.fd, c.op, false), c.op, errno, `${c.op} with the entry's type ${c.typeByte === 0 ? '0' : '−1'} in the page`);
      e.unchanged(before, `${c.op} on a device not created / removed`, w.fd);
      return;
    }
    case 'copyChecks': {
      const off = e.ownDevice(c.spec);
      if (c.status0 === 'card') e.cardWrites(off + deviceDesc.fields.status.offset, 0);
      if (c.cardNumVq !== undefined) e.cardWrites(off + deviceDesc.fields.num_vq.offset, c.cardNumVq);
      const before = e.snapshot(w.fd);
      const copyAt = c.struct === undefined ? MY_COPY : ptrAddr(c.struct);
      const { r, outLen } = e.copy(w.fd, c.vr, [{ base: DATA, len: 64 }], { copyAt });
      // the kernel's order: the struct, vr_idx against the host's num_vq, the status byte
      const status0 = !e.online || c.status0 === 'card';
      const expected = c.struct !== undefined ? 'EFAULT' : c.vr >= c.spec.numVq ? 'EINVAL' : status0 ? 'ENODEV' : undefined;
      const what = `COPY_DESC vr_idx ${c.vr} (host num_vq ${c.spec.numVq}${c.cardNumVq !== undefined ? `, card wrote ${c.cardNumVq}` : ''}), struct ${JSON.stringify(c.struct ?? 'mapped')}, status ${status0 ? 0 : 'live'}`;
      if (expected === undefined) {
        // the control: nothing posted, so a valid call moves nothing and returns 0
        if (!('ok' in r) || r.value !== 0 || outLen !== 0) e.fail(`${what}: returned ${JSON.stringify(r)} out_len ${String(outLen)}, expected 0 and 0`);
      } else {
        e.expectErrno(r, expected, what);
        e.outLenUntouched(outLen, what);
      }
      e.unchanged(before, what, w.fd);
      return;
    }
    case 'copyIov': {
      const off = e.ownDevice(c.spec);
      const posted = e.post(off, c.chain);
      // `zeros` empty iovecs, then one the kernel cannot read, then more
      const iovs = [...Array.from({ length: c.zeros }, () => ({ base: DATA, len: 0 })), { base: DATA, len: c.chain.len }];
      const faulting = ptrAddr(c.ptr, HOLE, ARGS_END);
      const iovAt = faulting - c.zeros * iovec.size;
      const before = e.snapshot(w.fd);
      const what = `COPY_DESC with iovec ${c.zeros} at ${JSON.stringify(c.ptr)}`;
      const { r, outLen } = e.copy(w.fd, 0, iovs, { iovAt, iovcnt: c.zeros + 1 + c.extra });
      e.expectErrno(r, 'EINVAL', what);
      e.outLenUntouched(outLen, what);
      e.unchanged(before, what, w.fd);
      e.chainIntact(w.fd, off, c.chain, posted);
      return;
    }
    case 'copyData': {
      const off = e.ownDevice(c.spec);
      const posted = e.post(off, c.chain);
      const mapped = c.ptr.at === 'straddle' ? Math.min(c.ptr.mapped, c.chain.len - 1) : 0;
      const base = c.ptr.at === 'hole' || mapped === 0 ? HOLE + (c.ptr.at === 'hole' ? c.ptr.off : 0) : DATA_END - mapped;
      // not the statistics: like vop_virtio_copy_from_user, the host counts a CPU fallback before the copy
      const before = e.snapshot();
      const what = `COPY_DESC of a ${c.chain.dir === 'r' ? 'readable' : 'writable'} ${c.chain.len}-byte buffer into user memory at 0x${base.toString(16)}`;
      const { r, outLen } = e.copy(w.fd, 0, [{ base, len: c.chain.len + c.extra }]);
      e.expectErrno(r, 'EFAULT', what);
      e.outLenUntouched(outLen, what);
      e.unchanged(before, what);
      e.chainIntact(w.fd, off, c.chain, posted);
      return;
    }
    case 'outLen': {
      const outAt = MY_COPY + micCopyDesc.fields.out_len.offset;
      const proxy = new UserProxy(w.user, () => undefined, (a, len) => overlaps(a, len, outAt, 4));
      const o = sys.vop.open(0, proxy);
      if (!('ok' in o)) return e.fail(`open with a proxy user space refused: ${o.errno}`);
      const off = e.ownDevice(c.spec, o.fd);
      if (c.chain !== undefined) e.post(off, c.chain);
      const before = e.snapshot(o.fd);
      const what = `COPY_DESC whose out_len cannot be written back (${c.chain === undefined ? 'nothing posted' : 'a chain posted'})`;
      const { r, outLen } = e.copy(o.fd, 0, [{ base: DATA, len: 64 }]);
      e.expectErrno(r, 'EFAULT', what);
      e.outLenUntouched(outLen, what);
      // with a chain, the bytes moved before the write-back (as in the kernel); without one nothing did
      if (c.chain === undefined) e.unchanged(before, what, o.fd);
      return;
    }
    case 'configFault': {
      e.ownDevice(c.spec);
      const before = e.snapshot(w.fd);
      const at = ptrAddr(c.ptr);
      const what = `CONFIG_CHANGE with ${c.spec.configLen} config bytes at ${JSON.stringify(c.ptr)}`;
      e.expectErrno(sys.vop.ioctl(w.fd, MIC_VIRTIO_CONFIG_CHANGE, at), 'EFAULT', what);
      e.unchanged(before, what, w.fd);
      return;
    }
    case 'configNoDb': {
      e.ownDevice(c.spec);
      if (c.db !== undefined) e.cardWrites(bootParam.fields.h2c_config_db.offset, c.db);
      w.user.write(MY_CONFIG, fillOf(c.spec.configLen, 5));
      const before = e.snapshot(w.fd);
      const what = `CONFIG_CHANGE with ${c.db === undefined ? `the card ${run.card}` : `h2c_config_db ${c.db} written by the card`}`;
      e.expectErrno(sys.vop.ioctl(w.fd, MIC_VIRTIO_CONFIG_CHANGE, MY_CONFIG), 'EIO', what);
      e.unchanged(before, what, w.fd);
      return;
    }
    case 'mmap': {
      e.ownDevice(c.spec);
      const { starts, ends } = Env.regions(c.spec);
      const idx = (i: number): number => Math.min(i, starts.length - 1);
      const offset = c.off.s === 'start' ? starts[idx(c.off.i)]! : c.off.s === 'delta' ? starts[idx(c.off.i)]! + c.off.d : c.off.s === 'page' ? c.off.p * PAGE : c.off.v;
      let len: number;
      if (c.len.s === 'regions') {
        const from = Math.max(0, starts.indexOf(offset));
        len = ends[Math.min(ends.length - 1, from + c.len.n - 1)]! - starts[from]! + c.len.d;
      } else len = c.len.s === 'page' ? c.len.p * PAGE : c.len.v;
      // the oracle: whole pages, starting at a region start and ending at a region end
      const rounded = Math.ceil(len / PAGE) * PAGE;
      const fits = len > 0 && offset >= 0 && starts.includes(offset) && ends.includes(offset + rounded);
      const expected = (c.prot & PROT_WRITE) !== 0 ? 'EACCES' : fits ? undefined : 'EINVAL';
      const before = e.snapshot(w.fd);
      const what = `mmap(offset ${offset}, len ${len}, prot ${c.prot}) over regions ${JSON.stringify(starts)}…${ends[ends.length - 1]}`;
      const m = sys.vop.mmap(w.fd, offset, len, c.prot);
      if (expected === undefined) {
        if (!('ok' in m)) return e.fail(`${what} refused: ${m.errno}`);
        if (m.view.write8(0, 0) === undefined) e.fail(`${what}: the mapping took a store`);
        if (offset === 0) {
          const got = m.view.read(0, MIC_DP_SIZE);
          const page = sys.observe.devicePage(0);
          if (!(got instanceof Uint8Array) || got.some((b, i) => b !== page[i])) e.fail(`${what}: the mapping at offset 0 does not show the device page`);
        }
      } else e.expectErrno('ok' in m ? { ok: true, value: 0 } : m, expected, what);
      e.unchanged(before, what, w.fd);
      return;
    }
  }
}

export const vopArgs = defineProperty({
  id: 'vop.args',
  claim: 'every invalid argument to the VOP char device (ADD_DEVICE, COPY_DESC, CONFIG_CHANGE, poll, mmap, unknown ioctls and fds) is refused with its documented errno, in the kernel order, and changes nothing',
  source: 'facts §6.5; README char-device table and "Decisions" (Virtio over PCIe); issue 9 "invalid arguments"; RING-01',
  level: 'hostile',
  requires: ['system', 'memory'],
  runs: 300,
  build: (impl) =>
    fc.property(runArb, (run) => {
      runCase(impl, run);
    }),
});
