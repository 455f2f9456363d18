/**
 * One random access on a MemPort, checked against a byte model of the same space. The model says
 * where each address lands (a flat array for RAM; a window's target for a view; nothing = unmapped);
 * the expected outcome is derived from it: the set of acceptable fault reasons (several may apply at
 * once, e.g. an out-of-range write of a bad value), or the bytes read/written. A faulting access
 * must leave the model unchanged, which the caller then compares with the real memory.
 */
import fc from 'fast-check';
import type { MemPort } from '../../model/contract.ts';
import { addrSpec, check, dataOf, isFault, lenSpec, leBytes, leValue, rangeFault, resolveAddr, resolveLen, sameBytes, resolveValue, show, valueSpec, type AddrSpec, type LenSpec, type ValueSpec } from './byteModel.ts';

export interface ByteSpaceModel {
  readonly size: number;
  /** where the byte at addr (in range) lives, or undefined when no window covers it */
  locate(addr: number): { readonly bytes: Uint8Array; readonly i: number } | undefined;
}

export const SCALAR_WIDTH = { read8: 1, read16: 2, read32: 4, read64: 8, read64n: 8, write8: 1, write16: 2, write32: 4, write64: 8 } as const;
export type ScalarKind = keyof typeof SCALAR_WIDTH;
export type OpKind = ScalarKind | 'read' | 'readInto' | 'write' | 'fill' | 'copy';
/** bulk operations cross pages far more often than scalars, so they get more of the draws */
const KINDS: readonly OpKind[] = ['read8', 'read16', 'read32', 'read64', 'read64n', 'write8', 'write16', 'write32', 'write64', 'read', 'readInto', 'write', 'write', 'fill', 'fill', 'copy', 'copy', 'copy'];

export interface MemOp {
  readonly kind: OpKind;
  readonly a: AddrSpec;
  readonly b: AddrSpec;
  readonly len: LenSpec;
  readonly value: ValueSpec;
  readonly seed: number;
  /** for copy: the destination is the source moved by this many bytes (overlapping moves), not `b` */
  readonly near: number | null;
}

export const memOp: fc.Arbitrary<MemOp> = fc.record({
  kind: fc.constantFrom(...KINDS),
  a: addrSpec,
  b: addrSpec,
  len: lenSpec,
  value: valueSpec,
  seed: fc.nat({ max: 255 }),
  near: fc.option(fc.integer({ min: -2 * 4096 - 3, max: 2 * 4096 + 3 }), { freq: 2 }),
});

export interface OpOutcome {
  readonly faulted: boolean;
  /** the op may write (so it may allocate) */
  readonly writes: boolean;
}

function unmapped(m: ByteSpaceModel, addr: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (m.locate(addr + i) === undefined) return true;
  return false;
}

function modelRead(m: ByteSpaceModel, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const at = m.locate(addr + i)!;
    out[i] = at.bytes[at.i]!;
  }
  return out;
}

function modelWrite(m: ByteSpaceModel, addr: number, data: Uint8Array): void {
  for (let i = 0; i < data.length; i++) {
    const at = m.locate(addr + i)!;
    at.bytes[at.i] = data[i]!;
  }
}

/** acceptable fault reasons for an access of [addr, addr+len) whose other argument is `valueOk` */
function expectedFaults(m: ByteSpaceModel, addr: number, len: number, valueOk: boolean): Set<string> {
  const reasons = new Set<string>();
  const rf = rangeFault(m.size, addr, len);
  if (rf) reasons.add(rf);
  if (!valueOk) reasons.add('bad-argument');
  if (!rf && unmapped(m, addr, len)) reasons.add('unmapped');
  return reasons;
}

function checkFault(port: MemPort, got: unknown, reasons: Set<string>, what: string): boolean {
  if (reasons.size === 0) {
    check(!isFault(got), () => `${what}: unexpected fault ${show(got)}`);
    return false;
  }
  check(isFault(got), () => `${what}: expected a fault (${[...reasons].join(' or ')}), got ${show(got)}`);
  const f = got as { reason: string; space: string };
  check(reasons.has(f.reason), () => `${what}: fault reason ${f.reason}, expected ${[...reasons].join(' or ')}`);
  check(f.space === port.name, () => `${what}: fault names space "${f.space}", expected "${port.name}"`);
  return true;
}

