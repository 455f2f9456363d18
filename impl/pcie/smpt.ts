/**
 * The host driver's software SMPT (facts §2, host/mic_smpt.c): 32 entries × 16 GiB that make host
 * memory visible to the card at 0x80_0000_0000. Kept faithful to the C code, including its quirks:
 *  - map first scans for already-programmed entries matching the host pages (regardless of their
 *    reference counts); a partial match that then breaks contiguity fails at once instead of
 *    falling back to free entries (a partial match running off the end of the table does fall back);
 *  - then it takes the lowest run of entries with reference count 0;
 *  - entries are reprogrammed only when their count is 0 and their address differs, and never on unmap;
 *  - reference counts are per-entry byte counts; unmap only subtracts (warning when negative).
 * The core returns 0 on failure like mic_map; the public API turns that into typed SmptError values.
 * All arithmetic on addresses is done with numbers, not 32-bit bit operators (addresses reach 2^40).
 */
import type { RegisterFile, Smpt, SmptError } from '../../model/contract.ts';
import { BAR4, smptRegBits } from '../../model/layout/sbox.ts';
import {
  SMPT_MAP_ERROR,
  SMPT_NUM_ENTRIES,
  SMPT_PAGE_SIZE,
  SMPT_WINDOW_BASE,
  SMPT_WINDOW_SIZE,
} from '../../model/constants/pcie.ts';

interface Entry {
  dmaAddr: number;
  refCount: number;
}

const PAGE = SMPT_PAGE_SIZE;
const PAGE_FIELD_SCALE = 2 ** smptRegBits.fields.PAGE.lsb;

function smptError(reason: SmptError['reason'], detail: string): SmptError {
  return { kind: 'smpt-error', reason, detail };
}

export function isSmptError(x: unknown): x is SmptError {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'smpt-error';
}

/** the SMPT register value for a host address: (addr >> 34) << 2, snoop on (no-snoop bit 0 = 0) */
export function smptRegValue(hostAddr: number): number {
  return (Math.floor(hostAddr / PAGE) * PAGE_FIELD_SCALE) % 2 ** 32;
}

/** the host address an SMPT register value points at */
export function smptRegHostAddr(reg: number): number {
  return Math.floor((reg >>> 0) / PAGE_FIELD_SCALE) * PAGE;
}

const alignHigh = (a: number): number => Math.ceil(a / PAGE) * PAGE;
const alignLow = (a: number): number => Math.floor(a / PAGE) * PAGE;

/** mic_get_smpt_ref_count: bytes of [addr, addr+size) falling into each 16 GiB page */
function refCounts(addr: number, size: number): number[] {
  const ref: number[] = [];
  let start = addr;
  const end = addr + size;
  while (start < end) {
    const next = alignHigh(start + 1);
    ref.push(Math.min(next, end) - start);
    start = next;
  }
  return ref;
}

const isSystemAddr = (a: number): boolean =>
  Number.isSafeInteger(a) && a >= SMPT_WINDOW_BASE && a <= SMPT_WINDOW_BASE + SMPT_WINDOW_SIZE - 1;

export class HostSmpt implements Smpt {
  private readonly entry: Entry[] = [];
  /** why the last smptOp returned 0 */
  private failure = '';

  constructor(private readonly regs: RegisterFile) {
    // mic_smpt_init: identity mapping of the first 512 GiB of host DMA space, counts 0
    for (let i = 0; i < SMPT_NUM_ENTRIES; i++) {
      this.entry.push({ dmaAddr: i * PAGE, refCount: 0 });
      this.set(i * PAGE, i);
    }
  }

  /** smpt_ops->set: program register i (the host writes through BAR4) */
  private set(dmaAddr: number, i: number): void {
    this.regs.write32(BAR4.SMPT(i), smptRegValue(dmaAddr));
  }

