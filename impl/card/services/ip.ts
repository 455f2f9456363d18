/**
 * The card's small IPv4 stack on its virtio-net device (issue 10 item 2): it answers ARP requests
 * for its address, ICMP echo requests and UDP echo (port 7), and drops (and counts) everything else.
 * Its address comes from the kernel command line the daemon set (facts §8.5: `ifcfg=static;
 * address,172.31.<id+1>.1;...`). Frames are hostile input: every length and checksum is checked
 * before a byte is used, and nothing here throws on a frame.
 *
 * Replies: ARP 42 bytes (no padding to 60: the virtio device carries frames as they are); IPv4
 * without options, id from a counter starting at 1, flags 0, TTL 64; ICMP and UDP payloads copied.
 */
import type { CardIp } from '../../../model/contract.ts';
import {
  ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST, arpPacket, ETH_ALEN, ETH_P_ARP, ETH_P_IP, ethHeader, ICMP_ECHO, ICMP_ECHOREPLY, icmpEcho, inetChecksum,
  IP_MF, IP_OFFMASK, IPPROTO_ICMP, IPPROTO_UDP, IPV4_MIN_IHL, IPV4_VERSION, ipv4Header, netGet, netSet, parseIpv4, pseudoHeaderSum, UDP_ECHO_PORT,
  udpHeader, formatIpv4,
} from '../../../model/layout/net-frames.ts';

export const REPLY_TTL = 64;
const E = ethHeader.size;

/** the address of `ifcfg=static;address,A.B.C.D;...` in a kernel command line */
export function addressFromCmdline(cmdline: string): number | undefined {
  for (const word of cmdline.split(/\s+/)) {
    if (!word.startsWith('ifcfg=')) continue;
    for (const part of word.slice('ifcfg='.length).split(';')) if (part.startsWith('address,')) return parseIpv4(part.slice('address,'.length));
  }
  return undefined;
}

export class IpStack implements CardIp {
  private addr: number | undefined;
  private nextId = 1;
  readonly stats = { arpReplies: 0, echoReplies: 0, udpEchoes: 0, dropped: 0 };

  constructor(
    private readonly mac: Uint8Array,
    private readonly send: (frame: Uint8Array) => boolean,
  ) {}

  get address(): string | undefined {
    return this.addr === undefined ? undefined : formatIpv4(this.addr);
  }

  /** a new boot's command line */
  configure(cmdline: string | undefined): void {
    this.addr = cmdline === undefined ? undefined : addressFromCmdline(cmdline);
  }

  input(frame: Uint8Array): void {
    if (!this.handle(frame)) this.stats.dropped++;
  }

  private handle(f: Uint8Array): boolean {
    if (this.addr === undefined || f.length < E) return false;
    const broadcast = f[0] === 0xff && f[1] === 0xff && f[2] === 0xff && f[3] === 0xff && f[4] === 0xff && f[5] === 0xff;
    if (!broadcast && !this.isMine(f)) return false;
    // a multicast source gets no answer
    if ((f[ethHeader.fields.src.offset]! & 1) !== 0) return false;
    const type = netGet(f, 0, ethHeader.fields.ethertype);
    if (type === ETH_P_ARP) return this.arp(f);
    if (type === ETH_P_IP && !broadcast) return this.ip(f);
    return false;
  }

  private isMine(f: Uint8Array): boolean {
    for (let i = 0; i < ETH_ALEN; i++) if (f[i] !== this.mac[i]) return false;
    return true;
  }

  private arp(f: Uint8Array): boolean {
    const a = arpPacket.fields;
    if (f.length < E + arpPacket.size) return false;
    if (netGet(f, E, a.htype) !== ARPHRD_ETHER || netGet(f, E, a.ptype) !== ETH_P_IP) return false;
    if (netGet(f, E, a.hlen) !== ETH_ALEN || netGet(f, E, a.plen) !== 4) return false;
    if (netGet(f, E, a.oper) !== ARPOP_REQUEST || netGet(f, E, a.tpa) !== this.addr) return false;
    const r = new Uint8Array(E + arpPacket.size);
    this.ethernet(r, f, ETH_P_ARP);
    netSet(r, E, a.htype, ARPHRD_ETHER);
    netSet(r, E, a.ptype, ETH_P_IP);
    netSet(r, E, a.hlen, ETH_ALEN);
    netSet(r, E, a.plen, 4);
    netSet(r, E, a.oper, ARPOP_REPLY);
    r.set(this.mac, E + a.sha.offset);
    netSet(r, E, a.spa, this.addr!);
    r.set(f.subarray(E + a.sha.offset, E + a.sha.offset + ETH_ALEN), E + a.tha.offset);
    netSet(r, E, a.tpa, netGet(f, E, a.spa)!);
    if (!this.send(r)) return false;
    this.stats.arpReplies++;
    return true;
  }

