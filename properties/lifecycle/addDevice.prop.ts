/**
 * Claim: ADD_DEVICE from user space (mpssd's ioctl) on a fresh host, for any sequence of descs —
 *   valid ones, and ones with num_vq > 4, an aligned desc over 256 bytes, a vq num over 128, or a
 *   header field a C u8 (type: 1..127 s8) could not hold (negative, fractional, > 255) — is accepted
 *   exactly when the facts accept it, at the next slot of the device page walk while the entry fits
 *   below 4096; an accepted entry carries its type; a refused one returns EINVAL and leaves the
 *   device page byte-identical and the host's device list unchanged.
 * Source: facts §5.3, §5.4 (slot walk), §6.5 ADD_DEVICE steps 1, 3, 4, 7
 * Level: system
 */
import fc from 'fast-check';
import type { VirtioDeviceSpec } from '../../model/contract.ts';
import { defineProperty } from '../harness.ts';

/** a field value: mostly in range, sometimes what no C u8 holds */
const field = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: lo, max: hi }) },
    { weight: 1, arbitrary: fc.constantFrom(-1, -128, 0.5, 1.5, 255.5, 256, 300, 1000) },
  );

const specArb: fc.Arbitrary<VirtioDeviceSpec> = fc.record({
  type: field(0, 255),
  numVq: field(0, 6),
  num: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(16, 64, 128) }, { weight: 1, arbitrary: fc.constantFrom(129, 256, 127.5, -1) }),
  featureLen: field(0, 80),
  configLen: field(0, 255),
});

const u8 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < 256;

/** the entry's bytes in the device page: desc (8 + 24 per vq + 2 feature bitmaps + config) rounded to 8, then the 16-byte ctrl */
const entryBytes = (s: VirtioDeviceSpec): number => Math.ceil((8 + 24 * s.numVq + 2 * s.featureLen + s.configLen) / 8) * 8 + 16;

/** facts §6.5: the desc checks, restated */
function descAcceptable(s: VirtioDeviceSpec): boolean {
  if (![s.type, s.numVq, s.featureLen, s.configLen].every(u8)) return false;
  if (s.type < 1 || s.type > 127) return false;
  if (s.numVq > 4 || entryBytes(s) - 16 > 256) return false;
  return Number.isInteger(s.num) && s.num >= 0 && s.num <= 128;
}

export const lifecycleAddDevice = defineProperty({
  id: 'lifecycle.addDevice',
  claim: 'ADD_DEVICE accepts exactly the descs the facts accept, at the next slot; a refused one is EINVAL with the device page byte-identical',
  source: 'facts §5.3, §5.4, §6.5 ADD_DEVICE',
  level: 'system',
  requires: ['system'],
  runs: 60,
  build: (impl) =>
    fc.property(fc.array(specArb, { minLength: 1, maxLength: 12 }), (specs) => {
      const sys = impl.system!.createSystem({ trace: false });
      // the list starts after the 16-byte bootparam; nothing is ever removed here
      let next = 16;
      for (const spec of specs) {
        const before = sys.observe.devicePage(0);
        const count = sys.observe.addedDevices(0).length;
        const fits = descAcceptable(spec) && next < 4096 - entryBytes(spec);
        const r = sys.addDevice(0, spec);
        const what = JSON.stringify(spec);
        if (fits) {
          if (!('ok' in r)) throw new Error(`ADD_DEVICE ${what} refused with ${r.errno}, the facts accept it at offset ${next}`);
          if (r.offset !== next) throw new Error(`ADD_DEVICE ${what} placed at ${r.offset}, expected ${next}`);
          const page = sys.observe.devicePage(0);
          if (page[next] !== spec.type) throw new Error(`entry at ${next} has type ${page[next]}, added ${spec.type}`);
          if (sys.observe.addedDevices(0).length !== count + 1) throw new Error(`ADD_DEVICE ${what} succeeded but the host lists ${sys.observe.addedDevices(0).length} devices`);
          next += entryBytes(spec);
        } else {
          if ('ok' in r || r.errno !== 'EINVAL') throw new Error(`ADD_DEVICE ${what} returned ${JSON.stringify(r)}, the facts refuse it with EINVAL`);
          const page = sys.observe.devicePage(0);
          const at = page.findIndex((b, i) => b !== before[i]);
          if (at >= 0) throw new Error(`refused ADD_DEVICE ${what} changed device page byte ${at}`);
          if (sys.observe.addedDevices(0).length !== count) throw new Error(`refused ADD_DEVICE ${what} changed the host's device list`);
        }
      }
    }),
});
