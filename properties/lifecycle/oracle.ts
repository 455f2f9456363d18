/**
 * Oracles of the lifecycle properties, restated from the facts rather than from the code:
 * the expected card side of a machine snapshot, the expected command line bytes, the expected
 * pristine boot parameter block.
 */
import type { CardSideState, MicSystem } from '../../model/contract.ts';
import type { CardStateContext } from '../../model/machines/card-state.ts';
import { BOOTSTRAP_BOOT_ADDR } from '../../model/constants/lifecycle.ts';

/** what the card itself must be doing for a host-view snapshot */
export function expectedSide(c: CardStateContext): CardSideState {
  switch (c.cardOs) {
    case 'running':
    case 'driverFailed':
      return 'os_running';
    case 'rejected':
      return 'image_rejected';
    case 'halted':
      return 'halted';
    case 'crashed':
      return 'crashed';
    case 'none':
      return c.ready ? 'bootstrap_ready' : 'in_reset';
  }
}

/**
 * facts §3.2 step 6: " mem=<MiB>M" + (" " + cmdline if set), at most 2047 characters, NUL-terminated,
 * right after the image. Written here as a plain string cut, independently of the driver.
 */
export function expectedCmdline(cardMemoryBytes: number, cmdline: string | null): string {
  const full = ` mem=${cardMemoryBytes / 1048576}M` + (cmdline === null ? '' : ` ${cmdline}`);
  return full.length > 2047 ? full.slice(0, 2047) : full;
}

/**
 * facts §8.5: what our mpssd writes to `cmdline` for card <id> before booting it (the card end of
 * the virtio-net link is 172.31.<id+1>.1/24), restated literally.
 */
export function daemonCmdline(cardId: number): string {
  const net = `172.31.${cardId + 1}`;
  return 'clocksource=tsc highres=off nohz=off ' + 'cpufreq_on;corec6_off;pc3_off;pc6_off ' + `ifcfg=static;address,${net}.1;netmask,255.255.255.0`;
}

/** the command line as found in card memory after a boot (up to the NUL) */
export function cmdlineInCard(sys: MicSystem, imageLen: number): string {
  const bytes = sys.observe.cardView(0).read(BOOTSTRAP_BOOT_ADDR + imageLen, 2048);
  if (!(bytes instanceof Uint8Array)) return '<fault>';
  const end = bytes.indexOf(0);
  let s = '';
  for (const b of bytes.subarray(0, end < 0 ? bytes.length : end)) s += String.fromCharCode(b);
  return s;
}

/** facts §5.1: magic C0FFEE00 LE, c2h_shutdown_db a host doorbell 0..3, h2c dbs −1, status 0, shutdown_card 0 */
export function bootParamPristine(page: Uint8Array, magicOverwritten = false): string | undefined {
  const magic = (page[0]! | (page[1]! << 8) | (page[2]! << 16) | (page[3]! << 24)) >>> 0;
  // a card that overwrote the magic since the last re-initialisation: only the low byte differs
  if (magicOverwritten ? magic >>> 8 !== 0xc0ffee : magic !== 0xc0ffee00) return `magic 0x${magic.toString(16)}`;
  if (page[4]! > 3) return `c2h_shutdown_db ${page[4]}`;
  if (page[5] !== 0xff) return `h2c_shutdown_db ${page[5]}`;
  if (page[6] !== 0xff) return `h2c_config_db ${page[6]}`;
  if (page[7] !== 0) return `shutdown_status ${page[7]}`;
  if (page[8] !== 0) return `shutdown_card ${page[8]}`;
  return undefined;
}
