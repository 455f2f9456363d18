/**
 * BAR4: 128 KiB of 32-bit registers at the real SBOX offsets (facts §1.2). Storage is plain words;
 * device models (interrupt controller, doorbells, SMPT window, DMA engine) give registers behaviour
 * by hooking them. Register accesses are 32-bit and 4-byte aligned, as every driver access is.
 */
import type { MemFault, RegisterFile, RegisterHook } from '../../model/contract.ts';
import { MMIO_SIZE } from '../../model/layout/sbox.ts';
import { checkRange, memFault, validUint } from '../memory/fault.ts';

export class RegisterFileImpl implements RegisterFile {
  readonly size = MMIO_SIZE;
  private readonly words = new Uint32Array(MMIO_SIZE / 4);
  private readonly hooks: (RegisterHook | undefined)[] = new Array<RegisterHook | undefined>(MMIO_SIZE / 4);

  constructor(readonly name: string) {}

  private check(off: number): MemFault | undefined {
    const f = checkRange(this.name, this.size, off, 4);
    if (f) return f;
    return off % 4 === 0 ? undefined : memFault('misaligned', this.name, off, 4);
  }

  read32(off: number): number | MemFault {
    const f = this.check(off);
    if (f) return f;
    const h = this.hooks[off >>> 2];
    if (h?.read) return h.read(off) >>> 0;
    return this.words[off >>> 2]!;
  }

  write32(off: number, value: number): MemFault | undefined {
    const f = this.check(off);
    if (f) return f;
    if (!validUint(value, 32)) return memFault('bad-argument', this.name, off, 4);
    const i = off >>> 2;
    const old = this.words[i]!;
    const v = value >>> 0;
    this.words[i] = v;
    const h = this.hooks[i];
    if (h?.write && h.write(off, v, old) === false) this.words[i] = old;
    return undefined;
  }

  peek(off: number): number {
    this.mustExist(off);
    return this.words[off >>> 2]!;
  }

  poke(off: number, value: number): void {
    this.mustExist(off);
    this.words[off >>> 2] = value >>> 0;
  }

  hook(off: number, len: number, h: RegisterHook): void {
    this.mustExist(off);
    if (len <= 0 || len % 4 !== 0 || off + len > this.size) throw new RangeError(`${this.name}: bad hook range [${off}, ${off + len})`);
    for (let o = off; o < off + len; o += 4) {
      if (this.hooks[o >>> 2] !== undefined) throw new Error(`${this.name}: register 0x${o.toString(16)} is already hooked`);
    }
    for (let o = off; o < off + len; o += 4) this.hooks[o >>> 2] = h;
  }

  /** peek/poke/hook are called by our own code with table offsets; a bad offset is our bug */
  private mustExist(off: number): void {
    if (this.check(off) !== undefined) throw new RangeError(`${this.name}: no register at ${off}`);
  }
}
