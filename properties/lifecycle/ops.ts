/**
 * The lifecycle commands shared by the lifecycle properties: what a test can do to a system (sysfs
 * writes valid and invalid, PM notifications, card software, faults, time), the machine event each
 * one is, and how to issue it through the system contract.
 */
import fc from 'fast-check';
import type { AttrResult, ImageDamage, MicSystem } from '../../model/contract.ts';
import { stateWriteEvent, type CardStateEvent } from '../../model/machines/card-state.ts';
import { FIRMWARE_NAME, RAMDISK_NAME } from '../../fixtures/images/card-os.ts';

export type Op =
  | { kind: 'state'; value: string }
  | { kind: 'attr'; name: 'cmdline' | 'firmware' | 'ramdisk' | 'bootmode' | 'log_buf_addr' | 'log_buf_len'; value: string }
  | { kind: 'readonly'; name: 'family' | 'stepping' | 'shutdown_status'; value: string }
  | { kind: 'unknown'; name: string; value: string }
  | { kind: 'pmSuspend' }
  | { kind: 'pmResume' }
  | { kind: 'time' }
  | { kind: 'card'; what: 'halt' | 'poweroff' | 'restart' | 'panic' }
  | { kind: 'corrupt'; how: ImageDamage }
  | { kind: 'resetHang' }
  | { kind: 'dpMagic' };

/**
 * log_buf strings (facts §4.5, §8.1): System.map-like 16-digit addresses with and without 0x and
 * newline, and the malformed: empty, bare prefix, two newlines, signs, spaces, non-hex, 17 digits.
 */
const hexAddrValue: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('', '0x', '0X'), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), fc.constantFrom('', '\n')).map(
    ([pre, v, upper, nl]) => `${pre}${upper ? v.toString(16).toUpperCase() : v.toString(16).padStart(16, '0')}${nl}`,
  ),
  // past 64 bits: kstrtoul overflows (facts §4.5 takes addresses, i.e. unsigned long)
  fc.tuple(fc.constantFrom('', '0x'), fc.bigInt({ min: 1n << 64n, max: 1n << 72n })).map(([pre, v]) => `${pre}${v.toString(16)}`),
  fc.constantFrom('', '0x', '\n', '0x\n', 'ffffffff81a3c2e0\n\n', '+1', '-1', ' 1f', '1f ', 'xyz', '0x0x1', '10000000000000000', '0x1ffffffffffffffff', '00000000000000000001' /* valid: leading zeros */),
);

const stateValues = ['boot', 'reset', 'shutdown', 'suspend', 'boot\n', 'reset\n', 'shutdown\n', 'suspend\n', 'boot\n\n', 'Boot', ' reset', 'bogus', '', 'offline'];

export const opArb = (weights: { faults?: number; attrs?: number } = {}): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...stateValues).map((value): Op => ({ kind: 'state', value })) },
    {
      weight: weights.attrs ?? 4,
      arbitrary: fc.oneof(
        fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 2040, maxLength: 2100 })).map((value): Op => ({ kind: 'attr', name: 'cmdline', value })),
        fc.constantFrom(FIRMWARE_NAME, `${FIRMWARE_NAME}\n`, 'mic/missing.img', '', 'mic/broken.img').map((value): Op => ({ kind: 'attr', name: 'firmware', value })),
        fc.constantFrom(RAMDISK_NAME, 'mic/none.image', '').map((value): Op => ({ kind: 'attr', name: 'ramdisk', value })),
        fc.constantFrom('linux', 'elf', 'linux\n', 'flash', 'LINUX', '').map((value): Op => ({ kind: 'attr', name: 'bootmode', value })),
        fc.tuple(fc.constantFrom<'log_buf_addr' | 'log_buf_len'>('log_buf_addr', 'log_buf_len'), hexAddrValue).map(([name, value]): Op => ({ kind: 'attr', name, value })),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('family', 'stepping', 'shutdown_status').map((name): Op => ({ kind: 'readonly', name: name as 'family', value: 'x' })) },
    { weight: 1, arbitrary: fc.constantFrom('heartbeat_enable', 'nosuch').map((name): Op => ({ kind: 'unknown', name, value: '1' })) },
    { weight: 3, arbitrary: fc.constant<Op>({ kind: 'pmSuspend' }) },
    { weight: 3, arbitrary: fc.constant<Op>({ kind: 'pmResume' }) },
    { weight: 3, arbitrary: fc.constant<Op>({ kind: 'time' }) },
    { weight: 4, arbitrary: fc.constantFrom('halt', 'poweroff', 'restart', 'panic').map((what): Op => ({ kind: 'card', what: what as 'halt' })) },
    { weight: weights.faults ?? 1, arbitrary: fc.constantFrom('checksum', 'magic', 'truncated').map((how): Op => ({ kind: 'corrupt', how: how as ImageDamage })) },
    { weight: weights.faults ?? 1, arbitrary: fc.constant<Op>({ kind: 'resetHang' }) },
    { weight: weights.faults ?? 1, arbitrary: fc.constant<Op>({ kind: 'dpMagic' }) },
  );

