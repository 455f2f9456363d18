/**
 * Claim: the scheduler is deterministic: the same seed (or the same choice sequence) and the same
 *   workload give a byte-identical trace and digest, and the trace is a faithful record of the run
 *   (one `<t> <who> <what>` line per event, in the order events ran).
 * Source: DESIGN.md §3 ("a failing run replays to the identical trace, byte for byte"); issue 2 item 2.
 * Level: unit
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { defineProperty } from '../harness.ts';
import { choicesFrom, interleaving } from '../choices.ts';
import { expectedTraceText, programArb, runWorkload } from './workload.ts';

export const sameSeedSameTrace = defineProperty({
  id: 'sim.sameSeedSameTrace',
  claim: 'same seed (or same choice sequence) and same workload => byte-identical trace and digest; the trace records every event run',
  source: 'DESIGN.md §3; issue 2 item 2',
  level: 'unit',
  requires: ['sim'],
  runs: 300,
  build: (impl) =>
    fc.property(programArb(), fc.nat(), interleaving(60), (program, seed, values) => {
      const sim = impl.sim!;
      const traces: { text: string; digest: string }[] = [];
      const runOnce = (opts: Parameters<typeof sim.createScheduler>[0]): void => {
        const s = sim.createScheduler(opts);
        const w = runWorkload(s, program);
        const text = s.trace.text();
        if (text !== expectedTraceText(w)) {
          throw new Error(`trace is not a record of the run:\n--- trace\n${text}--- run\n${expectedTraceText(w)}`);
        }
        const digest = s.trace.digest();
        if (digest !== s.trace.digest()) throw new Error('digest is not stable');
        traces.push({ text, digest });
      };
      runOnce({ seed });
      runOnce({ seed });
      runOnce({ choices: choicesFrom(values) });
      runOnce({ choices: choicesFrom(values) });
      const [a, b, c, d] = traces as [typeof traces[0], typeof traces[0], typeof traces[0], typeof traces[0]];
      if (a.text !== b.text || a.digest !== b.digest) throw new Error(`seed ${seed}: two runs differ:\n${a.text}---\n${b.text}`);
      if (c.text !== d.text || c.digest !== d.digest) throw new Error(`same choice sequence, two runs differ:\n${c.text}---\n${d.text}`);
      // digests must tell different traces apart: equal digest <=> equal text
      if ((a.text === c.text) !== (a.digest === c.digest)) throw new Error('digest does not track the trace text');
      return true;
    }),
});

/** the digest is a stable hex hash of exactly the text */
export const traceDigestIsOfText = defineProperty({
  id: 'sim.traceDigest',
  claim: 'trace.digest() is the sha256 of trace.text(); trace.events() lists the same lines',
  source: 'model/contract/sim.ts Trace; DESIGN.md §3',
  level: 'unit',
  requires: ['sim'],
  runs: 100,
  build: (impl) =>
    fc.property(programArb(30), fc.nat(), (program, seed) => {
      const s = impl.sim!.createScheduler({ seed });
      runWorkload(s, program);
      const text = s.trace.text();
      const fromEvents = s.trace.events().map((e) => `${e.t} ${e.who} ${e.what}\n`).join('');
      if (fromEvents !== text) throw new Error('events() and text() disagree');
      return s.trace.digest() === createHash('sha256').update(text, 'utf8').digest('hex');
    }),
});
