/**
 * What the malicious card of lifecycle.hostileCard does, as generated values, and the oracles that
 * say how the host must react (restated from facts §1.4, §3.2, §4.1, §5.1, not from the driver).
 *
 * Two kinds of action:
 *  - probes, at settled points, whose reaction the facts define as "ignored" or "refused, nothing
 *    changes"; the card undoes its damage afterwards, so the composed model stays valid;
 *  - raw writes at any time (also in the middle of a command), after which the host's state is no
 *    longer predicted by the model: only safety (no throw, bounded work, doorbells, BAR0) is checked.
 */
import fc from 'fast-check';
import type { HostileCardAction } from '../../model/contract.ts';
import { bootParam, deviceCtrl, deviceDesc, vqConfig, vqConfigOffset } from '../../model/layout/device-page.ts';
import { BAR4, REG_ARRAYS } from '../../model/layout/sbox.ts';
import { MIC_MAX_BOOT_ADDR } from '../../model/constants/lifecycle.ts';
import { expectedCmdline } from './oracle.ts';
import { opArb, type Op } from './ops.ts';
import { cardOsImage } from '../../fixtures/images/card-os.ts';
import { cardImageHeader } from '../../model/layout/card-image.ts';

/** a boot address the card offers: absolute, or `pages` 4 KiB pages below the top of the aperture */
export type OfferedAddr = { readonly abs: number } | { readonly pagesBelowTop: number };

export type Hostile =
  /** SPAD2 says ready with a boot address the host must refuse (facts §3.2 steps 2–3) */
  | { readonly kind: 'bootAddr'; readonly addr: OfferedAddr }
  /** h2c_shutdown_db outside the card's doorbells, then the host is asked to shut the card down (§4.1) */
  | { readonly kind: 'shutdownDb'; readonly value: number }
  /** shutdown_status outside {crashed, halted, poweroff, restart} (or nop), optionally the shutdown doorbell rung (§4.1) */
  | { readonly kind: 'badStatus'; readonly value: number; readonly ring: boolean }
  /** a valid status (1 crashed, 2 halted, 3 poweroff, 4 restart) reported out of the blue: untracked afterwards (§4.1) */
  | { readonly kind: 'validReport'; readonly status: 1 | 2 | 3 | 4 }
  /** a host doorbell rung with nothing to report (§1.5, §4.1, §6.4) */
  | { readonly kind: 'spurious'; readonly db: number }
  /** garbage in a card-owned field of a device entry the daemon added, then maybe its doorbell (§5.3, §6.4) */
  | { readonly kind: 'ctrl'; readonly dev: number; readonly field: CtrlField; readonly value: number; readonly ring: boolean }
  /** anything, at any time: `delay` scheduler steps into the next command (untracked afterwards) */
  | { readonly kind: 'raw'; readonly action: HostileCardAction; readonly delay: number };

export type CtrlField = 'vdev_reset' | 'guest_ack' | 'used_address_updated' | 'h2c_vdev_db' | 'status' | 'used_address';

export type Step = { readonly op: Op } | { readonly hostile: Hostile };

const byte = fc.integer({ min: 0, max: 255 });

const rawArb: fc.Arbitrary<HostileCardAction> = fc.oneof(
  fc.oneof(fc.constantFrom(0, 1, 0x0400_0001, 0x0400_0000, 0x8000_1001, 0x0000_1001, 0xffff_ffff), fc.nat({ max: 0xffff_ffff })).map((value): HostileCardAction => ({ kind: 'spad2', value })),
  fc.record({ offset: fc.integer({ min: 0, max: bootParam.size - 1 }), value: byte }).map(({ offset, value }): HostileCardAction => ({ kind: 'dpByte', offset, value })),
  fc.record({ offset: fc.integer({ min: 0, max: 511 }), value: byte }).map(({ offset, value }): HostileCardAction => ({ kind: 'dpByte', offset, value })),
  fc.integer({ min: -1, max: 5 }).map((db): HostileCardAction => ({ kind: 'ringHost', db })),
);

export const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.constantFrom(0x8000_1000, 0xc000_0000, 0xffff_f000, 0x8000_0000, 0x7fff_f000).map((abs): OfferedAddr => ({ abs })),
        fc.integer({ min: 0, max: 2 }).map((pagesBelowTop): OfferedAddr => ({ pagesBelowTop })),
      )
      .map((addr): Hostile => ({ kind: 'bootAddr', addr })),
  },
  { weight: 3, arbitrary: fc.constantFrom(-128, -7, -2, -1, 16, 17, 100, 127).map((value): Hostile => ({ kind: 'shutdownDb', value })) },
  { weight: 2, arbitrary: fc.record({ value: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 255 })), ring: fc.boolean() }).map((r): Hostile => ({ kind: 'badStatus', ...r })) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 4 }).map((db): Hostile => ({ kind: 'spurious', db })) },
  { weight: 1, arbitrary: fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4).map((status): Hostile => ({ kind: 'validReport', status })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        dev: fc.nat({ max: 3 }),
        field: fc.constantFrom<CtrlField>('vdev_reset', 'guest_ack', 'used_address_updated', 'h2c_vdev_db', 'status', 'used_address'),
        value: byte,
        ring: fc.boolean(),
      })
      .map((r): Hostile => ({ kind: 'ctrl', ...r })),
  },
  { weight: 3, arbitrary: fc.record({ action: rawArb, delay: fc.nat({ max: 40 }) }).map((r): Hostile => ({ kind: 'raw', ...r })) },
);

/**
 * an image whose length leaves 6 bytes before the next 4 KiB boundary: loaded at the last-but-one
 * page below the aperture top it fits and its command line does not
 */
