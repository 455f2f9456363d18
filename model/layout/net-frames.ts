/**
 * The frames the card's small IPv4 stack reads and writes on its virtio-net device (issue 10 item 2;
 * RFC 894 Ethernet II, RFC 826 ARP, RFC 791 IPv4, RFC 792 ICMP echo, RFC 768 UDP), as tables like
 * the other structures (DESIGN.md §4). Unlike everything that crosses the PCIe bus these are in
 * network byte order (big-endian): read and write their fields with `netGet` / `netSet` here, never
 * with the little-endian field helpers. Checksums are the Internet ones'-complement sum (RFC 1071).
 */
import { defineLayout, type Field } from './table.ts';

/** Ethernet II header (no 802.1Q tag, no FCS: the virtio-net device passes frames without it) */
export const ethHeader = defineLayout('ethhdr', { size: 14, align: 2 }, {
  dst: { offset: 0, type: 'bytes', size: 6 },
  src: { offset: 6, type: 'bytes', size: 6 },
  ethertype: { offset: 12, type: 'u16', doc: 'ETH_P_IP 0x0800, ETH_P_ARP 0x0806' },
});

/** ARP for IPv4 over Ethernet (struct arphdr + the Ethernet/IPv4 addresses) */
export const arpPacket = defineLayout('ether_arp', { size: 28, align: 2, packed: true }, {
  htype: { offset: 0, type: 'u16', doc: 'ARPHRD_ETHER 1' },
  ptype: { offset: 2, type: 'u16', doc: 'ETH_P_IP' },
  hlen: { offset: 4, type: 'u8', doc: '6' },
  plen: { offset: 5, type: 'u8', doc: '4' },
  oper: { offset: 6, type: 'u16', doc: 'ARPOP_REQUEST 1, ARPOP_REPLY 2' },
  sha: { offset: 8, type: 'bytes', size: 6 },
  spa: { offset: 14, type: 'u32' },
  tha: { offset: 18, type: 'bytes', size: 6 },
  tpa: { offset: 24, type: 'u32' },
});

/** IPv4 header without options (IHL 5); options, when present, follow it */
export const ipv4Header = defineLayout('iphdr', { size: 20, align: 4 }, {
  version_ihl: { offset: 0, type: 'u8', doc: 'version 4 in bits 7:4, header length in 32-bit words in bits 3:0' },
  tos: { offset: 1, type: 'u8' },
  total_length: { offset: 2, type: 'u16', doc: 'header + payload bytes' },
  id: { offset: 4, type: 'u16' },
  frag: { offset: 6, type: 'u16', doc: 'flags in bits 15:13 (DF 0x4000, MF 0x2000), fragment offset in 12:0' },
  ttl: { offset: 8, type: 'u8' },
  protocol: { offset: 9, type: 'u8', doc: 'IPPROTO_ICMP 1, IPPROTO_UDP 17' },
  checksum: { offset: 10, type: 'u16', doc: 'over the header only' },
  saddr: { offset: 12, type: 'u32' },
  daddr: { offset: 16, type: 'u32' },
});

/** ICMP echo request / reply header; the data follows */
export const icmpEcho = defineLayout('icmp_echo', { size: 8, align: 2 }, {
  type: { offset: 0, type: 'u8', doc: 'ICMP_ECHOREPLY 0, ICMP_ECHO 8' },
  code: { offset: 1, type: 'u8' },
  checksum: { offset: 2, type: 'u16', doc: 'over the whole ICMP message' },
  id: { offset: 4, type: 'u16' },
  sequence: { offset: 6, type: 'u16' },
});

/** UDP header; the payload follows */
export const udpHeader = defineLayout('udphdr', { size: 8, align: 2 }, {
  source: { offset: 0, type: 'u16' },
  dest: { offset: 2, type: 'u16' },
  length: { offset: 4, type: 'u16', doc: 'header + payload bytes' },
  check: { offset: 6, type: 'u16', doc: 'over the pseudo header + datagram; 0 = none; a computed 0 is sent as 0xffff' },
});

export const ETH_ALEN = 6;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const IPV4_VERSION = 4;
export const IPV4_MIN_IHL = 5;
export const IP_MF = 0x2000;
export const IP_OFFMASK = 0x1fff;
export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;
export const ICMP_ECHOREPLY = 0;
export const ICMP_ECHO = 8;
/** the echo service (RFC 862) */
export const UDP_ECHO_PORT = 7;
export const ETH_BROADCAST: readonly number[] = Object.freeze([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** a big-endian field of a frame at `base`; undefined when the frame is too short (a hostile frame is data) */
export function netGet(b: Uint8Array, base: number, f: Field): number | undefined {
  const at = base + f.offset;
  if (at < 0 || at + f.size > b.length) return undefined;
  switch (f.type) {
    case 'u8':
      return b[at]!;
    case 'u16':
      return (b[at]! << 8) | b[at + 1]!;
    case 'u32':
      return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
    default:
      throw new Error(`netGet: ${f.name} is not a u8/u16/u32 field`);
  }
}

/** store a big-endian field (the frame is ours and long enough: a miss is a bug of our code) */
export function netSet(b: Uint8Array, base: number, f: Field, value: number): void {
  const at = base + f.offset;
  if (at < 0 || at + f.size > b.length) throw new RangeError(`netSet: ${f.name} at ${at} outside a frame of ${b.length}`);
  switch (f.type) {
    case 'u8':
      b[at] = value & 0xff;
      return;
    case 'u16':
      b[at] = (value >>> 8) & 0xff;
      b[at + 1] = value & 0xff;
      return;
    case 'u32':
      b[at] = (value >>> 24) & 0xff;
      b[at + 1] = (value >>> 16) & 0xff;
      b[at + 2] = (value >>> 8) & 0xff;
      b[at + 3] = value & 0xff;
      return;
    default:
      throw new Error(`netSet: ${f.name} is not a u8/u16/u32 field`);
  }
}

/** a byte-array field (a MAC); undefined when the frame is too short */
export function netBytes(b: Uint8Array, base: number, f: Field): Uint8Array | undefined {
  const at = base + f.offset;
  return at < 0 || at + f.size > b.length ? undefined : b.subarray(at, at + f.size);
}

/** the ones'-complement sum of 16-bit big-endian words over [start, end), folded, not inverted (RFC 1071) */
export function onesSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  // an odd last byte is padded with a zero byte on the right
  if (i < end) sum += b[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** the Internet checksum of [start, end): the ones' complement of the ones'-complement sum */
export function inetChecksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/** the UDP pseudo-header sum (saddr, daddr, zero, protocol, UDP length), folded */
export function pseudoHeaderSum(saddr: number, daddr: number, protocol: number, length: number): number {
  let sum = (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + protocol + length;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** "a.b.c.d" → the address as a u32; undefined unless four decimal parts 0..255 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

export function formatIpv4(addr: number): string {
  return [addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff].join('.');
}
