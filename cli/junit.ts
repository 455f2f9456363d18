/** JUnit XML for `micvop verify --junit FILE`, so CI systems show each property as a test case. */
import type { PropertyResult } from '../properties/harness.ts';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 forbids most control characters even when escaped
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function junitXml(implementation: string, results: readonly PropertyResult[], failureText: (r: PropertyResult) => string): string {
  const failures = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const secs = (ms: number): string => (ms / 1000).toFixed(3);
  const total = results.reduce((a, r) => a + r.ms, 0);
  const cases = results.map((r) => {
    const area = r.id.split('.')[0] ?? r.id;
    const head = `    <testcase classname="micvop.${esc(area)}" name="${esc(r.id)}" time="${secs(r.ms)}">`;
    if (r.status === 'failed') return `${head}\n      <failure message="${esc(`seed ${r.seed}${r.path ? ` path ${r.path}` : ''}`)}">${esc(failureText(r))}</failure>\n    </testcase>`;
    if (r.status === 'skipped') return `${head}\n      <skipped message="${esc(r.reason ?? '')}"/>\n    </testcase>`;
    return `${head}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="micvop verify" tests="${results.length}" failures="${failures}" skipped="${skipped}" time="${secs(total)}">`,
    `  <testsuite name="micvop.${esc(implementation)}" tests="${results.length}" failures="${failures}" skipped="${skipped}" time="${secs(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
