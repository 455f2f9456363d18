/**
 * The 16-byte descriptor (facts §7.4), decoded and encoded as four little-endian 32-bit words
 * (w0 = qw0 bits 31:0, w1 = qw0 bits 63:32, w2 = qw1 bits 31:0, w3 = qw1 bits 63:32). Word
 * positions come from model/layout/dma.ts DESC_WORDS, which derives them from the 64-bit tables.
 */
import type { MemPort } from '../../model/contract.ts';
import { DESC_WORDS } from '../../model/layout/dma.ts';
import * as K from '../../model/constants/dma.ts';
import * as Mem from '../memory/index.ts';
import type { SparseSpot } from '../memory/leaves.ts';
// bound once: imported bindings are live getters under some loaders (tsx), too slow for the hot path
const { DCHERR_ADDRESS, DCHERR_BAD_LENGTH, DCHERR_BAD_TYPE, DCHERR_HOST_TO_HOST, DCHERR_MISALIGNED, MIC_DMA_ALIGN, MIC_DMA_ALIGN_SHIFT, MIC_DMA_DESC_GENERAL, MIC_DMA_DESC_MEMCOPY, MIC_DMA_DESC_NOP, MIC_DMA_DESC_STATUS, SMPT_WINDOW_BASE } = K;
const { checkRange, copyBetween, isResolvable, leavesOf } = Mem;

export interface DescWords {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

/** bytes a channel moves per scheduler step: a long copy interleaves with other agents */
export const COPY_CHUNK = 64 * 1024;

/** progress of the memcopy at the tail: bytes already moved (0 = not started) */
export interface CopyProgress {
  off: number;
}

const spot: SparseSpot = { mem: undefined, addr: 0 };

/**
 * The whole range is inside the space and mapped: checked before the first byte moves. A range in
 * one window onto sparse memory (the common case) is answered without building its leaf list.
 */
function mapped(mem: MemPort, addr: number, len: number): boolean {
  if (checkRange(mem.name, mem.size, addr, len) !== undefined) return false;
  if (isResolvable(mem) && mem.sparseSpot !== undefined && mem.sparseSpot(addr, len, spot)) return true;
  return Array.isArray(leavesOf(mem, addr, len));
}

const TWO32 = 2 ** 32;
const T = DESC_WORDS.type;
const LEN = DESC_WORDS.memcopyLength;
const MINTR = DESC_WORDS.memcopyIntr;
const SINTR = DESC_WORDS.statusIntr;
const ADDR_HI_MASK = (1 << DESC_WORDS.addrHiWidth) - 1;
const LEN_MASK = (1 << LEN.width) - 1;

// the decoder below reads the fields from fixed words; the table must agree
if (T.word !== 3 || LEN.word !== 1 || MINTR.word !== 3 || SINTR.word !== 3) throw new Error('descriptor word layout changed');

/** bits 39:0 of a quadword given as (lo, hi) words */
const addr40 = (lo: number, hi: number): number => (hi & ADDR_HI_MASK) * TWO32 + (lo >>> 0);

/** result of executeDescriptor when a memcopy has more chunks to move */
export const EXEC_MORE = 2;

/**
 * Executes (a step of) one descriptor against the card's physical address space. Returns 0 (done),
 * 1 (done, raise the channel interrupt), EXEC_MORE (a memcopy chunk moved, more to come; `p.off`
 * advanced) or −DCHERR bits (bad descriptor: nothing was written).
 */
export function executeDescriptor(mem: MemPort, w: DescWords, p: CopyProgress): number {
  const type = w.w3 >>> T.lsb;
  switch (type) {
    case MIC_DMA_DESC_NOP:
      return 0;
    case MIC_DMA_DESC_MEMCOPY: {
      const src = addr40(w.w0, w.w1);
      const dst = addr40(w.w2, w.w3);
      const len = ((w.w1 >>> LEN.lsb) & LEN_MASK) << MIC_DMA_ALIGN_SHIFT;
      let err = 0;
      // the 14-bit field cannot encode more than 1 MiB − 64, the hardware maximum (facts §7.4)
      if (len === 0) err |= DCHERR_BAD_LENGTH;
      if (((w.w0 | w.w2) & (MIC_DMA_ALIGN - 1)) !== 0) err |= DCHERR_MISALIGNED;
      // facts §7.1: the engine cannot copy host memory to host memory
      if (src >= SMPT_WINDOW_BASE && dst >= SMPT_WINDOW_BASE) err |= DCHERR_HOST_TO_HOST;
      if (err !== 0) return -err;
      const off = p.off;
      // copyBetween checks a range before moving a byte; a copy of several chunks is checked whole first
      if (off === 0 && len > COPY_CHUNK && (!mapped(mem, src, len) || !mapped(mem, dst, len))) return -DCHERR_ADDRESS;
      const n = Math.min(COPY_CHUNK, len - off);
      if (copyBetween(mem, src + off, mem, dst + off, n) !== undefined) return -DCHERR_ADDRESS;
      p.off = off + n;
      if (p.off < len) return EXEC_MORE;
      p.off = 0;
      return (w.w3 >>> MINTR.lsb) & 1;
    }
    case MIC_DMA_DESC_STATUS: {
      const dst = addr40(w.w2, w.w3);
      // the low bits of the address are those of its low word (an integer test, no float modulo)
      if ((w.w2 & 7) !== 0) return -DCHERR_MISALIGNED;
      if (checkRange(mem.name, mem.size, dst, 8) === undefined && isResolvable(mem) && mem.sparseSpot !== undefined && mem.sparseSpot(dst, 8, spot)) {
        // all 8 bytes in sparse memory behind plain windows (the drivers' status buffers): neither
        // word can fault and no observer sits in between, so the words go straight to that memory
        const ram = spot.mem!;
        if (ram.write32(spot.addr, w.w0 >>> 0) !== undefined || ram.write32(spot.addr + 4, w.w1 >>> 0) !== undefined) return -DCHERR_ADDRESS;
        return (w.w3 >>> SINTR.lsb) & 1;
      }
      // one 64-bit write: check the whole range first so a fault writes nothing. The probe reads the
      // two words low first, as a 64-bit read reaches memory or registers, without building a BigInt
      if (typeof mem.read32(dst) !== 'number' || typeof mem.read32(dst + 4) !== 'number') return -DCHERR_ADDRESS;
      if (mem.write32(dst, w.w0 >>> 0) !== undefined || mem.write32(dst + 4, w.w1 >>> 0) !== undefined) return -DCHERR_ADDRESS;
      return (w.w3 >>> SINTR.lsb) & 1;
    }
    case MIC_DMA_DESC_GENERAL: {
      const dst = addr40(w.w2, w.w3);
      if ((w.w2 & 3) !== 0) return -DCHERR_MISALIGNED;
      if (mem.write32(dst, w.w0 >>> 0) !== undefined) return -DCHERR_ADDRESS;
      return 0;
    }
    default:
      return -DCHERR_BAD_TYPE;
  }
}

// ---- encoding (the drivers' side) ----------------------------------------------------------------

const typeWord = (type: number): number => (type << T.lsb) >>> 0;
/** bits 31:0 of an address (ToUint32 is the value modulo 2^32, without a float modulo) */
const loAddr = (a: number): number => a >>> 0;
const hiAddr = (a: number): number => Math.floor(a / TWO32) & ADDR_HI_MASK;

/** MEMCOPY: qw0 = src | (len >> 6) << 46, qw1 = 1 << 60 | dst (upstream mic_dma_memcpy_desc) */
export function encodeMemcopy(out: DescWords, dst: number, src: number, len: number, intr = false): void {
  out.w0 = loAddr(src);
  out.w1 = (hiAddr(src) | ((len >>> MIC_DMA_ALIGN_SHIFT) << LEN.lsb)) >>> 0;
  out.w2 = loAddr(dst);
  out.w3 = (typeWord(MIC_DMA_DESC_MEMCOPY) | hiAddr(dst) | (intr ? 1 << MINTR.lsb : 0)) >>> 0;
}

/** STATUS: qw0 = data, qw1 = 2 << 60 | intr << 59 | dst (upstream mic_dma_prep_status_desc) */
export function encodeStatus(out: DescWords, dst: number, value: bigint, intr: boolean): void {
  encodeStatusWords(out, dst, Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn), intr);
}

