import { expect, test } from 'vitest';
import { mergeReports, summarize, type Report, type ReportProperty } from './report.ts';
import { optionalJsonValue } from './verify.ts';
import { shardOf } from './verify-support.ts';
import { UsageError } from './errors.ts';
import { laneOf, sequenceDiagram } from '../properties/report/mermaid.ts';
import { readableSteps, trimStack } from '../properties/report/readable.ts';

const prop = (id: string, status: ReportProperty['status'], commands: number, durationMs: number): ReportProperty => ({
  id, file: null, status, runs: 1, seed: 1, path: null, durationMs, commands, ...(status === 'skipped' ? { reason: 'r' } : {}),
});
const report = (props: ReportProperty[], reached: number): Report => ({
  impl: 'reference', tier: 'quick', seed: null, shard: null, properties: props,
  coverage: { machines: { cardSide: { states: [reached, 7], transitions: [reached * 2, 17] } } },
  summary: summarize(props),
});

test('shards are a partition of the selection for every count', () => {
  const ids = Array.from({ length: 23 }, (_, i) => ({ id: `p.n${i}` }));
  for (let n = 1; n <= 7; n++) {
    const parts = Array.from({ length: n }, (_, i) => shardOf(ids, i + 1, n).map((d) => d.id));
    expect(parts.flat().sort()).toEqual(ids.map((d) => d.id).sort());
    expect(new Set(parts.flat()).size).toBe(ids.length);
    expect(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length))).toBeLessThanOrEqual(1);
  }
});

test('merge recomputes the summary and keeps the most coverage any shard reached', () => {
  const a = report([prop('a.x', 'passed', 100, 10), prop('a.y', 'failed', 50, 40)], 3);
  const b = report([prop('b.x', 'skipped', 0, 0), prop('b.y', 'passed', 350, 50)], 5);
  const m = mergeReports([{ name: 'A', report: a }, { name: 'B', report: b }]);
  expect(m.summary).toEqual({ passed: 2, failed: 1, skipped: 1, commands: 500, commandsPerSecond: 5000 });
  expect(m.coverage.machines.cardSide).toEqual({ states: [5, 7], transitions: [10, 17] });
  expect(m.properties.map((p) => p.id)).toEqual(['a.x', 'a.y', 'b.x', 'b.y']);
  expect(() => mergeReports([{ name: 'A', report: a }, { name: 'A2', report: a }])).toThrow(UsageError);
  expect(() => mergeReports([{ name: 'A', report: a }, { name: 'D', report: { ...b, tier: 'deep' } }])).toThrow(/another implementation, tier or seed/);
});

test('--json takes an optional file', () => {
  expect(optionalJsonValue(['--json'])).toEqual(['--json=-']);
  expect(optionalJsonValue(['--json', '--only', 'x'])).toEqual(['--json=-', '--only', 'x']);
  expect(optionalJsonValue(['--json', '-', '--only', 'x'])).toEqual(['--json=-', '--only', 'x']);
  expect(optionalJsonValue(['--json', 'r.json'])).toEqual(['--json', 'r.json']);
});

test('trace agents map to the five lanes; interrupts go from the bus to the side they interrupt', () => {
  expect(['host.mic0', 'mpssd.mic0', 'card0', 'card0.dma.ch4', 'card0.irq.host', 'card0.irq.33'].map(laneOf)).toEqual(['host', 'daemon', 'card', 'dma', 'bus', 'bus']);
  const d = sequenceDiagram([
    { t: 0, who: 'host.mic0', what: 'probe; #1' },
    { t: 200_000_000, who: 'card0.irq.host', what: 'deliver 0x2' },
    { t: 200_000_000, who: 'card0.irq.33', what: 'card-irq' },
  ]);
  expect(d.split('\n')).toEqual([
    'sequenceDiagram',
    '  participant host as host driver',
    '  participant bus as bus',
    '  participant card as card',
    '  Note over host: 0 ns host.mic0: probe#59; #35;1',
    '  bus->>host: 200 ms card0.irq.host: deliver 0x2',
    '  bus->>card: card0.irq.33: card-irq',
  ]);
});

test('stack traces keep our frames only; a counterexample reads as steps', () => {
  const stack = [
    'Error: boom',
    `    at check (${process.cwd()}/properties/ring/x.prop.ts:3:4)`,
    `    at Property.run (${process.cwd()}/node_modules/fast-check/lib/fast-check.js:1:2)`,
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    `    at runProperty (${process.cwd()}/properties/harness.ts:9:9)`,
  ].join('\n');
  expect(trimStack(stack).split('\n')).toEqual(['Error: boom', '    at check (properties/ring/x.prop.ts:3:4)', '    (fast-check, node and harness frames hidden)']);
  expect(readableSteps([[{ op: 'add' }, { op: 'get' }], [1, 2, 3]])).toEqual(['arg 1[0] {"op":"add"}', 'arg 1[1] {"op":"get"}', 'arg 2: [1, 2, 3] (3 numbers)']);
});
