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
  /**
   * side effect of a 32-bit write. The value (as u32) is stored BEFORE the hook runs, so `peek(off)`
   * inside the hook sees it; a hook may `poke` a different value (write-1-to-clear, self-clearing
   * command bits) and that value stays. Returning false discards the write: the previous value
   * `old` is restored after the hook (read-only registers).
   */
  write?(off: number, value: number, old: number): boolean | void;
}

/** BAR4: 128 KiB of 32-bit registers at the real SBOX offsets (offsets from model/layout). */
export interface RegisterFile {
  readonly size: number;
  read32(off: number): number | MemFault;
  write32(off: number, value: number): MemFault | undefined;
  /** raw storage access, no side effects (for models and observers) */
  peek(off: number): number;
  poke(off: number, value: number): void;
  /**
   * install `h` on every 32-bit register in [off, off+len). One hook per register: installing a
   * second hook on a hooked register is a bug of the caller and throws.
   */
  hook(off: number, len: number, h: RegisterHook): void;
}

/**
 * SMPT failures as values (mic_map returns 0 for all of them, facts §2):
 *  - bad-size: map/unmap size 0, or map size > 512 GiB (or not a safe integer)
 *  - bad-address: map host address not a non-negative safe integer
 *  - no-space: neither the reuse scan nor the free scan found a run of entries (table exhausted, or
 *    the reuse scan's partial-match quirk: a partial match that breaks contiguity fails at once)
 *  - out-of-window: unmap/translate of a card address outside 0x80_0000_0000 … 0xFF_FFFF_FFFF (an
 *    unmap running past the last entry is refused too: the C code would index past its table)
 *  - not-mapped: unmap drove an entry's byte count negative (the C code only warns; the
 *    subtraction is applied as in C and this value reports the warning)
 */
export type SmptError = {
  readonly kind: 'smpt-error';
  readonly reason: 'bad-size' | 'bad-address' | 'no-space' | 'out-of-window' | 'not-mapped';
  readonly detail: string;
};

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
  /**
   * 256-byte type-0 config space with BAR sizing (aligned dwords only). BAR addresses programmed
   * here are not used for routing: `bar0` and `regs` are BAR-relative.
   */
  configRead32(off: number): number | MemFault;
  configWrite32(off: number, value: number): MemFault | undefined;
  /** BAR4 as the host reaches it; the card reaches the same registers through cardView at 0x08_007C_0000 */
  readonly regs: RegisterFile;
  /** card GDDR */
  readonly cardMemory: SparseMemory;
  /** size of the BAR0 memory decoder (power of two ≥ card memory); bar0.size is the aperture length */
  readonly bar0Size: number;
  /** what the host sees through BAR0 (= card memory, bounds-checked at the aperture size) */
  readonly bar0: MemPort;
  /** the card's physical address space: GDDR, MMIO at 0x08_007C_0000, SMPT window → host memory */
  readonly cardView: MemPort;
  /**
   * Host interrupt line (facts §1.3). A source raised into SICR0 is *pending*; a pending bit that is
   * enabled in SICE0 and not yet delivered is delivered by a scheduler event of agent
   * "card<i>.irq.host": every handler is called once with the bits delivered in that event. A
   * delivered bit is not delivered again until it is acked (the host writes it back to SICR0, or
   * SIAC0 auto-clears it at delivery); raising it again before the ack coalesces (it is one cause
   * bit). Masked (SICC0) bits stay pending and are delivered after SICE0 re-enables them. While no
   * handler is registered nothing is delivered. Returns an unsubscribe function.
   */
  onHostInterrupt(handler: (causeBits: number) => void): () => void;
  /**
   * Card IRQ lines (doorbell db → irq 26+db; DMA channel n → irq n; facts §1.4/1.5). Each raise of an
   * irq that is not already pending is delivered exactly once, by a scheduler event of agent
   * "card<i>.irq.<irq>" (so the order between irqs is a scheduler choice); raising a pending irq
   * coalesces (one request bit per vector). There is no card-side mask (card ack is a no-op, §1.5).
   */
  onCardIrq(handler: (irq: number) => void): () => void;
  /** raise a host interrupt source bit (0..3 doorbells, 8..15 DMA, 30 error); a bit outside 0..31 is a caller bug (throws) */
  raiseHostSource(bit: number): void;
  /** raise a card irq (0..7 DMA channels, 26..41 doorbells) */
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
  /** smpt[i]: the host driver's software SMPT of card i, initialised at probe (identity, registers programmed) */
  readonly smpt: readonly Smpt[];
}

export interface PcieComponents {
  createPlatform(config?: PlatformConfig): Platform;
}
