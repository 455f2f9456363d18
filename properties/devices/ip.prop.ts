/**
 * Claim: the card's IPv4 stack, reached from the host through the virtio-net device, answers
 *   exactly the requests meant for it and nothing else, byte for byte: each ARP request for its
 *   address (172.31.<id+1>.1 from the kernel command line the daemon set) gets one ARP reply naming
 *   the card's MAC; each ICMP echo request gets one echo reply with the same id, sequence and data;
 *   each UDP datagram to port 7 gets one datagram back with the same payload and the ports swapped;
 *   every reply has correct IPv4, ICMP and UDP checksums (checked by a routine of this file, not the
 *   stack's). Hostile frames (random bytes, truncated or over-long packets, wrong checksums, other
 *   addresses, fragments, IP options lengths that lie) get no reply, never stop the stack, and are
 *   counted as dropped; a valid request after them is still answered.
 * Source: facts §8.5 (card address from the command line), §8.4 (net loop, DATA_VALID); NET-02;
 *   issue 10 item 2.
 * Level: hostile
 */
import fc from 'fast-check';
import type { Implementation } from '../../model/contract.ts';
import {
  ARPOP_REPLY, ARPOP_REQUEST, arpPacket, ETH_P_ARP, ETH_P_IP, ethHeader, ICMP_ECHO, ICMP_ECHOREPLY, icmpEcho, IPPROTO_ICMP, IPPROTO_UDP, ipv4Header, UDP_ECHO_PORT, udpHeader,
} from '../../model/layout/net-frames.ts';
import { defineProperty } from '../harness.ts';
import { DevWorld } from './world.ts';

const E = ethHeader.size;
const IP = ipv4Header.size;
const HOST_MAC = [0x02, 0, 0, 0, 0, 0xfe];
const HOST_IP = [172, 31, 1, 254];
const CARD_IP = [172, 31, 1, 1];

/** the Internet checksum (RFC 1071), written here independently of the stack's */
function checksum(b: Uint8Array, start: number, end: number, pseudo = 0): number {
  let sum = pseudo;
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
};
const get16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

function eth(dst: readonly number[], type: number, payloadLen: number): Uint8Array {
  const f = new Uint8Array(E + payloadLen);
  f.set(dst, ethHeader.fields.dst.offset);
  f.set(HOST_MAC, ethHeader.fields.src.offset);
  put16(f, ethHeader.fields.ethertype.offset, type);
  return f;
}

