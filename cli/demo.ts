/**
 * `micvop demo` (what `npm start` runs): boots a reference system and narrates it. Everything
 * printed is read back from the running system through its observers; nothing is canned.
 */
import { parseArgs } from 'node:util';
import { reference } from '../properties/systems.ts';
import type { MicSystem } from '../model/contract.ts';
import { UsageError } from './errors.ts';

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
const DEVICE_NAMES: Record<number, string> = { 1: 'net', 2: 'block', 3: 'console' };

function snapshot(sys: MicSystem, label: string): string {
  const o = sys.observe;
  const t = (sys.scheduler.now / 1e9).toFixed(3);
  const live = o.liveDevices(0).map((d) => `${DEVICE_NAMES[d.type] ?? `type ${d.type}`}@${d.offset}`).join(', ') || 'none';
  return `[t=${t.padStart(8)} s] ${label.padEnd(26)} state=${o.state(0).padEnd(13)} shutdown_status=${o.shutdownStatus(0).padEnd(8)} card=${o.cardSide(0).padEnd(15)} live devices: ${live}`;
}

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { seed: { type: 'string' } } });
  if (values.seed !== undefined && !/^\d+$/.test(values.seed)) throw new UsageError(`--seed must be a non-negative integer, got "${values.seed}"`);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  const impl = reference;
  if (!impl.system) {
    process.stdout.write('the reference implementation has no system layer yet\n');
    return 1;
  }
  const sys = impl.system.createSystem({ cards: 1, seed, daemon: true, dma: true });
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
      if (/ → |write state|live$|shutdown work|add device/.test(e.what)) say(`  ${(e.t / 1e9).toFixed(3).padStart(8)} s  ${e.who.padEnd(12)} ${e.what}`);
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
  return 0;
}
