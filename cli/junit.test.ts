import { expect, test } from 'vitest';
import { junitXml } from './junit.ts';

test('a failed property becomes a <failure> with its seed and path, escaped', () => {
  const xml = junitXml('ref<1>', [
    { id: 'ring.hostile', status: 'failed', seed: 7, path: '3:1', numRuns: 4, ms: 12, error: 'a < b && "c"\u0001' },
    { id: 'sim.traceDigest', status: 'passed', seed: 1, numRuns: 5, ms: 3 },
  ], (r) => `replay ${r.id} ${r.error}`);
  expect(xml).toContain('<testsuite name="micvop.ref&lt;1&gt;" tests="2" failures="1" skipped="0"');
  expect(xml).toContain('<testcase classname="micvop.ring" name="ring.hostile" time="0.012">');
  expect(xml).toContain('<failure message="seed 7 path 3:1">replay ring.hostile a &lt; b &amp;&amp; &quot;c&quot;</failure>');
  expect(xml).toContain('<testcase classname="micvop.sim" name="sim.traceDigest" time="0.003"></testcase>');
});
