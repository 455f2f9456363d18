/**
 * The descriptor-ring publication oracle (issue 13 item 1, facts §7.3–7.5), fed the points
 * DmaAttachOptions.publications reports: used by dma.publication on the bare DMA stack and by
 * vop.publication on the whole system, where the host VOP copies through host channel 0.
 */
import type { DmaChannelRegs, DmaPublication } from '../../model/contract.ts';
import { MIC_DMA_DESC_SIZE, SMPT_PAGE_SIZE, SMPT_WINDOW_BASE } from '../../model/constants/dma.ts';
import { DRAR_HI_BITS } from '../../model/layout/dma.ts';

const QW = 8;
const B = DRAR_HI_BITS.fields;
const bits = (v: number, f: { lsb: number; width: number }): number => Math.floor(v / 2 ** f.lsb) % 2 ** f.width;

interface RingWatch {
  /** card physical address of slot 0 and the slot count, decoded from DRAR (facts §7.2) */
  readonly base: number;
  readonly size: number;
  /** the head the engine was last given */
  head: number;
  /** per slot: bit 0 qw0 stored, bit 1 qw1 stored, since the slot was last announced */
  readonly stored: Uint8Array;
}

/**
 * The oracle: fed every point of every client of one card, it reads the registers the engine works
 * from (as the point reports them). Shared with vop.publication, whose host VOP copies by DMA.
 */
export class DescriptorRingOracle {
  private readonly rings = new Map<number, RingWatch>();
  checks = 0;
  stores = 0;
  /** slots announced in all, and the most one DHPR write announced past the last slot (wraps) */
  announced = 0;
  wraps = 0;

  onPoint(p: DmaPublication): void {
    if (p.kind === 'register') {
      if (p.reg === 'DRAR_HI') this.programmed(p.channel, p.regs);
      else if (p.reg === 'DHPR') this.announce(p.channel, p.value, p.regs);
      return;
    }
    this.stores++;
    const r = this.rings.get(p.channel);
    const where = `channel ${p.channel} (${p.side})`;
    if (r === undefined) throw new Error(`${where}: stored ${p.len} bytes at 0x${p.addr.toString(16)} before its ring was programmed`);
    const lo = p.addr - r.base;
    const hi = lo + p.len;
    if (lo < 0 || hi > r.size * MIC_DMA_DESC_SIZE) throw new Error(`${where}: stored ${p.len} bytes at 0x${p.addr.toString(16)}, outside its ring [0x${r.base.toString(16)}, +${r.size * MIC_DMA_DESC_SIZE})`);
    const regs = p.regs;
    const running = regs.enabled && regs.dcherr === 0;
    for (let s = Math.floor(lo / MIC_DMA_DESC_SIZE); s * MIC_DMA_DESC_SIZE < hi; s++) {
      // the engine owns [DTPR, DHPR): a store there changes a descriptor it may be reading
      if (running && (s - regs.dtpr + r.size) % r.size < (regs.dhpr - regs.dtpr + r.size) % r.size) {
        throw new Error(`${where}: stored into slot ${s}, which the engine owns (DTPR ${regs.dtpr}, DHPR ${regs.dhpr}, ring of ${r.size})`);
      }
      const at = s * MIC_DMA_DESC_SIZE;
      if (lo < at + QW && hi > at) r.stored[s]! |= 1;
      if (lo < at + 2 * QW && hi > at + QW) r.stored[s]! |= 2;
    }
  }

  /** DRAR_HI completes the ring address; programming the ring sets the head to the tail (empty) */
  private programmed(ch: number, regs: DmaChannelRegs): void {
    const hi = regs.drarHi;
    const size = bits(hi, B.size);
    const base = bits(hi, B.sysMem) === 1
      ? SMPT_WINDOW_BASE + bits(hi, B.smptEntry) * SMPT_PAGE_SIZE + (bits(hi, B.addrHi) & 3) * 2 ** 32 + regs.drarLo
      : bits(hi, B.addrHi) * 2 ** 32 + regs.drarLo;
    this.rings.set(ch, { base, size, head: regs.dhpr, stored: new Uint8Array(size) });
  }

  private announce(ch: number, value: number, regs: DmaChannelRegs): void {
    const r = this.rings.get(ch);
    if (r === undefined) throw new Error(`channel ${ch}: DHPR := ${value} before its ring was programmed`);
    this.checks++;
    const n = (value - r.head + r.size) % r.size;
    for (let k = 0; k < n; k++) {
      const s = (r.head + k) % r.size;
      const got = r.stored[s]!;
      if (got !== 3) {
        const missing = got === 0 ? 'neither quadword' : got === 1 ? 'qw1 (type and destination) missing' : 'qw0 missing';
        throw new Error(`channel ${ch}: DHPR := ${value} (from ${r.head}) announces slot ${s} before its descriptor was stored this lap: ${missing}; the engine at DTPR ${regs.dtpr} may read it now`);
      }
      r.stored[s] = 0;
    }
    if (r.head + n >= r.size) this.wraps++;
    this.announced += n;
    r.head = value % r.size;
  }
}
