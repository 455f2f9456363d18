/**
 * Numbers and strings of the legacy-era card lifecycle (facts §3, §4.1, §4.2, §4.5, §5.1, §8).
 * Spelled as in drivers/misc/mic/host/* and include/uapi/linux/mic_common.h (older version).
 */

/** host-visible card states in enum order (facts §4.1: 0 offline … 5 suspended) */
export const MIC_STATES = ['offline', 'online', 'shutting_down', 'reset_failed', 'suspending', 'suspended'] as const;
export type MicState = (typeof MIC_STATES)[number];

/** shutdown status in enum order (facts §4.1: 0 nop … 4 restart); values are what the card writes */
export const MIC_STATUSES = ['nop', 'crashed', 'halted', 'poweroff', 'restart'] as const;
export type MicStatus = (typeof MIC_STATUSES)[number];
export const MIC_NOP = 0;
export const MIC_CRASHED = 1;
export const MIC_HALTED = 2;
export const MIC_POWER_OFF = 3;
export const MIC_RESTART = 4;

/** the status byte the card writes → name; anything else is not a shutdown report (facts §4.1) */
export function statusName(v: number): MicStatus | undefined {
  return MIC_STATUSES[v];
}

/** facts §3.1: MIC_RESET_TO polls of SPAD2 bit 0, one per second, after a 1 s settle */
export const MIC_RESET_TO = 45;
export const RESET_SETTLE_NS = 1_000_000_000;
export const RESET_POLL_NS = 1_000_000_000;
/** facts §4.2: the PM notifier waits up to 60 s for the reset completion */
export const MIC_SUSPEND_TIMEOUT_NS = 60_000_000_000;

/** facts §3.2: the boot address must not exceed 2 GiB; the command line area is 2048 bytes incl. NUL */
export const MIC_MAX_BOOT_ADDR = 0x8000_0000;
export const CMDLINE_SIZE = 2048;
/** boot addresses are 4 KiB aligned (SPAD2 bits 31:12) */
export const BOOT_ADDR_MASK = 0xffff_f000;

/**
 * Where our bootstrap asks the host to download the image: 64 MiB, the "typical" address of the
 * facts' ramdisk comment (§3.2 step 7). [model choice: the real value comes from firmware]
 */
export const BOOTSTRAP_BOOT_ADDR = 64 * 2 ** 20;
/** BSP APIC id the bootstrap publishes in SPAD2 bits 9:1 [model choice] */
export const BOOTSTRAP_APIC_ID = 0;
/**
 * Virtual time the card needs to come out of reset into the bootstrap: shorter than the host's
 * 1 s settle, so a healthy reset is seen ready at the first poll. [model choice]
 */
export const CARD_RESET_NS = 200_000_000;

/** sysfs strings (facts §4.5, §1.1) */
export const FAMILY_X100 = 'x100';
export const BOOTMODES = ['linux', 'elf'] as const;
export type BootMode = (typeof BOOTMODES)[number];
/** sysfs `state` write verbs (facts §4.1) */
export const STATE_VERBS = ['boot', 'reset', 'shutdown', 'suspend'] as const;
export type StateVerb = (typeof STATE_VERBS)[number];

/** the attributes of class `mic` this model implements (facts §4.5, legacy era) */
export const MIC_ATTRS = ['family', 'stepping', 'state', 'shutdown_status', 'cmdline', 'firmware', 'ramdisk', 'bootmode', 'log_buf_addr', 'log_buf_len'] as const;
export type MicAttr = (typeof MIC_ATTRS)[number];
export const MIC_RO_ATTRS: readonly MicAttr[] = ['family', 'stepping', 'shutdown_status'];

/**
 * Defaults of the string attributes. [model choice: the legacy driver starts with NULL pointers; we
 * start with what micctrl -b writes (facts §8.7) so a bare `boot` works]
 */
export const DEFAULT_FIRMWARE = 'mic/uos.img';
export const DEFAULT_BOOTMODE: BootMode = 'linux';

/** the host's card→host doorbell for shutdown reports (mic_next_db round robin starts at 0) */
export const HOST_SHUTDOWN_DB = 0;

/** mpssd (legacy) polls shutdown_status once a second up to 60 times (facts §8.6 / legacy) */
export const MPSSD_SHUTDOWN_POLLS = 60;
export const MPSSD_POLL_NS = 1_000_000_000;

/** card software's orderly shutdown requests (facts §4.1: values line up with system_state) */
export type CardShutdownKind = 'halt' | 'poweroff' | 'restart';
export const CARD_SHUTDOWN_STATUS: Readonly<Record<CardShutdownKind, number>> = { halt: MIC_HALTED, poweroff: MIC_POWER_OFF, restart: MIC_RESTART };

/** POSTCODE values our bootstrap leaves behind (debug only) [model choice] */
export const POSTCODE = Object.freeze({ IN_RESET: 0x0, READY: 0x1, IMAGE_OK: 0x2, BAD_IMAGE: 0xee });
