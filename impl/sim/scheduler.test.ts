import { describe, expect, test } from 'vitest';
import type { ChoiceSource, SchedulerError } from '../../model/contract.ts';
import { createScheduler, isSchedulerError, MAX_TIME_NS } from './scheduler.ts';

/** a choice source that records each n it was asked with and always answers `pick` (clamped) */
function recordingChoices(pick = 0): ChoiceSource & { asked: number[] } {
  const asked: number[] = [];
  return { asked, choose: (n) => (asked.push(n), Math.min(pick, n - 1)) };
}

describe('scheduler: ready events', () => {
  test('one agent runs FIFO and consumes no choice', () => {
    const choices = recordingChoices();
    const s = createScheduler({ choices });
    const order: number[] = [];
    for (let i = 0; i < 20; i++) s.post('a', `e${i}`, () => order.push(i));
    expect(s.runUntilIdle()).toEqual({ steps: 20, idle: true });
    expect(order).toEqual([...Array(20).keys()]);
    expect(choices.asked).toEqual([]);
  });

  test('the choice is among ready agents, asked with their count', () => {
    const choices = recordingChoices(1);
    const s = createScheduler({ choices });
    s.post('a', 'a0', () => {});
    s.post('b', 'b0', () => {});
    s.post('c', 'c0', () => {});
    s.post('a', 'a1', () => {});
    s.runUntilIdle();
    // 3 agents ready, then 2 (b ran out) and a has one left ... then 1: no choice
    expect(choices.asked[0]).toBe(3);
    expect(choices.asked.every((n) => n >= 2)).toBe(true);
    expect(s.trace.events().map((e) => e.what)).toEqual(['b0', 'c0', 'a0', 'a1']);
  });

  test('out-of-range choices are folded into range', () => {
    for (const v of [-1, 99, 1.5, Number.NaN, Infinity]) {
      const s = createScheduler({ choices: { choose: () => v } });
      let ran = 0;
      for (let i = 0; i < 5; i++) s.post(`a${i}`, 'x', () => ran++);
      expect(s.runUntilIdle().idle).toBe(true);
      expect(ran).toBe(5);
    }
  });

  test('nested posts run after, in the same instant', () => {
    const s = createScheduler();
    const seen: string[] = [];
    s.post('a', 'outer', () => {
      seen.push('outer');
      s.post('a', 'inner', () => seen.push('inner'));
    });
    s.runUntilIdle();
    expect(seen).toEqual(['outer', 'inner']);
    expect(s.now).toBe(0);
  });

  test('queues grow past their initial capacity and keep order while wrapping', () => {
    const s = createScheduler({ trace: false });
    const out: number[] = [];
    let next = 0;
    // interleave pushes and pops so head wraps around before growth
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 7; k++) {
        const v = next++;
        s.post('a', 'x', () => out.push(v));
      }
      for (let k = 0; k < 5; k++) s.step();
    }
    s.runUntilIdle();
    expect(out).toEqual([...Array(next).keys()]);
  });

  test('a throwing event leaves the scheduler usable', () => {
    const s = createScheduler();
    s.post('a', 'boom', () => {
      throw new Error('boom');
    });
    s.post('a', 'after', () => {});
    expect(() => s.step()).toThrow('boom');
    expect(s.step()).toBe('ran');
    expect(s.step()).toBe('idle');
  });

  test('step from inside an event is refused', () => {
    const s = createScheduler();
    s.post('a', 'reenter', () => s.step());
    expect(() => s.step()).toThrow(/inside a running event/);
  });
});

