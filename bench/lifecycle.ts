/**
 * Lifecycle benchmarks (issue 5): wall time of a cold boot — power-on reset, mpssd adds its devices
 * and writes boot, image download, card OS up with every device live — and of one OSPM
 * suspend/resume cycle of an online card back to online with its devices (virtual time: 45 s reset
 * polls and 60 s PM waits cost nothing). Medians in ms; target < 20 ms each.
 */
import { reference } from '../impl/index.ts';
import { median, type BenchRecord, type BenchSuite } from './harness.ts';

function timeMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

export const suite: BenchSuite = {
  area: 'lifecycle',
  run(): BenchRecord[] {
    const sys = reference.system;
    if (sys === undefined) return [];
    const create = () => sys.createSystem({ daemon: true, trace: false });
    for (let i = 0; i < 20; i++) create();
    const cold: number[] = [];
    for (let i = 0; i < 60; i++) {
      cold.push(
        timeMs(() => {
          const s = create();
          if (s.observe.state(0) !== 'online' || s.observe.liveDevices(0).length === 0) throw new Error('cold boot did not bring the card online');
        }),
      );
    }
    const s = create();
    const cycle = (): void => {
      s.pmSuspend();
      s.settle();
      s.pmResume();
      s.settle();
      if (s.observe.state(0) !== 'online' || s.observe.liveDevices(0).length === 0) throw new Error('suspend/resume did not end online');
    };
    for (let i = 0; i < 20; i++) cycle();
    const sr: number[] = [];
    for (let i = 0; i < 60; i++) sr.push(timeMs(cycle));
    return [
      { name: 'boot.cold', value: median(cold), unit: 'ms', note: 'createSystem(daemon) → card OS up, devices live; target < 20' },
      { name: 'boot.suspendResume', value: median(sr), unit: 'ms', note: 'PM suspend → mpssd shutdown+reset → resume → boot → devices live; target < 20' },
    ];
  },
};
