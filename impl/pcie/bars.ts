/**
 * BAR sizing (PCI Local Bus spec §6.2.5.1): a BAR's address bits below its size are hard-wired to
 * 0 and its low type bits are read-only, so writing all-ones and reading back yields the size mask.
 * A 64-bit BAR spans two registers; the upper one holds address bits 63:32.
 */
import {
  BAR_MEM_TYPE_64,
  IO_BAR_FLAG_MASK,
  MEM_BAR_FLAG_MASK,
  X100_BARS,
  ioBarBits,
  memBarBits,
  type BarKind,
} from '../../model/layout/config-space.ts';

const TWO_32 = 2 ** 32;

export interface BarRegister {
  /** bits a write can change */
  readonly writable: number;
  /** read-only bits (type flags) */
  readonly fixed: number;
}

/** smallest power of two >= n (BARs decode power-of-two sizes) */
export function barSizeFor(n: number): number {
  let s = 1;
  while (s < n) s *= 2;
  return s;
}

function memFlags(kind: Extract<BarKind, { kind: 'mem64' }>): number {
  return (
    (0 << memBarBits.fields.SPACE.lsb) |
    (BAR_MEM_TYPE_64 << memBarBits.fields.TYPE.lsb) |
    ((kind.prefetchable ? 1 : 0) << memBarBits.fields.PREFETCHABLE.lsb)
  );
}

/** the six BAR registers of the X100 model, given the decoded size of each role */
export function barRegisters(sizes: { aperture: number; mmio: number; io: number }): BarRegister[] {
  const out: BarRegister[] = [];
  let upperOf = 0;
  for (const kind of X100_BARS) {
    switch (kind.kind) {
      case 'mem64': {
        const size = kind.role === 'aperture' ? sizes.aperture : sizes.mmio;
        const lowMask = size >= TWO_32 ? 0 : (~(size - 1) & ~MEM_BAR_FLAG_MASK) >>> 0;
        out.push({ writable: lowMask, fixed: memFlags(kind) });
        upperOf = size;
        break;
      }
      case 'mem64-upper': {
        const highSizeMask = upperOf > TWO_32 ? upperOf / TWO_32 - 1 : 0;
        out.push({ writable: ~highSizeMask >>> 0, fixed: 0 });
        break;
      }
      case 'io':
        out.push({
          writable: (~(sizes.io - 1) & ~IO_BAR_FLAG_MASK) >>> 0,
          fixed: 1 << ioBarBits.fields.SPACE.lsb,
        });
        break;
      case 'none':
        out.push({ writable: 0, fixed: 0 });
        break;
    }
  }
  return out;
}
