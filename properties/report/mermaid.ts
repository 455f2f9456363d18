/**
 * A scheduler trace as a Mermaid sequence diagram. Trace agents map to five lanes (host driver,
 * daemon, card, DMA, bus); an interrupt delivery is drawn as the bus handing it to the side it
 * interrupts, every other event as a note on its agent's lane.
 */
import type { TraceEvent } from '../../model/contract.ts';

export type Lane = 'host' | 'daemon' | 'card' | 'dma' | 'bus' | 'sim';

const LANE_TITLE: Readonly<Record<Lane, string>> = {
  host: 'host driver',
  daemon: 'daemon',
  card: 'card',
  dma: 'DMA',
  bus: 'bus',
  sim: 'other agents',
};
const LANE_ORDER: readonly Lane[] = ['daemon', 'host', 'bus', 'dma', 'card', 'sim'];

/** which lane a trace agent ("host.mic0", "card0.dma.ch4", "card0.irq.host", "mpssd.mic0") is drawn on */
export function laneOf(who: string): Lane {
  if (/(^|\.)dma(\.|$)/.test(who)) return 'dma';
  if (/^(mpssd|daemon)/.test(who)) return 'daemon';
  if (/(^|\.)(irq|pcie|bus|mbus|smpt|doorbell|db)(\.|$)/.test(who)) return 'bus';
  if (/^host/.test(who)) return 'host';
  if (/^card/.test(who)) return 'card';
  return 'sim';
}

/** the side an interrupt agent delivers to: "card0.irq.host" → host, "card0.irq.33" → card */
function irqTarget(who: string): Lane | undefined {
  if (!/\.irq\./.test(who)) return undefined;
  return /\.irq\.host$/.test(who) ? 'host' : 'card';
}

const ESCAPES: Readonly<Record<string, string>> = { '#': '#35;', ';': '#59;', '<': '#lt;', '>': '#gt;' };
/** Mermaid-safe message text (";" ends a message, "#" starts an entity, "<" ">" would be HTML) */
function esc(s: string): string {
  return s.replace(/[#;<>]/g, (c) => ESCAPES[c]!).replace(/[\r\n]+/g, ' ');
}

/** virtual time, short: 200000000 ns → "200 ms" */
export function shortTime(ns: number): string {
  if (ns >= 1e9 && ns % 1e6 === 0) return `${ns / 1e9} s`;
  if (ns >= 1e6 && ns % 1e3 === 0) return `${ns / 1e6} ms`;
  if (ns >= 1e3) return `${ns / 1e3} µs`;
  return `${ns} ns`;
}

/** parses `<t> <who> <what>` lines (Trace.text()) */
export function parseTrace(lines: readonly string[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of lines) {
    const m = /^(\d+) (\S+) ?(.*)$/.exec(line);
    if (m !== null) out.push({ t: Number(m[1]), who: m[2]!, what: m[3]! });
  }
  return out;
}

/** the events as a `sequenceDiagram` block body (without the code fence) */
export function sequenceDiagram(events: readonly TraceEvent[]): string {
  const lanes = new Set<Lane>();
  const body: string[] = [];
  let lastT = -1;
  for (const e of events) {
    const lane = laneOf(e.who);
    lanes.add(lane);
    const when = e.t !== lastT ? `${shortTime(e.t)} ` : '';
    lastT = e.t;
    const text = esc(`${when}${e.who}: ${e.what}`);
    const target = irqTarget(e.who);
    if (target !== undefined) {
      lanes.add(target);
      body.push(`  ${lane}->>${target}: ${text}`);
    } else body.push(`  Note over ${lane}: ${text}`);
  }
  const head = LANE_ORDER.filter((l) => lanes.has(l)).map((l) => `  participant ${l} as ${LANE_TITLE[l]}`);
  return ['sequenceDiagram', ...head, ...body].join('\n');
}
