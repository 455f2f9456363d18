/**
 * The card's console driver and shell, driven from a minimal host user process on the real char
 * device (ADD_DEVICE, COPY_DESC over iovecs): bytes typed on the host reach the card's listeners
 * and shell in order, the shell's answers come back, and long output crosses in 4096-byte buffers.
 */
import { describe, expect, test } from 'vitest';
import { createReferenceSystem } from '../../system.ts';
import { CONSOLE, HostUser } from '../host-user.ts';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

function booted() {
  const sys = createReferenceSystem({ cardDrivers: true, trace: false });
  expect(sys.writeAttr(0, 'state', 'boot')).toEqual({ ok: true });
  sys.settle();
  const host = new HostUser(sys);
  const fd = host.add(CONSOLE);
  sys.settle();
  return { sys, host, fd, svc: sys.cardServices(0) };
}

/** everything the card printed so far, buffer by buffer */
function drain(host: HostUser, fd: number): string {
  let out = '';
  for (let b = host.take(fd, 1); b !== undefined; b = host.take(fd, 1)) out += dec(b);
  return out;
}

describe('card console driver and shell over the host char device', () => {
  test('the shell prompts when the console comes up, echoes, and answers each line', () => {
    const { sys, host, fd, svc } = booted();
    expect(svc.console.live).toBe(true);
    expect(drain(host, fd)).toBe('mic0$ ');
    host.put(fd, 0, enc('echo hi there\n'));
    sys.settle();
    expect(drain(host, fd)).toBe('hi there\nmic0$ ');
    // CR LF is one line end, an empty line just prompts, and a line may arrive in pieces
    host.put(fd, 0, enc('ec'));
    sys.settle();
    host.put(fd, 0, enc('ho a\r\n\nnope x\r'));
    sys.settle();
    expect(drain(host, fd)).toBe('a\nmic0$ mic0$ nope: unknown command (try help)\nmic0$ ');
  });

  test('id, devices, help, uptime in virtual time', () => {
    const { sys, host, fd } = booted();
    drain(host, fd);
    host.put(fd, 0, enc('id\ndevices\n'));
    sys.settle();
    expect(drain(host, fd)).toBe('mic0 Intel(R) Xeon Phi(TM) coprocessor x100 (micvop)\nmic0$ console @16 live\nmic0$ ');
    host.put(fd, 0, enc('help\n'));
    sys.settle();
    expect(drain(host, fd)).toContain('write <sector> <text>\n');
    const uptime = (): number => {
      host.put(fd, 0, enc('uptime\n'));
      sys.settle();
      const m = /^up (\d+\.\d{9}) s\nmic0\$ $/.exec(drain(host, fd));
      expect(m).not.toBeNull();
      return Math.round(Number(m![1]) * 1e9);
    };
    const a = uptime();
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThanOrEqual(sys.scheduler.now);
    // virtual time: a minute passes in no wall time, and the shell sees exactly that much more
    const t0 = sys.scheduler.now;
    sys.timePasses();
    const b = uptime();
    expect(b - a).toBeGreaterThanOrEqual(60e9);
    expect(Math.abs(b - a - (sys.scheduler.now - t0))).toBeLessThan(2e6);
  });

  test('typed bytes reach onInput complete and in order; card output crosses in order in 4096-byte buffers', () => {
    const { sys, host, fd, svc } = booted();
    svc.console.shell = false;
    drain(host, fd);
    const got: number[] = [];
    const off = svc.console.onInput((b) => got.push(...b));
    const sent: number[] = [];
    for (let i = 0; i < 20; i++) {
      const chunk = Uint8Array.from({ length: 1 + ((i * 37) % 300) }, (_, k) => (i * 7 + k) & 0xff);
      sent.push(...chunk);
      host.put(fd, 0, chunk);
      if (i % 3 === 0) sys.settle();
    }
    sys.settle();
    expect(got).toEqual(sent);
    // the shell is off: nothing came back
    expect(host.take(fd, 1)).toBeUndefined();
    off();
    host.put(fd, 0, enc('x'));
    sys.settle();
    expect(got.length).toBe(sent.length);

    const big = Uint8Array.from({ length: 10_000 }, (_, k) => (k * 13) & 0xff);
    expect(svc.console.write(big)).toBe(10_000);
    expect(svc.console.pending).toBe(10_000);
    sys.settle();
    const lens: number[] = [];
    const back: number[] = [];
    for (let b = host.take(fd, 1); b !== undefined; b = host.take(fd, 1)) {
      lens.push(b.length);
      back.push(...b);
    }
    expect(lens).toEqual([4096, 4096, 1808]);
    expect(back).toEqual(Array.from(big));
    sys.settle();
    // completions are reaped with the next write (or interrupt)
    svc.console.write(new Uint8Array(0));
    expect(svc.console.pending).toBe(0);
  });

  test('a reset of the device loses the output in flight (detached), then the console comes back with a prompt', () => {
    const { sys, host, fd, svc } = booted();
    drain(host, fd);
    expect(svc.console.write(enc('lost words'))).toBe(10);
    const dev = sys.cardVirtio(0)[0]!;
    dev.reset();
    expect(svc.console.live).toBe(false);
    expect(svc.console.write(enc('x'))).toBe(0);
    sys.settle();
    expect(svc.detached()).toEqual({ console: 10, net: 0, blk: [] });
    expect(svc.detached()).toEqual({ console: 0, net: 0, blk: [] });
    expect(svc.console.live).toBe(true);
    expect(drain(host, fd)).toBe('mic0$ ');
  });
});
