/**
 * Claim: the journal keeps the last 20 actions of a run (oldest first, numbered from the start of
 *   the run) and writes nothing until asked; a violation's message ends with "last 20 actions:" and
 *   one line per action; and a sequence-driving property run against a planted bug fails with those
 *   lines, naming the heads, tokens or cookies the last actions acted on.
 * Source: issue 12 item 1 (the steps that led to the violation)
 * Level: meta
 */
import { describe, expect, test } from 'vitest';
import type { DmaCard, DmaChan, DmaClient, DmaTx, DriverRing, Implementation, UsedOut } from '../model/contract.ts';
import { JOURNAL_HEADER, JOURNAL_SIZE, Journal, journaled, journalKinds } from './journal.ts';
import { formatFailure, runProperty } from './harness.ts';
import { reference } from './systems.ts';
import { usedBytes } from './ring/usedBytes.prop.ts';
import { exactlyOnce } from './dma/exactlyOnce.prop.ts';

const kinds = journalKinds({
  step: ([i, head]) => `step ${i} on head ${head}`,
  named: ([i], what) => `named ${i}: ${String(what)}`,
});

describe('Journal', () => {
  test('keeps the last 20 actions, oldest first, numbered from the start of the run', () => {
    const j = kinds();
    for (let i = 0; i < 57; i++) j.rec('step', i, 100 + i);
    const lines = j.lines();
    expect(lines).toHaveLength(JOURNAL_SIZE);
    expect(lines[0]).toBe('38. step 37 on head 137');
    expect(lines.at(-1)).toBe('57. step 56 on head 156');
    expect(j.count).toBe(57);
  });

  test('fewer actions than slots: all of them; none: says so', () => {
    const j = kinds();
    expect(j.text()).toBe(`${JOURNAL_HEADER}\n  (none)`);
    j.rec('step', 0, 7);
    j.recObj('named', { a: 1 }, 1);
    expect(j.text()).toBe(`${JOURNAL_HEADER}\n  1. step 0 on head 7\n  2. named 1: [object Object]`);
  });

  test('a slot reused by rec forgets the object an earlier recObj left there', () => {
    const j = kinds();
    j.recObj('named', 'old', 0);
    for (let i = 1; i <= JOURNAL_SIZE; i++) j.rec('named', i);
    expect(j.lines().at(-1)).toBe(`${JOURNAL_SIZE + 1}. named ${JOURNAL_SIZE}: undefined`);
  });

  test('objects are kept by reference and described only when the text is asked for', () => {
    let described = 0;
    const j = new Journal({ cmd: (_n, c) => (described++, JSON.stringify(c)) });
    const cmd = { kind: 'poke', at: 24 };
    for (let i = 0; i < 1000; i++) j.recObj('cmd', cmd, i);
    expect(described).toBe(0);
    expect(j.lines()).toHaveLength(JOURNAL_SIZE);
    expect(described).toBe(JOURNAL_SIZE);
  });

  test('the same action again in a row is one line with a count; a different object is not the same', () => {
    const j = kinds();
    j.rec('step', 1, 2);
    for (let i = 0; i < 30; i++) j.rec('step', 5, 6);
    j.recObj('named', 'a', 1);
    j.recObj('named', 'b', 1);
    j.rec('step', 1, 2);
    expect(j.lines()).toEqual(['1. step 1 on head 2', '2–31. step 5 on head 6 (30 times)', '32. named 1: a', '33. named 1: b', '34. step 1 on head 2']);
    expect(j.count).toBe(34);
  });

  test('freeze(): the steps up to the first violation stay, later ones are counted', () => {
    const j = kinds();
    j.rec('step', 0, 1);
    j.freeze();
    j.rec('step', 1, 2);
    j.recObj('named', 'x', 2);
    expect(j.text()).toBe(`${JOURNAL_HEADER}\n  1. step 0 on head 1\n  (up to the first violation; 2 more action(s) ran after it)`);
  });

  test('a describer that throws still gives a line with the numbers', () => {
    const j = new Journal({ bad: () => { throw new Error('no'); } });
    j.rec('bad', 3, 4);
    expect(j.lines()[0]).toMatch(/^1\. bad \[3, 4, 0, 0, 0, 0, 0, 0\] \(not describable/);
  });

  test('error() and annotate(): the message ends with the last actions, the original frames stay', () => {
    const j = kinds();
    j.rec('step', 1, 2);
    expect(j.error('head 2 lost').message).toBe(`head 2 lost\n${JOURNAL_HEADER}\n  1. step 1 on head 2`);
    const orig = new RangeError('bad index');
    const out = j.annotate(orig);
    expect(out.message).toBe(`bad index\n${JOURNAL_HEADER}\n  1. step 1 on head 2`);
    expect(out.name).toBe('RangeError');
    const frames = (s: string | undefined) => (s ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    expect(frames(out.stack)).toEqual(frames(orig.stack));
    // annotating twice does not add the journal twice
    expect(j.annotate(out)).toBe(out);
    expect(j.annotate('plain').message).toBe(`plain\n${JOURNAL_HEADER}\n  1. step 1 on head 2`);
  });

  test('journaled(): a fresh journal per call, throws annotated, results passed through', () => {
    const seen: Journal<'step' | 'named'>[] = [];
    const body = journaled(kinds, (j, n: number) => {
      seen.push(j);
      j.rec('step', n, n * 10);
      if (n === 2) throw new Error(`n is ${n}`);
      return n + 1;
    });
    expect(body(1)).toBe(2);
    expect(() => body(2)).toThrow(`n is 2\n${JOURNAL_HEADER}\n  1. step 2 on head 20`);
    expect(seen[0]).not.toBe(seen[1]);
  });
});

// ---------------------------------------------------------------------------------------------
// Planted bugs applied in-process (the way properties/vop/plugin.test.ts wraps an implementation)

/** `obj` with some members replaced (the others read from the original, methods bound to it) */
function override<T extends object>(obj: T, members: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(obj, {
    get(t, k) {
      if (Object.prototype.hasOwnProperty.call(members, k)) return (members as Record<PropertyKey, unknown>)[k];
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** the driver hands its client one byte more than the used entry says (a used-length bug, in-process) */
function usedLenOverstated(): Implementation {
  const ring = reference.ring!;
  return {
    ...reference,
    name: 'used-len-overstated',
    ring: {
      ...ring,
      createDriverRing: (cfg) => {
        const drv = ring.createDriverRing(cfg);
        if ('kind' in drv) return drv;
        return override<DriverRing>(drv, {
          reap: (out: UsedOut) => {
            const r = drv.reap(out);
            if (r === true && out.len > 0) out.len++;
            return r;
          },
        });
      },
    },
  };
}

/** every completion callback runs twice */
function callbackTwice(): Implementation {
  const dma = reference.dma!;
  const wrapTx = (tx: DmaTx): DmaTx =>
    new Proxy(tx, {
      set(t, k, v) {
        if (k === 'callback' && typeof v === 'function') {
          const cb = v as (r: unknown) => void;
          return Reflect.set(t, k, (r: unknown) => (cb(r), cb(r)), t);
        }
        return Reflect.set(t, k, v, t);
      },
      get(t, k) {
        const v = Reflect.get(t, k, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  const wrapChan = (c: DmaChan): DmaChan =>
    override<DmaChan>(c, {
      prepMemcpy: (...a: Parameters<DmaChan['prepMemcpy']>) => {
        const tx = c.prepMemcpy(...a);
        return 'kind' in tx ? tx : wrapTx(tx);
      },
    });
  const wrapClient = (cl: DmaClient): DmaClient =>
    override<DmaClient>(cl, {
      requestChannel: (n?: number) => {
        const c = cl.requestChannel(n);
        return 'kind' in c ? c : wrapChan(c);
      },
    });
  return {
    ...reference,
    name: 'callback-twice',
    dma: {
      attachDma: (platform, cardIndex, opts) => {
        const d = dma.attachDma(platform, cardIndex, opts);
        if ('kind' in d) return d;
        return override<DmaCard>(d, { host: wrapClient(d.host), card: wrapClient(d.card) });
      },
    },
  };
}

const cfg = { tier: 'quick' as const, seed: undefined, path: undefined, runs: undefined };

describe('a sequence-driving property against a planted bug ends with the last actions', () => {
  test('ring.usedBytes on a driver that overstates used lengths: heads, tokens and lengths', async () => {
    const r = await runProperty(usedBytes, usedLenOverstated(), cfg);
    expect(r.status).toBe('failed');
    const text = formatFailure(r);
    expect(text).toContain('[bytes] chain');
    expect(text).toContain(JOURNAL_HEADER);
    const lines = actionLines(r.error!);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(JOURNAL_SIZE);
    // the read that saw the wrong length is the last action, naming its head, token and length
    expect(lines.at(-1)).toMatch(/^\d+\. driver reaps used head \d+, token \d+, len \d+$/);
    expect(lines.some((l) => /device completes head \d+ \(chain \d+\): writes \d+ bytes/.test(l))).toBe(true);
  });

  test('dma.traffic.exactlyOnce on a client that runs callbacks twice: ops, channels and cookies', async () => {
    const r = await runProperty(exactlyOnce, callbackTwice(), cfg);
    expect(r.status).toBe('failed');
    expect(formatFailure(r)).toContain(JOURNAL_HEADER);
    const lines = actionLines(r.error!);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => /op \d+: ch \d+ cookie \d+ callback \(noerror\)/.test(l))).toBe(true);
    expect(lines.some((l) => /op \d+: ch \d+ (prepares|submit)/.test(l) || /finish/.test(l))).toBe(true);
  });
});

/** the numbered lines after the journal's header in an error text */
function actionLines(error: string): string[] {
  const at = error.indexOf(`\n${JOURNAL_HEADER}\n`);
  if (at < 0) return [];
  const out: string[] = [];
  for (const l of error.slice(at + JOURNAL_HEADER.length + 2).split('\n')) {
    const m = /^ {2}(\d+(?:–\d+)?\. .*)$/.exec(l);
    if (m === null) break;
    out.push(m[1]!);
  }
  return out;
}
