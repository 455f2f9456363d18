/**
 * The X100's 256-byte type-0 configuration space (facts §1.1): vendor 0x8086, an X100 device id,
 * revision = stepping, class "co-processor", the BARs of model/layout/config-space.ts with standard
 * sizing. Writable: the command bits of COMMAND_WRITABLE_MASK, cache line size, interrupt line and
 * the BAR address bits; everything else is read-only (writes are ignored, as hardware does).
 * Accesses are 32-bit aligned dwords, as the host's config accessors issue them here.
 */
import type { MemFault } from '../../model/contract.ts';
import {
  COMMAND_WRITABLE_MASK,
  CONFIG_SPACE_SIZE,
  HEADER_TYPE_0,
  INTERRUPT_PIN_INTA,
  barOffset,
  configHeader,
} from '../../model/layout/config-space.ts';
import {
  PCI_CLASS_PROCESSOR,
  PCI_PROG_IF,
  PCI_SUBCLASS_COPROCESSOR,
  PCI_VENDOR_INTEL,
} from '../../model/constants/pcie.ts';
import type { Field } from '../../model/layout/table.ts';
import { checkRange, memFault, validUint } from '../memory/fault.ts';
import { barRegisters } from './bars.ts';

export interface ConfigIdentity {
  readonly deviceId: number;
  readonly revision: number;
  readonly apertureBarSize: number;
  readonly mmioBarSize: number;
  readonly ioBarSize: number;
}

const F = configHeader.fields;

export class ConfigSpace {
  private readonly bytes = new Uint8Array(CONFIG_SPACE_SIZE);
  /** per dword: the bits a write may change */
  private readonly writable = new Uint32Array(CONFIG_SPACE_SIZE / 4);

  constructor(
    readonly name: string,
    id: ConfigIdentity,
  ) {
    this.put(F.vendorId, PCI_VENDOR_INTEL);
    this.put(F.deviceId, id.deviceId);
    this.put(F.revisionId, id.revision);
    this.put(F.classCode, PCI_CLASS_PROCESSOR);
    this.put(F.subclass, PCI_SUBCLASS_COPROCESSOR);
    this.put(F.progIf, PCI_PROG_IF);
    this.put(F.headerType, HEADER_TYPE_0);
    this.put(F.interruptPin, INTERRUPT_PIN_INTA);
    this.allow(F.command, COMMAND_WRITABLE_MASK);
    this.allow(F.cacheLineSize, 0xff);
    this.allow(F.interruptLine, 0xff);
    const bars = barRegisters({ aperture: id.apertureBarSize, mmio: id.mmioBarSize, io: id.ioBarSize });
    bars.forEach((b, n) => {
      this.writable[barOffset(n) / 4] = b.writable;
      this.setDword(barOffset(n), b.fixed);
    });
  }

  private put(f: Field, value: number): void {
    for (let i = 0; i < f.size; i++) this.bytes[f.offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }

  private allow(f: Field, mask: number): void {
    const shift = 8 * (f.offset % 4);
    const d = f.offset >> 2;
    this.writable[d] = (this.writable[d]! | (mask << shift)) >>> 0;
  }

  private dword(off: number): number {
    const b = this.bytes;
    return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
  }

  private setDword(off: number, v: number): void {
    for (let i = 0; i < 4; i++) this.bytes[off + i] = (v >>> (8 * i)) & 0xff;
  }

  private check(off: number): MemFault | undefined {
    const f = checkRange(this.name, CONFIG_SPACE_SIZE, off, 4);
    if (f) return f;
    return off % 4 === 0 ? undefined : memFault('misaligned', this.name, off, 4);
  }

  read32(off: number): number | MemFault {
    return this.check(off) ?? this.dword(off);
  }

  write32(off: number, value: number): MemFault | undefined {
    const f = this.check(off);
    if (f) return f;
    if (!validUint(value, 32)) return memFault('bad-argument', this.name, off, 4);
    const w = this.writable[off >> 2]!;
    this.setDword(off, ((this.dword(off) & ~w) | (value & w)) >>> 0);
    return undefined;
  }
}
