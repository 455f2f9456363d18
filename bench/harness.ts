/**
 * Benchmark harness (issue 2 "Benchmark output"): repeated samples, medians, a raw baseline measured
 * in the same run, and records { name, value, unit, baseline?, ratio? } with ratio = value / baseline
 * (higher is better). Benchmarks measure; tests never assert on timing.
 */
export interface BenchRecord {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: number;
  readonly ratio?: number;
  readonly note?: string;
}

export interface BenchSuite {
  /** area name, e.g. "memory" */
  readonly area: string;
  run(): Promise<BenchRecord[]> | BenchRecord[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * `n` calls of `f` as a function of its own. V8 keeps type feedback per function, so one loop
 * shared by several measurements sees several callees and is optimised for whichever ran first;
 * each measurement (baseline and measured alike) gets a fresh loop from here instead.
 */
export function batchOf(f: () => number, n: number): () => number {
  const make = new Function('f', 'n', 'return function batch() { let s = 0; for (let i = 0; i < n; i++) s += f(); return s; };');
  return (make as (f: () => number, n: number) => () => number)(f, n);
}

/**
 * Calls `fn` repeatedly in `samples` samples of at least `minSampleMs` each and returns the median
 * rate in operations per second; `fn` returns how many operations it did (default 1).
 */
export function rate(fn: () => number | void, opts: { samples?: number; minSampleMs?: number; warmupMs?: number } = {}): number {
  const samples = opts.samples ?? 7;
  const minMs = opts.minSampleMs ?? 60;
  const warm = opts.warmupMs ?? 50;
  const w0 = performance.now();
  while (performance.now() - w0 < warm) fn();
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    let ops = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      ops += fn() ?? 1;
      t = performance.now();
    } while (t - t0 < minMs);
    rates.push((ops * 1000) / (t - t0));
  }
  return median(rates);
}

/** a record with its baseline and ratio filled in */
export function withBaseline(name: string, unit: string, value: number, baseline: number, note?: string): BenchRecord {
  return { name, unit, value, baseline, ratio: baseline > 0 ? value / baseline : 0, ...(note ? { note } : {}) };
}

export function formatTable(records: readonly BenchRecord[]): string {
  const fmt = (n: number | undefined): string => (n === undefined ? '' : n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(3));
  const rows = records.map((r) => [r.name, fmt(r.value), r.unit, fmt(r.baseline), r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`, r.note ?? '']);
  const head = ['name', 'value', 'unit', 'baseline', 'ratio', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
