/**
 * The HTML report as a user gets it: `micvop verify --html` on a small run with one failure (an
 * implementation whose scheduler drops posts and writes hostile HTML into its trace), and `micvop
 * report --html` from the JSON report; the page opened in headless Chromium (Debian's `chromium`,
 * driven by playwright-core, no browser download) must render every diagram to SVG with no console
 * error, load nothing from outside, and run nothing the trace smuggled in. Skips, saying why, when no
 * Chromium can be found. MICVOP_HTML_SCREENSHOT=FILE.png keeps a full-page screenshot.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { esc } from './report-html.ts';
import { REACHED_MARK, stateDiagram, transitionEnds } from './models.ts';
import { mergeReports, summarize, type Report } from './report.ts';
import { dmaChannelMachine } from '../model/machines/dma-channel.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'micvop-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, MICVOP_NO_RECORD: '1' };
  for (const k of ['SEED', 'PATH', 'RUNS', 'IMPL', 'TIER', 'FAILURES']) delete env[`MICVOP_${k}`];
  delete env.CI;
  const r = spawnSync(process.execPath, [join(root, 'cli', 'bin.mjs'), ...args], { cwd: root, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** the system Chromium (MICVOP_CHROMIUM overrides), or why there is none */
function findChromium(): { path: string } | { reason: string } {
  const candidates = [
    process.env.MICVOP_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/lib/chromium/chromium',
  ];
  const path = candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (path !== undefined) return { path };
  return { reason: 'no chromium binary (apt-get install chromium, or set MICVOP_CHROMIUM)' };
}
const chromium = findChromium();
if ('reason' in chromium) console.warn(`report-html.test.ts: browser checks skipped: ${chromium.reason}`);

const HOSTILE = '<img src=x onerror="window.__pwned=1"></pre><script>window.__pwned=2</script>';
const ONLY = ['sim.anyChoicesValidRun', 'ring.status', 'dma.channel.allTransitions'];

/** verify --html on an implementation that drops every third posted event and puts HOSTILE in its trace */
function failingRun(): { page: string; json: string; failures: string; out: string } {
  const impl = join(dir, 'hostile.mjs');
  writeFileSync(impl, [
    `import { reference } from ${JSON.stringify(pathToFileURL(join(root, 'impl', 'index.ts')).href)};`,
    'const createScheduler = (o) => {',
    '  const s = reference.sim.createScheduler(o);',
    '  const post = s.post.bind(s);',
    '  let n = 0;',
    `  s.post = (who, what, fn) => { if (++n % 3 !== 0) post(who, what + ' ' + ${JSON.stringify(HOSTILE)}, fn); };`,
    '  return s;',
    '};',
    `const name = ${JSON.stringify('hostile <b>impl</b>')};`,
    'export default { ...reference, name, sim: { ...reference.sim, createScheduler } };',
    '',
  ].join('\n'));
  const [page, json, failures] = [join(dir, 'verify.html'), join(dir, 'r.json'), join(dir, 'failures')];
  const flags = ['--runs', '2', '--failures', failures, '--json', json, '--html', page];
  const r = run(['verify', '--impl', impl, '--only', ONLY.join(','), ...flags]);
  expect(r.code, r.err).toBe(1);
  return { page, json, failures, out: r.out };
}

/** what the page-side functions touch of the browser's globals */
interface PageGlobals {
  readonly document: {
    body: { dataset: Record<string, string | undefined> };
    querySelectorAll(sel: string): { length: number };
  };
  readonly __pwned?: unknown;
}

interface Opened {
  diagrams: string;
  svgs: number;
  blocks: number;
  sources: number;
  reachedStates: number;
  reachedEdges: number;
  pwned: unknown;
  images: number;
  errors: string[];
  requests: string[];
  ms: number;
}

