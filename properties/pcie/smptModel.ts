/**
 * A second, independent statement of the host driver's SMPT rules (facts §2), used as the oracle of
 * pcie.smpt.model. Written with whole-page arithmetic and array searches instead of the C driver's
 * running scans.
 */
import {
  SMPT_NUM_ENTRIES,
  SMPT_PAGE_SIZE as P,
  SMPT_WINDOW_BASE as BASE,
  SMPT_WINDOW_SIZE,
} from '../../model/constants/pcie.ts';

export type ModelResult = { ok: number } | { err: string };

export class SmptModel {
  /** host page number each entry points at (identity at init) */
  readonly page: number[] = Array.from({ length: SMPT_NUM_ENTRIES }, (_, i) => i);
  readonly refs: number[] = new Array<number>(SMPT_NUM_ENTRIES).fill(0);

  /** the pages [first, last] touched by [addr, addr+size) and the bytes falling into page k */
  private span(addr: number, size: number): { first: number; n: number; bytesIn: (k: number) => number } {
    const first = Math.floor(addr / P);
    const last = Math.floor((addr + size - 1) / P);
    const bytesIn = (k: number): number => Math.min(addr + size, (k + 1) * P) - Math.max(addr, k * P);
    return { first, n: last - first + 1, bytesIn };
  }

  map(host: number, size: number): ModelResult {
    if (size <= 0 || size > SMPT_WINDOW_SIZE) return { err: 'bad-size' };
    const { first, n, bytesIn } = this.span(host, size);
    let start = -1;
    const s = this.page.indexOf(first);
    if (s >= 0) {
      let m = 0;
      while (m < n && s + m < SMPT_NUM_ENTRIES && this.page[s + m] === first + m) m++;
      if (m === n) start = s;
      else if (s + m < SMPT_NUM_ENTRIES) return { err: 'no-space' }; // the run broke inside the table
    }
    if (start < 0) {
      for (let j = 0; j + n <= SMPT_NUM_ENTRIES; j++) {
        if (this.refs.slice(j, j + n).every((r) => r === 0)) {
          start = j;
          break;
        }
      }
      if (start < 0) return { err: 'no-space' };
    }
    for (let k = 0; k < n; k++) {
      if (this.refs[start + k] === 0) this.page[start + k] = first + k;
      this.refs[start + k]! += bytesIn(first + k);
    }
    return { ok: BASE + start * P + (host - first * P) };
  }

  unmap(card: number, size: number): ModelResult {
    if (size <= 0) return { err: 'bad-size' };
    if (card < BASE || card >= BASE + SMPT_WINDOW_SIZE) return { err: 'out-of-window' };
    const { first, n, bytesIn } = this.span(card - BASE, size);
    if (first + n > SMPT_NUM_ENTRIES) return { err: 'out-of-window' };
    let negative = false;
    for (let k = 0; k < n; k++) {
      this.refs[first + k]! -= bytesIn(first + k);
      if (this.refs[first + k]! < 0) negative = true;
    }
    return negative ? { err: 'not-mapped' } : { ok: 0 };
  }

  translate(card: number): ModelResult {
    if (card < BASE || card >= BASE + SMPT_WINDOW_SIZE) return { err: 'out-of-window' };
    const e = Math.floor((card - BASE) / P);
    return { ok: this.page[e]! * P + ((card - BASE) % P) };
  }
}
