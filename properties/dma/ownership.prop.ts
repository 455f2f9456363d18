/**
 * Claim: host software can never program channels 4–7 and card software never 0–3. Every attempt
 *   by the wrong side — requesting the channel through the client API, reading or writing one of
 *   its registers through the side's register port, or changing its DCR owner/enable bits — is
 *   refused with EPERM/'wrong-owner', is recorded by the hardware as a violation, and changes
 *   nothing: the channel's registers, DCR and all memory stay as the legitimate traffic left them.
 * Source: facts §7.1 (channels 0–3 host, 4–7 card; host channels DMA_PRIVATE), §7.2 (DCR bits).
 * Level: component
 */
import fc from 'fast-check';
import type { DmaChanReg, DmaSide } from '../../model/contract.ts';
import { MIC_DMA_NUM_CHAN, channelOwner, dcrEnableBit, dcrOwnerBit } from '../../model/constants/dma.ts';
import { defineProperty } from '../harness.ts';
import { interleaving } from '../choices.ts';
import { assertCompletedExactly, opArb, runTraffic } from './traffic.ts';
import { isDmaError } from './world.ts';

const REGS: readonly DmaChanReg[] = ['DCAR', 'DHPR', 'DTPR', 'DRAR_LO', 'DRAR_HI', 'DSTAT', 'DCHERR', 'DCHERRMSK'];

type Attempt =
  | { kind: 'request'; ch: number }
  | { kind: 'write'; ch: number; reg: number; value: number }
  | { kind: 'read'; ch: number; reg: number }
  | { kind: 'dcr'; ch: number; bit: 'owner' | 'enable' };

const attemptArb: fc.Arbitrary<Attempt> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), ch: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('write' as const), ch: fc.nat({ max: 7 }), reg: fc.nat({ max: REGS.length - 1 }), value: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('read' as const), ch: fc.nat({ max: 7 }), reg: fc.nat({ max: REGS.length - 1 }) }),
  fc.record({ kind: fc.constant('dcr' as const), ch: fc.nat({ max: 7 }), bit: fc.constantFrom('owner' as const, 'enable' as const) }),
);

const other = (s: DmaSide): DmaSide => (s === 'host' ? 'card' : 'host');

export const ownership = defineProperty({
  id: 'dma.ownership.wrongSideRefused',
  claim: 'every access by the side that does not own a channel is refused, recorded, and changes nothing',
  source: 'facts §7.1, §7.2',
  level: 'component',
  requires: ['sim', 'memory', 'pcie', 'dma'],
  runs: 60,
  build: (impl) =>
    fc.property(
      fc.array(opArb(), { minLength: 1, maxLength: 10 }),
      fc.array(fc.array(attemptArb, { maxLength: 4 }), { minLength: 1, maxLength: 10 }),
      interleaving(200),
      (ops, attempts, choices) => {
        let expectedViolations = 0;
        const run = runTraffic(impl, ops, choices, {
          afterOp: (r, i) => {
            const { engine, host, card } = r.world.dma;
            for (const a of attempts[i % attempts.length]!) {
              const wrong = other(channelOwner(a.ch));
              const regsBefore = JSON.stringify([...Array(MIC_DMA_NUM_CHAN).keys()].map((n) => engine.regs(n)));
              const dcrBefore = engine.port(wrong).readDcr();
              let res: unknown;
              if (a.kind === 'request') res = (wrong === 'host' ? host : card).requestChannel(a.ch);
              else if (a.kind === 'write') {
                res = engine.port(wrong).writeChan(a.ch, REGS[a.reg]!, a.value);
                expectedViolations++;
              } else if (a.kind === 'read') {
                res = engine.port(wrong).readChan(a.ch, REGS[a.reg]!);
                expectedViolations++;
              } else {
                const bit = a.bit === 'owner' ? dcrOwnerBit(a.ch) : dcrEnableBit(a.ch);
                res = engine.port(wrong).writeDcr(dcrBefore ^ bit);
                expectedViolations++;
              }
              if (!isDmaError(res) || res.errno !== 'EPERM' || res.reason !== 'wrong-owner') {
                throw new Error(`op ${i}: ${wrong} ${a.kind} on channel ${a.ch} was not refused with EPERM/wrong-owner (${JSON.stringify(res)})`);
              }
              const regsAfter = JSON.stringify([...Array(MIC_DMA_NUM_CHAN).keys()].map((n) => engine.regs(n)));
              if (regsAfter !== regsBefore) throw new Error(`op ${i}: refused ${a.kind} on channel ${a.ch} changed registers`);
              if (engine.port(wrong).readDcr() !== dcrBefore) throw new Error(`op ${i}: refused ${a.kind} changed DCR`);
              if (engine.violations().length !== expectedViolations) {
                throw new Error(`hardware recorded ${engine.violations().length} violations, expected ${expectedViolations}`);
              }
            }
          },
        });
        assertCompletedExactly(run);
        return true;
      },
    ),
});
