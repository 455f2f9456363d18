/**
 * The register file as a MemPort, so it can sit in a window of the card's physical address space
 * at 0x08_007C_0000 (facts §1.1). Registers take 32-bit accesses only: 8/16-bit or unaligned
 * accesses fault 'misaligned'; 64-bit and bulk accesses are split into 32-bit ones, low address
 * first (how a 64-bit store to two 32-bit registers reaches them).
 */
import type { MemFault, MemPort, RegisterFile } from '../../model/contract.ts';
import { checkRange, memFault, u64Bits, validUint } from '../memory/fault.ts';

export class MmioPort implements MemPort {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly regs: RegisterFile,
  ) {
    this.size = regs.size;
  }

  private check(addr: number, len: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, addr, len);
    if (f) return f;
    return addr % 4 === 0 && len % 4 === 0 ? undefined : memFault('misaligned', this.name, addr, len);
  }

  private rename(f: MemFault, addr: number, len: number): MemFault {
    return memFault(f.reason, this.name, addr, len);
  }

  read8(addr: number): number | MemFault {
    return this.check(addr, 1) ?? memFault('misaligned', this.name, addr, 1);
  }

  read16(addr: number): number | MemFault {
    return this.check(addr, 2) ?? memFault('misaligned', this.name, addr, 2);
  }

  read32(addr: number): number | MemFault {
    const f = this.check(addr, 4);
    if (f) return f;
    const r = this.regs.read32(addr);
    return typeof r === 'number' ? r : this.rename(r, addr, 4);
  }

  read64(addr: number): bigint | MemFault {
    const f = this.check(addr, 8);
    if (f) return f;
    const lo = this.regs.read32(addr);
    if (typeof lo !== 'number') return this.rename(lo, addr, 8);
    const hi = this.regs.read32(addr + 4);
    if (typeof hi !== 'number') return this.rename(hi, addr, 8);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  read64n(addr: number): number | MemFault {
    const v = this.read64(addr);
    if (typeof v !== 'bigint') return v;
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? memFault('not-safe-integer', this.name, addr, 8) : Number(v);
  }

  write8(addr: number, value: number): MemFault | undefined {
    void value;
    return this.check(addr, 1) ?? memFault('misaligned', this.name, addr, 1);
  }

  write16(addr: number, value: number): MemFault | undefined {
    void value;
    return this.check(addr, 2) ?? memFault('misaligned', this.name, addr, 2);
  }

  write32(addr: number, value: number): MemFault | undefined {
    const f = this.check(addr, 4);
    if (f) return f;
    const r = this.regs.write32(addr, value);
    return r === undefined ? undefined : this.rename(r, addr, 4);
  }

  write64(addr: number, value: bigint | number): MemFault | undefined {
    const f = this.check(addr, 8);
    if (f) return f;
    const bits = u64Bits(value);
    if (bits === undefined) return memFault('bad-argument', this.name, addr, 8);
    this.regs.write32(addr, Number(bits & 0xffff_ffffn));
    this.regs.write32(addr + 4, Number(bits >> 32n));
    return undefined;
  }

  readInto(addr: number, dst: Uint8Array): MemFault | undefined {
    const f = this.check(addr, dst.length);
    if (f) return f;
    for (let o = 0; o < dst.length; o += 4) {
      const v = this.regs.read32(addr + o);
      if (typeof v !== 'number') return this.rename(v, addr, dst.length);
      dst[o] = v & 0xff;
      dst[o + 1] = (v >>> 8) & 0xff;
      dst[o + 2] = (v >>> 16) & 0xff;
      dst[o + 3] = v >>> 24;
    }
    return undefined;
  }

  read(addr: number, len: number): Uint8Array | MemFault {
    const f = this.check(addr, len);
    if (f) return f;
    const out = new Uint8Array(len);
    return this.readInto(addr, out) ?? out;
  }

  write(addr: number, src: Uint8Array): MemFault | undefined {
    const f = this.check(addr, src.length);
    if (f) return f;
    for (let o = 0; o < src.length; o += 4) {
      const v = (src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24)) >>> 0;
      this.regs.write32(addr + o, v);
    }
    return undefined;
  }

  fill(addr: number, len: number, byte: number): MemFault | undefined {
    const f = this.check(addr, len);
    if (f) return f;
    if (!validUint(byte, 8)) return memFault('bad-argument', this.name, addr, len);
    const b = byte & 0xff;
    const v = (b | (b << 8) | (b << 16) | (b << 24)) >>> 0;
    for (let o = 0; o < len; o += 4) this.regs.write32(addr + o, v);
    return undefined;
  }

  copy(dst: number, src: number, len: number): MemFault | undefined {
    const bytes = this.read(src, len);
    if (!(bytes instanceof Uint8Array)) return bytes;
    return this.write(dst, bytes);
  }
}
