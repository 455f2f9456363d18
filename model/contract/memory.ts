/**
 * Contract of physical memory and address-space views. Types only.
 * Addresses are JS numbers (the largest address in the model, the top of the SMPT window, is < 2^40).
 * Errors the other side can cause are values: every accessor returns a MemFault instead of throwing.
 */

export interface MemFault {
  readonly kind: 'mem-fault';
  /** out-of-range: outside [0, size); unmapped: no window covers it; misaligned: where alignment is required; read-only: a store into a read-only mapping */
  readonly reason: 'out-of-range' | 'unmapped' | 'misaligned' | 'not-safe-integer' | 'bad-argument' | 'read-only';
  /** name of the address space that refused */
  readonly space: string;
  readonly addr: number;
  readonly len: number;
}

/**
 * One address space: sparse RAM, or a view made of windows onto other spaces.
 * Every access is checked before anything moves: addr and len must be safe integers ('bad-argument'
 * otherwise), 0 <= addr, 0 <= len, addr + len <= size ('out-of-range' otherwise); a write value must
 * fit its width, negatives taken as two's complement ('bad-argument' otherwise). An access that
 * faults changes nothing. Multi-byte values are little-endian.
 */
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
  /** a fresh copy of len bytes (len > 2^30 may be refused with 'bad-argument': use readInto) */
  read(addr: number, len: number): Uint8Array | MemFault;
  write(addr: number, src: Uint8Array): MemFault | undefined;
  fill(addr: number, len: number, byte: number): MemFault | undefined;
  /** memmove within this space */
  copy(dst: number, src: number, len: number): MemFault | undefined;
  /**
   * Optional direct access for hot paths (a ring's own areas): a DataView of exactly the bytes
   * [addr, addr+len), valid while `lease.live`, or undefined when the port cannot give one (the
   * range is not one resident run of bytes, crosses a page or window boundary, faults, or the port
   * has side effects, like a register file). `write` says whether the holder will store through it
   * (a recorder logs the pin as one access of that kind). Taking a pin may allocate the pages it
   * covers; it never changes their content. Accesses through a live pin are the port's bytes, with
   * no checks: the holder keeps its offsets inside [0, len) and its values inside their widths.
   */
  pin?(addr: number, len: number, write: boolean): Pin | undefined;
}

/**
 * Whether a pin still shows the port's bytes. It turns false, for good, when they may move: the
 * page is released (a whole-page zero fill of sparse memory) or a window on the way is unmapped.
 * The holder then takes a new pin or goes back to the port's methods.
 */
export interface Lease {
  readonly live: boolean;
  /**
   * Call `onDeath` once when the lease dies (at once if it is dead already). A holder that watches
   * needs no check per access: it swaps its direct path out when told. Callbacks run inside the
   * operation that killed the lease (a fill, an unmap), so they must only note the fact.
   */
  watch(onDeath: () => void): void;
}

/** Direct access to a pinned range: byte i of `view` is byte addr+i of the port while `lease.live`. */
export interface Pin {
  readonly view: DataView;
  readonly lease: Lease;
}

/**
 * RAM whose 4 KiB pages are allocated on first write; untouched memory reads as zeros and reads never
 * allocate. Writing only zeros into an untouched page need not allocate it, and a zero fill of a whole
 * page may release it: `pagesAllocated` bounds the pages holding non-zero bytes, it is not content.
 */
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

/**
 * An address space made of windows; an access with any byte outside every window is an 'unmapped'
 * fault (nothing moves). An access spanning adjacent windows works piecewise; a scalar inside one
 * window reaches the target as the same scalar access.
 */
export interface WindowedView extends MemPort {
  /** throws (a caller bug) if the window overlaps another, leaves the view or leaves its target */
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
