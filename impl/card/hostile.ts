/**
 * A malicious card (DESIGN.md §6 "Hostile input"): writes the host may find anywhere in what the card
 * can reach — SPAD2, the device page through its SMPT window, the host doorbell request registers —
 * with no card software rule applied. Only what the hardware itself bounds is bounded: the device
 * page is 4096 bytes (an offset outside it writes nothing) and there are SDBIC registers for host
 * doorbells 0..3 only (facts §1.5).
 */
import type { HostileCardAction, PcieEndpoint } from '../../model/contract.ts';
import { BAR4, REG_ARRAYS, SDBIC_DBREQ, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { MIC_DP_SIZE } from '../../model/layout/device-page.ts';

export function hostileCardAct(ep: PcieEndpoint, action: HostileCardAction): void {
  const regs = ep.regs;
  switch (action.kind) {
    case 'spad2':
      regs.write32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO), action.value >>> 0);
      return;
    case 'dpByte': {
      if (!Number.isInteger(action.offset) || action.offset < 0 || action.offset >= MIC_DP_SIZE) return;
      // the device page address as the card driver finds it (facts §3.2 card side)
      const lo = regs.read32(BAR4.SPAD(SPAD_INDEX.DPLO));
      const hi = regs.read32(BAR4.SPAD(SPAD_INDEX.DPHI));
      if (typeof lo !== 'number' || typeof hi !== 'number') return;
      ep.cardView.write8((hi >>> 0) * 2 ** 32 + (lo >>> 0) + action.offset, action.value & 0xff);
      return;
    }
    case 'cardMem':
      // the card's own view bounds it: an address outside GDDR and the mapped windows faults and writes nothing
      ep.cardView.write(action.addr, action.bytes);
      return;
    case 'ringHost':
      if (Number.isInteger(action.db) && action.db >= 0 && action.db < REG_ARRAYS.SDBIC.count) regs.write32(BAR4.SDBIC(action.db), SDBIC_DBREQ);
      return;
  }
}
