/**
 * A block workload for properties (issue 10: "a block workload runner"): submit requests drawn
 * from a choice source (fast-check's in properties: they shrink), and record every invoke and
 * complete event with its virtual time, for a linearizability checker or a sector-array model.
 */
import type { BlkCompletion, BlkRequest, CardBlk } from '../../../model/contract.ts';
import { VIRTIO_BLK_SECTOR_SIZE } from '../../../model/layout/virtio-devices.ts';

export type BlkEvent =
  | { readonly kind: 'invoke'; readonly id: number; readonly t: number; readonly req: BlkRequest }
  | { readonly kind: 'complete'; readonly id: number; readonly t: number; readonly completion: BlkCompletion }
  | { readonly kind: 'refused'; readonly t: number; readonly req: BlkRequest; readonly reason: string };

export interface WorkloadOptions {
  /** requests reach at most this many sectors (default 4) */
  readonly maxSectors?: number;
  /** sectors chosen from [0, span) (default: the capacity, plus 2 past it to reach the host's check) */
  readonly span?: number;
}

export class BlkWorkload {
  readonly events: BlkEvent[] = [];
  private serial = 0;

  constructor(
    private readonly blk: CardBlk,
    private readonly choose: (n: number) => number,
    private readonly now: () => number,
    private readonly opts: WorkloadOptions = {},
  ) {}

  /** one request the choice source picks: in / out (data stamped with a serial) / flush / get-id */
  next(): BlkRequest {
    const max = this.opts.maxSectors ?? 4;
    const span = Math.max(1, this.opts.span ?? this.blk.capacity + 2);
    const kind = this.choose(8);
    const sector = this.choose(span);
    const sectors = 1 + this.choose(max);
    if (kind < 3) return { type: 'in', sector, sectors };
    if (kind < 6) {
      const data = new Uint8Array(sectors * VIRTIO_BLK_SECTOR_SIZE);
      const stamp = ++this.serial;
      for (let i = 0; i < data.length; i++) data[i] = (stamp * 31 + i) & 0xff;
      return { type: 'out', sector, data };
    }
    return kind === 6 ? { type: 'flush' } : { type: 'get-id' };
  }

  /** submit `n` requests and kick once; how many were accepted */
  submit(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const req = this.next();
      // the id is known once submit returns; the completion comes later, from an interrupt
      let id = 0;
      const r = this.blk.submit(req, (completion) => this.events.push({ kind: 'complete', id, t: this.now(), completion }));
      if (typeof r !== 'number') {
        this.events.push({ kind: 'refused', t: this.now(), req, reason: r.reason });
        continue;
      }
      id = r;
      this.events.push({ kind: 'invoke', id, t: this.now(), req });
      ok++;
    }
    if (ok > 0) this.blk.kick();
    return ok;
  }

  /** ids invoked and not (yet) completed */
  outstanding(): number[] {
    const open = new Set<number>();
    for (const e of this.events) {
      if (e.kind === 'invoke') open.add(e.id);
      else if (e.kind === 'complete') open.delete(e.id);
    }
    return [...open];
  }
}