describe('scheduler: timers', () => {
  test('time advances only when nothing is ready, straight to the next deadline', () => {
    const s = createScheduler();
    const seen: string[] = [];
    s.after(100, 't', 'late', () => seen.push(`late@${s.now}`));
    s.post('a', 'now', () => seen.push(`now@${s.now}`));
    expect(s.step()).toBe('ran');
    expect(s.step()).toBe('advanced');
    expect(s.now).toBe(100);
    expect(s.step()).toBe('ran');
    expect(s.step()).toBe('idle');
    expect(seen).toEqual(['now@0', 'late@100']);
  });

  test('timers due together become ready together, deadline then creation order', () => {
    const s = createScheduler();
    const seen: string[] = [];
    s.after(20, 'a', 't20a', () => seen.push('t20a'));
    s.after(10, 'a', 't10a', () => seen.push('t10a'));
    s.after(20, 'a', 't20b', () => seen.push('t20b'));
    s.after(10, 'a', 't10b', () => seen.push('t10b'));
    expect(s.step()).toBe('advanced');
    expect(s.pending()).toBe(4);
    s.runUntilIdle();
    expect(seen).toEqual(['t10a', 't10b', 't20a', 't20b']);
  });

  test('cancel: a cancelled timer never fires, cancel is one-shot, fired timers cannot be cancelled', () => {
    const s = createScheduler();
    let fired = 0;
    const a = s.after(5, 'x', 'a', () => fired++) as number;
    const b = s.after(5, 'x', 'b', () => fired++) as number;
    expect(s.pending()).toBe(2);
    expect(s.cancel(a)).toBe(true);
    expect(s.cancel(a)).toBe(false);
    expect(s.pending()).toBe(1);
    s.runUntilIdle();
    expect(fired).toBe(1);
    expect(s.cancel(b)).toBe(false);
    expect(s.cancel(12345)).toBe(false);
  });

  test('a timer already due but not yet run can still be cancelled (completion beats timeout)', () => {
    const s = createScheduler({ choices: { choose: () => 0 } });
    const seen: string[] = [];
    let timeout = 0;
    s.after(10, 'dma', 'complete', () => {
      seen.push('complete');
      expect(s.cancel(timeout)).toBe(true);
    });
    timeout = s.after(10, 'dma', 'timeout', () => seen.push('timeout')) as number;
    s.after(10, 'other', 'x', () => seen.push('x'));
    expect(s.step()).toBe('advanced');
    expect(s.pending()).toBe(3);
    s.runUntilIdle();
    expect(seen).toEqual(['complete', 'x']);
    expect(s.pending()).toBe(0);
  });

  test('cancelling a due timer in the middle of an agent queue keeps the rest in order', () => {
    const s = createScheduler();
    const seen: number[] = [];
    const ids = [0, 1, 2, 3, 4].map((k) => s.after(5, 'a', `t${k}`, () => seen.push(k)) as number);
    s.step();
    expect(s.cancel(ids[2]!)).toBe(true);
    expect(s.cancel(ids[4]!)).toBe(true);
    s.runUntilIdle();
    expect(seen).toEqual([0, 1, 3]);
  });

  test('cancelling all timers leaves the scheduler idle at the same time', () => {
    const s = createScheduler();
    const ids = [1, 2, 3].map((d) => s.after(d * 1000, 'x', 'y', () => {}) as number);
    for (const id of ids) s.cancel(id);
    expect(s.step()).toBe('idle');
    expect(s.now).toBe(0);
  });

  test('a 45 s poll loop of 1 s timers costs 90 steps, not 45 s', () => {
    const s = createScheduler();
    let polls = 0;
    const poll = (): void => {
      polls++;
      if (polls < 45) s.after(1e9, 'host', 'poll', poll);
    };
    s.after(1e9, 'host', 'poll', poll);
    const r = s.runUntilIdle();
    expect(polls).toBe(45);
    expect(r).toEqual({ steps: 90, idle: true });
    expect(s.now).toBe(45e9);
  });

  test('typed errors instead of throws for bad delays and overflow', () => {
    const s = createScheduler();
    const err = (v: unknown): SchedulerError['reason'] | undefined => (isSchedulerError(v) ? v.reason : undefined);
    expect(err(s.after(-1, 'a', 'b', () => {}))).toBe('negative-delay');
    expect(err(s.after(Number.NaN, 'a', 'b', () => {}))).toBe('invalid-delay');
    expect(err(s.after(Infinity, 'a', 'b', () => {}))).toBe('time-overflow');
    expect(err(s.after(MAX_TIME_NS + 1, 'a', 'b', () => {}))).toBe('time-overflow');
    expect(typeof s.after(MAX_TIME_NS, 'a', 'b', () => {})).toBe('number');
    s.runUntilIdle();
    expect(s.now).toBe(MAX_TIME_NS);
    expect(err(s.after(1, 'a', 'b', () => {}))).toBe('time-overflow');
    expect(typeof s.after(0, 'a', 'b', () => {})).toBe('number');
    expect(s.runFor(1).error?.reason).toBe('time-overflow');
  });

  test('fractional delays round up', () => {
    const s = createScheduler();
    let at = -1;
    s.after(1.2, 'a', 'b', () => (at = s.now));
    s.runUntilIdle();
    expect(at).toBe(2);
  });
});

