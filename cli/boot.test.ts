/**
 * `micvop boot` against real peers (issue 11): each test starts `micvop boot` as a child process
 * and talks to it with Linux's own tools — socat on the console socket, a disk image made by
 * mke2fs and checked by e2fsck, cmp against the expected bytes, a terminal under tmux. Each test
 * bounds its time, removes its temp dir and kills what it started; a missing tool is a skip with
 * the reason (`.ci/run` installs them).
 */
import { describe, expect, onTestFinished, test, type TestContext } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyReader } from './boot-keys.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'cli', 'bin.mjs');
/** tsx start-up plus a boot on a loaded two-core machine */
const READY_MS = 60_000;

/** mke2fs, e2fsck and ip live in sbin, which a non-root PATH may lack */
const ENV = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: ENV }).status === 0;

/** skip with the reason printed (vitest shows the note; the line is for logs that do not) */
function needTools(ctx: TestContext, ...tools: string[]): boolean {
  const missing = tools.filter((t) => !have(t));
  if (missing.length === 0) return true;
  const reason = `needs ${missing.join(', ')} (not installed; .ci/run installs them with apt-get)`;
  console.warn(`skip: ${ctx.task.name}: ${reason}`);
  ctx.skip(reason);
  return false;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'micvop-boot-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, pred: () => boolean, ms: number, show: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; so far:\n${show()}`);
    await sleep(50);
  }
}

interface Booted {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exit: Promise<number | null>;
  /** resolves once every device is live on card 0 */
  ready(): Promise<void>;
}

/** `micvop boot ARGS` as a child, killed (SIGKILL) when the test ends if still running */
function startBoot(args: string[], stdin: 'pipe' | 'ignore' = 'ignore', argv = [process.execPath, BIN, 'boot', ...args]): Booted {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: root, stdio: [stdin, 'pipe', 'pipe'], env: ENV });
  const b: Booted = {
    child,
    out: '',
    err: '',
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    ready: () => waitFor('the card to boot', () => /live devices: console net block/.test(b.err), READY_MS, () => b.err),
  };
  child.stdout!.on('data', (d: Buffer) => (b.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (b.err += d.toString()));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return b;
}

/** SIGTERM, then the exit code (bounded) */
async function terminate(b: Booted): Promise<number | null> {
  b.child.kill('SIGTERM');
  return Promise.race([b.exit, sleep(30_000).then(() => -1)]);
}