export const TIGHT_IMAGE = 'mic/tight.img';
export const tightImage = (): Uint8Array => cardOsImage(2 * 4096 - 6 - cardImageHeader.size);

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: opArb({ attrs: 1 }).map((op): Step => ({ op })) },
  { weight: 1, arbitrary: fc.constant<Step>({ op: { kind: 'attr', name: 'firmware', value: TIGHT_IMAGE } }) },
  { weight: 2, arbitrary: hostileArb.map((hostile): Step => ({ hostile })) },
);

export const offeredAddr = (a: OfferedAddr, aperture: number): number => ('abs' in a ? a.abs : aperture - 4096 * a.pagesBelowTop);

export interface BootAttrs {
  readonly firmware: string;
  /** '' is either "not set" or "set to the empty string" (sysfs cannot tell): both are tried */
  readonly ramdisk: string;
  readonly bootmode: string;
  readonly cmdline: string;
}

/**
 * facts §3.2 with a card-chosen boot address: > 2 GiB → EINVAL; the image file (empty name EINVAL,
 * missing ENOENT); image not fitting below the aperture end → EINVAL. Beyond the facts [model
 * choice, host refuses rather than writes past the aperture]: in Linux mode the command line after
 * the image and the ramdisk at 2 × address must fit too. 'boots' when nothing refuses it;
 * undefined when the attributes as sysfs shows them leave the answer open.
 */
export function expectedBootResult(addr: number, aperture: number, a: BootAttrs, files: Readonly<Record<string, Uint8Array>>): string | undefined {
  const one = (cmdline: string | null, ramdisk: string | null): string => {
    if (addr > MIC_MAX_BOOT_ADDR) return 'EINVAL';
    if (a.firmware === '') return 'EINVAL';
    const img = files[a.firmware];
    if (img === undefined) return 'ENOENT';
    if (addr + img.length > aperture) return 'EINVAL';
    if (a.bootmode === 'elf') return 'boots';
    if (addr + img.length + expectedCmdline(aperture, cmdline).length + 1 > aperture) return 'EINVAL';
    if (ramdisk === null) return 'boots';
    if (ramdisk === '') return 'EINVAL';
    const rd = files[ramdisk];
    if (rd === undefined) return 'ENOENT';
    return 2 * addr + rd.length > aperture ? 'EINVAL' : 'boots';
  };
  const cmdlines = a.cmdline === '' ? [null, ''] : [a.cmdline];
  const ramdisks = a.ramdisk === '' ? [null, ''] : [a.ramdisk];
  const outcomes = new Set(cmdlines.flatMap((c) => ramdisks.map((r) => one(c, r))));
  return outcomes.size === 1 ? [...outcomes][0] : undefined;
}

/**
 * The BAR4 registers the host driver may write (facts §1.2–1.4, §3): SPAD2 (reset), SPAD5 (image
 * size), SPAD14/15 (device page), RGCR, SICE0, SICR0, APICICR0..7 and the bootstrap APIC id, and
 * the RDMASR doorbells 8..15. The value is the doorbell number for doorbell registers.
 */
export function hostRegisters(): Map<number, string> {
  const m = new Map<number, string>();
  for (const i of [2, 5, 14, 15]) m.set(BAR4.SPAD(i), `SPAD${i}`);
  m.set(BAR4.RGCR, 'RGCR');
  m.set(BAR4.SICE0, 'SICE0');
  m.set(BAR4.SICR0, 'SICR0');
  // facts §1.3: the MSI-X vector → source maps, programmed at probe and again at every boot
  for (let v = 0; v < REG_ARRAYS.MXAR.count; v++) m.set(BAR4.MXAR(v), `MXAR${v}`);
  for (let db = 0; db < 8; db++) m.set(BAR4.APICICR(db), `doorbell ${db}`);
  m.set(BAR4.APICICR_HI(7), 'APICICR7 APIC id');
  // facts §1.4: db ≥ 8 writes RDMASR(db − 8 + 17); 16 card doorbells in all (§1.5)
  for (let db = 8; db < 16; db++) m.set(BAR4.RDMASR(db - 8 + 17), `doorbell ${db}`);
  return m;
}

/** a BAR4 offset in words a reader can follow (which array element it is, if any) */
export function regName(off: number): string {
  for (const [name, a] of Object.entries(REG_ARRAYS)) {
    if (off >= a.base && off < a.base + a.stride * a.count) return `${name}[${Math.floor((off - a.base) / a.stride)}]+${(off - a.base) % a.stride}`;
  }
  return `0x${off.toString(16)}`;
}

/** device-page offset of a card-owned field of the entry at `entry` (shape read from the page) */
export function ctrlFieldOffset(page: Uint8Array, entry: number, field: CtrlField | 'c2h_vdev_db'): number {
  const numVq = page[entry + deviceDesc.fields.num_vq.offset]!;
  const featureLen = page[entry + deviceDesc.fields.feature_len.offset]!;
  const configLen = page[entry + deviceDesc.fields.config_len.offset]!;
  // facts §5.3: desc 8 + 24·num_vq + 2·feature_len + config_len, rounded up to 8, then the ctrl block
  const ctrl = entry + Math.ceil((8 + 24 * numVq + 2 * featureLen + configLen) / 8) * 8;
  switch (field) {
    case 'status':
      return entry + deviceDesc.fields.status.offset;
    case 'used_address':
      return entry + vqConfigOffset(0) + vqConfig.fields.used_address.offset;
    default:
      return ctrl + deviceCtrl.fields[field].offset;
  }
}
