/**
 * The two log_buf attributes take hex addresses (facts §4.5; mpssd writes the System.map values,
 * §8.1). The kernel parses them with kstrtoul(buf, 16): optional "0x"/"0X", hex digits, one
 * trailing newline. We accept exactly that; no digits, any other character, or a value past 64 bits
 * is EINVAL and stores nothing. [model choice: kstrtoul's overflow is ERANGE and it also takes a
 * leading '+'; our contract has EINVAL for every malformed address and refuses '+']
 */
const U64_MAX = (1n << 64n) - 1n;

/** the address a log_buf write carries, or undefined when the string is not one */
export function parseHexAddr(value: string): bigint | undefined {
  let s = value.endsWith('\n') ? value.slice(0, -1) : value;
  if (s.length > 1 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')) s = s.slice(2);
  if (s.length === 0) return undefined;
  let v = 0n;
  for (const ch of s) {
    const d = Number.parseInt(ch, 16);
    if (Number.isNaN(d)) return undefined;
    v = v * 16n + BigInt(d);
    if (v > U64_MAX) return undefined;
  }
  return v;
}

/** how a log_buf address reads back: 16 lower-case hex digits, like the era's "%p" [model choice] */
export const formatHexAddr = (v: bigint): string => v.toString(16).padStart(16, '0');
