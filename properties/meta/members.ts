/**
 * Which contract members the suite reaches: the member lists come from the contract's own source
 * (model/contract/*.ts, interface bodies and their `extends`), and a recording wrapper around an
 * implementation notes every member a property touches — on the component groups and, through a
 * table of what each factory or accessor returns, on the objects they hand out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Implementation } from '../../model/contract.ts';

/** interface name → its members (own and inherited) */
export function contractMembers(root: string): Map<string, Set<string>> {
  const dir = join(root, 'model', 'contract');
  const own = new Map<string, { members: Set<string>; bases: string[] }>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^export interface (\w+)(?:<[^>]*>)?(?: extends ([\w, ]+))? \{/.exec(lines[i]!);
      if (!m) continue;
      const members = new Set<string>();
      for (i++; i < lines.length && lines[i] !== '}'; i++) {
        const mm = /^ {2}(?:readonly )?(\w+)\??[(:<]/.exec(lines[i]!);
        if (mm) members.add(mm[1]!);
      }
      own.set(m[1]!, { members, bases: m[2] ? m[2].split(',').map((s) => s.trim()) : [] });
    }
  }
  const all = new Map<string, Set<string>>();
  const resolve = (name: string): Set<string> => {
    const hit = all.get(name);
    if (hit) return hit;
    const o = own.get(name);
    const out = new Set<string>(o?.members ?? []);
    for (const b of o?.bases ?? []) for (const x of resolve(b)) out.add(x);
    all.set(name, out);
    return out;
  };
  for (const name of own.keys()) resolve(name);
  return all;
}

/** the component group interfaces */
export const GROUPS: Readonly<Record<string, string>> = {
  sim: 'SimComponents',
  memory: 'MemoryComponents',
  pcie: 'PcieComponents',
  dma: 'DmaComponents',
  ring: 'RingComponents',
  system: 'SystemComponents',
  daemon: 'DaemonComponents',
};

/**
 * What a member returns (or holds), when that is itself a contract interface whose members count.
 * `[]` marks an array of them. Members not listed return plain values or error values.
 */
export const RETURNS: Readonly<Record<string, string>> = {
  'SimComponents.createScheduler': 'Scheduler',
  'Scheduler.trace': 'Trace',
  'Scheduler.faults': 'FaultHooks',
  'MemoryComponents.createSparseMemory': 'SparseMemory',
  'MemoryComponents.createWindowedView': 'WindowedView',
  'PcieComponents.createPlatform': 'Platform',
  'Platform.cards': 'PcieEndpoint[]',
  'Platform.smpt': 'Smpt[]',
  'Platform.hostMemory': 'SparseMemory',
  'Platform.scheduler': 'Scheduler',
  'PcieEndpoint.regs': 'RegisterFile',
  'PcieEndpoint.cardMemory': 'SparseMemory',
  'PcieEndpoint.bar0': 'MemPort',
  'PcieEndpoint.cardView': 'MemPort',
  'DmaComponents.attachDma': 'DmaCard',
  'DmaCard.engine': 'DmaEngine',
  'DmaCard.bus': 'MicBus',
  'DmaCard.host': 'DmaClient',
  'DmaCard.card': 'DmaClient',
  'DmaEngine.port': 'DmaRegisterPort',
  'DmaClient.requestChannel': 'DmaChan',
  'DmaChan.prepMemcpy': 'DmaTx',
  'DmaChan.prepStatus': 'DmaTx',
  'DmaChan.prepInterrupt': 'DmaTx',
  'RingComponents.createDriverRing': 'DriverRing',
  'RingComponents.createDeviceRing': 'DeviceRing',
  'RingComponents.createDeviceStatus': 'DeviceStatus',
  'DeviceRing.newChain': 'Chain',
  'SystemComponents.createSystem': 'MicSystem',
  'MicSystem.scheduler': 'Scheduler',
  'MicSystem.observe': 'SystemObservers',
  'MicSystem.vop': 'VopCharDevice',
  'MicSystem.cardVirtio': 'CardVirtioDevice[]',
  'MicSystem.cardServices': 'CardServices',
  'CardServices.console': 'CardConsole',
  'CardServices.net': 'CardNet',
  'CardServices.blk': 'CardBlk',
  'CardServices.ip': 'CardIp',
  'DaemonComponents.createDaemon': 'DeviceDaemon',
  'SystemObservers.cardView': 'MemPort',
  'VopCharDevice.mmap': 'MemPort',
};

const isObject = (v: unknown): v is object => (typeof v === 'object' && v !== null) || typeof v === 'function';
/** error values and faults are data, not interfaces to record */
const isErrorValue = (v: object): boolean => 'kind' in v && typeof (v as { kind: unknown }).kind === 'string' && !('name' in v && 'size' in v);

/**
 * `impl` with every group wrapped: `reached` collects "Interface.member" for each member touched.
 * The wrappers keep one proxy per object, so identity holds within a run.
 */
export function recording(impl: Implementation, members: Map<string, Set<string>>, reached: Set<string>): Implementation {
  const proxies = new WeakMap<object, Map<string, object>>();
  const wrapAs = (value: unknown, type: string | undefined): unknown => {
    if (type === undefined || !isObject(value)) return value;
    if (type.endsWith('[]')) return Array.isArray(value) ? value.map((v) => wrapAs(v, type.slice(0, -2))) : value;
    if ('ok' in value && 'view' in value) return { ...value, view: wrapAs((value as { view: unknown }).view, type) };
    if (isErrorValue(value)) return value;
    return wrap(value, type);
  };
  const wrap = (target: object, iface: string): object => {
    let byType = proxies.get(target);
    const hit = byType?.get(iface);
    if (hit) return hit;
    const names = members.get(iface) ?? new Set<string>();
    const p = new Proxy(target, {
      get(t, prop) {
        const v = Reflect.get(t, prop, t) as unknown;
        if (typeof prop !== 'string' || !names.has(prop)) return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        reached.add(`${iface}.${prop}`);
        const ret = RETURNS[`${iface}.${prop}`];
        if (typeof v === 'function') return (...args: unknown[]) => wrapAs((v as (...a: unknown[]) => unknown).apply(t, args), ret);
        return wrapAs(v, ret);
      },
    });
    if (!byType) proxies.set(target, (byType = new Map()));
    byType.set(iface, p);
    return p;
  };
  const out: Record<string, unknown> = { name: impl.name };
  for (const [group, iface] of Object.entries(GROUPS)) {
    const g = (impl as unknown as Record<string, object | undefined>)[group];
    if (g !== undefined) out[group] = wrap(g, iface);
  }
  return out as unknown as Implementation;
}

/** every interface reachable from the groups through RETURNS */
export function reachableInterfaces(): string[] {
  const seen = new Set<string>(Object.values(GROUPS));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [from, to] of Object.entries(RETURNS)) {
      const src = from.split('.')[0]!;
      const dst = to.replace(/\[\]$/, '');
      if (seen.has(src) && !seen.has(dst)) {
        seen.add(dst);
        grew = true;
      }
    }
  }
  return [...seen];
}
