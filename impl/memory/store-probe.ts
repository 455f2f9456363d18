/**
 * A MemPort in front of memory the other side reads, that reports every store after it is made
 * and before the next one: the points where the other side (the card, or the DMA engine reading a
 * descriptor ring), which runs at the same time on the real bus with posted writes, could look
 * (DESIGN.md §3, finest granularity). It offers no pin, so every store goes through it. Pure
 * delegation otherwise.
 */
import type { MemFault, MemPort } from '../../model/contract.ts';

export class StoreProbe implements MemPort {
  readonly name: string;
  readonly size: number;

  constructor(
    private readonly inner: MemPort,
    private readonly stored: (addr: number, len: number) => void,
  ) {
    this.name = inner.name;
    this.size = inner.size;
  }

  private after(r: MemFault | undefined, addr: number, len: number): MemFault | undefined {
    if (r === undefined && len > 0) this.stored(addr, len);
    return r;
  }

  read8(a: number) { return this.inner.read8(a); }
  read16(a: number) { return this.inner.read16(a); }
  read32(a: number) { return this.inner.read32(a); }
  read64(a: number) { return this.inner.read64(a); }
  read64n(a: number) { return this.inner.read64n(a); }
  readInto(a: number, dst: Uint8Array) { return this.inner.readInto(a, dst); }
  read(a: number, len: number): Uint8Array | MemFault { return this.inner.read(a, len); }
  write8(a: number, v: number) { return this.after(this.inner.write8(a, v), a, 1); }
  write16(a: number, v: number) { return this.after(this.inner.write16(a, v), a, 2); }
  write32(a: number, v: number) { return this.after(this.inner.write32(a, v), a, 4); }
  write64(a: number, v: bigint | number) { return this.after(this.inner.write64(a, v), a, 8); }
  write(a: number, src: Uint8Array) { return this.after(this.inner.write(a, src), a, src.length); }
  fill(a: number, len: number, b: number) { return this.after(this.inner.fill(a, len, b), a, len); }
  copy(dst: number, src: number, len: number) { return this.after(this.inner.copy(dst, src, len), dst, len); }
}
