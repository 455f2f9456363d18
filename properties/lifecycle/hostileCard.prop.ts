/**
 * Claim: with our mpssd running, a random lifecycle command sequence interleaved with a malicious
 *   card — SPAD2 offering boot addresses above 2 GiB or where the image does not fit, SPAD2 ready
 *   bits and addresses flipped at odd times (also in the middle of a command), h2c_shutdown_db
 *   outside the card's doorbells (−128, −7, 16, 100, ...), shutdown_status outside
 *   {crashed, halted, poweroff, restart}, host doorbells rung with nothing to report, garbage in the
 *   card-owned ctrl/status/used_address fields of the daemon's devices and in any bootparam byte —
 *   never makes the host throw or work without bound (quiescence within a step bound); the host
 *   writes only its own BAR4 registers, so it rings no doorbell outside 0..15; every host BAR0
 *   access lies in the aperture and in the image / command line / ramdisk range of a boot address
 *   the card offered (≤ 2 GiB) or in a used ring the card allocated; a boot from an address the
 *   facts refuse returns the errno of facts §3.2 and touches nothing (no BAR0 access, no register
 *   write, state kept); a shutdown request with an invalid h2c_shutdown_db is the "no doorbell"
 *   case (nothing happens); invalid statuses and empty doorbells are ignored; and until the first
 *   raw write the state, shutdown_status and daemon writes equal the composed model.
 * Source: facts §1.4, §1.5, §3.2, §4.1, §5.1, §5.3, §6.4; NOTIF-04 (empty doorbells are harmless);
 *   DESIGN.md §6 "Hostile input"
 * Level: system
 */
