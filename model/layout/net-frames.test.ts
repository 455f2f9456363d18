/**
 * The frame tables and checksums against frames whose bytes and checksums were worked out by hand
 * (no compiler needed): the IPv4 header of the well-known worked example (checksum 0xb861), an ARP
 * request, an ICMP echo request and a UDP datagram with its pseudo header.
 */
import { describe, expect, test } from 'vitest';
import {
  arpPacket, ARPOP_REQUEST, ETH_P_ARP, ethHeader, formatIpv4, icmpEcho, inetChecksum, ipv4Header, netBytes, netGet, netSet, onesSum, parseIpv4,
  pseudoHeaderSum, udpHeader,
} from './net-frames.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

describe('network frame tables (RFC 894, 826, 791, 792, 768)', () => {
  test('sizes and offsets', () => {
    expect([ethHeader.size, arpPacket.size, ipv4Header.size, icmpEcho.size, udpHeader.size]).toEqual([14, 28, 20, 8, 8]);
    expect(ethHeader.fields.ethertype.offset).toBe(12);
    expect([arpPacket.fields.oper.offset, arpPacket.fields.sha.offset, arpPacket.fields.spa.offset, arpPacket.fields.tha.offset, arpPacket.fields.tpa.offset]).toEqual([6, 8, 14, 18, 24]);
    expect([ipv4Header.fields.total_length.offset, ipv4Header.fields.ttl.offset, ipv4Header.fields.protocol.offset, ipv4Header.fields.checksum.offset]).toEqual([2, 8, 9, 10]);
    expect([ipv4Header.fields.saddr.offset, ipv4Header.fields.daddr.offset]).toEqual([12, 16]);
    expect([udpHeader.fields.length.offset, udpHeader.fields.check.offset, icmpEcho.fields.sequence.offset]).toEqual([4, 6, 6]);
  });

  test('IPv4 header checksum: the worked example 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7', () => {
    const h = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
    expect(inetChecksum(h, 0, 20)).toBe(0);
    expect(netGet(h, 0, ipv4Header.fields.checksum)).toBe(0xb861);
    netSet(h, 0, ipv4Header.fields.checksum, 0);
    expect(inetChecksum(h, 0, 20)).toBe(0xb861);
    expect(netGet(h, 0, ipv4Header.fields.total_length)).toBe(0x73);
    expect(netGet(h, 0, ipv4Header.fields.protocol)).toBe(17);
    expect(formatIpv4(netGet(h, 0, ipv4Header.fields.daddr)!)).toBe('192.168.0.199');
  });

  test('an ARP request parses field by field (big-endian)', () => {
    const f = hex('ffffffffffff 001122334455 0806  0001 0800 06 04 0001 001122334455 c0a80001 000000000000 c0a80002');
    expect(f.length).toBe(42);
    expect(netGet(f, 0, ethHeader.fields.ethertype)).toBe(ETH_P_ARP);
    expect(Array.from(netBytes(f, 0, ethHeader.fields.src)!)).toEqual([0, 0x11, 0x22, 0x33, 0x44, 0x55]);
    expect(netGet(f, 14, arpPacket.fields.oper)).toBe(ARPOP_REQUEST);
    expect(netGet(f, 14, arpPacket.fields.spa)).toBe(parseIpv4('192.168.0.1'));
    expect(netGet(f, 14, arpPacket.fields.tpa)).toBe(0xc0a80002);
    // a short frame reads as nothing, never as bytes past its end
    expect(netGet(f.subarray(0, 40), 14, arpPacket.fields.tpa)).toBeUndefined();
  });

  test('ICMP echo request id 1 seq 1 data "abcd": checksum 0x3337', () => {
    const m = hex('08 00 0000 0001 0001 61626364');
    expect(inetChecksum(m, 0, m.length)).toBe(0x3337);
    netSet(m, 0, icmpEcho.fields.checksum, 0x3337);
    expect(inetChecksum(m, 0, m.length)).toBe(0);
    // an odd length pads a zero byte on the right
    expect(onesSum(hex('0102 03'), 0, 3)).toBe(0x0102 + 0x0300);
  });

  test('UDP 172.31.1.254:12345 → 172.31.1.1:7 "hi": pseudo header and checksum 0x0bf3', () => {
    const d = hex('3039 0007 000a 0000 6869');
    const src = parseIpv4('172.31.1.254')!;
    const dst = parseIpv4('172.31.1.1')!;
    const ph = pseudoHeaderSum(src, dst, 17, 10);
    expect(inetChecksum(d, 0, d.length, ph)).toBe(0x0bf3);
    netSet(d, 0, udpHeader.fields.check, 0x0bf3);
    expect(inetChecksum(d, 0, d.length, ph)).toBe(0);
  });

  test('dotted quads', () => {
    expect(parseIpv4('172.31.1.1')).toBe(0xac1f0101);
    for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5', '', '01234.1.1.1']) expect(parseIpv4(bad)).toBeUndefined();
    expect(formatIpv4(0xac1f02fe)).toBe('172.31.2.254');
  });
});
