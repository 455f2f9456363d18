/**
 * MIC feature bitmaps (facts §5.3: two bitmaps of feature_len bytes in the device entry, device
 * features then the accepted ones; bit i is byte i>>3, bit i&7, as Linux reads them).
 */
export function featuresFromBitmap(bytes: Uint8Array): bigint {
  let bits = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) bits = (bits << 8n) | BigInt(bytes[i]!);
  return bits;
}

/** bits that do not fit feature_len bytes are dropped (the card can only express what fits) */
export function featuresToBitmap(bits: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let v = bits < 0n ? 0n : bits;
  for (let i = 0; i < len; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** legacy devices expose feature bits 0..31 only (LEG-03; facts §6.3: get_features keeps 32 bits) */
export const LEGACY_FEATURE_MASK = 0xffff_ffffn;
