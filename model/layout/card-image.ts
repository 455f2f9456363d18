/**
 * Our card OS image format (facts §3.2 leave the image to firmware; this format is a model choice).
 * The host copies the file to the boot address verbatim and writes its size to SPAD5; the bootstrap
 * validates the header and payload before it jumps to `entry`. A bad image never becomes a card OS.
 *
 *   off  size  field
 *     0     4  magic        'MICI' = 0x4943494d (LE bytes 4d 49 43 49)
 *     4     2  version      CARD_IMAGE_VERSION
 *     6     2  header_len   32
 *     8     4  entry        offset of the entry point inside the payload
 *    12     4  payload_len  bytes after the header
 *    16     4  checksum     FNV-1a 32 over the payload
 *    20     4  flags        0 (reserved)
 *    24     8  os_tag       8 ASCII bytes naming the build (informational)
 *    32     …  payload
 */
import { defineLayout } from './table.ts';

export const CARD_IMAGE_MAGIC = 0x4943494d;
export const CARD_IMAGE_VERSION = 1;

export const cardImageHeader = defineLayout('card_image_header', { size: 32, align: 8 }, {
  magic: { offset: 0, type: 'u32' },
  version: { offset: 4, type: 'u16' },
  header_len: { offset: 6, type: 'u16' },
  entry: { offset: 8, type: 'u32', doc: 'entry point, offset into the payload' },
  payload_len: { offset: 12, type: 'u32' },
  checksum: { offset: 16, type: 'u32', doc: 'FNV-1a 32 of the payload' },
  flags: { offset: 20, type: 'u32' },
  os_tag: { offset: 24, type: 'bytes', size: 8 },
});

/** FNV-1a, 32 bit: cheap, deterministic, catches any single flipped byte */
export function fnv1a32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface CardImageParams {
  readonly payload: Uint8Array;
  readonly entry?: number;
  readonly tag?: string;
}

/** encodes a well-formed image (the fixtures generator derives broken ones from it) */
export function encodeCardImage(p: CardImageParams): Uint8Array {
  const h = cardImageHeader.fields;
  const out = new Uint8Array(cardImageHeader.size + p.payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(h.magic.offset, CARD_IMAGE_MAGIC, true);
  dv.setUint16(h.version.offset, CARD_IMAGE_VERSION, true);
  dv.setUint16(h.header_len.offset, cardImageHeader.size, true);
  dv.setUint32(h.entry.offset, p.entry ?? 0, true);
  dv.setUint32(h.payload_len.offset, p.payload.length, true);
  dv.setUint32(h.checksum.offset, fnv1a32(p.payload), true);
  dv.setUint32(h.flags.offset, 0, true);
  const tag = (p.tag ?? 'micvop').padEnd(h.os_tag.size, '\0').slice(0, h.os_tag.size);
  for (let i = 0; i < tag.length; i++) out[h.os_tag.offset + i] = tag.charCodeAt(i) & 0x7f;
  out.set(p.payload, cardImageHeader.size);
  return out;
}

export type CardImageError = 'short-header' | 'bad-magic' | 'bad-version' | 'bad-header-len' | 'truncated' | 'bad-entry' | 'bad-checksum';

/**
 * Validates `bytes` (what the bootstrap finds at the boot address, `size` = SPAD5). Pure; returns the
 * first rule broken, in header order.
 */
export function checkCardImage(bytes: Uint8Array, size: number): CardImageError | { entry: number; payloadLen: number } {
  const h = cardImageHeader.fields;
  if (size < cardImageHeader.size || bytes.length < cardImageHeader.size) return 'short-header';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(h.magic.offset, true) !== CARD_IMAGE_MAGIC) return 'bad-magic';
  if (dv.getUint16(h.version.offset, true) !== CARD_IMAGE_VERSION) return 'bad-version';
  if (dv.getUint16(h.header_len.offset, true) !== cardImageHeader.size) return 'bad-header-len';
  const payloadLen = dv.getUint32(h.payload_len.offset, true);
  if (cardImageHeader.size + payloadLen > size || cardImageHeader.size + payloadLen > bytes.length) return 'truncated';
  const entry = dv.getUint32(h.entry.offset, true);
  if (payloadLen === 0 || entry >= payloadLen) return 'bad-entry';
  if (fnv1a32(bytes, cardImageHeader.size, cardImageHeader.size + payloadLen) !== dv.getUint32(h.checksum.offset, true)) return 'bad-checksum';
  return { entry, payloadLen };
}
