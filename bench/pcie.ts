/**
 * pcie benchmarks:
 *  - pcie.smpt.translate: software SMPT lookups (card address → host address) per second, against a
 *    raw baseline doing the same page split and array lookup inline.
 *  - pcie.smpt.cardRead32: 32-bit card reads through the card's physical address space and the SMPT
 *    window, against read32 on host memory directly.
 *  - pcie.doorbell.roundTrip: card→host doorbell ring + scheduler delivery + ack per second, against
 *    a bare scheduler post/step pair.
 */
import { reference } from '../impl/index.ts';
import { BAR4, SDBIC_DBREQ } from '../model/layout/sbox.ts';
import { CARD_MMIO_BASE, SMPT_PAGE_SIZE, SMPT_WINDOW_BASE } from '../model/constants/pcie.ts';
import { rate, withBaseline, type BenchRecord, type BenchSuite } from './harness.ts';

const N = 1024;

function translate(): BenchRecord {
  const platform = reference.pcie!.createPlatform({ cardMemoryBytes: 2 ** 20 });
  const smpt = platform.smpt[0]!;
  const addrs = Float64Array.from({ length: N }, (_, i) => SMPT_WINDOW_BASE + ((i * 0x9e3779b1) % 32) * SMPT_PAGE_SIZE + i * 4096);
  let sink = 0;
  const value = rate(() => {
    for (let i = 0; i < N; i++) sink += smpt.translate(addrs[i]!) as number;
    return N;
  });
  const table = Float64Array.from({ length: 32 }, (_, i) => i * SMPT_PAGE_SIZE);
  const baseline = rate(() => {
    for (let i = 0; i < N; i++) {
      const off = addrs[i]! - SMPT_WINDOW_BASE;
      const e = Math.floor(off / SMPT_PAGE_SIZE);
      sink += table[e]! + (off - e * SMPT_PAGE_SIZE);
    }
    return N;
  });
  void sink;
  return withBaseline('pcie.smpt.translate', 'lookups/s', value, baseline, 'baseline: inline page split + array lookup');
}

function cardRead32(): BenchRecord {
  const platform = reference.pcie!.createPlatform({ cardMemoryBytes: 2 ** 20 });
  const card = platform.cards[0]!;
  for (let i = 0; i < N; i++) platform.hostMemory.write32(i * 64, i);
  let sink = 0;
  const value = rate(() => {
    for (let i = 0; i < N; i++) sink += card.cardView.read32(SMPT_WINDOW_BASE + i * 64) as number;
    return N;
  });
  const baseline = rate(() => {
    for (let i = 0; i < N; i++) sink += platform.hostMemory.read32(i * 64) as number;
    return N;
  });
  void sink;
  return withBaseline('pcie.smpt.cardRead32', 'reads/s', value, baseline, 'baseline: host memory read32');
}

function doorbellRoundTrip(): BenchRecord {
  const platform = reference.pcie!.createPlatform({ cardMemoryBytes: 2 ** 20 });
  const card = platform.cards[0]!;
  const s = platform.scheduler;
  card.onHostInterrupt((bits) => card.regs.write32(BAR4.SICR0, bits));
  card.regs.write32(BAR4.SICE0, 0xf);
  const value = rate(() => {
    for (let i = 0; i < 64; i++) {
      card.cardView.write32(CARD_MMIO_BASE + BAR4.SDBIC(i & 3), SDBIC_DBREQ);
      s.step();
    }
    return 64;
  });
  const s2 = reference.sim!.createScheduler({ seed: 1 });
  const baseline = rate(() => {
    for (let i = 0; i < 64; i++) {
      s2.post('bench', 'nop', () => {});
      s2.step();
    }
    return 64;
  });
  return withBaseline('pcie.doorbell.roundTrip', 'doorbells/s', value, baseline, 'baseline: bare scheduler post + step');
}

export const suite: BenchSuite = { area: 'pcie', run: () => [translate(), cardRead32(), doorbellRoundTrip()] };