/** runs op on port and checks it against m; `at` overrides the op's (first) address */
export function runOp(port: MemPort, m: ByteSpaceModel, op: MemOp, at?: number): OpOutcome {
  const addr = at ?? resolveAddr(op.a, m.size);
  const what = `${op.kind}@${addr}`;
  if (op.kind in SCALAR_WIDTH) {
    const kind = op.kind as ScalarKind;
    const w = SCALAR_WIDTH[kind];
    if (kind.startsWith('read')) {
      const got = kind === 'read8' ? port.read8(addr) : kind === 'read16' ? port.read16(addr) : kind === 'read32' ? port.read32(addr) : kind === 'read64' ? port.read64(addr) : port.read64n(addr);
      const reasons = expectedFaults(m, addr, w, true);
      if (reasons.size === 0 && kind === 'read64n' && leValue(modelRead(m, addr, 8)) > BigInt(Number.MAX_SAFE_INTEGER)) reasons.add('not-safe-integer');
      if (checkFault(port, got, reasons, what)) return { faulted: true, writes: false };
      const want = leValue(modelRead(m, addr, w));
      const wantTyped = kind === 'read64' ? want : Number(want);
      check(got === wantTyped, () => `${what}: read ${show(got)}, model has ${show(wantTyped)}`);
      return { faulted: false, writes: false };
    }
    const value = resolveValue(op.value, w);
    const bytes = leBytes(value, w);
    const got = kind === 'write8' ? port.write8(addr, value as number) : kind === 'write16' ? port.write16(addr, value as number) : kind === 'write32' ? port.write32(addr, value as number) : port.write64(addr, value);
    if (checkFault(port, got, expectedFaults(m, addr, w, bytes !== undefined), `${what} value ${show(value)}`)) return { faulted: true, writes: true };
    check(got === undefined, () => `${what}: write returned ${show(got)}`);
    modelWrite(m, addr, bytes!);
    return { faulted: false, writes: true };
  }
  const copyDst = op.near === null ? resolveAddr(op.b, m.size) : addr + op.near;
  const len = resolveLen(op.len, m.size, op.kind === 'copy' ? Math.max(addr, copyDst) : addr);
  switch (op.kind) {
    case 'read': {
      const got = port.read(addr, len);
      if (checkFault(port, got, expectedFaults(m, addr, len, true), `${what} len ${len}`)) return { faulted: true, writes: false };
      check(got instanceof Uint8Array && sameBytes(got, modelRead(m, addr, len)), () => `${what} len ${len}: bytes differ from the model`);
      return { faulted: false, writes: false };
    }
    case 'readInto': {
      const dst = new Uint8Array(Number.isSafeInteger(len) && len > 0 ? Math.min(len, 4 * 4096) : 0).fill(0xa5);
      const got = port.readInto(addr, dst);
      if (checkFault(port, got, expectedFaults(m, addr, dst.length, true), `${what} len ${dst.length}`)) {
        check(dst.every((b) => b === 0xa5), () => `${what}: a faulting readInto wrote into its destination`);
        return { faulted: true, writes: false };
      }
      check(sameBytes(dst, modelRead(m, addr, dst.length)), () => `${what} len ${dst.length}: bytes differ from the model`);
      return { faulted: false, writes: false };
    }
    case 'write': {
      const data = dataOf(len, op.seed);
      const got = port.write(addr, data);
      if (checkFault(port, got, expectedFaults(m, addr, data.length, true), `${what} len ${data.length}`)) return { faulted: true, writes: true };
      modelWrite(m, addr, data);
      return { faulted: false, writes: true };
    }
    case 'fill': {
      // zero fills a third of the time, most of them whole aligned pages: a sparse memory may release
      // such pages, and a later write must then get a clean page again
      const byte = op.seed % 3 === 0 ? 0 : Number(resolveValue(op.value, 1));
      const whole = op.seed % 3 === 0 && (op.seed >> 2) % 3 !== 0 && Number.isSafeInteger(addr) && addr > 0;
      const at = whole ? addr - (addr % 4096) : addr;
      const n = whole ? 4096 * (1 + ((op.seed >> 3) % 2)) : len;
      const ok = leBytes(byte, 1);
      const got = port.fill(at, n, byte);
      if (checkFault(port, got, expectedFaults(m, at, n, ok !== undefined), `fill@${at} len ${n} byte ${byte}`)) return { faulted: true, writes: true };
      modelWrite(m, at, new Uint8Array(n).fill(ok![0]!));
      return { faulted: false, writes: true };
    }
    case 'copy': {
      const dst = copyDst;
      const got = port.copy(dst, addr, len);
      const reasons = expectedFaults(m, addr, len, true);
      for (const r of expectedFaults(m, dst, len, true)) reasons.add(r);
      if (checkFault(port, got, reasons, `copy ${addr}→${dst} len ${len}`)) return { faulted: true, writes: true };
      modelWrite(m, dst, modelRead(m, addr, len));
      return { faulted: false, writes: true };
    }
  }
  throw new Error(`unknown op ${op.kind}`);
}
