/**
 * `micvop demo` (what `npm start` runs): boots a reference system and narrates it. Everything
 * printed is read back from the running system through its observers; nothing is canned.
 */
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reference } from '../properties/systems.ts';
import type { Implementation, MicSystem } from '../model/contract.ts';
import { deviceDesc, descSize, vqConfig, vqConfigOffset } from '../model/layout/device-page.ts';
import { iovec, micCopyDesc } from '../model/layout/vop-user.ts';
import { MIC_VIRTIO_ADD_DEVICE, MIC_VIRTIO_COPY_DESC } from '../model/constants/vop.ts';
import { UsageError } from './errors.ts';
import { devicesDemo } from './demo-devices.ts';

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const DEVICE_NAMES: Record<number, string> = { 1: 'net', 2: 'block', 3: 'console' };

function snapshot(sys: MicSystem, label: string): string {
  const o = sys.observe;
  const t = (sys.scheduler.now / 1e9).toFixed(3);
  const live = o.liveDevices(0).map((d) => `${DEVICE_NAMES[d.type] ?? `type ${d.type}`}@${d.offset}`).join(', ') || 'none';
  return `[t=${t.padStart(8)} s] ${label.padEnd(26)} state=${o.state(0).padEnd(13)} shutdown_status=${o.shutdownStatus(0).padEnd(8)} card=${o.cardSide(0).padEnd(15)} live devices: ${live}`;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * The VOP data path as mpssd drives it: a process opens the card's node with its own memory, adds a
 * one-queue device (ADD_DEVICE), the card binds it; the card's driver posts a buffer holding a
 * message plus room for a reply, the process takes it with COPY_DESC (DMA into the bounce buffer,
 * then into its memory) and writes its reply in the same call, the card reaps the reply.
 */
function crossPcie(sys: MicSystem, impl: Implementation, say: (s: string) => void): string {
  const user = impl.memory!.createSparseMemory(2 ** 24, 'demo-process');
  const fd = sys.vop.open(0, user);
  if (!('ok' in fd)) return `open: ${fd.errno}`;
  const shape = { numVq: 1, featureLen: 4, configLen: 0 };
  const block = new Uint8Array(descSize(shape));
  block[deviceDesc.fields.type.offset] = 2;
  block[deviceDesc.fields.num_vq.offset] = 1;
  block[deviceDesc.fields.feature_len.offset] = 4;
  new DataView(block.buffer).setUint16(vqConfigOffset(0) + vqConfig.fields.num.offset, 16, true);
  user.write(0x1000, block);
  const added = sys.vop.ioctl(fd.fd, MIC_VIRTIO_ADD_DEVICE, 0x1000);
  if (!('ok' in added)) return `ADD_DEVICE: ${added.errno}`;
  sys.settle();
  const dev = sys.cardVirtio(0).find((d) => d.type === 2);
  if (dev === undefined || !dev.live) return 'the card did not bring the device up';
  const message = new TextEncoder().encode('hello from the card, through the SMPT window and the DMA engine');
  const replyText = new TextEncoder().encode('hello back from host user space');
  const token = dev.add(0, [message], [replyText.length]);
  if (typeof token !== 'number') return `card add: ${token.reason}`;
  dev.kick(0);
  sys.settle();
  const buf = 0x10000;
  user.write(buf + message.length, replyText);
  user.write64(0x2000 + iovec.fields.iov_base.offset, buf);
  user.write64(0x2000 + iovec.fields.iov_len.offset, message.length + replyText.length);
  const f = micCopyDesc.fields;
  user.write64(0x3000 + f.iov.offset, 0x2000);
  user.write32(0x3000 + f.iovcnt.offset, 1);
  user.write8(0x3000 + f.update_used.offset, 1);
  const copied = sys.vop.ioctl(fd.fd, MIC_VIRTIO_COPY_DESC, 0x3000);
  if (!('ok' in copied)) return `COPY_DESC: ${copied.errno}`;
  sys.settle();
  const got = user.read(buf, message.length);
  say(`  host user memory now holds: "${got instanceof Uint8Array ? text(got) : '?'}" (out_len ${String(user.read32(0x3000 + f.out_len.offset))})`);
  const done = dev.reap(0);
  if (Array.isArray(done)) for (const c of done) say(`  the card reaped buffer ${c.token}: used length ${c.len}, "${text(c.written)}"`);
  const st = sys.vop.stats(fd.fd);
  if (st) say(`  copy statistics: ${st.inBytes} bytes card → host (${st.inBytesDma} by DMA), ${st.outBytes} host → card (${st.outBytesDma} by DMA, ${st.txLenUnaligned} by CPU: length not a multiple of 64)`);
  return 'ok';
}

/** the handful of properties the demo verifies: one per layer, a few seconds in all */
export const DEMO_PROPERTIES = ['sim.sameSeedSameTrace', 'dma.traffic.exactlyOnce', 'ring.conservation', 'vop.copyDesc', 'lifecycle.exhaustive.cardSide', 'devices.blk', 'devices.lifecycle'];

/** `verify` as the CLI runs it (main.ts passes it in, so the demo needs no loader of its own) */
export type VerifyCommand = (argv: string[]) => Promise<number>;

export async function demo(argv: string[], verifyCmd?: VerifyCommand): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { seed: { type: 'string' }, 'report-dir': { type: 'string' }, 'no-verify': { type: 'boolean' } } });
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) throw new UsageError(`--seed must be a non-negative integer, got "${values.seed}"`);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  const impl = reference;
  if (!impl.system) {
    process.stdout.write('the reference implementation has no system layer yet\n');
    return 1;
  }
  // the demo plays the card's driver for its own device, so the card OS binds no drivers of its own
  const sys = impl.system.createSystem({ cards: 1, seed, daemon: true, dma: true, cardDrivers: false });
  const o = sys.observe;
  const say = (s: string): void => void process.stdout.write(`${s}\n`);
  say(`micvop demo — reference implementation, seed ${seed}: one host and one Intel MIC X100 card on a simulated PCIe bus`);
  say(`card: family ${String(sys.readAttr(0, 'family'))}, stepping ${String(sys.readAttr(0, 'stepping'))}, firmware ${String(sys.readAttr(0, 'firmware'))}, bootmode ${String(sys.readAttr(0, 'bootmode'))}`);
  // the first step shows the timeline from power on (creating the system already probed and booted)
  let mark = 0;
  const step = (label: string, act: () => string): void => {
    const what = act();
    say(`\n▶ ${label}${what ? ` → ${what}` : ''}`);
    // the timeline of what followed: host-visible states, the card's own states, the daemon's writes
    for (const e of sys.scheduler.trace.events().slice(mark)) {
      if (/ → |write state|live$|shutdown work|add device|remove device/.test(e.what)) say(`  ${(e.t / 1e9).toFixed(3).padStart(8)} s  ${e.who.padEnd(12)} ${e.what}`);
    }
    say(snapshot(sys, 'now'));
    mark = sys.scheduler.trace.events().length;
  };
  const res = (r: { ok: true } | { errno: string }): string => ('ok' in r ? 'ok' : r.errno);
  step('power on: the host driver probes, the daemon adds console + net and writes boot', () => {
    sys.settle();
    return '';
  });
  say(`  mic bus DMA devices: ${o.mbusDevices(0).join(', ') || 'none'}`);
  say(`  device page, boot parameters (16 bytes): ${hex(o.devicePage(0).subarray(0, 16))}`);
  say(`  used rings the card allocated in its memory: ${o.cardRings(0).map((r) => `0x${r.cardAddr.toString(16)}+${r.len}`).join(', ') || 'none'}`);
  const details: string[] = [];
  step('a user process adds a device through /dev/vop_virtio0, and a card buffer crosses PCIe', () => crossPcie(sys, impl, (l) => details.push(l)));
  for (const l of details) say(l);
  step('OSPM suspend (PM prepare notifier)', () => {
    const r = res(sys.pmSuspend());
    sys.settle();
    return r;
  });
  step('OSPM resume (post-suspend notifier)', () => {
    const r = res(sys.pmResume());
    sys.settle();
    return r;
  });
  step('the card OS panics', () => {
    const r = res(sys.cardPanic(0));
    sys.timePasses();
    return r;
  });
  step('write "dance" to state', () => res(sys.writeAttr(0, 'state', 'dance')));
  step('write "boot" to state', () => {
    const r = res(sys.writeAttr(0, 'state', 'boot'));
    sys.settle();
    return r;
  });
  step('write "boot" to state again', () => res(sys.writeAttr(0, 'state', 'boot')));
  const events = sys.scheduler.trace.events().length;
  say(`\n${events} trace events in ${(sys.scheduler.now / 1e9).toFixed(3)} s of virtual time; trace digest ${sys.scheduler.trace.digest().slice(0, 16)} (same seed ⇒ same digest: npx micvop demo --seed ${seed})`);
  say('\n▶ a second system: a card with console, network and disk, served by our daemon from host user space');
  const failed = devicesDemo(impl, seed, say);
  if (failed !== undefined) {
    say(`  ${failed}`);
    return 1;
  }
  let verified = 0;
  if (verifyCmd !== undefined && values['no-verify'] !== true) {
    const dir = values['report-dir'] ?? join(tmpdir(), 'micvop-demo');
    mkdirSync(dir, { recursive: true });
    say(`\n▶ a short verify: ${DEMO_PROPERTIES.length} properties of the suite, quick tier, against the reference implementation`);
    verified = await verifyCmd(['--only', DEMO_PROPERTIES.join(','), '--seed', String(seed), '--json', join(dir, 'report.json'), '--html', join(dir, 'report.html'), '--failures', dir]);
    say(`the report: ${join(dir, 'report.html')} (one page, open it in a browser), ${join(dir, 'report.json')}`);
  }
  say('\nnext: npx micvop boot (a card you can type at, with --disk FILE and --net-udp PORT), npx micvop verify (the whole suite as a CI gate), README.md');
  return verified === 0 ? 0 : 1;
}
