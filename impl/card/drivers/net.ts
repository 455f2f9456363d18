/**
 * The card's virtio-net driver (facts §8.2–8.4; NET-01, NET-02, NET-05, NET-09): vq0 receive, vq1
 * transmit, the legacy 10-byte header, receive buffers of header + MAX_NET_PKT_SIZE (no mergeable
 * buffers: every frame must fit one), and a MAC of its own (MAC is not offered). Refill policy: a
 * receive buffer is posted again for every one reaped, before the frame goes up, so while the
 * driver is live the receive queue is empty only when the host has filled every buffer before the
 * card's interrupt ran (counted in rxEmpty).
 */
import { VIRTIO_ID_NET } from '../../../model/constants/virtio.ts';
import { MAX_NET_PKT_SIZE, virtioNetHdr } from '../../../model/layout/virtio-devices.ts';
import { BoundDriver, isError } from './bound.ts';
import type { DriverUpcalls } from './upcalls.ts';

export const NET_RX_VQ = 0;
export const NET_TX_VQ = 1;
/** receive buffers posted until the ring is full (two descriptors each: 64 in 128 entries) */
const RX_POSTED = 128;
const RX_LENS: readonly number[] = Object.freeze([virtioNetHdr.size, MAX_NET_PKT_SIZE]);
const NOTHING: readonly Uint8Array[] = Object.freeze([]);
const NO_LENS: readonly number[] = Object.freeze([]);
/** the transmit header: no checksum offload, no GSO (NET-03: flags 0, gso NONE) */
const TX_HDR = new Uint8Array(virtioNetHdr.size);

/** a locally administered unicast MAC from the card id: 02:4d:49:43 ("MIC"), then the id (NET-09) */
export function cardMac(cardId: number): Uint8Array {
  return Uint8Array.of(0x02, 0x4d, 0x49, 0x43, (cardId >>> 8) & 0xff, cardId & 0xff);
}

export class NetDriver extends BoundDriver {
  readonly mac: Uint8Array;
  /** transmit buffers in flight */
  private readonly txTokens = new Set<number>();

  constructor(private readonly up: DriverUpcalls) {
    super(VIRTIO_ID_NET, 2);
    this.mac = cardMac(up.cardId);
  }

  protected onLive(): void {
    const dev = this.dev!;
    for (let i = dev.inFlight(NET_RX_VQ); i < RX_POSTED; i++) {
      if (isError(dev.add(NET_RX_VQ, NOTHING, RX_LENS))) break;
      this.up.net.refills++;
    }
    dev.kick(NET_RX_VQ);
  }

  protected onInterrupt(): void {
    const dev = this.dev;
    if (dev === undefined || !dev.live) return;
    const rx = this.reap(NET_RX_VQ);
    const c = this.up.net;
    // every buffer was used and none is posted: the host could have found the queue empty
    if (rx.length > 0 && dev.inFlight(NET_RX_VQ) === 0) c.rxEmpty++;
    for (let i = 0; i < rx.length; i++) {
      if (!isError(dev.add(NET_RX_VQ, NOTHING, RX_LENS))) c.refills++;
    }
    if (rx.length > 0) dev.kick(NET_RX_VQ);
    for (let i = 0; i < rx.length; i++) {
      const w = rx[i]!.written;
      if (w.length < virtioNetHdr.size) {
        c.rxDropped++;
        continue;
      }
      c.rxFrames++;
      this.up.netFrame(w.subarray(virtioNetHdr.size));
    }
    this.reapTx();
  }

  private reapTx(): void {
    const done = this.reap(NET_TX_VQ);
    for (let i = 0; i < done.length; i++) this.txTokens.delete(done[i]!.token);
  }

  /** one frame behind a zero header; false when not live, too long, or the transmit queue is full */
  send(frame: Uint8Array): boolean {
    const dev = this.dev;
    if (dev === undefined || !dev.live || frame.length > MAX_NET_PKT_SIZE) return false;
    // transmit completions are reaped lazily, as Linux frees old transmit buffers on the next send
    this.reapTx();
    const t = dev.add(NET_TX_VQ, [TX_HDR, frame], NO_LENS);
    if (isError(t)) return false;
    this.txTokens.add(t);
    this.up.net.txFrames++;
    dev.kick(NET_TX_VQ);
    return true;
  }

  protected onDown(detached: readonly number[]): void {
    // receive buffers are not requests; what was lost is the transmit frames in flight
    let lost = 0;
    for (const t of detached) if (this.txTokens.delete(t)) lost++;
    this.txTokens.clear();
    if (lost > 0) this.up.lostNet(lost);
  }
}
