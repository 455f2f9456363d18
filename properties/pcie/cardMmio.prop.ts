/**
 * Claim: the card sees the BAR4 register block in its own physical address space at
 *   0x08_007C_0000 (128 KiB): a 32-bit card access there is the host's access to the same BAR4
 *   register (scratchpads are shared host/card, facts §3); a 64-bit access reaches the two
 *   registers low address first; 8/16-bit or unaligned accesses fault 'misaligned', accesses past
 *   the block are not the register file; a faulting access changes no register.
 * Source: facts §1.1 (card MMIO at 0x08_007C_0000, length 0x20000), §1.2 (32-bit registers), §3
 *   (scratchpads shared host/card).
 * Level: component
 */
import fc from 'fast-check';
import { defineProperty } from '../harness.ts';
import { CARD_MMIO_BASE } from '../../model/constants/pcie.ts';
import { BAR4, MMIO_SIZE } from '../../model/layout/sbox.ts';

type Op =
  | { kind: 'cardWrite'; spad: number; width: 1 | 2 | 4 | 8; skew: number; value: number }
  | { kind: 'hostWrite'; spad: number; value: number }
  | { kind: 'cardReadPast'; beyond: number };


// scratchpads are plain storage on both sides: no side effect can hide a wrong routing
const SPADS = 16;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('cardWrite' as const),
    spad: fc.nat({ max: SPADS - 2 }),
    width: fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 4, 8),
    skew: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 3 })),
    value: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('hostWrite' as const), spad: fc.nat({ max: SPADS - 1 }), value: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('cardReadPast' as const), beyond: fc.nat({ max: 64 }) }),
);

export const cardMmio = defineProperty({
  id: 'pcie.mmio.cardView',
  claim: 'the card reaches BAR4 at 0x08_007C_0000 with 32/64-bit accesses; narrower or unaligned ones fault and change nothing',
  source: 'facts §1.1, §1.2, §3',
  level: 'component',
  requires: ['sim', 'memory', 'pcie'],
  runs: 200,
  build: (impl) =>
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }), (ops) => {
      const ep = impl.pcie!.createPlatform({ cardMemoryBytes: 2 ** 24 }).cards[0]!;
      const view = ep.cardView;
      const model = new Array<number>(SPADS).fill(0);
      for (let i = 0; i < SPADS; i++) ep.regs.write32(BAR4.SPAD(i), 0);
      for (const op of ops) {
        if (op.kind === 'hostWrite') {
          ep.regs.write32(BAR4.SPAD(op.spad), op.value);
          model[op.spad] = op.value;
        } else if (op.kind === 'cardReadPast') {
          // right after the block the card's address space has nothing (GDDR ends far below, the SMPT
          // window starts at 0x80_0000_0000): the access faults instead of wrapping into the registers
          const r = view.read32(CARD_MMIO_BASE + MMIO_SIZE + op.beyond * 4);
          if (typeof r === 'number' || r.reason !== 'unmapped') throw new Error(`read ${op.beyond * 4} bytes past the MMIO block gave ${typeof r === 'number' ? r : r.reason}`);
        } else {
          const addr = CARD_MMIO_BASE + BAR4.SPAD(op.spad) + op.skew;
          const r =
            op.width === 1 ? view.write8(addr, op.value & 0xff)
            : op.width === 2 ? view.write16(addr, op.value & 0xffff)
            : op.width === 4 ? view.write32(addr, op.value)
            : view.write64(addr, (BigInt(op.value ^ 0x5a5a5a5a) << 32n) | BigInt(op.value));
          const shouldWork = op.skew === 0 && (op.width === 4 || op.width === 8);
          if (shouldWork) {
            if (r !== undefined) throw new Error(`aligned ${op.width * 8}-bit card write to SPAD${op.spad} faulted: ${r.reason}`);
            model[op.spad] = op.value >>> 0;
            if (op.width === 8) model[op.spad + 1] = (op.value ^ 0x5a5a5a5a) >>> 0;
          } else if (r === undefined || r.reason !== 'misaligned') {
            throw new Error(`${op.width * 8}-bit card write at SPAD${op.spad}+${op.skew} gave ${r === undefined ? 'success' : r.reason}, expected a misaligned fault`);
          }
        }
        for (let i = 0; i < SPADS; i++) {
          const host = ep.regs.read32(BAR4.SPAD(i));
          const card = view.read32(CARD_MMIO_BASE + BAR4.SPAD(i));
          if (host !== model[i] || card !== model[i]) throw new Error(`SPAD${i}: host reads ${String(host)}, card reads ${String(card)}, expected ${model[i]}`);
        }
        const pair = view.read64(CARD_MMIO_BASE + BAR4.SPAD(0));
        if (pair !== ((BigInt(model[1]!) << 32n) | BigInt(model[0]!))) throw new Error(`64-bit card read of SPAD0/1 gave ${String(pair)}`);
      }
      return true;
    }),
});