  private addEntries(spt: number, ref: readonly number[], addr: number): void {
    for (let i = spt, a = addr; i < spt + ref.length; i++, a += PAGE) {
      const e = this.entry[i]!;
      if (e.refCount === 0 && e.dmaAddr !== a) {
        this.set(a, i);
        e.dmaAddr = a;
      }
      e.refCount += ref[i - spt]!;
    }
  }

  /** mic_smpt_op: a run of `entries` entries for the pages from `dmaAddr`, or 0 */
  private smptOp(dmaAddr: number, ref: readonly number[]): number {
    const entries = ref.length;
    let found = -1;
    let addr = dmaAddr;
    let ae = 0;
    scan: {
      // find existing entries
      for (let i = 0; i < SMPT_NUM_ENTRIES; i++) {
        if (this.entry[i]!.dmaAddr === addr) {
          ae++;
          addr += PAGE;
        } else if (ae) {
          this.failure = `reuse scan: entries from ${i - ae} match ${ae} of ${entries} pages, then contiguity breaks at entry ${i}`;
          return SMPT_MAP_ERROR;
        }
        if (ae === entries) {
          found = i;
          break scan;
        }
      }
      // find free entries
      ae = 0;
      for (let i = 0; i < SMPT_NUM_ENTRIES; i++) {
        ae = this.entry[i]!.refCount === 0 ? ae + 1 : 0;
        if (ae === entries) {
          found = i;
          break scan;
        }
      }
      this.failure = `no run of ${entries} free entries`;
      return SMPT_MAP_ERROR;
    }
    const spt = found - entries + 1;
    this.addEntries(spt, ref, dmaAddr);
    return SMPT_WINDOW_BASE + spt * PAGE;
  }

  map(hostAddr: number, size: number): number | SmptError {
    if (!Number.isSafeInteger(hostAddr) || hostAddr < 0) return smptError('bad-address', `host address ${hostAddr}`);
    if (!Number.isSafeInteger(size) || size <= 0 || size > SMPT_WINDOW_SIZE) return smptError('bad-size', `size ${size}`);
    const ref = refCounts(hostAddr, size);
    const cardBase = this.smptOp(alignLow(hostAddr), ref);
    if (cardBase === SMPT_MAP_ERROR) return smptError('no-space', `map 0x${hostAddr.toString(16)}+${size}: ${this.failure}`);
    return cardBase + (hostAddr % PAGE);
  }

  unmap(cardAddr: number, size: number): SmptError | undefined {
    if (!Number.isSafeInteger(size) || size <= 0) return smptError('bad-size', `size ${size}`);
    if (!isSystemAddr(cardAddr)) return smptError('out-of-window', `card address ${cardAddr}`);
    const spt = Math.floor((cardAddr - SMPT_WINDOW_BASE) / PAGE);
    const ref = refCounts(cardAddr, size);
    if (spt + ref.length > SMPT_NUM_ENTRIES) {
      return smptError('out-of-window', `unmap 0x${cardAddr.toString(16)}+${size} runs past entry ${SMPT_NUM_ENTRIES - 1}`);
    }
    const negative: number[] = [];
    for (let i = spt; i < spt + ref.length; i++) {
      const e = this.entry[i]!;
      e.refCount -= ref[i - spt]!;
      if (e.refCount < 0) negative.push(i);
    }
    return negative.length === 0 ? undefined : smptError('not-mapped', `reference count below 0 in entries ${negative.join(',')}`);
  }

  translate(cardAddr: number): number | SmptError {
    if (!isSystemAddr(cardAddr)) return smptError('out-of-window', `card address ${cardAddr}`);
    const spt = Math.floor((cardAddr - SMPT_WINDOW_BASE) / PAGE);
    return this.entry[spt]!.dmaAddr + (cardAddr % PAGE);
  }

  entries(): readonly { readonly hostAddr: number; readonly refBytes: number }[] {
    return this.entry.map((e) => ({ hostAddr: e.dmaAddr, refBytes: e.refCount }));
  }

  restore(): void {
    for (let i = 0; i < SMPT_NUM_ENTRIES; i++) this.set(this.entry[i]!.dmaAddr, i);
  }
}
