/**
 * A RegisterFile in front of BAR4 that records every register write the host driver makes, with the
 * host-visible card state at that moment, so a property can check which doorbells the host rang
 * (APICICR / RDMASR writes, facts §1.4) without trusting the driver's own account. Pure delegation.
 */
import type { Bar4Write, MemFault, RegisterFile, RegisterHook } from '../../model/contract.ts';

export class Bar4Spy implements RegisterFile {
  readonly log: Bar4Write[] = [];
  readonly size: number;

  constructor(
    private readonly inner: RegisterFile,
    private readonly now: () => number,
    private readonly state: () => string,
  ) {
    this.size = inner.size;
  }

  read32(off: number): number | MemFault {
    return this.inner.read32(off);
  }

  write32(off: number, value: number): MemFault | undefined {
    this.log.push({ t: this.now(), off, value: value >>> 0, state: this.state() });
    return this.inner.write32(off, value);
  }

  peek(off: number): number {
    return this.inner.peek(off);
  }

  poke(off: number, value: number): void {
    this.inner.poke(off, value);
  }

  hook(off: number, len: number, h: RegisterHook): void {
    this.inner.hook(off, len, h);
  }
}
