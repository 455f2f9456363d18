/**
 * Claim: host accesses through BAR0 are accesses to card memory: what the host writes through BAR0
 *   the card reads at the same physical address (directly and through its own address space) and
 *   vice versa, byte for byte and in every access width; accesses reaching beyond the aperture
 *   (= card memory size) fault and change nothing.
 * Source: facts §1.1 (BAR0 maps card GDDR linearly; host addresses card address X as aperture + X).
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import type { Implementation, MemPort } from '../../model/contract.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

type Side = 'bar0' | 'gddr' | 'cardView';
type Access = { side: Side; addr: number; width: 1 | 2 | 4 | 8 | 16; write: boolean; seed: number };

const accessArb = (size: number): fc.Arbitrary<Access> =>
  fc.record({
    side: fc.constantFrom<Side>('bar0', 'gddr', 'cardView'),
    addr: fc.oneof(
      fc.integer({ min: 0, max: 256 }),
      fc.integer({ min: size - 64, max: size + 16 }),
      fc.integer({ min: 0, max: size - 1 }),
    ),
    width: fc.constantFrom<Access['width']>(1, 2, 4, 8, 16),
    write: fc.boolean(),
    seed: fc.nat({ max: 0xffffffff }),
  });

function bytesOf(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function access(port: MemPort, a: Access, data: Uint8Array): Uint8Array | 'fault' {
  const le = (): bigint => data.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
  const fromNum = (v: bigint, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
  if (a.write) {
    const v = le();
    const r =
      a.width === 1 ? port.write8(a.addr, Number(v))
      : a.width === 2 ? port.write16(a.addr, Number(v))
      : a.width === 4 ? port.write32(a.addr, Number(v))
      : a.width === 8 ? port.write64(a.addr, v)
      : port.write(a.addr, data);
    return r === undefined ? data : 'fault';
  }
  const r =
    a.width === 1 ? port.read8(a.addr)
    : a.width === 2 ? port.read16(a.addr)
    : a.width === 4 ? port.read32(a.addr)
    : a.width === 8 ? port.read64(a.addr)
    : port.read(a.addr, a.width);
  if (r instanceof Uint8Array) return r;
  if (typeof r === 'number') return fromNum(BigInt(r), a.width);
  if (typeof r === 'bigint') return fromNum(r, a.width);
  return 'fault';
}

export const bar0IsCardMemory = defineProperty({
  id: 'pcie.bar0.cardMemory',
  claim: 'BAR0 accesses equal card memory accesses; beyond the aperture they fault and change nothing',
  source: 'facts §1.1',
  level: 'component',
  requires: ['sim', 'memory', 'pcie'],
  runs: 80,
  build: (impl) =>
    fc.property(
      fc
        .constantFrom(16 * GiB, 6 * GiB, 3 * MiB + 4096)
        .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 1, max: 3 }), fc.array(accessArb(size), { minLength: 1, maxLength: 40, size: 'max' }))),
      fc.nat(),
      ([size, cards, accesses], pick) => run(impl, size, cards, pick % cards, accesses),
    ),
});

function run(impl: Implementation, size: number, cards: number, which: number, accesses: Access[]): boolean {
  const platform = impl.pcie!.createPlatform({ cards, cardMemoryBytes: size });
  const card = platform.cards[which]!;
  const model = new Map<number, number>(); // byte address → value (absent = 0)
  const ports: Record<Side, MemPort> = { bar0: card.bar0, gddr: card.cardMemory, cardView: card.cardView };
  if (card.bar0.size !== size) throw new Error(`aperture ${card.bar0.size}, card memory ${size}`);
  for (const [i, a] of accesses.entries()) {
    const inside = a.addr + a.width <= size;
    const data = bytesOf(a.seed, a.width);
    const r = access(ports[a.side], a, data);
    const at = `access ${i} ${JSON.stringify(a)}`;
    if (!inside) {
      if (r !== 'fault') throw new Error(`${at}: beyond the ${size}-byte aperture but did not fault`);
      continue;
    }
    if (r === 'fault') throw new Error(`${at}: faulted inside card memory`);
    if (a.write) data.forEach((b, k) => model.set(a.addr + k, b));
    else {
      for (let k = 0; k < a.width; k++) {
        if (r[k] !== (model.get(a.addr + k) ?? 0)) throw new Error(`${at}: byte ${k} reads ${r[k]}, last written ${model.get(a.addr + k) ?? 0}`);
      }
    }
  }
  // every byte written through any side reads the same through BAR0 and GDDR; other cards untouched
  for (const [addr, v] of model) {
    if (card.bar0.read8(addr) !== v || card.cardMemory.read8(addr) !== v) throw new Error(`byte 0x${addr.toString(16)} differs between BAR0 and GDDR`);
    for (const other of platform.cards) {
      if (other !== card && other.cardMemory.read8(addr) !== 0) throw new Error(`card${other.index} memory changed at 0x${addr.toString(16)}`);
    }
  }
  return true;
}
