/**
 * Contract of the card as a PCIe endpoint: config space, BARs, BAR4 register file, doorbells, SMPT
 * (issue 2 item 4; facts §1–2). Types only. The pcie layer owns this file and may extend it; the
 * shapes below are what the DMA and lifecycle layers build on.
 */
import type { MemFault, MemPort, SparseMemory } from './memory.ts';
import type { Scheduler } from './sim.ts';

/** Behaviour a device model installs on a range of BAR4 register offsets (the DMA engine hooks its blocks). */
export interface RegisterHook {
  /** value returned to a 32-bit read at `off` (absolute BAR4 offset); absent = the stored value */
  read?(off: number): number;
  /** side effect of a 32-bit write; the value is stored first unless the hook returns false */
  write?(off: number, value: number): boolean | void;
}

/** BAR4: 128 KiB of 32-bit registers at the real SBOX offsets (offsets from model/layout). */
export interface RegisterFile {
  readonly size: number;
  read32(off: number): number | MemFault;
  write32(off: number, value: number): MemFault | undefined;
  /** raw storage access, no side effects (for models and observers) */
  peek(off: number): number;
  poke(off: number, value: number): void;
  hook(off: number, len: number, h: RegisterHook): void;
}

export type SmptError =
  | { readonly kind: 'smpt-error'; readonly reason: 'bad-size' | 'no-space' | 'out-of-window' | 'not-mapped'; readonly detail: string };

/** the host driver's software SMPT (facts §2): 32 entries × 16 GiB at card address 0x80_0000_0000 */
export interface Smpt {
  /** map [hostAddr, hostAddr+size) → card address, or an error value */
  map(hostAddr: number, size: number): number | SmptError;
  unmap(cardAddr: number, size: number): SmptError | undefined;
  /** card address in the window → host address */
  translate(cardAddr: number): number | SmptError;
  /** per-entry state for observers */
  entries(): readonly { readonly hostAddr: number; readonly refBytes: number }[];
  /** write the software copy into the SMPT registers (done at every boot, facts §1.3) */
  restore(): void;
}

/** one card on the bus, as the platform wires it (host driver, card OS and DMA engine attach to it) */
export interface PcieEndpoint {
  readonly index: number;
  readonly deviceId: number;
  readonly revision: number;
  /** 256-byte type-0 config space with BAR sizing */
  configRead32(off: number): number | MemFault;
  configWrite32(off: number, value: number): MemFault | undefined;
  readonly regs: RegisterFile;
  /** card GDDR */
  readonly cardMemory: SparseMemory;
  /** what the host sees through BAR0 (= card memory, bounds-checked at the aperture size) */
  readonly bar0: MemPort;
  /** the card's physical address space: GDDR, MMIO at 0x08_007C_0000, SMPT window → host memory */
  readonly cardView: MemPort;
  /** host interrupt lines: called with the pending-and-enabled SICR0 bits when they change */
  onHostInterrupt(handler: (causeBits: number) => void): void;
  /** card IRQ lines (doorbell db → irq 26+db; DMA channel n → irq n) */
  onCardIrq(handler: (irq: number) => void): void;
  /** raise a host interrupt source bit (0..3 doorbells, 8..15 DMA, 30 error) */
  raiseHostSource(bit: number): void;
  raiseCardIrq(irq: number): void;
}

export interface PlatformConfig {
  readonly cards?: number;
  readonly seed?: number;
  readonly scheduler?: Scheduler;
  /** bytes of card GDDR (default 16 GiB) */
  readonly cardMemoryBytes?: number;
  /** bytes of host physical address space (default 64 GiB) */
  readonly hostMemoryBytes?: number;
  readonly deviceId?: number;
  /** PCI revision = stepping (A0 0x00, B0 0x10, B1 0x11, C0 0x20) */
  readonly revision?: number;
}

export interface Platform {
  readonly scheduler: Scheduler;
  readonly hostMemory: SparseMemory;
  readonly cards: readonly PcieEndpoint[];
  readonly smpt: readonly Smpt[];
}

export interface PcieComponents {
  createPlatform(config?: PlatformConfig): Platform;
}