describe('scheduler: run helpers', () => {
  test('runFor runs what is due within the window and lands exactly at its end', () => {
    const s = createScheduler();
    const seen: number[] = [];
    for (const d of [10, 50, 100, 101]) s.after(d, 'a', `t${d}`, () => seen.push(d));
    expect(s.runFor(100)).toEqual({ steps: 6, complete: true });
    expect(seen).toEqual([10, 50, 100]);
    expect(s.now).toBe(100);
    expect(s.pending()).toBe(1);
    expect(s.runFor(1000).complete).toBe(true);
    expect(s.now).toBe(1100);
    expect(s.runFor(-5).error?.reason).toBe('negative-delay');
  });

  test('runFor stops at its step budget without moving time to the target', () => {
    const s = createScheduler();
    for (let i = 0; i < 10; i++) s.post('a', 'x', () => {});
    expect(s.runFor(1000, 4)).toEqual({ steps: 4, complete: false });
    expect(s.now).toBe(0);
  });

  test('runUntil checks the predicate before each step and honours limits', () => {
    const s = createScheduler();
    let n = 0;
    const tick = (): void => {
      n++;
      s.after(1000, 'a', 'tick', tick);
    };
    s.post('a', 'tick', tick);
    expect(s.runUntil(() => n === 5)).toBe(true);
    expect(s.now).toBe(4000);
    // relative time limit: from 4000, at most 2500 ns more → ticks at 5000, 6000 only
    expect(s.runUntil(() => false, { maxTimeNs: 2500 })).toBe(false);
    expect(n).toBe(7);
    expect(s.now).toBe(6000);
    expect(s.runUntil(() => false, { maxSteps: 3 })).toBe(false);
  });

  test('runUntilIdle stops at its step budget on an endless loop', () => {
    const s = createScheduler();
    const again = (): void => s.post('a', 'again', again);
    s.post('a', 'again', again);
    expect(s.runUntilIdle(1000)).toEqual({ steps: 1000, idle: false });
  });

  test('injected events become ready at the next step', () => {
    const s = createScheduler();
    let ran = false;
    s.inject('stdin', 'line', () => (ran = true));
    expect(s.pending()).toBe(1);
    expect(s.step()).toBe('ran');
    expect(ran).toBe(true);
    expect(s.trace.text()).toBe('0 stdin line\n');
  });
});

describe('scheduler: determinism and trace', () => {
  function workload(seed: number, trace = true): { text: string; digest: string; values: number[] } {
    const s = createScheduler({ seed, trace });
    for (let a = 0; a < 5; a++) {
      for (let i = 0; i < 4; i++) {
        s.post(`agent${a}`, `e${i}`, () => {
          if (i % 2 === 0) s.after((a + 1) * 7, `agent${(a + i) % 5}`, `t${a}.${i}`, () => s.post('late', `from${a}`, () => {}));
        });
      }
    }
    s.runUntilIdle();
    return { text: s.trace.text(), digest: s.trace.digest(), values: [s.nextU32(), s.nextU32()] };
  }

  test('same seed, same trace; other seeds interleave differently', () => {
    const a = workload(42);
    expect(workload(42)).toEqual(a);
    const digests = new Set([1, 2, 3, 4, 5].map((seed) => workload(seed).digest));
    expect(digests.size).toBeGreaterThan(1);
  });

  test('trace: false records nothing', () => {
    const r = workload(42, false);
    expect(r.text).toBe('');
  });

  test('nextU32 does not depend on the choice source', () => {
    const a = createScheduler({ seed: 9 });
    const b = createScheduler({ seed: 9, choices: { choose: () => 0 } });
    expect([a.nextU32(), a.nextU32()]).toEqual([b.nextU32(), b.nextU32()]);
  });

  test('trace.record stamps the current virtual time', () => {
    const s = createScheduler();
    s.after(77, 'a', 'x', () => s.trace.record('card0', 'did a thing'));
    s.runUntilIdle();
    expect(s.trace.events()).toEqual([
      { t: 77, who: 'a', what: 'x' },
      { t: 77, who: 'card0', what: 'did a thing' },
    ]);
    expect(s.trace.digest()).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a fired fault is visible in the trace', () => {
    const s = createScheduler();
    s.faults.declare('dma.desc.fail', 'descriptor fetch fails');
    s.faults.arm('dma.desc.fail');
    s.post('dma', 'fetch', () => void s.faults.hit('dma.desc.fail'));
    s.runUntilIdle();
    expect(s.trace.text()).toBe('0 dma fetch\n0 faults fire dma.desc.fail\n');
  });
});
