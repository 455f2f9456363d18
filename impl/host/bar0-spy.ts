/**
 * A MemPort in front of BAR0 that records every host access with the host-visible card state at
 * that moment, so a property can check "the host touches no card ring while the card is not online"
 * without trusting the driver's own account. Pure delegation otherwise.
 */
import type { Bar0Access, MemFault, MemPort } from '../../model/contract.ts';

export class Bar0Spy implements MemPort {
  readonly log: Bar0Access[] = [];
  readonly name: string;
  readonly size: number;

  constructor(
    private readonly inner: MemPort,
    private readonly now: () => number,
    private readonly state: () => string,
  ) {
    this.name = inner.name;
    this.size = inner.size;
  }

  private rec(addr: number, len: number, write: boolean): void {
    this.log.push({ t: this.now(), addr, len, write, state: this.state() });
  }

  read8(a: number) { this.rec(a, 1, false); return this.inner.read8(a); }
  read16(a: number) { this.rec(a, 2, false); return this.inner.read16(a); }
  read32(a: number) { this.rec(a, 4, false); return this.inner.read32(a); }
  read64(a: number) { this.rec(a, 8, false); return this.inner.read64(a); }
  read64n(a: number) { this.rec(a, 8, false); return this.inner.read64n(a); }
  write8(a: number, v: number) { this.rec(a, 1, true); return this.inner.write8(a, v); }
  write16(a: number, v: number) { this.rec(a, 2, true); return this.inner.write16(a, v); }
  write32(a: number, v: number) { this.rec(a, 4, true); return this.inner.write32(a, v); }
  write64(a: number, v: bigint | number) { this.rec(a, 8, true); return this.inner.write64(a, v); }
  readInto(a: number, dst: Uint8Array) { this.rec(a, dst.length, false); return this.inner.readInto(a, dst); }
  read(a: number, len: number): Uint8Array | MemFault { this.rec(a, len, false); return this.inner.read(a, len); }
  write(a: number, src: Uint8Array) { this.rec(a, src.length, true); return this.inner.write(a, src); }
  fill(a: number, len: number, b: number) { this.rec(a, len, true); return this.inner.fill(a, len, b); }
  copy(dst: number, src: number, len: number) {
    this.rec(src, len, false);
    this.rec(dst, len, true);
    return this.inner.copy(dst, src, len);
  }
}
