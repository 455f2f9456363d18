/**
 * Content digest of a memory range, used by the DMA and ring properties to check "no byte outside
 * the destination changed" over a 16 GiB card or 64 GiB host space.
 *
 * The range is cut into 4 KiB chunks counted from its start (not from page boundaries), so the digest
 * depends only on the bytes and the length, never on the address or on which pages are allocated.
 * All-zero chunks contribute nothing, so a source needs to name only the chunks that touch an
 * allocated page; the rest are zeros by construction. The result folds, in ascending chunk order,
 * (chunk index, 64-bit chunk hash) of every non-zero chunk, after the range length.
 *
 * The chunk hash is two murmur3-style 32-bit lanes with different constants (64 bits): this is a
 * test oracle over random and adversarial-by-accident data, not a cryptographic commitment.
 */
export const CHUNK = 4096;

export interface DigestSource {
  /** bytes [addr, addr+len) into dst at dstOff; absent memory reads as zeros */
  readUnchecked(addr: number, dst: Uint8Array, dstOff: number, len: number): void;
  /** indices (from addr, in CHUNK units) of chunks that may hold non-zero bytes, ascending */
  touchedChunks(addr: number, len: number): number[];
}

class Lanes {
  a: number;
  b: number;
  constructor(seedA: number, seedB: number) {
    this.a = seedA | 0;
    this.b = seedB | 0;
  }
  mix(w: number): void {
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let a = this.a ^ k;
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let j = Math.imul(w ^ 0x5bd1e995, 0x85ebca6b);
    j = (j << 17) | (j >>> 15);
    j = Math.imul(j, 0xc2b2ae35);
    let b = this.b ^ j;
    b = (b << 16) | (b >>> 16);
    this.b = (Math.imul(b, 9) + 0x38495ab5) | 0;
  }
  finish(): [number, number] {
    let a = fmix(this.a ^ this.b);
    const b = fmix(this.b + Math.imul(a, 0x9e3779b1));
    a = fmix(a ^ b);
    return [a >>> 0, b >>> 0];
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const scratch = new Uint8Array(CHUNK);
const words = new Uint32Array(scratch.buffer);

/** hash of scratch (one zero-padded chunk), or undefined when it is all zeros */
function chunkHash(): [number, number] | undefined {
  let any = 0;
  const h = new Lanes(0x243f6a88, 0x85a308d3);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    any |= w;
    h.mix(w);
  }
  return any === 0 ? undefined : h.finish();
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** the digest of [addr, addr+len) of a checked range (see the file comment for the definition) */
export function digestChunks(src: DigestSource, addr: number, len: number): string {
  const top = new Lanes(0x13198a2e, 0x03707344);
  top.mix(len % 0x1_0000_0000);
  top.mix(Math.floor(len / 0x1_0000_0000));
  for (const c of src.touchedChunks(addr, len)) {
    const off = c * CHUNK;
    const n = Math.min(CHUNK, len - off);
    src.readUnchecked(addr + off, scratch, 0, n);
    if (n < CHUNK) scratch.fill(0, n);
    const h = chunkHash();
    if (h === undefined) continue;
    top.mix(c % 0x1_0000_0000);
    top.mix(Math.floor(c / 0x1_0000_0000));
    top.mix(h[0]);
    top.mix(h[1]);
  }
  const [a, b] = top.finish();
  return hex8(a) + hex8(b);
}
