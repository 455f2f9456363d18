/**
 * The block backend on a real file (issue 10 item 3): size → capacity, reads and writes at
 * sector·512 with positioned I/O, FLUSH → fsync, a read-only mode, a configurable GET_ID. Every
 * problem with the file itself (missing, unreadable, not a regular file, a size that is not a whole
 * number of 512-byte sectors) is a BackendError thrown by `open`, never a surprise later; an I/O
 * error after that is the EIO value the block loop turns into VIRTIO_BLK_S_IOERR.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { BlockBackend, BlockIoError } from '../../../model/contract.ts';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../../model/layout/virtio-devices.ts';
import { BackendError } from './errors.ts';

export interface FileDiskOptions {
  /** open read-only and offer VIRTIO_BLK_F_RO (default false) */
  readonly readOnly?: boolean;
  /** GET_ID text (default: the file's base name; at most 20 bytes are used) */
  readonly id?: string;
}

const EIO: BlockIoError = { error: 'EIO' };
const codeOf = (e: unknown): string => (typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '');

export class FileDisk implements BlockBackend {
  readonly id: Uint8Array;
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    readonly sizeBytes: number,
    readonly readOnly: boolean,
    id: string,
  ) {
    this.fd = fd;
    this.id = new TextEncoder().encode(id).subarray(0, 20);
  }

  /** open `path` as a disk; throws BackendError with a one-line reason */
  static open(path: string, opts: FileDiskOptions = {}): FileDisk {
    const readOnly = opts.readOnly ?? false;
    let fd: number;
    try {
      fd = openSync(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      const code = codeOf(e);
      if (code === 'ENOENT') throw new BackendError('missing', `disk ${path}: no such file`);
      if (code === 'EISDIR') throw new BackendError('not-a-file', `disk ${path}: is a directory, not a file`);
      throw new BackendError('unreadable', `disk ${path}: cannot open ${readOnly ? 'for reading' : 'for reading and writing'} (${code || String(e)})`);
    }
    const st = fstatSync(fd);
    const fail = (err: BackendError): never => {
      closeSync(fd);
      throw err;
    };
    if (!st.isFile()) fail(new BackendError('not-a-file', `disk ${path}: not a regular file`));
    if (st.size % VIRTIO_BLK_SECTOR_SIZE !== 0) {
      fail(new BackendError('bad-size', `disk ${path}: ${st.size} bytes is not a whole number of 512-byte sectors`));
    }
    const name = path.split('/').pop() ?? path;
    return new FileDisk(path, fd, st.size, readOnly, opts.id ?? name);
  }

  private inside(offset: number, len: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && len >= 0 && offset + len <= this.sizeBytes;
  }

  read(offset: number, len: number): Uint8Array | BlockIoError {
    if (this.fd === undefined || !this.inside(offset, len)) return EIO;
    const buf = new Uint8Array(len);
    try {
      for (let done = 0; done < len; ) {
        const n = readSync(this.fd, buf, done, len - done, offset + done);
        if (n <= 0) return EIO;
        done += n;
      }
    } catch {
      return EIO;
    }
    return buf;
  }

  write(offset: number, bytes: Uint8Array): true | BlockIoError {
    if (this.fd === undefined || this.readOnly || !this.inside(offset, bytes.length)) return EIO;
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, offset + done);
    } catch {
      return EIO;
    }
    return true;
  }

  flush(): true | BlockIoError {
    if (this.fd === undefined) return EIO;
    try {
      fsyncSync(this.fd);
    } catch {
      return EIO;
    }
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
