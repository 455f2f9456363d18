/**
 * The runtime guards of the contract's error values: one home for them (issue 12 item 8), used by
 * the reference implementation and the properties alike. Every error value of the contract is
 * plain data with a `kind`; these tell them apart from results. (The rest of model/contract is
 * types only.)
 */
import type { MemFault } from './memory.ts';
import type { RingError } from './ring.ts';
import type { DmaError } from './dma.ts';
import type { CardVirtioError } from './vop.ts';

const kindOf = (v: unknown): unknown => (typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined);

/** a memory access that faulted (MemFault) */
export function isFault(v: unknown): v is MemFault {
  return kindOf(v) === 'mem-fault';
}

/** a refused or failed ring operation (RingError) */
export function isRingError(v: unknown): v is RingError {
  return kindOf(v) === 'ring-error';
}

/** a refused or failed DMA operation (DmaError) */
export function isDmaError(v: unknown): v is DmaError {
  return kindOf(v) === 'dma-error';
}

/** a refused card virtio operation (CardVirtioError) */
export function isCardVirtioError(v: unknown): v is CardVirtioError {
  return kindOf(v) === 'card-virtio-error';
}
