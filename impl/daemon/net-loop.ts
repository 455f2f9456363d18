/**
 * The network's loops (facts §8.4 net, §8.3 ring roles; NET-02, NET-05, NET-06): buffers of the
 * legacy 10-byte `virtio_net_hdr` and MAX_NET_PKT_SIZE bytes of frame, one frame per COPY_DESC.
 * Queue 0, host → card: the header says DATA_VALID (the PCIe link is trusted, so the card skips
 * checksum checks) and nothing else; a frame the card's posted buffer cannot hold whole is dropped
 * and counted (the buffer waits for the next frame) rather than delivered cut. Queue 1, card → host: header stripped, the frame to the backend; a
 * chain shorter than a header is counted and dropped. We offer no offload features, so the card's
 * header carries nothing we must act on [model choice: mpssd offers CSUM/GSO to a TAP with
 * VNET_HDR; our backends take plain frames].
 */
import type { NetBackend } from '../../model/contract.ts';
import { MAX_NET_PKT_SIZE, VIRTIO_NET_HDR_F_DATA_VALID, virtioNetHdr } from '../../model/layout/virtio-devices.ts';
import { SLOT_DATA } from './user.ts';
import { BURST, Xfer, type DeviceLoop, type LoopStats, type Port } from './xfer.ts';

const HDR = virtioNetHdr.size;
/** header and frame buffers, 64-byte aligned as mpssd allocates them */
const TX_HDR = SLOT_DATA;
const TX_DATA = SLOT_DATA + 64;
const RX_HDR = TX_DATA + MAX_NET_PKT_SIZE;
const RX_DATA = RX_HDR + 64;

export class NetLoop implements DeviceLoop {
  readonly stats: LoopStats = { toCard: 0, fromCard: 0, refused: 0 };
  /** the frame taken from the backend and not yet delivered */
  private frame: Uint8Array | undefined;
  private h2c: Xfer | undefined;
  private c2h: Xfer | undefined;
  private readonly txHdr = new Uint8Array(HDR);

  constructor(private readonly backend: NetBackend) {
    this.txHdr[virtioNetHdr.fields.flags.offset] = VIRTIO_NET_HDR_F_DATA_VALID;
  }

  private hasFrame(): boolean {
    while (this.frame === undefined) {
      const f = this.backend.take();
      if (f === undefined) return false;
      if (f.length <= MAX_NET_PKT_SIZE) this.frame = f;
      else this.stats.refused++;
    }
    return true;
  }

  wantsToSend(p: Port): boolean {
    return this.h2c !== undefined || (this.hasFrame() && p.ring.ready() && p.ring.pending(0));
  }

  drop(): void {
    this.h2c = undefined;
    this.c2h = undefined;
  }

  pump(p: Port): boolean {
    if (!p.ring.ready()) {
      this.drop();
      return false;
    }
    const a = this.toCard(p);
    const b = this.fromCard(p);
    return a || b;
  }

  private toCard(p: Port): boolean {
    let moved = false;
    for (let n = 0; n < BURST; n++) {
      if (this.h2c === undefined) {
        if (!this.hasFrame() || !p.ring.pending(0)) return moved;
        const f = this.frame!;
        const room = p.ring.shape(0);
        if (room !== undefined && room.writable < HDR + f.length) {
          this.stats.refused++;
          this.frame = undefined;
          continue;
        }
        p.user.mem.write(p.slot + TX_HDR, this.txHdr);
        p.user.mem.write(p.slot + TX_DATA, f);
        this.h2c = new Xfer(0, [{ base: p.slot + TX_HDR, len: HDR }, { base: p.slot + TX_DATA, len: f.length }], true);
      }
      const x = this.h2c;
      const before = x.done;
      const st = x.step(p);
      if (x.done > before) moved = true;
      if (st === 'done' || st === 'short') {
        if (st === 'done') this.stats.toCard++;
        else this.stats.refused++;
        this.frame = undefined;
        this.h2c = undefined;
        continue;
      }
      if (st === 'none' || st === 'down') this.h2c = undefined;
      return moved;
    }
    return moved;
  }

  private fromCard(p: Port): boolean {
    let moved = false;
    for (let n = 0; n < BURST; n++) {
      if (this.c2h === undefined) {
        if (!p.ring.pending(1)) return moved;
        this.c2h = new Xfer(1, [{ base: p.slot + RX_HDR, len: HDR }, { base: p.slot + RX_DATA, len: MAX_NET_PKT_SIZE }], true);
      }
      const x = this.c2h;
      const st = x.step(p);
      if (st === 'done' || st === 'short') {
        moved = true;
        this.c2h = undefined;
        if (x.done < HDR) {
          this.stats.refused++;
          continue;
        }
        const frame = new Uint8Array(x.done - HDR);
        p.user.mem.readInto(p.slot + RX_DATA, frame);
        this.backend.put(frame);
        this.stats.fromCard++;
        continue;
      }
      if (st === 'retry') return true;
      if (st === 'none' || st === 'down') this.c2h = undefined;
      return moved;
    }
    return moved;
  }
}