  /** reply's Ethernet header: back to the sender, from us */
  private ethernet(r: Uint8Array, f: Uint8Array, type: number): void {
    const h = ethHeader.fields;
    r.set(f.subarray(h.src.offset, h.src.offset + ETH_ALEN), h.dst.offset);
    r.set(this.mac, h.src.offset);
    netSet(r, 0, h.ethertype, type);
  }

  private ip(f: Uint8Array): boolean {
    const h = ipv4Header.fields;
    if (f.length < E + ipv4Header.size) return false;
    const vi = netGet(f, E, h.version_ihl)!;
    if (vi >> 4 !== IPV4_VERSION) return false;
    const hl = (vi & 0xf) * 4;
    const total = netGet(f, E, h.total_length)!;
    if (hl < IPV4_MIN_IHL * 4 || total < hl || E + total > f.length) return false;
    if (inetChecksum(f, E, E + hl) !== 0) return false;
    const frag = netGet(f, E, h.frag)!;
    if ((frag & IP_MF) !== 0 || (frag & IP_OFFMASK) !== 0) return false;
    if (netGet(f, E, h.daddr) !== this.addr) return false;
    const src = netGet(f, E, h.saddr)!;
    // no answer to an unspecified, multicast or broadcast source
    if (src === 0 || src >>> 28 >= 0xe) return false;
    const payload = f.subarray(E + hl, E + total);
    const proto = netGet(f, E, h.protocol);
    if (proto === IPPROTO_ICMP) return this.icmp(f, src, payload);
    if (proto === IPPROTO_UDP) return this.udp(f, src, payload);
    return false;
  }

  private icmp(f: Uint8Array, src: number, m: Uint8Array): boolean {
    const c = icmpEcho.fields;
    if (m.length < icmpEcho.size || netGet(m, 0, c.type) !== ICMP_ECHO || netGet(m, 0, c.code) !== 0) return false;
    if (inetChecksum(m, 0, m.length) !== 0) return false;
    const r = this.ipReply(f, src, IPPROTO_ICMP, m);
    const at = E + ipv4Header.size;
    netSet(r, at, c.type, ICMP_ECHOREPLY);
    netSet(r, at, c.checksum, 0);
    netSet(r, at, c.checksum, inetChecksum(r, at, r.length));
    if (!this.send(r)) return false;
    this.stats.echoReplies++;
    return true;
  }

  private udp(f: Uint8Array, src: number, d: Uint8Array): boolean {
    const u = udpHeader.fields;
    const len = netGet(d, 0, u.length);
    if (len === undefined || len < udpHeader.size || len > d.length || netGet(d, 0, u.dest) !== UDP_ECHO_PORT) return false;
    const dgram = d.subarray(0, len);
    const check = netGet(dgram, 0, u.check)!;
    if (check !== 0 && inetChecksum(dgram, 0, len, pseudoHeaderSum(src, this.addr!, IPPROTO_UDP, len)) !== 0) return false;
    const r = this.ipReply(f, src, IPPROTO_UDP, dgram);
    const at = E + ipv4Header.size;
    netSet(r, at, u.source, netGet(dgram, 0, u.dest)!);
    netSet(r, at, u.dest, netGet(dgram, 0, u.source)!);
    netSet(r, at, u.check, 0);
    const sum = inetChecksum(r, at, r.length, pseudoHeaderSum(this.addr!, src, IPPROTO_UDP, len));
    // a computed 0 is sent as all ones: 0 means "no checksum" (RFC 768)
    netSet(r, at, u.check, sum === 0 ? 0xffff : sum);
    if (!this.send(r)) return false;
    this.stats.udpEchoes++;
    return true;
  }

  /** Ethernet + a 20-byte IPv4 header back to `dst`, with `body` copied after it */
  private ipReply(f: Uint8Array, dst: number, proto: number, body: Uint8Array): Uint8Array {
    const h = ipv4Header.fields;
    const r = new Uint8Array(E + ipv4Header.size + body.length);
    this.ethernet(r, f, ETH_P_IP);
    netSet(r, E, h.version_ihl, (IPV4_VERSION << 4) | IPV4_MIN_IHL);
    netSet(r, E, h.total_length, ipv4Header.size + body.length);
    netSet(r, E, h.id, this.nextId);
    this.nextId = (this.nextId + 1) & 0xffff;
    netSet(r, E, h.ttl, REPLY_TTL);
    netSet(r, E, h.protocol, proto);
    netSet(r, E, h.saddr, this.addr!);
    netSet(r, E, h.daddr, dst);
    netSet(r, E, h.checksum, inetChecksum(r, E, E + ipv4Header.size));
    r.set(body, E + ipv4Header.size);
    return r;
  }
}