/** opens the page in headless Chromium and waits until its script says how many diagrams rendered */
async function open(page: string, screenshot?: string): Promise<Opened> {
  if (!('path' in chromium)) throw new Error('no chromium');
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium.path, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    tab.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    tab.on('pageerror', (e) => void errors.push(`pageerror: ${e.message}`));
    tab.on('request', (r) => void (/^(file|data):/.test(r.url()) || requests.push(r.url())));
    const t0 = performance.now();
    await tab.goto(pathToFileURL(page).href);
    // page-side functions (run by CDP, which the page's CSP allows; a string would be an eval): the
    // project compiles without the DOM library, hence the cast to the little of it they use
    const done = () => (globalThis as unknown as PageGlobals).document.body.dataset.diagrams !== 'pending';
    await tab.waitForFunction(done, undefined, { timeout: 60_000 });
    const ms = performance.now() - t0;
    const seen = await tab.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      const count = (sel: string): number => g.document.querySelectorAll(sel).length;
      return {
        diagrams: g.document.body.dataset.diagrams ?? '',
        svgs: count('div.diagram > svg'),
        blocks: count('div.diagram'),
        sources: count('pre.mermaid-src'),
        reachedStates: count('div.diagram svg g.node.reached'),
        reachedEdges: count('div.diagram svg path.reached-edge'),
        pwned: g.__pwned,
        images: count('img'),
      };
    });
    if (screenshot !== undefined) await tab.screenshot({ path: screenshot, fullPage: true });
    return { ...seen, errors, requests, ms };
  } finally {
    await browser.close();
  }
}

test('reached transitions are marked on their edges, in both naming styles; merge unions the names', () => {
  const submit = { from: 'idle', event: 'SUBMIT', to: 'busy' };
  expect(transitionEnds('idle: SUBMIT [idle#0 isOwner → busy]')).toEqual(submit);
  expect(transitionEnds('busy:STEP:idle')).toEqual({ from: 'busy', event: 'STEP', to: 'idle' });
  expect(transitionEnds('idle: POLL [*#0 → (stay)]')).toBeUndefined();
  expect(transitionEnds('whatever')).toBeUndefined();
  const plain = stateDiagram(dmaChannelMachine).mermaid;
  const marks = { reachedStates: new Set(['idle', 'busy']), reachedTransitions: ['idle:SUBMIT:busy'] };
  const marked = stateDiagram(dmaChannelMachine, marks).mermaid;
  const markedLines = marked.split('\n').filter((l) => l.endsWith(REACHED_MARK));
  expect(markedLines.map((l) => l.trim().split(' : ')[0])).toEqual(['idle --> busy']);
  // otherwise the diagram of `micvop models`
  const unmarked = marked.replaceAll(REACHED_MARK, '').split('\n').filter((l) => !/^\s+class(Def)? /.test(l));
  expect(unmarked.join('\n')).toBe(plain);
  expect(marked).toMatch(/^ {2}class idle,busy reached$/m);

  const rep = (states: string[], transitions: string[]): Report => ({
    impl: 'reference', tier: 'quick', seed: null, shard: null, properties: [], summary: summarize([]),
    coverage: {
      machines: {
        dmaChannel: {
          states: [states.length, 5],
          transitions: [transitions.length, 13],
          reached: { states, transitions },
        },
      },
    },
  });
  const m = mergeReports([
    { name: 'a', report: rep(['idle'], ['x:A:y']) },
    { name: 'b', report: rep(['busy', 'idle'], ['x:B:y']) },
  ]);
  const reached = { states: ['busy', 'idle'], transitions: ['x:A:y', 'x:B:y'] };
  expect(m.coverage.machines.dmaChannel).toEqual({ states: [2, 5], transitions: [2, 13], reached });
});

