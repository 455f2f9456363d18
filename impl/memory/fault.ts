/**
 * Memory faults are values (DESIGN.md §7: errors the other side can cause are never thrown), and the
 * argument checks every accessor shares: addresses and lengths are non-negative safe integers and an
 * access must lie entirely inside [0, size), so a faulting access can be refused before any byte moves.
 */
import type { MemFault } from '../../model/contract/memory.ts';

export type MemFaultReason = MemFault['reason'];

/**
 * The largest `read(addr, len)` that returns a fresh array: beyond it the allocation itself could
 * throw (a bug by our rules), so a larger len is a 'bad-argument' fault; use readInto with a caller
 * buffer or copyBetween for big moves.
 */
export const MAX_FRESH_READ = 2 ** 30;

export function memFault(reason: MemFaultReason, space: string, addr: number, len: number): MemFault {
  return { kind: 'mem-fault', reason, space, addr, len };
}

export function isMemFault(x: unknown): x is MemFault {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'mem-fault';
}

/**
 * The bounds rule of every MemPort: `addr` and `len` must be safe integers, a negative value or
 * `addr + len > size` is out of range (a zero-length access at `size` is allowed, it touches nothing).
 * NaN, fractions and values beyond 2^53 are 'bad-argument': they cannot name a byte.
 */
export function checkRange(space: string, size: number, addr: number, len: number): MemFault | undefined {
  // the common case as one small test, so the optimizer inlines it into every accessor (its
  // inlining budget per caller is small); any other case is classified out of line
  if (Number.isSafeInteger(addr) && Number.isSafeInteger(len) && addr >= 0 && len >= 0 && addr + len <= size) return undefined;
  return rangeFault(space, size, addr, len);
}

function rangeFault(space: string, size: number, addr: number, len: number): MemFault | undefined {
  if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(len)) return memFault('bad-argument', space, addr, len);
  if (addr < 0 || len < 0 || addr + len > size) return memFault('out-of-range', space, addr, len);
  return undefined;
}

/**
 * A value written with an N-bit accessor must be an integer in [-2^(N-1), 2^N): negative values are
 * taken as two's complement so `x | 0` results (JS signed 32-bit) store as the same bits. Anything
 * else is 'bad-argument' rather than silently truncated.
 */
export function validUint(value: number, bits: 8 | 16 | 32): boolean {
  return bits === 32 ? validU32(value) : bits === 16 ? validU16(value) : validU8(value);
}

// The per-width forms below are what the hot paths call: constant bounds, no `2 **` per access.
// `(v | 0) === v` holds exactly for integers in [-2^31, 2^31) (NaN, fractions and -0 aside: -0 | 0
// is 0 === -0, and Number.isInteger(-0) is true as well), `(v >>> 0) === v` exactly for [0, 2^32).

/** validUint(value, 8) */
export function validU8(value: number): boolean {
  return (value | 0) === value && value >= -0x80 && value < 0x100;
}

/** validUint(value, 16) */
export function validU16(value: number): boolean {
  return (value | 0) === value && value >= -0x8000 && value < 0x10000;
}

/** validUint(value, 32) */
export function validU32(value: number): boolean {
  return (value | 0) === value || (value >>> 0) === value;
}

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

/** the 64-bit pattern of `value` (two's complement for negatives), or undefined if it does not fit */
export function u64Bits(value: bigint | number): bigint | undefined {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (Number.isSafeInteger(value)) v = BigInt(value);
  else return undefined;
  if (v < -TWO_63 || v >= TWO_64) return undefined;
  return v < 0n ? v + TWO_64 : v;
}
