/**
 * Contract of physical memory and address-space views. Types only.
 * Addresses are JS numbers (the largest address in the model, the top of the SMPT window, is < 2^40).
 * Errors the other side can cause are values: every accessor returns a MemFault instead of throwing.
 */

export interface MemFault {
  readonly kind: 'mem-fault';
  /** out-of-range: outside [0, size); unmapped: no window covers it; misaligned: where alignment is required */
  readonly reason: 'out-of-range' | 'unmapped' | 'misaligned' | 'not-safe-integer' | 'bad-argument';
  /** name of the address space that refused */
  readonly space: string;
  readonly addr: number;
  readonly len: number;
}

/** One address space: sparse RAM, or a view made of windows onto other spaces. */
export interface MemPort {
  readonly name: string;
  /** addresses are valid in [0, size) */
  readonly size: number;
  read8(addr: number): number | MemFault;
  read16(addr: number): number | MemFault;
  read32(addr: number): number | MemFault;
  /** all 64 bits */
  read64(addr: number): bigint | MemFault;
  /** 64-bit field as a number; fault 'not-safe-integer' if >= 2^53 */
  read64n(addr: number): number | MemFault;
  write8(addr: number, value: number): MemFault | undefined;
  write16(addr: number, value: number): MemFault | undefined;
  write32(addr: number, value: number): MemFault | undefined;
  write64(addr: number, value: bigint | number): MemFault | undefined;
  /** copy `dst.length` bytes starting at addr into dst */
  readInto(addr: number, dst: Uint8Array): MemFault | undefined;
  /** a fresh copy of len bytes */
  read(addr: number, len: number): Uint8Array | MemFault;
  write(addr: number, src: Uint8Array): MemFault | undefined;
  fill(addr: number, len: number, byte: number): MemFault | undefined;
  /** memmove within this space */
  copy(dst: number, src: number, len: number): MemFault | undefined;
}

/** RAM whose 4 KiB pages are allocated on first write; untouched memory reads as zeros. */
export interface SparseMemory extends MemPort {
  readonly pageSize: number;
  /** pages currently allocated */
  readonly pagesAllocated: number;
  /** stable hex digest of [addr, addr+len) (zeros and unallocated pages hash alike) */
  digest(addr: number, len: number): string | MemFault;
  /**
   * Offset (from addr) of the first byte where [addr, addr+len) differs from
   * [otherAddr, otherAddr+len) of `other`, or -1 if equal; costs what is allocated, not len.
   */
  firstDifference(addr: number, other: SparseMemory, otherAddr: number, len: number): number | MemFault;
}

/** A window: [base, base+len) of a view maps to [target, target+len) of `port`. */
export interface Window {
  readonly base: number;
  readonly len: number;
  readonly port: MemPort;
  readonly target: number;
  readonly label: string;
}

/** An address space made of windows; access outside every window is an 'unmapped' fault. */
export interface WindowedView extends MemPort {
  map(window: Window): void;
  unmap(base: number): boolean;
  windows(): readonly Window[];
}

export interface MemoryComponents {
  createSparseMemory(size: number, name?: string): SparseMemory;
  createWindowedView(size: number, name?: string): WindowedView;
  /** copy between two spaces (the DMA engine and BAR0 use it) */
  copyBetween(src: MemPort, srcAddr: number, dst: MemPort, dstAddr: number, len: number): MemFault | undefined;
}
