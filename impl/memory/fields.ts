/**
 * Typed field access through a layout table (DESIGN.md §4: offsets only from model/layout). Reads
 * and writes go to a MemPort (host RAM for the device page, the card's view of it, card memory); a fault is returned, never thrown.
 */
import type { MemFault, MemPort } from '../../model/contract.ts';
import type { Field } from '../../model/layout/table.ts';

export function readField(mem: MemPort, base: number, f: Field): number | MemFault {
  switch (f.type) {
    case 'u8':
      return mem.read8(base + f.offset);
    case 's8': {
      const v = mem.read8(base + f.offset);
      return typeof v === 'number' ? (v << 24) >> 24 : v;
    }
    case 'u16':
      return mem.read16(base + f.offset);
    case 'u32':
      return mem.read32(base + f.offset);
    case 'u64':
      return mem.read64n(base + f.offset);
    default:
      throw new Error(`readField: ${f.name} is a byte array`);
  }
}

export function writeField(mem: MemPort, base: number, f: Field, value: number): MemFault | undefined {
  switch (f.type) {
    case 'u8':
    case 's8':
      return mem.write8(base + f.offset, value & 0xff);
    case 'u16':
      return mem.write16(base + f.offset, value & 0xffff);
    case 'u32':
      return mem.write32(base + f.offset, value >>> 0);
    case 'u64':
      return mem.write64(base + f.offset, value);
    default:
      throw new Error(`writeField: ${f.name} is a byte array`);
  }
}

/** a read whose fault counts as `fallback` (used where the driver reads its own RAM) */
export function readOr(mem: MemPort, base: number, f: Field, fallback: number): number {
  const v = readField(mem, base, f);
  return typeof v === 'number' ? v : fallback;
}