/** STATUS with the data as its two 32-bit halves: the fence and interrupt descriptors, no BigInt */
export function encodeStatusWords(out: DescWords, dst: number, lo: number, hi: number, intr: boolean): void {
  out.w0 = lo >>> 0;
  out.w1 = hi >>> 0;
  out.w2 = loAddr(dst);
  out.w3 = (typeWord(MIC_DMA_DESC_STATUS) | hiAddr(dst) | (intr ? 1 << SINTR.lsb : 0)) >>> 0;
}

/** GENERAL: qw0 bits 31:0 = data, qw1 = 3 << 60 | dst */
export function encodeGeneral(out: DescWords, dst: number, value: number): void {
  out.w0 = value >>> 0;
  out.w1 = 0;
  out.w2 = loAddr(dst);
  out.w3 = (typeWord(MIC_DMA_DESC_GENERAL) | hiAddr(dst)) >>> 0;
}

export function encodeNop(out: DescWords): void {
  out.w0 = 0;
  out.w1 = 0;
  out.w2 = 0;
  out.w3 = typeWord(MIC_DMA_DESC_NOP);
}

const staging = new Uint8Array(16);
const stagingView = new DataView(staging.buffer);

/** writes the four words at addr of a port in one 16-byte write; a fault is returned as is */
export function writeDescriptor(mem: MemPort, addr: number, w: DescWords) {
  stagingView.setUint32(0, w.w0, true);
  stagingView.setUint32(4, w.w1, true);
  stagingView.setUint32(8, w.w2, true);
  stagingView.setUint32(12, w.w3, true);
  return mem.write(addr, staging);
}
