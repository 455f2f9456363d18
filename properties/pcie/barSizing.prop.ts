/**
 * Claim: the config space carries the X100 identity (vendor 0x8086, the configured X100 device id,
 *   revision = stepping, class 0x0B/0x40) whatever is written to it, and every BAR register follows
 *   the PCI sizing rule for any written pattern: address bits at or above the BAR size take the
 *   written value, lower bits read back the BAR's fixed type bits — so writing all-ones reads back
 *   the size mask (BAR0: 64-bit prefetchable, the aperture rounded up to a power of two; BAR4: 64-bit,
 *   128 KiB; BAR2: I/O, 256 bytes; BAR3 unimplemented) and restoring the saved value restores it.
 * Source: facts §1.1 (identity, BAR0 = GDDR aperture, BAR4 = MMIO 128 KiB); PCI Local Bus spec §6.2.5.1.
 * Level: unit
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { PCI_VENDOR_INTEL, STEPPING, X100_DEVICE_IDS } from '../../model/constants/pcie.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const U64 = (1n << 64n) - 1n;

/** the oracle's BAR plan, as 64-bit registers (pairs) or 32-bit ones */
interface Bar64 { lo: number; size: bigint; flags: bigint }
function plan(cardMemoryBytes: number): { mem: Bar64[]; io: { off: number; size: number }; none: number[] } {
  let aperture = 1n;
  while (aperture < BigInt(cardMemoryBytes)) aperture <<= 1n;
  return {
    mem: [
      { lo: 0x10, size: aperture, flags: 0b1100n }, // 64-bit (type 10b), prefetchable
      { lo: 0x20, size: 128n * 1024n, flags: 0b0100n }, // 64-bit, non-prefetchable
    ],
    io: { off: 0x18, size: 256 },
    none: [0x1c],
  };
}

type Write = { bar: number; value: number } | { id: number; value: number };
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ bar: fc.integer({ min: 0, max: 5 }), value: fc.oneof(fc.constant(0xffffffff), fc.nat({ max: 0xffffffff }), fc.constant(0)) }) },
  { weight: 1, arbitrary: fc.record({ id: fc.constantFrom(0x00, 0x08, 0x0c, 0x2c, 0x34, 0x3c), value: fc.nat({ max: 0xffffffff }) }) },
);

export const barSizing = defineProperty({
  id: 'pcie.config.barSizing',
  claim: 'identity is read-only; BAR read-back = (written & ~(size-1)) | type bits for any pattern; all-ones gives the size mask',
  source: 'facts §1.1; PCI Local Bus spec §6.2.5.1',
  level: 'unit',
  requires: ['sim', 'memory', 'pcie'],
  runs: 100,
  build: (impl) =>
    fc.property(
      fc.constantFrom(16 * GiB, 8 * GiB, 6 * GiB, 3 * MiB, 4 * GiB),
      fc.constantFrom(...X100_DEVICE_IDS),
      fc.constantFrom(...Object.values(STEPPING)),
      fc.array(writeArb, { maxLength: 30, size: 'max' }),
      (mem, deviceId, revision, writes) => {
        const card = impl.pcie!.createPlatform({ cardMemoryBytes: mem, deviceId, revision }).cards[0]!;
        const read = (off: number): number => {
          const v = card.configRead32(off);
          if (typeof v !== 'number') throw new Error(`config read 0x${off.toString(16)} faulted: ${JSON.stringify(v)}`);
          return v;
        };
        const p = plan(mem);
        const shadow = new Map<number, number>(); // what the host last wrote to each BAR dword
        const check = (): void => {
          if (read(0x00) !== ((deviceId << 16) | PCI_VENDOR_INTEL) >>> 0) throw new Error(`id dword 0x${read(0).toString(16)}`);
          if (read(0x08) !== ((0x0b << 24) | (0x40 << 16) | revision) >>> 0) throw new Error(`class/revision dword 0x${read(8).toString(16)}`);
          for (const b of p.mem) {
            const written = (BigInt(shadow.get(b.lo + 4) ?? 0) << 32n) | BigInt(shadow.get(b.lo) ?? 0);
            const want = (written & ~(b.size - 1n) & U64 & ~0xfn) | b.flags;
            const got = (BigInt(read(b.lo + 4)) << 32n) | BigInt(read(b.lo));
            if (got !== want) throw new Error(`BAR@0x${b.lo.toString(16)} reads 0x${got.toString(16)}, expected 0x${want.toString(16)}`);
          }
          const io = read(p.io.off);
          const ioWant = (((shadow.get(p.io.off) ?? 0) & ~(p.io.size - 1) & ~0x3) | 1) >>> 0;
          if (io !== ioWant) throw new Error(`I/O BAR reads 0x${io.toString(16)}, expected 0x${ioWant.toString(16)}`);
          for (const off of p.none) if (read(off) !== 0) throw new Error(`unimplemented BAR@0x${off.toString(16)} reads non-zero`);
        };
        check();
        for (const w of writes) {
          if ('bar' in w) {
            card.configWrite32(0x10 + 4 * w.bar, w.value);
            shadow.set(0x10 + 4 * w.bar, w.value);
          } else {
            card.configWrite32(w.id, w.value);
          }
          check();
        }
        // the sizing protocol: save, write all-ones to both halves, decode, restore
        for (const b of p.mem) {
          const saved = [read(b.lo), read(b.lo + 4)];
          card.configWrite32(b.lo, 0xffffffff);
          card.configWrite32(b.lo + 4, 0xffffffff);
          const mask = (BigInt(read(b.lo + 4)) << 32n) | BigInt(read(b.lo) & ~0xf);
          const size = ((~mask & U64) + 1n) & U64;
          if (size !== b.size) throw new Error(`BAR@0x${b.lo.toString(16)} sizes to ${size}, expected ${b.size}`);
          card.configWrite32(b.lo, saved[0]!);
          card.configWrite32(b.lo + 4, saved[1]!);
          if (read(b.lo) !== saved[0] || read(b.lo + 4) !== saved[1]) throw new Error(`BAR@0x${b.lo.toString(16)} not restored`);
        }
        return true;
      },
    ),
});