/** one conversation with the card's shell over socat: send `lines`, read until `until` matches */
async function socatShell(sock: string, lines: string, until: RegExp): Promise<string> {
  const s = spawn('socat', ['-t', '2', '-', `UNIX-CONNECT:${sock}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (s.exitCode === null) s.kill('SIGKILL');
  });
  let got = '';
  s.stdout.on('data', (d: Buffer) => (got += d.toString()));
  s.stdin.write(lines);
  await waitFor(`the shell's answer ${until}`, () => until.test(got), 20_000, () => got);
  s.stdin.end();
  await Promise.race([new Promise((r) => s.on('exit', r)), sleep(5_000)]);
  return got;
}

describe('micvop boot: the line editor of a raw terminal', () => {
  test('echo, backspace, Ctrl-U, whole lines to the card; Ctrl-C, Ctrl-D, Ctrl-T and Ctrl-B act; arrow keys vanish', () => {
    const echo: string[] = [];
    const lines: string[] = [];
    let quit = 0;
    let status = 0;
    let boots = 0;
    const k = new KeyReader(
      {
        echo: (b) => echo.push(Buffer.from(b).toString()),
        line: (b) => lines.push(Buffer.from(b).toString()),
        quit: () => quit++,
        status: () => status++,
        boot: () => boots++,
      },
      true,
    );
    const feed = (s: string): void => k.feed(new TextEncoder().encode(s));
    feed('idd\x7f\r');
    feed('ech\x1b[Do x\x15echo é\x7fe\n');
    feed('\x14\x04');
    feed('a\x04\x02\x03');
    expect(lines).toEqual(['id\n', 'echo e\n']);
    expect(echo.join('')).toBe('idd\b \b\r\necho x\b \b\b \b\b \b\b \b\b \b\b \becho é\b \be\r\na');
    expect([status, quit, boots]).toEqual([1, 2, 1]);
  });
});

describe('micvop boot against real peers', () => {
  test('bad flags, a missing disk, a port or socket in use: one line, exit 2, nothing started', async () => {
    const dir = tempDir();
    const busy = createSocket('udp4');
    await new Promise<void>((r) => busy.bind(0, '127.0.0.1', () => r()));
    onTestFinished(() => void busy.close());
    const port = busy.address().port;
    const taken = join(dir, 'taken.sock');
    writeFileSync(taken, '');
    const odd = join(dir, 'odd.img');
    writeFileSync(odd, new Uint8Array(1000));
    const sock = join(dir, 'never.sock');
    const cases: [string[], RegExp][] = [
      [['--bogus'], /bogus/],
      [['stray'], /stray/],
      [['--cards', '0'], /--cards must be an integer from 1/],
      [['--cards', 'x'], /--cards/],
      [['--seed', '-1'], /--seed/],
      [['--readonly'], /--readonly needs --disk/],
      [['--net-peer', '5000'], /--net-peer needs --net-udp/],
      [['--net-udp', '70000'], /--net-udp must be an integer/],
      [['--suspend-after', 'soon'], /--suspend-after/],
      [['--console-socket', sock, '--disk', join(dir, 'missing.img')], /missing\.img: no such file/],
      [['--disk', odd], /not a whole number of 512-byte sectors/],
      [['--net-udp', String(port), '--console-socket', sock], new RegExp(`${port}.*(EADDRINUSE|in use)`)],
      [['--console-socket', taken], /taken\.sock.*EADDRINUSE/],
    ];
    // a few at a time: each is a tsx start-up on a shared machine
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async ([args, why]) => {
          const b = startBoot(args);
          const code = await Promise.race([b.exit, sleep(30_000).then(() => 'timeout')]);
          expect(code, args.join(' ')).toBe(2);
          const lines = b.err.trimEnd().split('\n');
          expect(lines, args.join(' ')).toHaveLength(1);
          expect(lines[0], args.join(' ')).toMatch(/^micvop boot: /);
          expect(lines[0], args.join(' ')).toMatch(why);
          expect(b.out, args.join(' ')).toBe('');
        }),
      );
    }
    // nothing started: the console socket of the runs refused for their disk or port was never made
    expect(existsSync(sock)).toBe(false);
  }, 120_000);

  test('console: socat on --console-socket types at the card\'s shell and reads its answers; SIGTERM exits 0', async (ctx) => {
    if (!needTools(ctx, 'socat')) return;
    const dir = tempDir();
    const sock = join(dir, 'mic0.console');
    const b = startBoot(['--console-socket', sock]);
    await b.ready();
    const got = await socatShell(sock, 'id\necho over the socket\n', /over the socket\nmic0\$ /);
    expect(got).toContain('mic0 Intel(R) Xeon Phi(TM) coprocessor x100 (micvop)\nmic0$ ');
    expect(got).toContain('mic0$ over the socket\nmic0$ ');
    expect(await terminate(b)).toBe(0);
    expect(b.err).toMatch(/SIGTERM: mic0: write shutdown to state/);
    expect(b.err).toMatch(/mic0: offline/);
    expect(b.err).toMatch(/console +host->card \d+ bytes/);
    expect(existsSync(sock)).toBe(false);
  }, 90_000);

  test('--suspend-after, --crash-after, and SIGUSR2 booting the crashed card again: the shell answers after each', async (ctx) => {
    if (!needTools(ctx, 'socat')) return;
    const dir = tempDir();
    const sock = join(dir, 'c.sock');
    const b = startBoot(['--console-socket', sock, '--suspend-after', '0.5', '--crash-after', '5']);
    const lives = (): number => (b.err.match(/: online \([^)]*\), live devices: console net block/g) ?? []).length;
    await b.ready();
    await waitFor('OSPM suspend and resume', () => /OSPM resume/.test(b.err) && lives() >= 2, 30_000, () => b.err);
    expect(b.err).toMatch(/mic0: suspended/);
    await waitFor('the panic and the reset', () => /mic0: card panic[^\n]*\n[^]*mic0: offline/.test(b.err), 30_000, () => b.err);
    expect(b.err).toMatch(/shutdown_status crashed/);
    b.child.kill('SIGUSR2');
    await waitFor('the card booted again', () => lives() >= 3, 30_000, () => b.err);
    expect(b.err).toMatch(/SIGUSR2: mic0: write boot to state/);
    const got = await socatShell(sock, 'echo back again\n', /back again\nmic0\$ /);
    expect(got).toContain('back again');
    expect(await terminate(b)).toBe(0);
  }, 120_000);

  test('the README session transcript is still true: each command typed over socat gets the answer shown', async (ctx) => {
    if (!needTools(ctx, 'socat')) return;
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /<!-- boot-transcript:begin -->\n```text\n([^]*?)```\n<!-- boot-transcript:end -->/.exec(readme)?.[1];
    expect(block, 'README.md has the boot transcript').toBeDefined();
    const lines = block!.split('\n').filter((l) => l !== '' && !l.startsWith('$ '));
    const commands = lines.filter((l) => l.startsWith('mic0$ ')).map((l) => l.slice('mic0$ '.length));
    expect(commands.length).toBeGreaterThan(3);
    // what socat prints: the prompts and answers, without the typed lines a terminal would echo
    const expected = lines.map((l) => (l.startsWith('mic0$ ') ? 'mic0$ ' : `${l}\n`)).join('');
    const dir = tempDir();
    const sock = join(dir, 'mic0.console');
    const b = startBoot(['--console-socket', sock]);
    await b.ready();
    const s = spawn('socat', ['-', `UNIX-CONNECT:${sock}`], { stdio: ['pipe', 'pipe', 'pipe'], env: ENV });
    onTestFinished(() => {
      if (s.exitCode === null) s.kill('SIGKILL');
    });
    let got = '';
    s.stdout.on('data', (d: Buffer) => (got += d.toString()));
    const prompts = (): number => got.split('mic0$ ').length - 1;
    await waitFor('the first prompt', () => prompts() >= 1, 20_000, () => got);
    // one command at a time, as a person types: the next after the prompt that ends the answer
    for (const [i, c] of commands.entries()) {
      s.stdin.write(`${c}\n`);
      await waitFor(`the answer to ${c}`, () => prompts() >= i + 2, 20_000, () => got);
    }
    s.stdin.end();
    // the transcript may stop inside the last answer (xd's 32 lines): it is a prefix of what came
    expect(got.startsWith(expected), `got:\n${got}\nexpected a prefix:\n${expected}`).toBe(true);
    expect(await terminate(b)).toBe(0);
  }, 90_000);

  test('block: the card reads the superblock of a mke2fs image (magic 0xEF53); e2fsck -n accepts the image after', async (ctx) => {
    if (!needTools(ctx, 'socat', 'mke2fs', 'e2fsck')) return;
    const dir = tempDir();
    const img = join(dir, 'ext2.img');
    writeFileSync(img, new Uint8Array(4 * 2 ** 20));
    const mk = spawnSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', '-L', 'micvop', img], { encoding: 'utf8', env: ENV });
    expect(mk.status, mk.stderr).toBe(0);
    const before = readFileSync(img);
    const sock = join(dir, 'c.sock');
    const b = startBoot(['--disk', img, '--readonly', '--console-socket', sock]);
    await b.ready();
    // the superblock is at byte 1024: sector 2; s_magic at its offset 56 (line 0030, bytes 8 and 9)
    const got = await socatShell(sock, 'xd 2\nwrite 2 scribble\n', /write 2: [^\n]*\n/);
    const row = /\n0030 {2}((?:[0-9a-f]{2} ?){16})\n/.exec(got)?.[1]?.split(' ');
    expect(row, got).toBeDefined();
    expect(`${row![9]}${row![8]}`).toBe('ef53');
    // the volume label at superblock offset 120 (line 0070, bytes 8..)
    expect(got).toMatch(/\n0070 {2}(?:[0-9a-f]{2} ){8}6d 69 63 76 6f 70 00/);
    // --readonly: the card's driver refuses the write itself
    expect(got).toMatch(/write 2: bad-request/);
    expect(await terminate(b)).toBe(0);
    expect(readFileSync(img).equals(before)).toBe(true);
    const fsck = spawnSync('e2fsck', ['-n', '-f', img], { encoding: 'utf8', env: ENV });
    expect(fsck.status, `${fsck.stdout}${fsck.stderr}`).toBe(0);
  }, 90_000);

  test('block: sectors the card wrote are in the file byte for byte (cmp); SIGTERM flushes and exits 0', async (ctx) => {
    if (!needTools(ctx, 'socat', 'cmp')) return;
    const dir = tempDir();
    const img = join(dir, 'disk.img');
    const sectors = 64;
    const original = new Uint8Array(sectors * 512).map((_, i) => (i * 7 + 3) & 0xff);
    writeFileSync(img, original);
    const sock = join(dir, 'c.sock');
    const b = startBoot(['--disk', img, '--console-socket', sock]);
    await b.ready();
    const writes: [number, string][] = [[3, 'hello from mic0'], [10, 'second sector written by the card'], [63, 'the last sector']];
    const got = await socatShell(sock, `${writes.map(([s, t]) => `write ${s} ${t}\n`).join('')}read 10\n`, /read 10: [^\n]*\n/);
    for (const [s] of writes) expect(got).toContain(`write ${s}: ok`);
    expect(got).toContain('read 10: ok second sector written by the card');
    expect(await terminate(b)).toBe(0);
    expect(b.err).toContain('micvop boot: disk flushed (fsync)');
    const want = original.slice();
    for (const [s, t] of writes) {
      want.fill(0, s * 512, (s + 1) * 512);
      want.set(new TextEncoder().encode(t), s * 512);
    }
    const expected = join(dir, 'expected.img');
    writeFileSync(expected, want);
    const cmp = spawnSync('cmp', [img, expected], { encoding: 'utf8', env: ENV });
    expect(cmp.status, cmp.stdout + cmp.stderr).toBe(0);
  }, 90_000);

  test('net: in a network namespace of its own, socat bridges the UDP tunnel to a TAP; Linux ping and a UDP echo get answers', async (ctx) => {
    if (!needTools(ctx, 'ip', 'socat', 'ping')) return;
    const ns = `micvop-boot-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8', env: ENV });
    if (add.status !== 0) {
      const reason = `ip netns add is not permitted here: ${(add.stderr || add.error?.message || '').trim().split('\n')[0]}`;
      console.warn(`skip: ${ctx.task.name}: ${reason}`);
      ctx.skip(reason);
      return;
    }
    onTestFinished(() => void spawnSync('ip', ['netns', 'del', ns], { env: ENV }));
    const inNs = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', env: ENV, timeout: 30_000 });
    const lo = inNs('ip', 'link', 'set', 'lo', 'up');
    if (lo.status !== 0) {
      const reason = `ip netns exec is not permitted here: ${(lo.stderr || lo.error?.message || '').trim().split('\n')[0]}`;
      console.warn(`skip: ${ctx.task.name}: ${reason}`);
      ctx.skip(reason);
      return;
    }
    // every address below is inside the namespace: its own loopback, the TAP and the card behind it
    const [port, peer] = [47001, 47002];
    const b = startBoot([], 'ignore', ['ip', 'netns', 'exec', ns, process.execPath, BIN, 'boot', '--net-udp', String(port), '--net-peer', String(peer)]);
    await b.ready();
    expect(b.err).toContain('address 172.31.1.1');
    const bridge = spawn('ip', ['netns', 'exec', ns, 'socat', `UDP4-DATAGRAM:127.0.0.1:${port},bind=127.0.0.1:${peer}`, 'TUN:172.31.1.254/24,tun-type=tap,iff-no-pi,up'], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let bridgeErr = '';
    bridge.stderr.on('data', (d: Buffer) => (bridgeErr += d.toString()));
    onTestFinished(() => {
      if (bridge.exitCode === null) bridge.kill('SIGKILL');
    });
    const tapUp = (): boolean => /172\.31\.1\.254/.test(inNs('ip', 'addr').stdout ?? '');
    const end = Date.now() + 10_000;
    while (!tapUp() && bridge.exitCode === null && Date.now() < end) await sleep(100);
    if (!tapUp()) {
      const reason = `socat could not make a TAP in the namespace: ${bridgeErr.trim().split('\n')[0] ?? 'no TAP after 10 s'}`;
      console.warn(`skip: ${ctx.task.name}: ${reason}`);
      ctx.skip(reason);
      return;
    }
    const ping = inNs('ping', '-c', '20', '-i', '0.2', '-W', '2', '172.31.1.1');
    const summary = `${ping.stdout}${ping.stderr}`;
    console.log(`micvop boot ping through a TAP: ${summary.split('\n').filter((l) => /packet loss|rtt/.test(l)).join('; ')}`);
    expect(summary).toMatch(/20 packets transmitted, 20 received, 0% packet loss/);
    expect(ping.status).toBe(0);
    const echo = spawnSync('ip', ['netns', 'exec', ns, 'socat', '-t', '2', '-', 'UDP4:172.31.1.1:7'], { input: 'a UDP echo through a TAP\n', encoding: 'utf8', env: ENV, timeout: 20_000 });
    expect(echo.stdout).toBe('a UDP echo through a TAP\n');
    expect(await terminate(b)).toBe(0);
    expect(b.err).toMatch(/echo replies 20, udp echoes 1/);
  }, 120_000);

  test('durability: SIGKILL right after the card saw a FLUSH complete loses no write acknowledged before it', async (ctx) => {
    if (!needTools(ctx, 'socat')) return;
    const dir = tempDir();
    // a fixed seed for the points: the test is the same on every run, and still kills mid-traffic
    let seed = 0x2545f491;
    const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const rounds = 3;
    let survived = 0;
    for (let round = 0; round < rounds; round++) {
      const img = join(dir, `d${round}.img`);
      writeFileSync(img, new Uint8Array(256 * 512));
      const sock = join(dir, `c${round}.sock`);
      const b = startBoot(['--disk', img, '--console-socket', sock, '--seed', String(round + 1)]);
      await b.ready();
      const s = spawn('socat', ['-', `UNIX-CONNECT:${sock}`], { stdio: ['pipe', 'pipe', 'pipe'], env: ENV });
      onTestFinished(() => {
        if (s.exitCode === null) s.kill('SIGKILL');
      });
      let got = '';
      const text = (k: number): string => `round ${round} write ${k} ${'x'.repeat(1 + rand(200))}`;
      const texts = new Map<number, string>();
      // a burst of writes to random sectors with a flush among them; more writes keep coming after
      const flushAt = 4 + rand(12);
      const lines: string[] = [];
      for (let k = 0; k < flushAt + 8; k++) {
        const sector = k; // one sector per write: what was acknowledged is then unambiguous
        texts.set(sector, text(k));
        lines.push(`write ${sector} ${texts.get(sector)!}\n`);
        if (k === flushAt) lines.push('flush\n');
      }
      let killedAt = '';
      s.stdout.on('data', (d: Buffer) => {
        got += d.toString();
        if (killedAt === '' && /flush: ok/.test(got)) {
          b.child.kill('SIGKILL');
          killedAt = got;
        }
      });
      s.stdin.write(lines.join(''));
      await waitFor('flush: ok', () => killedAt !== '', 20_000, () => got);
      expect(await Promise.race([b.exit, sleep(10_000).then(() => 'timeout')])).toBe(null);
      const acked = [...killedAt.slice(0, killedAt.indexOf('flush: ok')).matchAll(/write (\d+): ok/g)].map((m) => Number(m[1]));
      expect(acked.length, killedAt).toBeGreaterThan(0);
      const file = readFileSync(img);
      for (const sector of acked) {
        const want = Buffer.alloc(512);
        want.write(texts.get(sector)!);
        expect(file.subarray(sector * 512, (sector + 1) * 512).equals(want), `round ${round}: sector ${sector}, acknowledged before the flush; console:\n${killedAt}`).toBe(true);
      }
      survived += acked.length;
      s.kill('SIGKILL');
    }
    console.log(`micvop boot durability: ${rounds} SIGKILLs right after a FLUSH completed, ${survived} writes acknowledged before them, all in the file`);
  }, 180_000);

  test('a terminal under tmux: typing at the card\'s shell, reading its answers, Ctrl-C shuts down cleanly with exit 0', async (ctx) => {
    if (!needTools(ctx, 'tmux')) return;
    const server = `micvop-boot-test-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
    onTestFinished(() => void tmux('kill-server'));
    const cmd = `cd '${root}' && '${process.execPath}' cli/bin.mjs boot; echo "EXIT=$?"; sleep 60`;
    const r = tmux('new-session', '-d', '-s', 'boot', '-x', '160', '-y', '60', cmd);
    expect(r.status, r.stderr).toBe(0);
    const pane = (): string => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'boot').stdout;
    await waitFor('the card to boot in the pane', () => /live devices: console net block/.test(pane()), READY_MS, pane);
    tmux('send-keys', '-t', 'boot', 'idx', 'BSpace', 'Enter');
    await waitFor("the answer to id", () => /coprocessor x100 \(micvop\)/.test(pane()), 20_000, pane);
    tmux('send-keys', '-t', 'boot', 'echo typed at a terminal', 'Enter');
    await waitFor('the echo', () => /\ntyped at a terminal\n/.test(pane()), 20_000, pane);
    tmux('send-keys', '-t', 'boot', 'C-t');
    await waitFor('the status', () => /console +host->card \d+ bytes/.test(pane()), 20_000, pane);
    tmux('send-keys', '-t', 'boot', 'C-c');
    await waitFor('the exit', () => /EXIT=\d+/.test(pane()), 30_000, pane);
    const p = pane();
    // the typed line as the terminal shows it (the erased x leaves a blank cell), then the answer
    expect(p).toMatch(/\bid *\nmic0 Intel\(R\) Xeon Phi\(TM\) coprocessor x100 \(micvop\)\nmic0\$ /);
    expect(p).toMatch(/Ctrl-C: mic0: write shutdown to state/);
    expect(p).toMatch(/mic0: offline/);
    expect(p).toMatch(/EXIT=0/);
  }, 120_000);
});