/** the machine event of an op (model/machines/card-state.ts) */
export function opEvent(op: Op): CardStateEvent {
  switch (op.kind) {
    case 'state':
      return stateWriteEvent(op.value);
    case 'attr':
      return { type: `attr.${op.name}`, value: op.value };
    case 'readonly':
      return { type: 'attr.readonly' };
    case 'unknown':
      return { type: 'attr.unknown' };
    case 'pmSuspend':
      return { type: 'pm.suspend' };
    case 'pmResume':
      return { type: 'pm.resume' };
    case 'time':
      return { type: 'time.passes' };
    case 'card':
      return { type: `card.${op.what}` };
    case 'corrupt':
      return { type: 'fault.badImage' };
    case 'resetHang':
      return { type: 'fault.resetHang' };
    case 'dpMagic':
      return { type: 'fault.dpMagic' };
  }
}

const OK: AttrResult = { ok: true };

/** issue an op on card 0 of `sys` (not settled) */
export function applyOp(sys: MicSystem, op: Op, card = 0): AttrResult {
  switch (op.kind) {
    case 'state':
      return sys.writeAttr(card, 'state', op.value);
    case 'attr':
    case 'readonly':
    case 'unknown':
      return sys.writeAttr(card, op.name, op.value);
    case 'pmSuspend':
      return sys.pmSuspend();
    case 'pmResume':
      return sys.pmResume();
    case 'time':
      sys.timePasses();
      return OK;
    case 'card':
      return op.what === 'halt' ? sys.cardHalt(card) : op.what === 'poweroff' ? sys.cardPoweroff(card) : op.what === 'restart' ? sys.cardRestart(card) : sys.cardPanic(card);
    case 'corrupt':
      sys.corruptImage(card, op.how);
      return OK;
    case 'resetHang':
      sys.resetNeverCompletes(card);
      return OK;
    case 'dpMagic':
      // the card overwrites the low byte of the device page magic 0xC0FFEE00 (facts §3.2, §5.1)
      sys.hostileCard(card, { kind: 'dpByte', offset: 0, value: 0x5a });
      return OK;
  }
}

export const showOp = (op: Op): string =>
  op.kind === 'state' || op.kind === 'attr' || op.kind === 'readonly' || op.kind === 'unknown'
    ? `${op.kind === 'state' ? 'state' : op.name}=${JSON.stringify(op.value.length > 20 ? `${op.value.slice(0, 20)}…(${op.value.length})` : op.value)}`
    : op.kind === 'card'
      ? `card.${op.what}`
      : op.kind === 'corrupt'
        ? `corrupt(${op.how})`
        : op.kind;

export const resultText = (r: AttrResult): string => ('ok' in r ? 'ok' : r.errno);
