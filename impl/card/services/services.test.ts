/**
 * The per-card services across the card's life: the same object follows every OS generation
 * (crash, reset, boot), a device the host hot-removes lets its driver go and a new one is taken,
 * hostile frames never crash the IPv4 responder, and the block workload records its history.
 */
import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { BLOCK, CONSOLE, HostUser, USER_DATA } from '../host-user.ts';
import { IpStack, addressFromCmdline } from './ip.ts';
import { BlkWorkload } from './workload.ts';
import { inetChecksum } from '../../../model/layout/net-frames.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? '' : new TextDecoder().decode(b));

function world() {
  const sys = createReferenceSystem({ cardDrivers: true, trace: false });
  expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
  sys.settle();
  const host = new HostUser(sys);
  const printed = (fd: number) => {
    let out = '';
    for (let b = host.take(fd, 1); b !== undefined; b = host.take(fd, 1)) out += dec(b);
    return out;
  };
  return { sys, host, printed, svc: sys.cardServices(0) };
}

describe('card services across the card lifecycle', () => {
  test('a crash, a reset and a new boot: the same services object, new drivers, the console answers again', () => {
    const { sys, host, printed, svc } = world();
    const fd = host.add(CONSOLE);
    sys.settle();
    expect(printed(fd)).toBe('mic0$ ');
    const heard: string[] = [];
    svc.console.onInput((b) => heard.push(dec(b)));
    expect(svc.console.write(enc('in flight'))).toBe(9);
    expect(sys.cardPanic(0)).toEqual({ ok: true });
    sys.settle();
    expect(svc.console.live).toBe(false);
    expect(svc.detached().console).toBe(9);
    expect(sys.writeAttr(0, 'state', 'reset')).toEqual({ ok: true });
    sys.settle();
    expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
    sys.settle();
    expect(sys.cardServices(0)).toBe(svc);
    expect(svc.console.live).toBe(true);
    expect(printed(fd)).toBe('mic0$ ');
    host.put(fd, 0, enc('echo again\n'));
    sys.settle();
    expect(printed(fd)).toBe('again\nmic0$ ');
    expect(heard).toEqual(['echo again\n']);
  });

  test('host hot-remove lets the driver go; the next device of its type is taken', () => {
    const { sys, host, printed, svc } = world();
    const first = host.add(CONSOLE);
    sys.settle();
    printed(first);
    expect(sys.vop.close(first)).toEqual({ ok: true, value: 0 });
    sys.settle();
    expect(svc.console.live).toBe(false);
    const second = host.add(CONSOLE);
    sys.settle();
    expect(svc.console.live).toBe(true);
    expect(printed(second)).toBe('mic0$ ');
    // the card removes the device itself: gone again
    expect(sys.cardVirtio(0)[0]!.remove()).toBe(true);
    sys.settle();
    expect(svc.console.live).toBe(false);
  });

  test('without cardDrivers (the default without the daemon) no driver touches a device; a driver skips a device without its queues', () => {
    const bare = createReferenceSystem({ trace: false });
    bare.writeAttr(0, 'state', 'boot');
    bare.settle();
    new HostUser(bare).add(CONSOLE);
    bare.settle();
    expect(bare.cardVirtio(0)[0]!.live).toBe(true);
    expect(bare.cardVirtio(0)[0]!.inFlight(0)).toBe(0);
    expect(bare.cardServices(0).console.live).toBe(false);
    const { sys, host, svc } = world();
    host.add({ ...CONSOLE, numVq: 1 });
    sys.settle();
    expect(sys.cardVirtio(0)[0]!.inFlight(0)).toBe(0);
    expect(svc.console.live).toBe(false);
    host.add(CONSOLE);
    sys.settle();
    expect(svc.console.live).toBe(true);
  });

  test('the block workload records invoke and complete events in order', () => {
    const { sys, host, svc } = world();
    const fd = host.add(BLOCK, 1 << 2, Uint8Array.of(16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 126, 0, 0, 0));
    sys.settle();
    let seed = 7;
    const choose = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const w = new BlkWorkload(svc.blk, choose, () => sys.scheduler.now, { maxSectors: 2 });
    expect(w.submit(6)).toBe(6);
    expect(w.outstanding().length).toBe(6);
    // a crude device: every chain gets its status (OK) after whatever data it has
    for (let i = 0; i < 6; i++) {
      host.copy(fd, 0, [{ base: USER_DATA, len: 16 }], false);
      host.copy(fd, 0, [{ base: USER_DATA + 0x1000, len: 0x10000 }], true);
    }
    sys.settle();
    expect(w.outstanding()).toEqual([]);
    const kinds = w.events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'invoke').length).toBe(6);
    expect(kinds.indexOf('complete')).toBeGreaterThan(kinds.lastIndexOf('invoke'));
  });
});

describe('IPv4 responder against hostile frames', () => {
  test('the address is parsed from ifcfg=static;address,...', () => {
    expect(addressFromCmdline(' mem=8192M clocksource=tsc ifcfg=static;address,172.31.3.1;netmask,255.255.255.0')).toBe(0xac1f0301);
    expect(addressFromCmdline('ifcfg=dhcp')).toBeUndefined();
    expect(addressFromCmdline('ifcfg=static;address,999.1.1.1')).toBeUndefined();
  });

  test('10 000 mutated and random frames: no throw, every reply well formed, everything else counted as dropped', () => {
    const sent: Uint8Array[] = [];
    const ip = new IpStack(Uint8Array.of(2, 0x4d, 0x49, 0x43, 0, 0), (f) => (sent.push(f), true));
    ip.configure('ifcfg=static;address,172.31.1.1');
    const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
    const seeds = [
      hex('ffffffffffff 0a0b0c0d0e0f 0806 0001 0800 0604 0001 0a0b0c0d0e0f ac1f01fe 000000000000 ac1f0101'),
      hex('024d49430000 0a0b0c0d0e0f 0800 4500 0020 1c46 4000 4001 c359 ac1f01fe ac1f0101 0800 2104 1234 0001 61626364'),
      hex('024d49430000 0a0b0c0d0e0f 0800 4500 001e 1c47 4000 4011 c34a ac1f01fe ac1f0101 3039 0007 000a 0bf3 6869'),
    ];
    let s = 1;
    const rnd = (n: number) => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s % n;
    };
    let frames = 0;
    for (let i = 0; i < 10_000; i++) {
      let f: Uint8Array;
      if (i % 10 === 0) f = Uint8Array.from({ length: rnd(100) }, () => rnd(256));
      else {
        f = seeds[rnd(3)]!.slice(0, rnd(8) === 0 ? rnd(60) : undefined);
        for (let k = rnd(3); k > 0 && f.length > 0; k--) f[rnd(f.length)] = rnd(256);
      }
      ip.input(f);
      frames++;
    }
    const st = ip.stats;
    expect(st.arpReplies + st.echoReplies + st.udpEchoes + st.dropped).toBe(frames);
    expect(sent.length).toBe(st.arpReplies + st.echoReplies + st.udpEchoes);
    expect(st.dropped).toBeGreaterThan(0);
    for (const r of sent) {
      expect(Array.from(r.subarray(6, 12))).toEqual([2, 0x4d, 0x49, 0x43, 0, 0]);
      if (r[12] === 0x08 && r[13] === 0x00) {
        expect(inetChecksum(r, 14, 34)).toBe(0);
        if (r[23] === 1) expect(inetChecksum(r, 34, r.length)).toBe(0);
      }
    }
  });
});
