/**
 * `micvop boot` (issue 11 item 1): the simulator for people. Boots the reference system with our
 * mpssd and the device daemon, and paces the scheduler against the wall clock: every few ms the
 * CLI lets virtual time run up to the wall time elapsed, pumping the daemon between scheduler steps
 * (DESIGN.md §3: the simulated system never reads a clock; pacing is the CLI's job). The real
 * backends are async Node sockets and files that feed the daemon's queues (impl/daemon/backends).
 *
 * Card 0's console is on the terminal (or a Unix socket), its disk a file or 8 MiB in memory, its
 * net a UDP tunnel on loopback or nowhere. SIGINT / SIGTERM / Ctrl-C: a clean card shutdown
 * (`shutdown` written to each card's state, waited for until offline, bounded), the disk fsynced,
 * exit 0. Bad flags, a missing disk, a port or socket in use: one line, exit 2, nothing started.
 */
import { parseArgs } from 'node:util';
import { PassThrough } from 'node:stream';
import { reference } from '../properties/systems.ts';
import type { BlockBackend, ConsoleBackend, DeviceDaemon, MicSystem, NetBackend } from '../model/contract.ts';
import { BackendError, FileDisk, MemoryDisk, TerminalConsole, UdpNet, UnixSocketConsole } from '../impl/daemon/backends/index.ts';
import { EOF_LINGER_MS, type Linger } from '../impl/daemon/backends/console-stream.ts';

/** a console client that sent EOF (echo id | socat -t 2 ...) still reads the answers for a second */
const linger: Linger = (end) => void setTimeout(end, EOF_LINGER_MS).unref();
import { KeyReader } from './boot-keys.ts';

const MAX_CARDS = 8;
/** the in-memory disk of the default run */
export const MEMORY_DISK_BYTES = 8 * 2 ** 20;
/** wall-clock interval between two catch-ups of virtual time */
const TICK_MS = 4;
/** wall time one catch-up may take before it yields to I/O (virtual time then lags) */
const TICK_BUDGET_MS = 40;
/** how far virtual time may lag before the lag is dropped instead of caught up */
const MAX_LAG_NS = 500e6;
/** a clean shutdown is waited for this long, in virtual and in wall time */
const SHUTDOWN_VIRTUAL_NS = 90e9;
const SHUTDOWN_WALL_MS = 15_000;
/** OSPM resume follows --suspend-after by this much */
const RESUME_DELAY_NS = 2e9;
const DEVICE_NAMES: Record<number, string> = { 1: 'net', 2: 'block', 3: 'console' };
/** host-visible states in which a card has stopped (nothing more to wait for at shutdown) */
const STOPPED = new Set(['offline', 'reset_failed', 'suspended']);

class BootUsage extends Error {}

export interface BootOptions {
  readonly cards: number;
  readonly seed: number;
  readonly consoleSocket: string | undefined;
  readonly disk: string | undefined;
  readonly readOnly: boolean;
  readonly netUdp: number | undefined;
  readonly netPeer: number | undefined;
  readonly suspendAfterS: number | undefined;
  readonly crashAfterS: number | undefined;
}