import fc from 'fast-check';
import type { MicSystem } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { journaled, journalKinds } from '../journal.ts';
import { BAD_FILES, firmwareFiles } from '../../fixtures/images/card-os.ts';
import { BAR4, APICICR_SEND, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { bootParam } from '../../model/layout/device-page.ts';
import { CARD_MMIO_BASE } from '../../model/constants/pcie.ts';
import { BOOTSTRAP_BOOT_ADDR, CMDLINE_SIZE, MIC_MAX_BOOT_ADDR } from '../../model/constants/lifecycle.ts';
import { applyOp, opEvent, resultText, showOp, type Op } from './ops.ts';
import { assertComposite, DaemonComposite } from './composite.ts';
import { ctrlFieldOffset, expectedBootResult, hostRegisters, offeredAddr, regName, stepArb, TIGHT_IMAGE, tightImage, type Hostile, type Step } from './hostile-actions.ts';

const STEP_LIMIT = 200_000;
const MIB = 2 ** 20;
const HOST_REGS = hostRegisters();
/** facts §4.1 mic_status values the host acts on */
const STATUS_NAMES = { 1: 'crashed', 2: 'halted', 3: 'poweroff', 4: 'restart' } as const;

/** safety checks on everything the host did since the last call */
class Watch {
  private regSeen = 0;
  private barSeen = 0;
  /** boot addresses the card offered in SPAD2 (the honest bootstrap's and the raw writes') */
  readonly offered = new Set<number>([BOOTSTRAP_BOOT_ADDR]);

  constructor(
    private readonly sys: MicSystem,
    private readonly aperture: number,
    private readonly imageMax: number,
    private readonly ramdiskMax: number,
  ) {}

  /** doorbells rung and BAR0 accesses made since the last call; throws on a violation */
  check(where: string): { doorbells: string[]; regWrites: number; bar0: number } {
    const writes = this.sys.observe.hostRegWrites(0);
    const doorbells: string[] = [];
    const regWrites = writes.length - this.regSeen;
    for (; this.regSeen < writes.length; this.regSeen++) {
      const w = writes[this.regSeen]!;
      const name = HOST_REGS.get(w.off);
      if (name === undefined) throw new Error(`${where}: host wrote BAR4 ${regName(w.off)} = 0x${w.value.toString(16)} (not a host register: a doorbell outside 0..15?)`);
      // an APICICR write rings only with the send bit (facts §1.4); any RDMASR write rings
      const isApicicr = w.off >= BAR4.APICICR(0) && w.off <= BAR4.APICICR(7);
      if (name.startsWith('doorbell') && (!isApicicr || (w.value & APICICR_SEND) !== 0)) doorbells.push(name);
    }
    const log = this.sys.observe.bar0Accesses(0);
    const bar0 = log.length - this.barSeen;
    const rings = this.sys.observe.cardRings(0);
    for (; this.barSeen < log.length; this.barSeen++) {
      const a = log[this.barSeen]!;
      const end = a.addr + a.len;
      const what = `${a.write ? 'write' : 'read'} [0x${a.addr.toString(16)}, +${a.len}) while ${a.state}`;
      if (a.addr < 0 || end > this.aperture) throw new Error(`${where}: host BAR0 ${what} outside the ${this.aperture / MIB} MiB aperture`);
      const inside = (lo: number, len: number): boolean => a.addr >= lo && end <= lo + len;
      const download = [...this.offered].some(
        (b) => b <= MIC_MAX_BOOT_ADDR && (inside(b, this.imageMax + CMDLINE_SIZE) || inside(2 * b, this.ramdiskMax)),
      );
      if (!download && !rings.some((r) => inside(r.cardAddr, r.len))) {
        throw new Error(`${where}: host BAR0 ${what} is outside every range the host may touch (downloads for a boot address it may accept, card rings)`);
      }
    }
    return { doorbells, regWrites, bar0 };
  }

  /** run to quiescence one step at a time within the step bound */
  settle(where: string): void {
    const sched = this.sys.scheduler;
    for (let n = 0; sched.pending() > 0; n++) {
      if (n >= STEP_LIMIT) throw new Error(`${where}: no quiescence after ${STEP_LIMIT} steps (unbounded work)`);
      sched.step();
    }
    this.sys.settle();
    this.check(where);
  }
}

const spad2Of = (sys: MicSystem): number => {
  const v = sys.observe.cardView(0).read32(CARD_MMIO_BASE + BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
  return typeof v === 'number' ? v >>> 0 : 0;
};

const showHostile = (h: Hostile): string => JSON.stringify(h);

/** where a raw device-page byte lands: a bootparam field by name, else its offset */
function rawTarget(h: Hostile): string {
  if (h.kind !== 'raw' || h.action.kind !== 'dpByte') return '';
  const at = h.action.offset;
  const f = bootParam.list.find((x) => at >= x.offset && at < x.offset + x.size);
  return f === undefined ? ` (device page byte ${at}, past the bootparam)` : ` (bootparam ${f.name}${at > f.offset ? `+${at - f.offset}` : ''})`;
}

/** the lifecycle commands and the hostile card's actions, in the order the host saw them */
const hostileJournal = journalKinds({
  op: ([raw], op) => `host: ${showOp(op as Op)}${raw ? ' (a raw card write lands in the middle)' : ''}`,
  hostile: (_n, h) => `card: ${showHostile(h as Hostile)}${rawTarget(h as Hostile)}`,
  raw: ([delay], h) => `card's raw write lands ${delay} step(s) in: ${showHostile(h as Hostile)}${rawTarget(h as Hostile)}`,
});

export const lifecycleHostileCard = defineProperty({
  id: 'lifecycle.hostileCard',
  claim: 'a malicious card (SPAD2, bootparam, ctrl fields, doorbells) never makes the host throw, loop, ring an invalid doorbell, touch BAR0 outside the granted ranges or leave the modelled states',
  source: 'facts §1.4, §1.5, §3.2, §4.1, §5.1, §5.3, §6.4; NOTIF-04; DESIGN.md §6',
  level: 'system',
  requires: ['system'],
  runs: 500,
  build: (impl) =>
    fc.property(
      fc.constantFrom(256 * MIB, 4096 * MIB),
      fc.array(stepArb, { minLength: 1, maxLength: 20 }),
      interleaving(100),
      journaled(hostileJournal, (journal, cardMemoryBytes, steps: Step[], choices) => {
        const files = { ...firmwareFiles(), [TIGHT_IMAGE]: tightImage() };
        const sys = impl.system!.createSystem({ daemon: true, choices: choicesFrom(choices), firmware: files, cardMemoryBytes, trace: false });
        // BAR0 decodes a power of two ≥ card memory (pcie contract): both sizes here are powers of two
        const aperture = cardMemoryBytes;
        const sizes = Object.values(files).map((f) => f.length);
        const watch = new Watch(sys, aperture, Math.max(...sizes), Math.max(...sizes));
        const model = new DaemonComposite(Object.keys(files), BAD_FILES);
        let tracked = true;
        let pendingRaw: Extract<Hostile, { kind: 'raw' }> | undefined;
        const { observe } = sys;
        watch.check('creation');

        const compare = (what: string): void => {
          if (tracked) assertComposite(sys, model, what);
        };

        const runOp = (op: Op): void => {
          journal.recObj('op', op, pendingRaw !== undefined ? 1 : 0);
          const want = tracked ? model.command(opEvent(op)) : undefined;
          const raw = pendingRaw;
          pendingRaw = undefined;
          if (raw !== undefined) tracked = false;
          const got = resultText(applyOp(sys, op));
          if (raw !== undefined) {
            for (let n = 0; n < raw.delay && sys.scheduler.pending() > 0; n++) sys.scheduler.step();
            journal.recObj('raw', raw, raw.delay);
            actRaw(raw);
          }
          const where = `${showOp(op)}${raw !== undefined ? ` with ${showHostile(raw)}` : ''}`;
          watch.settle(where);
          if (want !== undefined && got !== want) throw new Error(`${where} returned ${got}, model says ${want}`);
          compare(where);
        };

        const actRaw = (raw: Extract<Hostile, { kind: 'raw' }>): void => {
          if (raw.action.kind === 'spad2') watch.offered.add((raw.action.value & 0xfffff000) >>> 0);
          sys.hostileCard(0, raw.action);
        };

        /** the host state and status must not move; returns nothing */
        const unchanged = (where: string, before: { state: string; status: string }): void => {
          const now = { state: observe.state(0), status: observe.shutdownStatus(0) };
          if (now.state !== before.state || now.status !== before.status) {
            throw new Error(`${where}: host moved ${before.state}/${before.status} → ${now.state}/${now.status}`);
          }
        };

        const probe = (h: Hostile): void => {
          journal.recObj('hostile', h);
          const where = showHostile(h);
          const before = { state: observe.state(0), status: observe.shutdownStatus(0) };
          switch (h.kind) {
            case 'bootAddr': {
              // wants an offline card whose bootstrap says ready: stop it first, as a command the model follows
              if (before.state === 'online' || before.state === 'shutting_down') runOp({ kind: 'state', value: 'reset' });
              if (observe.state(0) !== 'offline' || (spad2Of(sys) & 1) !== 1) return;
              const offline = { state: 'offline', status: observe.shutdownStatus(0) };
              // SPAD2 holds bits 31:12 only (facts §3): what the host reads is the masked address
              const addr = (offeredAddr(h.addr, aperture) & 0xfffff000) >>> 0;
              const attr = (n: string): string => {
                const v = sys.readAttr(0, n);
                return typeof v === 'string' ? v : '';
              };
              const want = expectedBootResult(addr, aperture, { firmware: attr('firmware'), ramdisk: attr('ramdisk'), bootmode: attr('bootmode'), cmdline: attr('cmdline') }, files);
              if (want === undefined || want === 'boots') return;
              const old = spad2Of(sys);
              sys.hostileCard(0, { kind: 'spad2', value: (addr | (old & 0xfff) | 1) >>> 0 });
              const got = resultText(sys.writeAttr(0, 'state', 'boot'));
              watch.settle(`boot with ${where}`);
              const spad5 = sys.observe.cardView(0).read32(CARD_MMIO_BASE + BAR4.SPAD(SPAD_INDEX.FW_SIZE));
              const seen = watch.check(where);
              if (got !== want) throw new Error(`boot from 0x${addr.toString(16)} (${where}) returned ${got}, facts §3.2 say ${want}`);
              if (seen.bar0 > 0 || seen.regWrites > 0) throw new Error(`refused boot from 0x${addr.toString(16)} still made ${seen.bar0} BAR0 access(es) and ${seen.regWrites} register write(s)`);
              unchanged(`refused boot (${where})`, offline);
              if (sys.observe.cardView(0).read32(CARD_MMIO_BASE + BAR4.SPAD(SPAD_INDEX.FW_SIZE)) !== spad5) throw new Error('SPAD5 changed');
              sys.hostileCard(0, { kind: 'spad2', value: old });
              return;
            }
            case 'shutdownDb': {
              if (before.state !== 'online') return;
              const off = bootParam.fields.h2c_shutdown_db.offset;
              const page = observe.devicePage(0);
              const old = page[off]!;
              const shutdownCard = page[bootParam.fields.shutdown_card.offset]!;
              sys.hostileCard(0, { kind: 'dpByte', offset: off, value: h.value & 0xff });
              const got = resultText(sys.writeAttr(0, 'state', 'shutdown'));
              watch.settle(`shutdown with ${where}`);
              const seen = watch.check(where);
              if (got !== 'ok') throw new Error(`shutdown with ${where} returned ${got}, facts §4.1 say it succeeds silently`);
              if (seen.doorbells.length > 0) throw new Error(`shutdown with ${where} rang ${seen.doorbells.join(', ')}`);
              unchanged(`shutdown with ${where}`, before);
              if (observe.devicePage(0)[bootParam.fields.shutdown_card.offset] !== shutdownCard) throw new Error(`shutdown with ${where} set shutdown_card`);
              sys.hostileCard(0, { kind: 'dpByte', offset: off, value: old });
              return;
            }
            case 'badStatus': {
              const page = observe.devicePage(0);
              sys.hostileCard(0, { kind: 'dpByte', offset: bootParam.fields.shutdown_status.offset, value: h.value });
              if (h.ring) sys.hostileCard(0, { kind: 'ringHost', db: page[bootParam.fields.c2h_shutdown_db.offset]! });
              watch.settle(where);
              const seen = watch.check(where);
              if (seen.doorbells.length > 0) throw new Error(`${where}: host rang ${seen.doorbells.join(', ')}`);
              unchanged(where, before);
              return;
            }
            case 'validReport': {
              // facts §4.1: the ISR takes halted/poweroff/restart/crashed; the work copies the status,
              // clears the field and moves to shutting_down unless shutting_down or suspended
              const checkIt = tracked;
              tracked = false;
              const page = observe.devicePage(0);
              sys.hostileCard(0, { kind: 'dpByte', offset: bootParam.fields.shutdown_status.offset, value: h.status });
              sys.hostileCard(0, { kind: 'ringHost', db: page[bootParam.fields.c2h_shutdown_db.offset]! });
              const name = STATUS_NAMES[h.status];
              const want = { state: before.state === 'shutting_down' || before.state === 'suspended' ? before.state : 'shutting_down', status: name };
              const sched = sys.scheduler;
              for (let n = 0; checkIt && sched.pending() > 0; n++) {
                if (n >= STEP_LIMIT) throw new Error(`${where}: no quiescence after ${STEP_LIMIT} steps (unbounded work)`);
                sched.step();
                const now = { state: observe.state(0), status: observe.shutdownStatus(0) };
                if (now.state === before.state && now.status === before.status) continue;
                if (now.state !== want.state || now.status !== want.status) {
                  throw new Error(`${where}: from ${before.state}/${before.status} the host went to ${now.state}/${now.status}, facts §4.1 say ${want.state}/${want.status}`);
                }
                const field = observe.devicePage(0)[bootParam.fields.shutdown_status.offset];
                if (field !== 0) throw new Error(`${where}: the host took the report but left shutdown_status ${field} in the device page`);
                break;
              }
              watch.settle(where);
              return;
            }
            case 'spurious': {
              sys.hostileCard(0, { kind: 'ringHost', db: h.db });
              watch.settle(where);
              const seen = watch.check(where);
              if (seen.doorbells.length > 0) throw new Error(`${where}: host rang ${seen.doorbells.join(', ')}`);
              unchanged(where, before);
              return;
            }
            case 'ctrl': {
              const devs = observe.addedDevices(0);
              const dev = devs[h.dev % Math.max(1, devs.length)];
              if (dev === undefined) return;
              const page = observe.devicePage(0);
              const at = ctrlFieldOffset(page, dev.offset, h.field);
              const width = h.field === 'used_address' ? 8 : 1;
              for (let i = 0; i < width; i++) sys.hostileCard(0, { kind: 'dpByte', offset: at + i, value: i === width - 1 ? h.value : 0xff - i });
              if (h.ring) {
                // the device's card→host doorbell as the host published it (facts §5.3 c2h_vdev_db)
                const c2h = ctrlFieldOffset(page, dev.offset, 'c2h_vdev_db');
                sys.hostileCard(0, { kind: 'ringHost', db: (page[c2h]! << 24) >> 24 });
              }
              watch.settle(where);
              unchanged(where, before);
              return;
            }
            case 'raw':
              // two raw writes in a row: the first one lands now
              if (pendingRaw !== undefined) {
                tracked = false;
                journal.recObj('raw', pendingRaw, 0);
                actRaw(pendingRaw);
                watch.settle(showHostile(pendingRaw));
              }
              pendingRaw = h;
              return;
          }
        };

        for (const s of steps) {
          if ('op' in s) runOp(s.op);
          else {
            probe(s.hostile);
            compare(showHostile(s.hostile));
          }
        }
        if (pendingRaw !== undefined) {
          tracked = false;
          journal.recObj('raw', pendingRaw, 0);
          actRaw(pendingRaw);
          watch.settle(showHostile(pendingRaw));
        }
      }),
    ),
});
