/**
 * What the VOP char device's mmap returns (facts §6.5 mmap): a read-only, live view of host memory
 * made of the regions asked for (the device page, ring blocks), laid out back to back. Reads go
 * through windows onto host RAM; every store faults with 'read-only', as a store into a PROT_READ
 * mapping would.
 */
import type { MemFault, MemPort } from '../../../model/contract.ts';
import { WindowedViewImpl } from '../../memory/window.ts';
import { memFault } from '../../memory/fault.ts';

export class ReadOnlyRegions implements MemPort {
  private readonly view: WindowedViewImpl;

  constructor(
    readonly name: string,
    readonly size: number,
    target: MemPort,
    pieces: readonly { base: number; addr: number; len: number }[],
  ) {
    this.view = new WindowedViewImpl(size, name);
    for (const p of pieces) this.view.map({ base: p.base, len: p.len, port: target, target: p.addr, label: `mmap@${p.base}` });
  }

  private refuse(addr: number, len: number): MemFault {
    return memFault('read-only', this.name, addr, len);
  }

  read8(a: number) { return this.view.read8(a); }
  read16(a: number) { return this.view.read16(a); }
  read32(a: number) { return this.view.read32(a); }
  read64(a: number) { return this.view.read64(a); }
  read64n(a: number) { return this.view.read64n(a); }
  readInto(a: number, dst: Uint8Array) { return this.view.readInto(a, dst); }
  read(a: number, len: number) { return this.view.read(a, len); }
  write8(a: number): MemFault { return this.refuse(a, 1); }
  write16(a: number): MemFault { return this.refuse(a, 2); }
  write32(a: number): MemFault { return this.refuse(a, 4); }
  write64(a: number): MemFault { return this.refuse(a, 8); }
  write(a: number, src: Uint8Array): MemFault { return this.refuse(a, src.length); }
  fill(a: number, len: number): MemFault { return this.refuse(a, len); }
  copy(dst: number, _src: number, len: number): MemFault { return this.refuse(dst, len); }
}
