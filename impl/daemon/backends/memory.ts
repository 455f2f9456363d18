/**
 * In-memory twins of the daemon's backends (DESIGN.md §2: real I/O only behind small interfaces,
 * every property deterministic): a console of byte queues, a net of frame queues, a disk over a
 * Uint8Array with a read-only flag, an id, and injected EIO.
 */
import type { BlockBackend, BlockIoError, ConsoleBackend, NetBackend } from '../../../model/contract.ts';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../../model/layout/virtio-devices.ts';
import { BackendError } from './errors.ts';

export class MemoryConsole implements ConsoleBackend {
  /** chunks typed for the card, oldest first */
  readonly input: Uint8Array[] = [];
  /** every chunk the card printed, in order */
  readonly output: Uint8Array[] = [];

  type(bytes: Uint8Array | string): void {
    this.input.push(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes.slice());
  }

  take(): Uint8Array | undefined {
    return this.input.shift();
  }

  put(bytes: Uint8Array): void {
    this.output.push(bytes.slice());
  }

  /** everything printed so far, as one array */
  printed(): Uint8Array {
    const out = new Uint8Array(this.output.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of this.output) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }
}

export class MemoryNet implements NetBackend {
  /** frames for the card, oldest first */
  readonly toCard: Uint8Array[] = [];
  /** frames the card sent, in order */
  readonly fromCard: Uint8Array[] = [];

  send(frame: Uint8Array): void {
    this.toCard.push(frame.slice());
  }

  take(): Uint8Array | undefined {
    return this.toCard.shift();
  }

  put(frame: Uint8Array): void {
    this.fromCard.push(frame.slice());
  }
}

export interface MemoryDiskOptions {
  readonly readOnly?: boolean;
  /** GET_ID text or bytes (at most 20 are used) */
  readonly id?: string | Uint8Array;
  /** initial content (its length is the disk size) */
  readonly content?: Uint8Array;
}

export class MemoryDisk implements BlockBackend {
  readonly bytes: Uint8Array;
  readonly readOnly: boolean;
  readonly id: Uint8Array;
  /** the next this-many operations (read, write or flush) fail with EIO */
  failNext = 0;
  /** operations that reached the store */
  reads = 0;
  writes = 0;
  flushes = 0;

  constructor(sizeBytes: number, opts: MemoryDiskOptions = {}) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0 || sizeBytes % VIRTIO_BLK_SECTOR_SIZE !== 0) {
      throw new BackendError('bad-size', `memory disk: ${sizeBytes} bytes is not a whole number of 512-byte sectors`);
    }
    this.bytes = new Uint8Array(sizeBytes);
    if (opts.content) this.bytes.set(opts.content.subarray(0, sizeBytes));
    this.readOnly = opts.readOnly ?? false;
    const id = opts.id ?? 'micvop-memory-disk';
    this.id = typeof id === 'string' ? new TextEncoder().encode(id) : id.slice();
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }

  private fail(): BlockIoError | undefined {
    if (this.failNext <= 0) return undefined;
    this.failNext--;
    return { error: 'EIO' };
  }

  private inside(offset: number, len: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && len >= 0 && offset + len <= this.bytes.length;
  }

  read(offset: number, len: number): Uint8Array | BlockIoError {
    const f = this.fail();
    if (f) return f;
    if (!this.inside(offset, len)) return { error: 'EIO' };
    this.reads++;
    return this.bytes.slice(offset, offset + len);
  }

  write(offset: number, data: Uint8Array): true | BlockIoError {
    const f = this.fail();
    if (f) return f;
    if (this.readOnly || !this.inside(offset, data.length)) return { error: 'EIO' };
    this.bytes.set(data, offset);
    this.writes++;
    return true;
  }

  flush(): true | BlockIoError {
    const f = this.fail();
    if (f) return f;
    this.flushes++;
    return true;
  }
}
