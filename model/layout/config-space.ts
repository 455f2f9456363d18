/**
 * The PCI type-0 configuration header of the X100 endpoint (PCI Local Bus spec §6.1) and the BAR
 * encodings. Which BAR holds what comes from facts §1.1 (BAR0 aperture = card GDDR, BAR4 = MMIO);
 * the BAR types are a model choice written down here: BAR0 64-bit prefetchable (the aperture is
 * mapped write-combining by the host), BAR4 64-bit non-prefetchable (registers with side effects),
 * an I/O BAR at BAR2 of 256 bytes that nothing decodes, BAR3 unimplemented.
 */
import { defineBits, defineLayout } from './table.ts';

/** the full configuration space of a conventional function */
export const CONFIG_SPACE_SIZE = 256;

export const configHeader = defineLayout('pci-config-type0', { size: CONFIG_SPACE_SIZE }, {
  vendorId: { offset: 0x00, type: 'u16' },
  deviceId: { offset: 0x02, type: 'u16' },
  command: { offset: 0x04, type: 'u16' },
  status: { offset: 0x06, type: 'u16' },
  revisionId: { offset: 0x08, type: 'u8', doc: 'X100: stepping' },
  progIf: { offset: 0x09, type: 'u8' },
  subclass: { offset: 0x0a, type: 'u8' },
  classCode: { offset: 0x0b, type: 'u8' },
  cacheLineSize: { offset: 0x0c, type: 'u8' },
  latencyTimer: { offset: 0x0d, type: 'u8' },
  headerType: { offset: 0x0e, type: 'u8' },
  bist: { offset: 0x0f, type: 'u8' },
  bar0: { offset: 0x10, type: 'u32' },
  bar1: { offset: 0x14, type: 'u32' },
  bar2: { offset: 0x18, type: 'u32' },
  bar3: { offset: 0x1c, type: 'u32' },
  bar4: { offset: 0x20, type: 'u32' },
  bar5: { offset: 0x24, type: 'u32' },
  cardbusCis: { offset: 0x28, type: 'u32' },
  subsystemVendorId: { offset: 0x2c, type: 'u16' },
  subsystemId: { offset: 0x2e, type: 'u16' },
  expansionRom: { offset: 0x30, type: 'u32' },
  capabilitiesPtr: { offset: 0x34, type: 'u8' },
  interruptLine: { offset: 0x3c, type: 'u8' },
  interruptPin: { offset: 0x3d, type: 'u8' },
  minGnt: { offset: 0x3e, type: 'u8' },
  maxLat: { offset: 0x3f, type: 'u8' },
});

/** BAR register n (0..5) */
export const barOffset = (n: number): number => configHeader.fields.bar0.offset + 4 * n;

/** low bits of a memory BAR (read-only) */
export const memBarBits = defineBits('memory-bar', 32, {
  SPACE: { lsb: 0, width: 1, doc: '0 = memory' },
  TYPE: { lsb: 1, width: 2, doc: '0 = 32-bit, 2 = 64-bit (pairs with the next BAR)' },
  PREFETCHABLE: { lsb: 3, width: 1 },
  ADDRESS: { lsb: 4, width: 28 },
});
/** low bits of an I/O BAR (read-only) */
export const ioBarBits = defineBits('io-bar', 32, {
  SPACE: { lsb: 0, width: 1, doc: '1 = I/O' },
  RESERVED: { lsb: 1, width: 1 },
  ADDRESS: { lsb: 2, width: 30 },
});

export const BAR_MEM_TYPE_64 = 2;
/** the low-bit masks the sizing protocol leaves untouched */
export const MEM_BAR_FLAG_MASK = 0xf;
export const IO_BAR_FLAG_MASK = 0x3;

/** command register bits a driver may set (I/O, memory, bus master, parity, SERR, INTx disable) */
export const commandBits = defineBits('command', 16, {
  IO_SPACE: { lsb: 0, width: 1 },
  MEMORY_SPACE: { lsb: 1, width: 1 },
  BUS_MASTER: { lsb: 2, width: 1 },
  PARITY_ERROR_RESPONSE: { lsb: 6, width: 1 },
  SERR: { lsb: 8, width: 1 },
  INTX_DISABLE: { lsb: 10, width: 1 },
});
export const COMMAND_WRITABLE_MASK = 0x0547;

/** what sits in each BAR slot of the X100 model */
export type BarKind =
  | { readonly kind: 'mem64'; readonly prefetchable: boolean; readonly role: 'aperture' | 'mmio' }
  | { readonly kind: 'mem64-upper' }
  | { readonly kind: 'io'; readonly role: 'io' }
  | { readonly kind: 'none' };

export const X100_BARS: readonly BarKind[] = Object.freeze([
  { kind: 'mem64', prefetchable: true, role: 'aperture' },
  { kind: 'mem64-upper' },
  { kind: 'io', role: 'io' },
  { kind: 'none' },
  { kind: 'mem64', prefetchable: false, role: 'mmio' },
  { kind: 'mem64-upper' },
]);

/** bytes decoded by the I/O BAR [model choice] */
export const IO_BAR_SIZE = 256;
/** header type 0 (single function), interrupt pin INTA */
export const HEADER_TYPE_0 = 0;
export const INTERRUPT_PIN_INTA = 1;
