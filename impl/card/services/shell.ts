/**
 * The card's console shell (issue 10 item 2): line-oriented, on the virtio console. Commands:
 * `id`, `uptime` (virtual time since this OS booted, never the wall clock), `devices` (what the VOP
 * transport bound), `read <sector>` / `write <sector> <text>` (through the block driver; the answer
 * comes when the completion does), `xd <sector>` (the sector in hex, 16 bytes a line, for binary
 * data such as a file system's superblock), `flush` (a VIRTIO_BLK_T_FLUSH: answered once the host's
 * store says the completed writes are durable), `echo <text>`, `help`. Lines end at LF, CR or CR LF; an unknown
 * command gets one error line. Output the console cannot take yet waits for its next drain.
 */
import type { BlkCompletion, CardBlk } from '../../../model/contract.ts';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_SECTOR_SIZE } from '../../../model/layout/virtio-devices.ts';

/** typed bytes beyond this in one line are dropped (hostile input costs bounded memory) */
export const SHELL_MAX_LINE = 1024;
const LF = 0x0a;
const CR = 0x0d;

export interface ShellEnv {
  readonly name: string;
  /** `id`'s answer */
  identity(): string;
  /** virtual ns since the OS booted */
  uptimeNs(): number;
  devices(): readonly { readonly type: number; readonly offset: number; readonly live: boolean }[];
  readonly blk: CardBlk;
  /** console output; how many bytes were taken */
  write(bytes: Uint8Array): number;
}

const TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'net', 2: 'block', 3: 'console' };
const HELP = ['id', 'uptime', 'devices', 'read <sector>', 'xd <sector>', 'write <sector> <text>', 'flush', 'echo <text>', 'help'];
const statusName = (s: number): string =>
  s === VIRTIO_BLK_S_OK ? 'ok' : s === VIRTIO_BLK_S_IOERR ? 'ioerr' : s === VIRTIO_BLK_S_UNSUPP ? 'unsupp' : s < 0 ? 'no status' : `status ${s}`;

export class Shell {
  private line: number[] = [];
  private skipLf = false;
  private out: Uint8Array[] = [];
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly env: ShellEnv) {}

  get prompt(): string {
    return `${this.env.name}$ `;
  }

  /** the console came up (a new boot or a reprobe): a fresh line and the prompt */
  live(): void {
    this.line = [];
    this.skipLf = false;
    this.out = [];
    this.print(this.prompt);
  }

  input(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === LF && this.skipLf) {
        this.skipLf = false;
        continue;
      }
      this.skipLf = b === CR;
      if (b === LF || b === CR) {
        const text = this.dec.decode(Uint8Array.from(this.line));
        this.line = [];
        this.run(text.trim());
      } else if (this.line.length < SHELL_MAX_LINE) this.line.push(b);
    }
  }

  /** the console took earlier output: send what waited */
  drained(): void {
    while (this.out.length > 0) {
      const head = this.out[0]!;
      const n = this.env.write(head);
      if (n < head.length) {
        this.out[0] = head.subarray(n);
        return;
      }
      this.out.shift();
    }
  }

  private print(text: string): void {
    this.out.push(this.enc.encode(text));
    this.drained();
  }

  private answer(text: string): void {
    this.print(`${text}\n${this.prompt}`);
  }

  private run(cmdline: string): void {
    if (cmdline === '') return this.print(this.prompt);
    const [cmd = '', ...args] = cmdline.split(/\s+/);
    const rest = cmdline.slice(cmd.length).trim();
    switch (cmd) {
      case 'id':
        return this.answer(this.env.identity());
      case 'uptime':
        return this.answer(`up ${(this.env.uptimeNs() / 1e9).toFixed(9)} s`);
      case 'devices': {
        const list = this.env.devices().map((d) => `${TYPE_NAMES[d.type] ?? `type ${d.type}`} @${d.offset} ${d.live ? 'live' : 'down'}`);
        return this.answer(list.length === 0 ? 'no devices' : list.join('\n'));
      }
      case 'echo':
        return this.answer(rest);
      case 'help':
        return this.answer(HELP.join('\n'));
      case 'read':
        return this.read(args[0]);
      case 'xd':
        return this.hexdump(args[0]);
      case 'flush':
        return this.blkRequest('flush', { type: 'flush' }, () => '');
      case 'write':
        return this.write(args[0], rest.slice((args[0] ?? '').length).trim());
      default:
        return this.answer(`${cmd}: unknown command (try help)`);
    }
  }

  private sector(arg: string | undefined): number | undefined {
    return arg !== undefined && /^\d{1,15}$/.test(arg) ? Number(arg) : undefined;
  }

  private read(arg: string | undefined): void {
    const sector = this.sector(arg);
    if (sector === undefined) return this.answer('usage: read <sector>');
    this.blkRequest(`read ${sector}`, { type: 'in', sector, sectors: 1 }, (c) => {
      const nul = c.data.indexOf(0);
      const text = this.dec.decode(c.data.subarray(0, nul < 0 ? c.data.length : nul)).replace(/[^\x20-\x7e]/g, '.');
      return c.status === VIRTIO_BLK_S_OK ? ` ${text}` : '';
    });
  }

  private hexdump(arg: string | undefined): void {
    const sector = this.sector(arg);
    if (sector === undefined) return this.answer('usage: xd <sector>');
    this.blkRequest(`xd ${sector}`, { type: 'in', sector, sectors: 1 }, (c) => {
      if (c.status !== VIRTIO_BLK_S_OK) return '';
      const lines: string[] = [];
      for (let at = 0; at < c.data.length; at += 16) {
        const row = [...c.data.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
        lines.push(`${at.toString(16).padStart(4, '0')}  ${row}`);
      }
      return `\n${lines.join('\n')}`;
    });
  }

  private write(arg: string | undefined, text: string): void {
    const sector = this.sector(arg);
    if (sector === undefined) return this.answer('usage: write <sector> <text>');
    const data = new Uint8Array(VIRTIO_BLK_SECTOR_SIZE);
    data.set(this.enc.encode(text).subarray(0, VIRTIO_BLK_SECTOR_SIZE));
    this.blkRequest(`write ${sector}`, { type: 'out', sector, data }, () => '');
  }

  private blkRequest(what: string, req: Parameters<CardBlk['submit']>[0], detail: (c: BlkCompletion) => string): void {
    const r = this.env.blk.submit(req, (c) => this.answer(`${what}: ${statusName(c.status)}${detail(c)}`));
    if (typeof r !== 'number') return this.answer(`${what}: ${r.reason} (${r.detail})`);
    this.env.blk.kick();
  }
}
