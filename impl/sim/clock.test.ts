import { describe, expect, test } from 'vitest';
import { createScheduler } from './scheduler.ts';
import { runPaced } from './clock.ts';

describe('wall-clock pacing', () => {
  test('runs timers and injected events in step with the wall clock, then stops', async () => {
    const s = createScheduler();
    const seen: string[] = [];
    // rate 1000: 1 ms of wall clock = 1 s of virtual time; a poll every virtual second
    const poll = (): void => {
      seen.push('poll');
      s.after(1e9, 'host', 'poll', poll);
    };
    s.after(1e9, 'host', 'poll', poll);
    setTimeout(() => s.inject('stdin', 'line', () => seen.push('stdin')), 20);
    const r = await runPaced(s, { rate: 1000, durationMs: 150, tickMs: 5 });
    expect(r.reason).toBe('duration');
    expect(seen).toContain('stdin');
    const polls = seen.filter((x) => x === 'poll').length;
    // ~150 virtual seconds passed; allow for a slow, shared machine but require real progress
    expect(polls).toBeGreaterThan(20);
    expect(r.virtualNs).toBeGreaterThanOrEqual(polls * 1e9);
    // virtual time never runs ahead of the wall clock × rate
    expect(r.virtualNs).toBeLessThanOrEqual(r.wallMs * 1e6 * 1000 + 1);
    expect(r.wallMs).toBeLessThan(1000);
  });

  test('until and abort stop the loop', async () => {
    const s = createScheduler();
    let n = 0;
    const tick = (): void => {
      n++;
      s.after(1e6, 'a', 'tick', tick);
    };
    s.post('a', 'tick', tick);
    const r = await runPaced(s, { rate: 100, until: () => n >= 3, tickMs: 2, durationMs: 900 });
    expect(r.reason).toBe('until');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const r2 = await runPaced(s, { rate: 1, signal: ac.signal, tickMs: 5 });
    expect(r2.reason).toBe('aborted');
    const ac2 = new AbortController();
    ac2.abort();
    expect((await runPaced(s, { signal: ac2.signal })).reason).toBe('aborted');
  });
});
