import { describe, expect, test } from 'vitest';
import { SimFaults } from './faults.ts';

describe('fault hooks', () => {
  test('declare is idempotent, points are sorted', () => {
    const f = new SimFaults();
    f.declare('z.point', 'last');
    f.declare('a.point', 'first');
    f.declare('z.point', 'redeclared');
    expect(f.points()).toEqual([
      { name: 'a.point', description: 'first' },
      { name: 'z.point', description: 'last' },
    ]);
  });

  test('unarmed points never fire', () => {
    const f = new SimFaults();
    f.declare('p', '');
    for (let i = 0; i < 10; i++) expect(f.hit('p')).toBe(false);
    expect(f.fired('p')).toBe(0);
    expect(f.hits('p')).toBe(10);
  });

  test('arm fires `times` times after `skip` hits', () => {
    const f = new SimFaults();
    f.arm('p', { skip: 2, times: 3 });
    const got = Array.from({ length: 8 }, () => f.hit('p'));
    expect(got).toEqual([false, false, true, true, true, false, false, false]);
    expect(f.fired('p')).toBe(3);
    expect(f.armed('p')).toBe(false);
  });

  test('default arm fires once; disarm stops it; other points unaffected', () => {
    const f = new SimFaults();
    f.arm('p');
    expect(f.hit('q')).toBe(false);
    expect(f.hit('p')).toBe(true);
    expect(f.hit('p')).toBe(false);
    f.arm('p', { times: 5 });
    f.disarm('p');
    expect(f.hit('p')).toBe(false);
    f.disarm('never-seen');
    expect(f.fired('p')).toBe(1);
  });

  test('re-arming replaces the remaining budget', () => {
    const fires: string[] = [];
    const f = new SimFaults((n) => fires.push(n));
    f.arm('p', { times: 5 });
    f.hit('p');
    f.arm('p', { times: 1 });
    expect(f.hit('p')).toBe(true);
    expect(f.hit('p')).toBe(false);
    expect(fires).toEqual(['p', 'p']);
  });

  test('a point handle is the point: hits, arming and firing are shared with hit(name)', () => {
    const fires: string[] = [];
    const f = new SimFaults((n) => fires.push(n));
    const p = f.point('p');
    expect(f.point('p')).toBe(p);
    expect(p.hit()).toBe(false);
    f.arm('p', { skip: 1, times: 2 });
    expect([p.hit(), f.hit('p'), p.hit(), p.hit()]).toEqual([false, true, true, false]);
    expect(f.hits('p')).toBe(5);
    expect(f.fired('p')).toBe(2);
    expect(fires).toEqual(['p', 'p']);
    f.arm('p');
    f.disarm('p');
    expect(p.hit()).toBe(false);
    f.declare('p', 'declared after its handle');
    expect(f.points()).toEqual([{ name: 'p', description: 'declared after its handle' }]);
  });
});
