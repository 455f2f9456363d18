/**
 * The oracle side of the memory properties: a flat byte array, the bounds rule and the
 * little-endian encoding restated independently of impl/memory (BigInt arithmetic, byte loops),
 * plus generators of addresses biased toward page boundaries and the end of a space.
 */
import fc from 'fast-check';
import type { MemFault } from '../../model/contract.ts';

export const PAGE = 4096;

import { isFault } from '../../model/contract/guards.ts';

export { isFault };

export function check(cond: boolean, msg: () => string): void {
  if (!cond) throw new Error(msg());
}

export function show(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes[${v.length}]` : v));
}

/**
 * The fault an access of `len` bytes at `addr` must get from a space of `size` bytes, if any:
 * an address or length that is not an exact integer within ±(2^53 − 1) names no byte ('bad-argument');
 * otherwise it is 'out-of-range' unless 0 <= addr, 0 <= len and the last byte addr+len−1 < size.
 */
export function rangeFault(size: number, addr: number, len: number): 'bad-argument' | 'out-of-range' | undefined {
  const exact = (n: number): boolean => Number.isInteger(n) && Math.abs(n) <= 2 ** 53 - 1;
  if (!exact(addr) || !exact(len)) return 'bad-argument';
  if (addr < 0 || len < 0) return 'out-of-range';
  return len === 0 ? (addr <= size ? undefined : 'out-of-range') : addr + len - 1 < size ? undefined : 'out-of-range';
}

/**
 * Little-endian bytes of a value written with a `width`-byte accessor, or undefined when the value is
 * not accepted: integers in [−2^(8w−1), 2^(8w)) are stored as their two's-complement pattern (a number
 * for the 8-byte accessor must also be exact, i.e. a safe integer).
 */
export function leBytes(value: number | bigint, width: number): Uint8Array | undefined {
  const bits = BigInt(width * 8);
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (Number.isInteger(value) && Math.abs(value) <= 2 ** 53 - 1) v = BigInt(value);
  else return undefined;
  if (v < -(1n << (bits - 1n)) || v >= 1n << bits) return undefined;
  const m = 1n << bits;
  let pattern = ((v % m) + m) % m;
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    out[i] = Number(pattern & 0xffn);
    pattern >>= 8n;
  }
  return out;
}

export function leValue(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256n + BigInt(bytes[i]!);
  return v;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

// --- generators ----------------------------------------------------------------------------------

/** where an address points, resolved against a concrete space size by `resolveAddr` */
export type AddrSpec =
  | { readonly at: 'page'; readonly page: number; readonly delta: number }
  | { readonly at: 'end'; readonly delta: number }
  | { readonly at: 'any'; readonly frac: number }
  | { readonly at: 'bad'; readonly value: number };

export const addrSpec: fc.Arbitrary<AddrSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ at: fc.constant('page' as const), page: fc.nat({ max: 12 }), delta: fc.integer({ min: -9, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ at: fc.constant('end' as const), delta: fc.integer({ min: -12, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ at: fc.constant('any' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ at: fc.constant('bad' as const), value: fc.constantFrom(-1, -4096, 0.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY, -(2 ** 60)) }) },
);

export function resolveAddr(spec: AddrSpec, size: number): number {
  switch (spec.at) {
    case 'page':
    {
      // a boundary between two pages (or the start of memory, approached from inside)
      const page = spec.page % Math.max(1, Math.ceil(size / PAGE));
      return page === 0 ? Math.abs(spec.delta) : page * PAGE + spec.delta;
    }
    case 'end':
      return size + spec.delta;
    case 'any':
      return Math.floor(spec.frac * (size + 4));
    case 'bad':
      return spec.value;
  }
}

export type LenSpec = { readonly kind: 'small'; readonly n: number } | { readonly kind: 'page'; readonly pages: number; readonly delta: number } | { readonly kind: 'frac'; readonly frac: number } | { readonly kind: 'bad'; readonly value: number };

export const lenSpec: fc.Arbitrary<LenSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('small' as const), n: fc.nat({ max: 24 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('page' as const), pages: fc.integer({ min: 1, max: 3 }), delta: fc.integer({ min: -5, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('frac' as const), frac: fc.double({ min: 0, max: 1.05, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bad' as const), value: fc.constantFrom(-1, 0.5, Number.NaN, 2 ** 53) }) },
);

/** a length for an access at `addr`: 'frac' is a fraction of what is left up to the end (≤ 1.05 of it) */
export function resolveLen(spec: LenSpec, size: number, addr: number): number {
  switch (spec.kind) {
    case 'small':
      return spec.n;
    case 'page':
      return spec.pages * PAGE + spec.delta;
    case 'frac':
      return Math.floor(spec.frac * (Number.isSafeInteger(addr) && addr >= 0 && addr < size ? size - addr : size));
    case 'bad':
      return spec.value;
  }
}

/** bytes to write: all zeros (seed % 4 == 0, exercising "zeros need no page") or a non-zero ramp */
export function dataOf(len: number, seed: number): Uint8Array {
  const n = Number.isSafeInteger(len) && len > 0 ? Math.min(len, 4 * PAGE) : 0;
  const out = new Uint8Array(n);
  if (seed % 4 !== 0) for (let i = 0; i < n; i++) out[i] = (i * seed + seed) & 0xff;
  return out;
}

/** space sizes: whole pages, a partial last page, a single odd byte count */
export const smallSize: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(PAGE, 2 * PAGE + 1, 3 * PAGE - 1, 2 * PAGE + 2049, 4 * PAGE + 7, 7),
  fc.integer({ min: 1, max: 4 * PAGE + 100 }),
);

/** a value for an N-byte write: usually one that fits (sometimes as a negative two's complement), sometimes an edge or invalid one */
export type ValueSpec = { readonly k: 'fit'; readonly bits: bigint; readonly signed: boolean } | { readonly k: 'raw'; readonly v: number | bigint };

export const valueSpec: fc.Arbitrary<ValueSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('fit' as const), bits: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), signed: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('raw' as const),
      v: fc.constantFrom<number | bigint>(0x100, 0x10000, 2 ** 32, -129, -(2 ** 31) - 1, 0.5, Number.NaN, 2 ** 53, 2 ** 53 - 1, 1n << 53n, (1n << 64n) - 1n, 1n << 64n, -(1n << 63n), -(1n << 63n) - 1n),
    }),
  },
);

/** the value passed to an N-byte writer (numbers below 8 bytes; 8 bytes: a number when exact, else a bigint) */
export function resolveValue(spec: ValueSpec, width: number): number | bigint {
  if (spec.k === 'raw') return width < 8 && typeof spec.v === 'bigint' ? Number(spec.v) : spec.v;
  const bits = BigInt(width * 8);
  let v = spec.bits & ((1n << bits) - 1n);
  if (spec.signed && v >= 1n << (bits - 1n)) v -= 1n << bits;
  if (width < 8) return Number(v);
  return v >= -(2n ** 53n - 1n) && v <= 2n ** 53n - 1n && spec.signed ? Number(v) : v;
}
