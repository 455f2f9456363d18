/**
 * Card RAM for virtio buffers: what a card virtio driver kmallocs for the data it posts. Blocks are
 * 64-byte aligned (plus the misalignment a caller asks for, so properties reach every DMA case),
 * freed when the buffer comes back, and reused by size class. [model choice: a region of its own
 * above 4 GiB, so card buffers use the high address words too]
 */
import type { MemPort } from '../../../model/contract.ts';

export const CARD_BUF_BASE = 4 * 2 ** 30;
export const CARD_BUF_BYTES = 2 * 2 ** 30;
const GRAIN = 64;

const classOf = (n: number): number => {
  let c = 128;
  while (c < n) c *= 2;
  return c;
};

export class CardBufferHeap {
  private next = CARD_BUF_BASE;
  private readonly free = new Map<number, number[]>();

  constructor(private readonly mem: MemPort) {}

  /** `len` bytes at an address ≡ misalign (mod 64); undefined when the region is used up */
  alloc(len: number, misalign = 0): number | undefined {
    const size = classOf(len + GRAIN);
    const list = this.free.get(size);
    const block = list !== undefined && list.length > 0 ? list.pop()! : this.bump(size);
    if (block === undefined) return undefined;
    return block + (misalign % GRAIN);
  }

  private bump(size: number): number | undefined {
    const end = Math.min(CARD_BUF_BASE + CARD_BUF_BYTES, this.mem.size);
    if (this.next + size > end) return undefined;
    const at = this.next;
    this.next += size;
    return at;
  }

  release(addr: number, len: number): void {
    const size = classOf(len + GRAIN);
    const block = addr - (addr % GRAIN);
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    list.push(block);
  }

  /** a card reset forgets every buffer */
  clear(): void {
    this.next = CARD_BUF_BASE;
    this.free.clear();
  }
}
