/**
 * The net backend as raw Ethernet frames over UDP on loopback (issue 10 item 3): one frame per
 * datagram, bound to 127.0.0.1:<port>, sent to 127.0.0.1:<peerPort>. A bridge to a Linux TAP is
 * then one command, e.g. `socat UDP4-DATAGRAM:127.0.0.1:<port>,bind=127.0.0.1:<peerPort>
 * TUN:...,tun-type=tap,iff-no-pi`. Datagrams arrive asynchronously into a queue that `take` drains
 * synchronously, so the daemon's pump never waits on the socket.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { NetBackend } from '../../../model/contract.ts';
import { MAX_NET_PKT_SIZE } from '../../../model/layout/virtio-devices.ts';
import { BackendError } from './errors.ts';

export interface UdpNetOptions {
  /** local port (0: the system picks one; see `port`) */
  readonly port?: number;
  /** where frames from the card go */
  readonly peerPort: number;
  /** loopback by default */
  readonly host?: string;
  /** frames waiting for the card beyond this many are dropped (default 4096) */
  readonly maxQueued?: number;
}

export class UdpNet implements NetBackend {
  private readonly queue: Uint8Array[] = [];
  /** frames dropped because the queue was full or a frame was larger than the card can take */
  dropped = 0;
  sent = 0;

  private constructor(
    private readonly sock: Socket,
    readonly port: number,
    readonly peerPort: number,
    private readonly host: string,
    private readonly maxQueued: number,
  ) {
    sock.on('message', (msg) => {
      if (this.queue.length >= this.maxQueued || msg.length > MAX_NET_PKT_SIZE) this.dropped++;
      else {
        this.queue.push(new Uint8Array(msg.buffer, msg.byteOffset, msg.length).slice());
        this.arrival?.();
      }
    });
  }

  private arrival: (() => void) | undefined;
  /** `fn` runs when a frame for the card arrives (a paced run catches up at once instead of at its next tick) */
  onArrival(fn: () => void): void {
    this.arrival = fn;
  }

  static open(opts: UdpNetOptions): Promise<UdpNet> {
    const host = opts.host ?? '127.0.0.1';
    const sock = createSocket('udp4');
    return new Promise((resolve, reject) => {
      sock.once('error', (e) => {
        sock.close();
        reject(new BackendError('socket', `net udp ${host}:${opts.port ?? 0}: ${e.message}`));
      });
      sock.bind(opts.port ?? 0, host, () => {
        sock.removeAllListeners('error');
        // a late socket error (an unreachable peer) is not the card's problem: count and go on
        sock.on('error', () => undefined);
        resolve(new UdpNet(sock, sock.address().port, opts.peerPort, host, opts.maxQueued ?? 4096));
      });
    });
  }

  take(): Uint8Array | undefined {
    return this.queue.shift();
  }

  put(frame: Uint8Array): void {
    this.sent++;
    this.sock.send(frame, this.peerPort, this.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}
