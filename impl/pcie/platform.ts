/**
 * The bus: one host memory and N cards, each with its endpoint and the host driver's software SMPT
 * (initialised at probe, which programs the identity mapping into the card's SMPT registers, facts
 * §2). Everything shares one scheduler so that all interleavings are its choices.
 */
import type { MemoryComponents, Platform, PlatformConfig, SimComponents, Smpt } from '../../model/contract.ts';
import {
  DEFAULT_CARD_MEMORY_BYTES,
  DEFAULT_HOST_MEMORY_BYTES,
  MIC_MAX_NUM_DEVS,
  STEPPING,
  X100_DEVICE_IDS,
} from '../../model/constants/pcie.ts';
import { X100Endpoint } from './endpoint.ts';
import { HostSmpt } from './smpt.ts';

export interface PlatformDeps {
  readonly sim: SimComponents;
  readonly memory: MemoryComponents;
}

export interface ReferencePlatform extends Platform {
  readonly cards: readonly X100Endpoint[];
  readonly smpt: readonly Smpt[];
}

export function createPlatformWith(deps: PlatformDeps, config: PlatformConfig = {}): ReferencePlatform {
  const n = config.cards ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MIC_MAX_NUM_DEVS) throw new RangeError(`platform: ${n} cards (1..${MIC_MAX_NUM_DEVS})`);
  const deviceId = config.deviceId ?? X100_DEVICE_IDS[0]!;
  if (!X100_DEVICE_IDS.includes(deviceId)) throw new RangeError(`platform: 0x${deviceId.toString(16)} is not an X100 device id`);
  const revision = config.revision ?? STEPPING.C0;
  if (!Number.isInteger(revision) || revision < 0 || revision > 0xff) throw new RangeError(`platform: revision ${revision}`);
  const scheduler = config.scheduler ?? deps.sim.createScheduler(config.seed === undefined ? {} : { seed: config.seed });
  const hostMemory = deps.memory.createSparseMemory(config.hostMemoryBytes ?? DEFAULT_HOST_MEMORY_BYTES, 'host');
  const cards: X100Endpoint[] = [];
  const smpt: Smpt[] = [];
  for (let index = 0; index < n; index++) {
    const ep = new X100Endpoint({
      index,
      deviceId,
      revision,
      scheduler,
      memory: deps.memory,
      hostMemory,
      cardMemoryBytes: config.cardMemoryBytes ?? DEFAULT_CARD_MEMORY_BYTES,
    });
    cards.push(ep);
    smpt.push(new HostSmpt(ep.regs));
  }
  return { scheduler, hostMemory, cards, smpt };
}