function arpRequest(target: readonly number[]): Uint8Array {
  const f = eth([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ETH_P_ARP, arpPacket.size);
  const a = arpPacket.fields;
  put16(f, E + a.htype.offset, 1);
  put16(f, E + a.ptype.offset, ETH_P_IP);
  f[E + a.hlen.offset] = 6;
  f[E + a.plen.offset] = 4;
  put16(f, E + a.oper.offset, ARPOP_REQUEST);
  f.set(HOST_MAC, E + a.sha.offset);
  f.set(HOST_IP, E + a.spa.offset);
  f.set(target, E + a.tpa.offset);
  return f;
}

function ipPacket(cardMac: Uint8Array, dst: readonly number[], proto: number, payload: Uint8Array, id: number): Uint8Array {
  const f = eth([...cardMac], ETH_P_IP, IP + payload.length);
  const h = ipv4Header.fields;
  f[E + h.version_ihl.offset] = 0x45;
  put16(f, E + h.total_length.offset, IP + payload.length);
  put16(f, E + h.id.offset, id);
  f[E + h.ttl.offset] = 64;
  f[E + h.protocol.offset] = proto;
  f.set(HOST_IP, E + h.saddr.offset);
  f.set(dst, E + h.daddr.offset);
  put16(f, E + h.checksum.offset, checksum(f, E, E + IP));
  f.set(payload, E + IP);
  return f;
}

function icmpRequest(cardMac: Uint8Array, id: number, seq: number, data: Uint8Array, dst: readonly number[] = CARD_IP): Uint8Array {
  const m = new Uint8Array(icmpEcho.size + data.length);
  const c = icmpEcho.fields;
  m[c.type.offset] = ICMP_ECHO;
  put16(m, c.id.offset, id);
  put16(m, c.sequence.offset, seq);
  m.set(data, icmpEcho.size);
  put16(m, c.checksum.offset, checksum(m, 0, m.length));
  return ipPacket(cardMac, dst, IPPROTO_ICMP, m, seq);
}

const pseudo = (src: readonly number[], dst: readonly number[], len: number): number =>
  ((src[0]! << 8) | src[1]!) + ((src[2]! << 8) | src[3]!) + ((dst[0]! << 8) | dst[1]!) + ((dst[2]! << 8) | dst[3]!) + IPPROTO_UDP + len;

function udpRequest(cardMac: Uint8Array, sport: number, data: Uint8Array, id: number): Uint8Array {
  const u = new Uint8Array(udpHeader.size + data.length);
  const c = udpHeader.fields;
  put16(u, c.source.offset, sport);
  put16(u, c.dest.offset, UDP_ECHO_PORT);
  put16(u, c.length.offset, u.length);
  u.set(data, udpHeader.size);
  const s = checksum(u, 0, u.length, pseudo(HOST_IP, CARD_IP, u.length));
  put16(u, c.check.offset, s === 0 ? 0xffff : s);
  return ipPacket(cardMac, CARD_IP, IPPROTO_UDP, u, id);
}

type Req =
  | { readonly kind: 'arp' }
  | { readonly kind: 'icmp'; readonly id: number; readonly data: Uint8Array }
  | { readonly kind: 'udp'; readonly port: number; readonly data: Uint8Array }
  | { readonly kind: 'hostile'; readonly how: 'random' | 'truncate' | 'ipsum' | 'l4sum' | 'otherIp' | 'fragment' | 'lyingLength' | 'arpOther'; readonly bytes: Uint8Array; readonly cut: number };

const reqArb: fc.Arbitrary<Req> = fc.oneof(
  fc.constant({ kind: 'arp' as const }),
  fc.record({ kind: fc.constant('icmp' as const), id: fc.nat(0xffff), data: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('udp' as const), port: fc.integer({ min: 1024, max: 65535 }), data: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({
    kind: fc.constant('hostile' as const),
    how: fc.constantFrom('random', 'truncate', 'ipsum', 'l4sum', 'otherIp', 'fragment', 'lyingLength', 'arpOther'),
    bytes: fc.uint8Array({ minLength: 0, maxLength: 120 }),
    cut: fc.nat(80),
  }),
);

function build(r: Req, mac: Uint8Array, n: number): Uint8Array {
  switch (r.kind) {
    case 'arp':
      return arpRequest(CARD_IP);
    case 'icmp':
      return icmpRequest(mac, r.id, n & 0xffff, r.data);
    case 'udp':
      return udpRequest(mac, r.port, r.data, n & 0xffff);
  }
  const good = udpRequest(mac, 4000, r.bytes.length > 0 ? r.bytes : new Uint8Array([1]), n & 0xffff);
  switch (r.how) {
    case 'random': {
      // random bytes behind an IPv4 or ARP EtherType: the stack must parse and refuse them
      const f = eth([...mac], r.cut % 2 === 0 ? ETH_P_IP : ETH_P_ARP, r.bytes.length);
      f.set(r.bytes, E);
      return f;
    }
    case 'truncate':
      return good.slice(0, Math.min(good.length - 1, E + (r.cut % (IP + udpHeader.size))));
    case 'ipsum':
      good[E + ipv4Header.fields.checksum.offset]! ^= 0x01;
      return good;
    case 'l4sum': {
      const at = E + IP + udpHeader.fields.check.offset;
      put16(good, at, get16(good, at) === 0x0001 ? 0x0002 : 0x0001);
      return good;
    }
    case 'otherIp':
      return icmpRequest(mac, 1, 1, r.bytes, [172, 31, 1, 2 + (r.cut % 200)]);
    case 'fragment': {
      put16(good, E + ipv4Header.fields.frag.offset, 0x2000);
      put16(good, E + ipv4Header.fields.checksum.offset, 0);
      put16(good, E + ipv4Header.fields.checksum.offset, checksum(good, E, E + IP));
      return good;
    }
    case 'lyingLength': {
      // total length larger than the frame, header checksum fixed so only the length is wrong
      put16(good, E + ipv4Header.fields.total_length.offset, good.length - E + 1 + (r.cut % 500));
      put16(good, E + ipv4Header.fields.checksum.offset, 0);
      put16(good, E + ipv4Header.fields.checksum.offset, checksum(good, E, E + IP));
      return good;
    }
    case 'arpOther':
      return arpRequest([172, 31, 1, 2 + (r.cut % 200)]);
  }
}

/** the one reply a valid request must get, checked field by field; a message when it is wrong */
function checkReply(r: Req, req: Uint8Array, rep: Uint8Array, mac: Uint8Array): string | undefined {
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((x, i) => x === b[i]);
  const slice = (at: number, n: number): Uint8Array => rep.subarray(at, at + n);
  if (!same(slice(ethHeader.fields.dst.offset, 6), HOST_MAC)) return 'the reply is not addressed to the host MAC';
  if (!same(slice(ethHeader.fields.src.offset, 6), mac)) return 'the reply does not come from the card MAC';
  if (r.kind === 'arp') {
    const a = arpPacket.fields;
    if (get16(rep, ethHeader.fields.ethertype.offset) !== ETH_P_ARP || rep.length < E + arpPacket.size) return 'not an ARP reply';
    if (get16(rep, E + a.oper.offset) !== ARPOP_REPLY) return 'ARP oper is not reply';
    if (!same(slice(E + a.sha.offset, 6), mac) || !same(slice(E + a.spa.offset, 4), CARD_IP)) return 'ARP reply names the wrong sender';
    if (!same(slice(E + a.tha.offset, 6), HOST_MAC) || !same(slice(E + a.tpa.offset, 4), HOST_IP)) return 'ARP reply names the wrong target';
    return undefined;
  }
  const h = ipv4Header.fields;
  if (get16(rep, ethHeader.fields.ethertype.offset) !== ETH_P_IP) return 'not IPv4';
  if ((rep[E]! & 0x0f) !== 5 || rep[E]! >> 4 !== 4) return 'bad version/IHL';
  if (checksum(rep, E, E + IP) !== 0) return 'bad IPv4 header checksum';
  const total = get16(rep, E + h.total_length.offset);
  if (total !== get16(req, E + h.total_length.offset) || rep.length !== E + total) return `IPv4 total length ${total} (frame ${rep.length}) differs from the request's`;
  if (!same(slice(E + h.saddr.offset, 4), CARD_IP) || !same(slice(E + h.daddr.offset, 4), HOST_IP)) return 'IPv4 addresses not swapped';
  const body = rep.subarray(E + IP);
  const reqBody = req.subarray(E + IP);
  if (r.kind === 'icmp') {
    const c = icmpEcho.fields;
    if (body[c.type.offset] !== ICMP_ECHOREPLY || body[c.code.offset] !== 0) return 'not an echo reply';
    if (checksum(body, 0, body.length) !== 0) return 'bad ICMP checksum';
    if (get16(body, c.id.offset) !== get16(reqBody, c.id.offset) || get16(body, c.sequence.offset) !== get16(reqBody, c.sequence.offset)) return 'echo id/sequence changed';
    if (!same(body.subarray(icmpEcho.size), reqBody.subarray(icmpEcho.size))) return 'echo data changed';
    return undefined;
  }
  const c = udpHeader.fields;
  if (get16(body, c.source.offset) !== UDP_ECHO_PORT || get16(body, c.dest.offset) !== get16(reqBody, c.source.offset)) return 'UDP ports not swapped';
  if (get16(body, c.length.offset) !== body.length) return 'UDP length wrong';
  if (get16(body, c.check.offset) !== 0 && checksum(body, 0, body.length, pseudo(CARD_IP, HOST_IP, body.length)) !== 0) return 'bad UDP checksum';
  if (!same(body.subarray(udpHeader.size), reqBody.subarray(udpHeader.size))) return 'UDP payload changed';
  return undefined;
}

function check(impl: Implementation, reqs: readonly Req[]): void {
  const w = new DevWorld(impl, { console: false, block: false });
  if (!w.waitLive({ net: true })) throw new Error('the net device never came up');
  const ip = w.services.ip;
  if (ip.address !== '172.31.1.1') throw new Error(`the card's address is ${ip.address}, the command line says 172.31.1.1 (facts §8.5)`);
  const mac = w.services.net.mac;
  const dropped0 = ip.stats.dropped;
  let hostile = 0;
  reqs.forEach((r, n) => {
    const frame = build(r, mac, n + 1);
    const before = w.net.fromCard.length;
    w.net.toCard.push(frame);
    // a reply is due at once; give the system time to bring it (and to bring a wrong extra one)
    w.run(() => false, 4000);
    const replies = w.net.fromCard.slice(before);
    if (r.kind === 'hostile') {
      hostile++;
      if (replies.length > 0) throw new Error(`request ${n}: a hostile frame (${r.how}) got ${replies.length} replies`);
      return;
    }
    if (replies.length !== 1) throw new Error(`request ${n} (${r.kind}): ${replies.length} replies, expected 1`);
    const why = checkReply(r, frame, replies[0]!, mac);
    if (why !== undefined) throw new Error(`request ${n} (${r.kind}): ${why}`);
  });
  if (ip.stats.dropped - dropped0 < hostile) throw new Error(`${hostile} hostile frames, only ${ip.stats.dropped - dropped0} counted as dropped`);
}

export const devicesIp = defineProperty({
  id: 'devices.ip',
  claim: 'the card answers ARP, ICMP echo and UDP echo for its address byte for byte, and nothing hostile',
  source: 'NET-02; facts §8.4, §8.5',
  level: 'hostile',
  requires: ['system', 'daemon'],
  runs: 15,
  build: (impl) =>
    fc.property(fc.array(reqArb, { minLength: 1, maxLength: 12 }), (reqs) => {
      check(impl, reqs);
      return true;
    }),
});