const intArg = (name: string, v: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new BootUsage(`--${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return Number(v);
};
const secondsArg = (name: string, v: string): number => {
  if (!/^\d+(\.\d+)?$/.test(v) || !(Number(v) <= 1e6)) throw new BootUsage(`--${name} must be a number of seconds (e.g. 5 or 0.5), got "${v}"`);
  return Number(v);
};

/** flags → options; BootUsage with one line on anything wrong */
export function parseBootArgs(argv: string[]): BootOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        cards: { type: 'string' },
        seed: { type: 'string' },
        'console-socket': { type: 'string' },
        disk: { type: 'string' },
        readonly: { type: 'boolean' },
        'net-udp': { type: 'string' },
        'net-peer': { type: 'string' },
        'suspend-after': { type: 'string' },
        'crash-after': { type: 'string' },
      },
    }));
  } catch (e) {
    throw new BootUsage((e as Error).message.split('\n')[0]!);
  }
  const netUdp = values['net-udp'] === undefined ? undefined : intArg('net-udp', values['net-udp'], 1, 65535);
  const netPeer = values['net-peer'] === undefined ? undefined : intArg('net-peer', values['net-peer'], 1, 65535);
  if (netPeer !== undefined && netUdp === undefined) throw new BootUsage('--net-peer needs --net-udp');
  if (values.readonly && values.disk === undefined) throw new BootUsage('--readonly needs --disk FILE');
  if (values['console-socket'] === '') throw new BootUsage('--console-socket needs a path');
  if (values.disk === '') throw new BootUsage('--disk needs a file');
  return {
    cards: values.cards === undefined ? 1 : intArg('cards', values.cards, 1, MAX_CARDS),
    seed: values.seed === undefined ? 1 : intArg('seed', values.seed, 0, 2 ** 32 - 1),
    consoleSocket: values['console-socket'],
    disk: values.disk,
    readOnly: values.readonly ?? false,
    netUdp,
    netPeer: netUdp === undefined ? undefined : (netPeer ?? (netUdp === 65535 ? 65534 : netUdp + 1)),
    suspendAfterS: values['suspend-after'] === undefined ? undefined : secondsArg('suspend-after', values['suspend-after']),
    crashAfterS: values['crash-after'] === undefined ? undefined : secondsArg('crash-after', values['crash-after']),
  };
}

/** frames the card sends with no tunnel configured: counted, dropped */
class NowhereNet implements NetBackend {
  dropped = 0;
  take(): Uint8Array | undefined {
    return undefined;
  }
  put(): void {
    this.dropped++;
  }
}

interface CardIo {
  readonly card: number;
  readonly console: ConsoleBackend | undefined;
  readonly net: NetBackend;
  readonly block: BlockBackend;
  readonly describe: { console: string; net: string; block: string };
}

/** what was opened, so that a failure part-way closes exactly that */
class Opened {
  readonly files: FileDisk[] = [];
  readonly sockets: UnixSocketConsole[] = [];
  readonly nets: UdpNet[] = [];
  terminal: TerminalConsole | undefined;

  async closeAll(): Promise<void> {
    for (const f of this.files) f.close();
    await Promise.all([...this.sockets.map((s) => s.close()), ...this.nets.map((n) => n.close())]);
    this.terminal?.close();
  }
}

export interface BootStreams {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

const sec = (ns: number): string => (ns / 1e9).toFixed(3);

export async function boot(argv: string[], streams: BootStreams = process): Promise<number> {
  const err = (s: string): void => void streams.stderr.write(`${s}\n`);
  let opts: BootOptions;
  try {
    opts = parseBootArgs(argv);
  } catch (e) {
    if (e instanceof BootUsage) {
      err(`micvop boot: ${e.message}`);
      return 2;
    }
    throw e;
  }

  // open every backend first: a problem with any is one line and exit 2, with nothing left open
  const opened = new Opened();
  const io: CardIo[] = [];
  const ttyIn = streams.stdin.isTTY === true;
  const keyPipe = new PassThrough();
  try {
    for (let card = 0; card < opts.cards; card++) {
      let block: BlockBackend;
      let blockText: string;
      if (card === 0 && opts.disk !== undefined) {
        const f = FileDisk.open(opts.disk, { readOnly: opts.readOnly, id: `mic0-disk` });
        opened.files.push(f);
        block = f;
        blockText = `${opts.disk} (${f.sizeBytes / 512} sectors${opts.readOnly ? ', read-only' : ''})`;
      } else {
        block = new MemoryDisk(MEMORY_DISK_BYTES, { id: `mic${card}-memdisk` });
        blockText = `in memory (${MEMORY_DISK_BYTES / 512} sectors)`;
      }
      let net: NetBackend;
      let netText: string;
      if (card === 0 && opts.netUdp !== undefined) {
        const n = await UdpNet.open({ port: opts.netUdp, peerPort: opts.netPeer! });
        opened.nets.push(n);
        net = n;
        netText = `udp 127.0.0.1:${n.port} -> 127.0.0.1:${n.peerPort}`;
      } else {
        net = new NowhereNet();
        netText = 'not connected';
      }
      let console: ConsoleBackend | undefined;
      let consoleText: string;
      if (opts.consoleSocket !== undefined) {
        const path = card === 0 ? opts.consoleSocket : `${opts.consoleSocket}.${card}`;
        const s = await UnixSocketConsole.listen(path, { linger });
        opened.sockets.push(s);
        console = s;
        consoleText = `socket ${path} (socat - UNIX-CONNECT:${path})`;
      } else if (card === 0) {
        opened.terminal = new TerminalConsole(ttyIn ? keyPipe : streams.stdin, streams.stdout);
        console = opened.terminal;
        consoleText = 'this terminal';
      } else {
        console = undefined;
        consoleText = 'none (only card 0 is on the terminal; use --console-socket)';
      }
      io.push({ card, console, net, block, describe: { console: consoleText, net: netText, block: blockText } });
    }
  } catch (e) {
    await opened.closeAll();
    if (e instanceof BackendError) {
      err(`micvop boot: ${e.message}`);
      return 2;
    }
    throw e;
  }

  const impl = reference;
  const sys = impl.system!.createSystem({
    cards: opts.cards,
    seed: opts.seed,
    trace: false,
    dma: true,
    daemon: true,
    cardDrivers: true,
    devices: [],
    accessLogs: false,
  });
  const daemon = impl.daemon!.createDaemon(
    sys,
    io.map((c) => ({ card: c.card, net: c.net, block: c.block, ...(c.console ? { console: c.console } : {}) })),
  );
  const session = new Session(sys, daemon, io, opened, opts, streams, err);
  return session.run(keyPipe);
}

class Session {
  private readonly wall0 = performance.now();
  private virt0: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private seen: string[] = [];
  private stopping: { reason: string; since: number; sinceWall: number } | undefined;
  private finished: ((code: number) => void) | undefined;
  private suspendState: 'pending' | 'suspended' | 'resumed' = 'pending';
  private crashed = false;
  private lagDroppedNs = 0;
  private keys: KeyReader | undefined;
  private rawMode = false;
  private readonly signals: [NodeJS.Signals, () => void][] = [];

  constructor(
    private readonly sys: MicSystem,
    private readonly daemon: DeviceDaemon,
    private readonly io: readonly CardIo[],
    private readonly opened: Opened,
    private readonly opts: BootOptions,
    private readonly streams: BootStreams,
    private readonly err: (s: string) => void,
  ) {
    this.virt0 = sys.scheduler.now;
  }

  private log(s: string): void {
    this.err(`[${sec(this.sys.scheduler.now - this.virt0).padStart(9)} s] ${s}`);
  }

  async run(keyPipe: PassThrough): Promise<number> {
    const { stdin } = this.streams;
    const o = this.opts;
    this.err(`micvop boot: ${o.cards} card${o.cards > 1 ? 's' : ''}, seed ${o.seed}, virtual time paced to the wall clock`);
    for (const c of this.io) {
      this.err(`  mic${c.card}: console ${c.describe.console}; disk ${c.describe.block}; net ${c.describe.net}`);
    }
    // the terminal is ours only when the card's console is on it: with --console-socket the CLI may
    // well run in the background (`micvop boot --console-socket P &`), where setting raw mode or
    // reading stdin would stop it (SIGTTOU / SIGTTIN); signals do the keys' work there
    const keysOn = stdin.isTTY === true && this.opened.terminal !== undefined;
    const keysHelp = keysOn
      ? 'Ctrl-T status, Ctrl-B boot offline cards, Ctrl-C shutdown'
      : `kill -USR1 ${process.pid} status, -USR2 boot offline cards, -INT shutdown`;
    this.err(`  ${keysHelp}${o.suspendAfterS !== undefined ? `; OSPM suspend at ${o.suspendAfterS} s, resume 2 s later` : ''}${o.crashAfterS !== undefined ? `; card panic at ${o.crashAfterS} s` : ''}`);

    // a frame or typed bytes arriving: catch up now rather than at the next tick
    for (const c of this.io) {
      for (const b of [c.console, c.net]) {
        if (b instanceof UdpNet || b instanceof UnixSocketConsole || b instanceof TerminalConsole) b.onArrival(() => this.wake());
      }
    }
    const startErrors = this.daemon.start();
    for (const e of startErrors) this.log(`daemon: ${e}`);

    if (keysOn) {
      // the card's console on this terminal: a line editor of ours
      this.keys = new KeyReader(
        {
          echo: (b) => void this.streams.stdout.write(b),
          line: (b) => {
            keyPipe.write(b);
            this.wake();
          },
          quit: () => this.stop('Ctrl-C'),
          boot: () => this.bootOffline('Ctrl-B'),
          status: () => {
            // the status starts on a line of its own, not after the card's prompt
            this.streams.stderr.write('\n');
            this.status();
          },
        },
        true,
      );
      stdin.setRawMode(true);
      stdin.on('data', this.onKeys);
      stdin.resume();
    } else if (this.opened.terminal !== undefined) {
      stdin.on('data', this.onPiped);
    }
    this.rawMode = keysOn;
    const on = (sig: NodeJS.Signals, fn: () => void): void => {
      process.on(sig, fn);
      this.signals.push([sig, fn]);
    };
    on('SIGINT', () => this.stop('SIGINT'));
    on('SIGTERM', () => this.stop('SIGTERM'));
    on('SIGHUP', () => this.stop('SIGHUP'));
    on('SIGUSR1', () => this.status());
    on('SIGUSR2', () => this.bootOffline('SIGUSR2'));

    const code = await new Promise<number>((resolve) => {
      this.finished = resolve;
      this.schedule(0);
    });
    return code;
  }

  private readonly onKeys = (b: Buffer): void => this.keys?.feed(new Uint8Array(b.buffer, b.byteOffset, b.length));
  private readonly onPiped = (): void => this.wake();

  /** I/O arrived: catch up now rather than at the next tick */
  private wake(): void {
    if (this.immediate !== undefined || this.finished === undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.tick();
    });
  }

  private schedule(ms: number): void {
    if (this.timer === undefined) this.timer = setTimeout(() => ((this.timer = undefined), this.tick()), ms);
  }

  /** let virtual time catch up with the wall clock, the daemon pumped between scheduler steps */
  private tick(): void {
    if (this.finished === undefined) return;
    const sched = this.sys.scheduler;
    const wallStart = performance.now();
    let target = this.virt0 + this.lagDroppedNs + Math.floor((wallStart - this.wall0) * 1e6);
    // shutting down: no need to wait for the wall clock (mpssd polls once a virtual second)
    if (this.stopping !== undefined) target = Math.max(target, sched.now + 200e6);
    try {
      this.catchUp(target, wallStart);
    } catch (e) {
      this.log(`internal error: ${(e as Error).stack ?? String(e)}`);
      void this.finish(1);
      return;
    }
    if (target - sched.now > MAX_LAG_NS) {
      // the host could not keep up: drop the lag rather than run a burst later
      this.lagDroppedNs -= target - sched.now;
    }
    this.timed();
    this.report();
    if (this.stopping !== undefined) {
      const all = this.io.every((c) => STOPPED.has(this.sys.observe.state(c.card)));
      if (all) return void this.finish(0);
      if (sched.now - this.stopping.since > SHUTDOWN_VIRTUAL_NS || performance.now() - this.stopping.sinceWall > SHUTDOWN_WALL_MS) {
        this.log(`shutdown: not every card stopped in time (${this.io.map((c) => `mic${c.card} ${this.sys.observe.state(c.card)}`).join(', ')})`);
        return void this.finish(1);
      }
      this.immediate ??= setImmediate(() => ((this.immediate = undefined), this.tick()));
      return;
    }
    this.schedule(TICK_MS);
  }

  private catchUp(target: number, wallStart: number): void {
    const sched = this.sys.scheduler;
    const daemon = this.daemon;
    // the reference daemon tells whether it has work; anyone else's is pumped after every step
    const w = (daemon as { wants?: () => boolean }).wants;
    const wants = typeof w === 'function' ? (): boolean => w.call(daemon) : (): boolean => true;
    for (let round = 0; round < 100_000; round++) {
      let moved = false;
      for (let i = 0; i < 64 && daemon.pump(); i++) moved = true;
      const left = target - sched.now;
      if (left <= 0) break;
      // step until the daemon has work (checked after each step), the target time, or 4096 steps
      let calls = 0;
      const t0 = sched.now;
      const wanted = sched.runUntil(() => calls++ > 0 && wants(), { maxTimeNs: left, maxSteps: 4096 });
      const stepped = calls > 2 || sched.now !== t0;
      if (!moved && !stepped && !wanted) break;
      if (!moved && !stepped && wanted && daemon.pump() === false) break;
      if (performance.now() - wallStart > TICK_BUDGET_MS) return;
    }
    if (target > sched.now) sched.runFor(target - sched.now, 100_000);
  }

  /** --suspend-after, --crash-after, and the resume after a suspend */
  private timed(): void {
    const t = this.sys.scheduler.now - this.virt0;
    const o = this.opts;
    if (this.stopping !== undefined) return;
    if (o.crashAfterS !== undefined && !this.crashed && t >= o.crashAfterS * 1e9) {
      this.crashed = true;
      for (const c of this.io) {
        const r = this.sys.cardPanic(c.card);
        this.log(`mic${c.card}: card panic${'errno' in r ? ` refused: ${r.errno}` : ''}`);
      }
    }
    if (o.suspendAfterS !== undefined) {
      if (this.suspendState === 'pending' && t >= o.suspendAfterS * 1e9) {
        const r = this.sys.pmSuspend();
        this.log(`OSPM suspend${'errno' in r ? ` refused: ${r.errno}` : ''}`);
        this.suspendState = 'errno' in r ? 'resumed' : 'suspended';
      } else if (this.suspendState === 'suspended' && t >= o.suspendAfterS * 1e9 + RESUME_DELAY_NS) {
        // EBUSY until the PM prepare finished: try again at the next tick
        if ('ok' in this.sys.pmResume()) {
          this.suspendState = 'resumed';
          this.log('OSPM resume');
        }
      }
    }
  }

  /** one line per card whenever its state, the card's own state or its live devices change */
  private report(): void {
    const ob = this.sys.observe;
    for (const c of this.io) {
      const live = ob.liveDevices(c.card).map((d) => DEVICE_NAMES[d.type] ?? `type ${d.type}`).join(' ') || 'none';
      const line = `mic${c.card}: ${ob.state(c.card)} (shutdown_status ${ob.shutdownStatus(c.card)}, card ${ob.cardSide(c.card)}), live devices: ${live}`;
      if (this.seen[c.card] !== line) {
        this.seen[c.card] = line;
        const ip = this.sys.cardServices(c.card).ip.address;
        this.log(`${line}${ip !== undefined && live !== 'none' ? `, address ${ip}` : ''}`);
      }
    }
  }

  private statusText(): string {
    const sched = this.sys.scheduler;
    const ob = this.sys.observe;
    const wallS = (performance.now() - this.wall0) / 1000;
    const dropped = this.lagDroppedNs < 0 ? ` (${sec(-this.lagDroppedNs)} s of lag dropped: the host could not keep up)` : '';
    const lines = [`micvop boot: virtual ${sec(sched.now - this.virt0)} s, wall ${wallS.toFixed(3)} s${dropped}, seed ${this.opts.seed}`];
    for (const c of this.io) {
      const s = this.sys.cardServices(c.card);
      lines.push(`mic${c.card}: state ${ob.state(c.card)}, shutdown_status ${ob.shutdownStatus(c.card)}, card ${ob.cardSide(c.card)}, address ${s.ip.address ?? '-'}`);
      for (const d of this.daemon.stats(c.card)) {
        const name = DEVICE_NAMES[d.type] ?? `type ${d.type}`;
        const unit = d.type === 1 ? 'frames' : 'bytes';
        lines.push(`  ${name.padEnd(8)} host->card ${d.toCard} ${unit}, card->host ${d.fromCard} ${unit}, refused ${d.refused}${d.lastErrno ? `, last errno ${d.lastErrno}` : ''}${d.fd === undefined ? ', not added' : ''}`);
      }
      const n = s.net.stats;
      lines.push(`  card net: tx ${n.txFrames}, rx ${n.rxFrames}, rx dropped ${n.rxDropped}; ip: arp replies ${s.ip.stats.arpReplies}, echo replies ${s.ip.stats.echoReplies}, udp echoes ${s.ip.stats.udpEchoes}, dropped ${s.ip.stats.dropped}`);
      lines.push(`  card blk: ${s.blk.live ? `${s.blk.capacity} sectors${s.blk.readOnly ? ' read-only' : ''}` : 'down'}, in flight ${s.blk.inFlight}`);
      if (c.net instanceof UdpNet) lines.push(`  udp: sent ${c.net.sent}, dropped ${c.net.dropped}`);
      if (c.net instanceof NowhereNet) lines.push(`  net: no tunnel, ${c.net.dropped} frames from the card dropped`);
      if (c.console instanceof UnixSocketConsole) lines.push(`  console socket ${c.console.path}: ${c.console.attached ? 'a client attached' : 'no client'}, ${c.console.refused} refused`);
    }
    return lines.join('\n');
  }

  private status(): void {
    this.err(this.statusText());
  }

  /** after a crash or a shutdown mpssd leaves a card offline (facts §8.6): boot it by hand */
  private bootOffline(reason: string): void {
    if (this.finished === undefined || this.stopping !== undefined) return;
    for (const c of this.io) {
      if (this.sys.observe.state(c.card) !== 'offline') continue;
      const r = this.sys.writeAttr(c.card, 'state', 'boot');
      this.log(`${reason}: mic${c.card}: write boot to state${'errno' in r ? `: ${r.errno}` : ''}`);
    }
    this.wake();
  }

  private stop(reason: string): void {
    if (this.finished === undefined) return;
    if (this.stopping !== undefined) {
      this.log(`${reason} again: stopping now, without waiting for the cards`);
      return void this.finish(1);
    }
    this.stopping = { reason, since: this.sys.scheduler.now, sinceWall: performance.now() };
    for (const c of this.io) {
      const st = this.sys.observe.state(c.card);
      if (STOPPED.has(st)) continue;
      const r = this.sys.writeAttr(c.card, 'state', 'shutdown');
      this.log(`${reason}: mic${c.card}: write shutdown to state${'errno' in r ? `: ${r.errno}` : ''}`);
    }
    this.wake();
  }

  private async finish(code: number): Promise<void> {
    const done = this.finished;
    if (done === undefined) return;
    this.finished = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    for (const [sig, fn] of this.signals) process.removeListener(sig, fn);
    const { stdin } = this.streams;
    stdin.removeListener('data', this.onKeys);
    stdin.removeListener('data', this.onPiped);
    if (this.rawMode) stdin.setRawMode(false);
    if (this.rawMode || this.opened.terminal !== undefined) stdin.pause();
    this.status();
    this.daemon.stop();
    let flushed = true;
    for (const f of this.opened.files) {
      if (!f.readOnly && f.flush() !== true) flushed = false;
    }
    if (this.opened.files.length > 0) this.err(flushed ? `micvop boot: disk flushed (fsync)` : `micvop boot: disk flush FAILED`);
    await this.opened.closeAll();
    this.err(`micvop boot: exit ${flushed ? code : 1}`);
    done(flushed ? code : 1);
  }
}
