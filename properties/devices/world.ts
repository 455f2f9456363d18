/**
 * The device properties' world (issue 10): one card booted by our mpssd's lifecycle part, the
 * device daemon serving console, net and block from backends this file owns (so what reaches the
 * host is observed where it lands), and the card's services as the card's software uses them.
 *
 * The backends are the properties' own in-memory twins: a console that hands out typed chunks and
 * records what the card printed, a net pipe of whole frames, and a disk over a Uint8Array that can
 * be told to fail with EIO. The oracle models (the byte streams, the sector array) live in the
 * property files, apart from these stores.
 */
import type {
  BlockBackend, BlockIoError, CardServices, ConsoleBackend, DeviceDaemon, Implementation, MicSystem, NetBackend, SystemConfig,
} from '../../model/contract.ts';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../model/layout/virtio-devices.ts';

export class ModelConsole implements ConsoleBackend {
  /** chunks waiting to be typed */
  readonly typing: Uint8Array[] = [];
  /** every byte the card printed, in order */
  printed: number[] = [];
  take(): Uint8Array | undefined {
    return this.typing.shift();
  }
  put(bytes: Uint8Array): void {
    for (const b of bytes) this.printed.push(b);
  }
}

export class ModelNet implements NetBackend {
  readonly toCard: Uint8Array[] = [];
  readonly fromCard: Uint8Array[] = [];
  take(): Uint8Array | undefined {
    return this.toCard.shift();
  }
  put(frame: Uint8Array): void {
    this.fromCard.push(frame.slice());
  }
}

export class ModelDisk implements BlockBackend {
  readonly bytes: Uint8Array;
  /** sector ranges whose next read or write fails with EIO (injected by a property) */
  failNext = 0;
  flushes = 0;
  writes = 0;
  /** what the daemon did that it never may (write a read-only disk, outside the disk): kept, not thrown, so no catch can hide it */
  readonly violations: string[] = [];
  readonly id: Uint8Array;
  constructor(
    sectors: number,
    readonly readOnly = false,
    idText = 'micvop-model-disk',
  ) {
    this.bytes = new Uint8Array(sectors * VIRTIO_BLK_SECTOR_SIZE);
    this.id = new TextEncoder().encode(idText);
  }
  get sizeBytes(): number {
    return this.bytes.length;
  }
  private fail(): BlockIoError | undefined {
    if (this.failNext <= 0) return undefined;
    this.failNext--;
    return { error: 'EIO' };
  }
  read(offset: number, len: number): Uint8Array | BlockIoError {
    if (offset < 0 || offset + len > this.bytes.length) this.violations.push(`a read outside the disk: [${offset}, +${len})`);
    return this.fail() ?? this.bytes.slice(offset, offset + len);
  }
  write(offset: number, data: Uint8Array): true | BlockIoError {
    const f = this.fail();
    if (f) return f;
    if (this.readOnly) {
      this.violations.push(`a write of ${data.length} bytes at ${offset} to a read-only disk`);
      return { error: 'EIO' };
    }
    if (offset < 0 || offset + data.length > this.bytes.length) {
      this.violations.push(`a write outside the disk: [${offset}, +${data.length})`);
      return { error: 'EIO' };
    }
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

export interface DevWorldOptions {
  readonly dma?: boolean;
  readonly sectors?: number;
  readonly readOnly?: boolean;
  readonly console?: boolean;
  readonly net?: boolean;
  readonly block?: boolean;
  readonly config?: Partial<SystemConfig>;
}

/** scheduler steps any one wait may take before the world calls it a hang */
export const WAIT_STEPS = 2_000_000;

export class DevWorld {
  readonly sys: MicSystem;
  readonly daemon: DeviceDaemon;
  readonly console = new ModelConsole();
  readonly net = new ModelNet();
  readonly disk: ModelDisk;
  readonly startErrors: readonly string[];

  constructor(
    readonly impl: Implementation,
    opts: DevWorldOptions = {},
  ) {
    if (impl.system === undefined || impl.daemon === undefined) throw new Error('the device world needs `system` and `daemon`');
    this.disk = new ModelDisk(opts.sectors ?? 64, opts.readOnly ?? false);
    this.sys = impl.system.createSystem({ trace: false, dma: opts.dma ?? true, daemon: true, cardDrivers: true, devices: [], accessLogs: false, ...opts.config });
    this.daemon = impl.daemon.createDaemon(this.sys, [
      {
        card: 0,
        ...(opts.console !== false ? { console: this.console } : {}),
        ...(opts.net !== false ? { net: this.net } : {}),
        ...(opts.block !== false ? { block: this.disk } : {}),
      },
    ]);
    this.startErrors = this.daemon.start();
  }

  get services(): CardServices {
    return this.sys.cardServices(0);
  }

  /** run the system with the daemon until `until` holds; false when it went idle or hit the limit first */
  run(until: () => boolean, maxSteps = WAIT_STEPS, maxTimeNs?: number): boolean {
    return this.impl.daemon!.run(this.sys, this.daemon, until, maxTimeNs === undefined ? { maxSteps } : { maxSteps, maxTimeNs });
  }

  /** let `ns` of virtual time pass with the daemon running */
  wait(ns: number): void {
    this.impl.daemon!.run(this.sys, this.daemon, () => false, { maxSteps: WAIT_STEPS, maxTimeNs: ns });
  }

  /** run until every device asked for is live on the card */
  waitLive(what: { console?: boolean; net?: boolean; blk?: boolean } = { console: true, net: true, blk: true }): boolean {
    const s = this.services;
    return this.run(() => (!what.console || s.console.live) && (!what.net || s.net.live) && (!what.blk || s.blk.live));
  }
}
