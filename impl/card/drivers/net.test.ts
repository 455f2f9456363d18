/**
 * The card's net driver and IPv4 responder, driven from a minimal host user process on the real
 * char device: frames go to the card behind a virtio_net_hdr through COPY_DESC on vr 0, replies come
 * back on vr 1 and are checked byte for byte against frames whose checksums were worked out by hand.
 * Hostile frames are dropped and counted; the receive queue stays full.
 */
import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { HostUser, NET } from '../host-user.ts';
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const toHex = (b: Uint8Array | undefined): string => (b === undefined ? 'nothing' : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
/** mpssd marks frames to the card DATA_VALID (facts §8.4) */
const RX_HDR = hex('02 00 0000 0000 0000 0000');
const TX_HDR = hex('00 00 0000 0000 0000 0000');
const CARD_MAC = '024d49430000';
const HOST_MAC = '0a0b0c0d0e0f';

function booted(dma = false) {
  const sys = createReferenceSystem({ cardDrivers: true, trace: false, dma });
  expect(sys.writeAttr(0, 'cmdline', 'clocksource=tsc ifcfg=static;address,172.31.1.1;netmask,255.255.255.0')).toEqual({ ok: true });
  expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
  sys.settle();
  const host = new HostUser(sys);
  const fd = host.add(NET);
  sys.settle();
  const svc = sys.cardServices(0);
  const toCard = (frame: Uint8Array): void => {
    const b = new Uint8Array(RX_HDR.length + frame.length);
    b.set(RX_HDR);
    b.set(frame, RX_HDR.length);
    expect(host.put(fd, 0, b)).toBe(b.length);
    sys.settle();
  };
  /** the next frame the card sent, its header checked and stripped */
  const fromCard = (): Uint8Array | undefined => {
    const b = host.take(fd, 1);
    if (b === undefined) return undefined;
    expect(toHex(b.subarray(0, 10))).toBe(toHex(TX_HDR));
    return b.subarray(10);
  };
  return { sys, host, fd, svc, toCard, fromCard };
}

const ARP_REQUEST = hex(`ffffffffffff ${HOST_MAC} 0806 0001 0800 06 04 0001 ${HOST_MAC} ac1f01fe 000000000000 ac1f0101`);
const ARP_REPLY = hex(`${HOST_MAC} ${CARD_MAC} 0806 0001 0800 06 04 0002 ${CARD_MAC} ac1f0101 ${HOST_MAC} ac1f01fe`);
const PING = hex(`${CARD_MAC} ${HOST_MAC} 0800  4500 0020 1c46 4000 4001 c359 ac1f01fe ac1f0101  0800 2104 1234 0001 61626364`);
const PONG = hex(`${HOST_MAC} ${CARD_MAC} 0800  4500 0020 0001 0000 4001 1f9f ac1f0101 ac1f01fe  0000 2904 1234 0001 61626364`);
const UDP_ECHO = hex(`${CARD_MAC} ${HOST_MAC} 0800  4500 001e 1c47 4000 4011 c34a ac1f01fe ac1f0101  3039 0007 000a 0bf3 6869`);
const UDP_REPLY = hex(`${HOST_MAC} ${CARD_MAC} 0800  4500 001e 0002 0000 4011 1f90 ac1f0101 ac1f01fe  0007 3039 000a 0bf3 6869`);

describe('card net driver and IPv4 responder over the host char device', () => {
  test('the address comes from the command line; the MAC is locally administered unicast from the card id', () => {
    const { svc } = booted();
    expect(svc.ip.address).toBe('172.31.1.1');
    expect(toHex(svc.net.mac)).toBe(CARD_MAC);
    expect(svc.net.mac[0]! & 0x03).toBe(0x02);
    expect(svc.net.live).toBe(true);
  });

  test.each([false, true])('ARP request → reply, ICMP echo → reply, UDP echo → reply, byte for byte (DMA %s)', (dma) => {
    const { svc, toCard, fromCard } = booted(dma);
    toCard(ARP_REQUEST);
    expect(toHex(fromCard())).toBe(toHex(ARP_REPLY));
    toCard(PING);
    expect(toHex(fromCard())).toBe(toHex(PONG));
    toCard(UDP_ECHO);
    expect(toHex(fromCard())).toBe(toHex(UDP_REPLY));
    expect(fromCard()).toBeUndefined();
    expect(svc.ip.stats).toEqual({ arpReplies: 1, echoReplies: 1, udpEchoes: 1, dropped: 0 });
    expect(svc.net.stats).toMatchObject({ rxFrames: 3, txFrames: 3, rxDropped: 0, rxEmpty: 0 });
  });

  test('hostile and foreign frames: no reply, counted, no crash; Ethernet padding after the IP datagram is fine', () => {
    const { svc, toCard, fromCard } = booted();
    const bad = (f: Uint8Array, at: number, v: number) => {
      const c = f.slice();
      c[at] = v;
      return c;
    };
    const cases = [
      new Uint8Array(0),
      hex('ff'),
      ARP_REQUEST.subarray(0, 41),
      bad(ARP_REQUEST, 41, 0x02), // another address
      bad(ARP_REQUEST, 21, 0x02), // a reply, not a request
      bad(PING, 0, 0x0c), // another MAC
      bad(PING, 24, 0xc4), // IP header checksum wrong
      bad(PING, 37, 0x05), // ICMP checksum wrong
      bad(PING, 14, 0x46), // IHL 6 without options room
      bad(bad(PING, 16, 0xff), 17, 0xff), // total length past the frame
      bad(UDP_ECHO, 41, 0xf4), // UDP checksum wrong
      bad(bad(UDP_ECHO, 36, 0x00), 37, 0x35), // another port (53)
      bad(PING, 6, 0x01), // a multicast source
      PING.subarray(0, 40), // truncated
    ];
    for (const f of cases) toCard(f);
    expect(fromCard()).toBeUndefined();
    expect(svc.ip.stats.dropped).toBe(cases.length);
    const padded = new Uint8Array(PING.length + 18);
    padded.set(PING);
    toCard(padded);
    expect(toHex(fromCard())).toBe(toHex(PONG));
  });

  test('every receive buffer reaped is posted again: the receive queue stays full after a burst', () => {
    const { sys, svc, toCard, fromCard } = booted();
    const dev = sys.cardVirtio(0)[0]!;
    // two descriptors a buffer (header, data): 64 buffers fill the 128 entries
    expect(dev.inFlight(0)).toBe(64);
    const seen: number[] = [];
    svc.net.onFrame((f) => seen.push(f.length));
    for (let i = 0; i < 300; i++) toCard(new Uint8Array(60 + i));
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => 60 + i));
    expect(dev.inFlight(0)).toBe(64);
    expect(svc.net.stats.refills).toBe(64 + 300);
    expect(svc.net.stats.rxEmpty).toBe(0);
    expect(fromCard()).toBeUndefined();
  });

  test('a frame the card sends arrives behind a zero header; a reset loses what was in flight', () => {
    const { sys, svc, fromCard } = booted();
    const frame = Uint8Array.from({ length: 1514 }, (_, i) => (i * 3) & 0xff);
    expect(svc.net.send(frame)).toBe(true);
    expect(toHex(fromCard())).toBe(toHex(frame));
    expect(svc.net.send(frame)).toBe(true);
    expect(svc.net.send(frame)).toBe(true);
    sys.cardVirtio(0)[0]!.reset();
    expect(svc.net.send(frame)).toBe(false);
    sys.settle();
    expect(svc.detached()).toEqual({ console: 0, net: 2, blk: [] });
    expect(svc.net.live).toBe(true);
    expect(sys.cardVirtio(0)[0]!.inFlight(0)).toBe(64);
  });
});