describe('micvop verify --html / report --html', () => {
  const state: { run?: ReturnType<typeof failingRun> } = {};
  const once = () => (state.run ??= failingRun());

  test('the page holds the results, the machines and the failure, everything escaped', () => {
    const { page, out, failures } = once();
    expect(out).toMatch(/^html report: .*verify\.html \(\d+\.\d MB, 3 properties, 1 failure files\)$/m);
    const html = readFileSync(page, 'utf8');
    // (booleans: a failing toContain would print the whole 6 MB page)
    const has = (s: string | RegExp): boolean => (typeof s === 'string' ? html.includes(s) : s.test(html));
    for (const id of ONLY) expect(has(`>${id}<`), id).toBe(true);
    expect(has(`npx micvop replay ${failures}/sim.anyChoicesValidRun-`)).toBe(true);
    expect(has(/npx micvop replay ring\.status --seed \d+ --impl \S+hostile\.mjs/)).toBe(true);
    // the trace (Mermaid-escaped, then HTML-escaped) and the implementation name arrive only escaped
    expect(has(HOSTILE)).toBe(false);
    expect(has(esc(HOSTILE.replaceAll('<', '#lt;').replaceAll('>', '#gt;')))).toBe(true);
    expect(has('<b>impl</b>')).toBe(false);
    expect(has('hostile &lt;b&gt;impl&lt;/b&gt;')).toBe(true);
    expect(html.match(/<script>/g)?.length).toBe(2);
    const outsideScripts = html.replace(/<script>[\s\S]*?<\/script>/g, '');
    expect(outsideScripts.match(/<(img|script)\b/gi)).toBeNull();
    expect(has('Content-Security-Policy')).toBe(true);
  }, 120_000);

  const noBrowser = !('path' in chromium);
  test.skipIf(noBrowser)('every diagram renders to SVG in headless Chromium, offline, no console error', async () => {
    const { page } = once();
    const seen = await open(page, process.env.MICVOP_HTML_SCREENSHOT);
    // six machines and the failure's sequence diagram
    expect(seen.errors).toEqual([]);
    expect(seen.diagrams).toBe('7/7');
    expect(seen).toMatchObject({ svgs: 7, blocks: 7, sources: 0, pwned: undefined, images: 0 });
    expect(seen.requests).toEqual([]);
    // dmaChannel: all 5 states and 13 edges; virtioStatus: at least its reset state and loop
    expect(seen.reachedStates).toBeGreaterThanOrEqual(6);
    expect(seen.reachedEdges).toBeGreaterThanOrEqual(14);
    const mb = (readFileSync(page).length / 1e6).toFixed(1);
    console.log(`report-html: ${mb} MB page rendered in ${Math.round(seen.ms)} ms`);
  }, 120_000);

  test('report --html builds the same page from the JSON report and the failure files', async () => {
    const { json, failures, page } = once();
    const again = join(dir, 'report.html');
    const r = run(['report', '--html', again, json, '--failures', failures]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^html report: .*report\.html \(\d+\.\d MB, 3 properties, 1 failure files\)$/m);
    const strip = (s: string) => s.replace(/; from [^<]*</, '<');
    expect(strip(readFileSync(again, 'utf8')) === strip(readFileSync(page, 'utf8'))).toBe(true);
  }, 120_000);

  test('bad input: one line naming the problem, exit 2, nothing written', () => {
    const good = once().json;
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"impl": "x", ');
    const cases: [string[], RegExp][] = [
      [['report', '--html', join(dir, 'x.html'), broken], /is not JSON/],
      [['report', '--html', join(dir, 'x.html'), join(dir, 'missing.json')], /cannot read report/],
      [['report', '--html', join(dir, 'no', 'such', 'x.html'), good], /cannot write --html file/],
      [['report', '--html', dir, good], /it is a folder/],
      [['report', good], /needs --html FILE/],
      [['verify', '--only', 'sim.traceDigest', '--html', join(dir, 'no', 'x.html')], /cannot write --html file/],
    ];
    for (const [args, why] of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0], args.join(' ')).toMatch(/^micvop: \S/);
      expect(r.err.split('\n')[0], args.join(' ')).toMatch(why);
      expect(r.err.split('\n').filter((l) => l !== '').length).toBeLessThanOrEqual(2);
      expect(r.out).toBe('');
    }
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  }, 120_000);
});
