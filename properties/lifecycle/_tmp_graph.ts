import { getShortestPaths } from 'xstate/graph';
import { cardStateMachine, type CardStateEvent } from '../../model/machines/card-state.ts';
const files = ['mic/uos.img', 'mic/mic0.image', 'mic/broken.img'];
const events: CardStateEvent[] = [
  { type: 'state.boot' }, { type: 'state.reset' }, { type: 'state.shutdown' }, { type: 'state.suspend' }, { type: 'state.invalid' },
  { type: 'attr.firmware', value: 'mic/missing.img' }, { type: 'attr.firmware', value: '' }, { type: 'attr.firmware', value: 'mic/broken.img' }, { type: 'attr.firmware', value: 'mic/uos.img' },
  { type: 'attr.ramdisk', value: 'mic/mic0.image' }, { type: 'attr.ramdisk', value: 'mic/none.image' }, { type: 'attr.ramdisk', value: '' },
  { type: 'attr.bootmode', value: 'elf' }, { type: 'attr.bootmode', value: 'linux' }, { type: 'attr.bootmode', value: 'flash' },
  { type: 'attr.cmdline', value: 'console=ttyS0' }, { type: 'attr.readonly' }, { type: 'attr.unknown' },
  { type: 'pm.suspend' }, { type: 'pm.resume' }, { type: 'time.passes' },
  { type: 'card.halt' }, { type: 'card.poweroff' }, { type: 'card.restart' }, { type: 'card.panic' },
  { type: 'fault.badImage' }, { type: 'fault.resetHang' },
];
const t0 = performance.now();
const paths = getShortestPaths(cardStateMachine, {
  input: { files, badFiles: ['mic/broken.img'] },
  events,
  serializeState: (s: any) => { const { via, result, cmdline, files, badFiles, ...rest } = s.context; return JSON.stringify([s.value, rest, via]); },
} as any);
console.log(paths.length, performance.now() - t0, Math.max(...paths.map((p) => p.steps.length)));
const vias = new Set(paths.map((p) => (p.state as any).context.via));
console.log(vias.size, [...vias].sort().join(' '));
