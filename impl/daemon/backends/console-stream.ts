/**
 * Real console backends (issue 10 item 3): a Unix-domain socket any client can attach to (`socat
 * - UNIX-CONNECT:<path>`, `nc -U <path>`), one client at a time, and the terminal (any readable /
 * writable stream pair, stdin / stdout by default). Input arrives asynchronously into a queue that
 * `take` drains synchronously; output the card prints while no client is attached is kept (up to a
 * bound) and handed to the next client, as a console log would be.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { ConsoleBackend } from '../../../model/contract.ts';
import { BackendError } from './errors.ts';

const bytesOf = (b: Buffer | string): Uint8Array =>
  typeof b === 'string' ? new TextEncoder().encode(b) : new Uint8Array(b.buffer, b.byteOffset, b.length).slice();

/** after a client's EOF, how long the CLI keeps its session open for the card's answers (wall clock) */
export const EOF_LINGER_MS = 1000;

/**
 * After a client's EOF, `linger(end)` decides when our side ends. The default ends it at once; a
 * caller on the wall clock (the CLI) passes a timer, so no timer lives in impl/ (DESIGN.md §3).
 */
export type Linger = (end: () => void) => void;
const endNow: Linger = (end) => end();

/** the queue both variants share */
class Queued {
  protected readonly input: Uint8Array[] = [];
  private arrival: (() => void) | undefined;
  take(): Uint8Array | undefined {
    return this.input.shift();
  }
  /** `fn` runs when typed bytes arrive (a paced run catches up at once instead of at its next tick) */
  onArrival(fn: () => void): void {
    this.arrival = fn;
  }
  protected push(bytes: Uint8Array): void {
    this.input.push(bytes);
    this.arrival?.();
  }
}

/** the console on the terminal: bytes read from `input` go to the card, the card's output to `output` */
export class TerminalConsole extends Queued implements ConsoleBackend {
  private readonly onData = (b: Buffer | string): void => this.push(bytesOf(b));

  constructor(
    private readonly inStream: NodeJS.ReadableStream = process.stdin,
    private readonly outStream: NodeJS.WritableStream = process.stdout,
  ) {
    super();
    inStream.on('data', this.onData);
  }

  put(bytes: Uint8Array): void {
    this.outStream.write(bytes);
  }

  close(): void {
    this.inStream.removeListener('data', this.onData);
  }
}

/** the console on a Unix-domain socket at `path` */
export class UnixSocketConsole extends Queued implements ConsoleBackend {
  private client: Socket | undefined;
  /** the client sent EOF: it still reads for EOF_LINGER_MS, and a new client may take its place */
  private clientDone = false;
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  /** clients refused because one was attached already */
  refused = 0;

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly maxBacklog: number,
    private readonly linger: Linger,
  ) {
    super();
    server.on('connection', (s) => this.attach(s));
  }

  /** listen on `path` (which must not exist); throws BackendError */
  static listen(path: string, opts: { maxBacklog?: number; linger?: Linger } = {}): Promise<UnixSocketConsole> {
    // half-open: a client that is done typing (`echo id | socat -t 2 - UNIX-CONNECT:...` sends EOF
    // at once) still reads the answers until it closes its side too
    const server = createServer({ allowHalfOpen: true });
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new BackendError('socket', `console socket ${path}: ${e.message}`)));
      server.listen(path, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        resolve(new UnixSocketConsole(path, server, opts.maxBacklog ?? 65536, opts.linger ?? endNow));
      });
    });
  }

  get attached(): boolean {
    return this.client !== undefined;
  }

  private attach(s: Socket): void {
    if (this.client !== undefined && !this.clientDone) {
      this.refused++;
      s.end('console busy: another client is attached\n');
      return;
    }
    // a client that sent EOF gives way to a new one at once
    this.client?.destroy();
    this.client = s;
    this.clientDone = false;
    s.on('data', (b: Buffer) => this.push(bytesOf(b)));
    s.on('error', () => undefined);
    // the client's EOF: what the card prints until `linger` ends our side still reaches it (a
    // client gone for good shows nothing else: its reads fail only once written to)
    s.on('end', () => {
      if (this.client === s) this.clientDone = true;
      this.linger(() => s.end());
    });
    s.on('close', () => {
      if (this.client === s) this.client = undefined;
    });
    for (const b of this.backlog) s.write(b);
    this.backlog = [];
    this.backlogBytes = 0;
  }

  put(bytes: Uint8Array): void {
    if (this.client !== undefined) {
      this.client.write(bytes);
      return;
    }
    this.backlog.push(bytes.slice());
    this.backlogBytes += bytes.length;
    while (this.backlogBytes > this.maxBacklog && this.backlog.length > 0) this.backlogBytes -= this.backlog.shift()!.length;
  }

  /** close the client and the server and remove the socket file */
  close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
    return new Promise((resolve) =>
      this.server.close(() => {
        rmSync(this.path, { force: true });
        resolve();
      }),
    );
  }
}
