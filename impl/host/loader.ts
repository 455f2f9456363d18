/**
 * Download of the card OS (mic_x100_load_firmware and helpers, facts §3.2 steps 2–7): boot address
 * from SPAD2 with its check, image through BAR0 at the boot address, SPAD5 = size, then in Linux
 * mode the command line right after the image and the optional ramdisk at 2 × boot address.
 * Our image format carries no x86 boot_params header, so the ramdisk fields of step 7 have nowhere
 * to go: the ramdisk is placed and its address is implied (2 × boot address). [model choice]
 */
import type { LifecycleErrno, MemPort, RegisterFile } from '../../model/contract.ts';
import { BAR4, SPAD_INDEX } from '../../model/layout/sbox.ts';
import { BOOT_ADDR_MASK, CMDLINE_SIZE, MIC_MAX_BOOT_ADDR } from '../../model/constants/lifecycle.ts';

export interface FirmwareStore {
  get(name: string): Uint8Array | undefined;
}

export interface LoadParams {
  readonly regs: RegisterFile;
  readonly bar0: MemPort;
  readonly apertureLen: number;
  readonly firmware: FirmwareStore;
  readonly firmwareName: string | null;
  readonly ramdiskName: string | null;
  readonly bootmode: string | null;
  readonly cmdline: string | null;
}

export type LoadResult = { readonly ok: true; readonly bootAddr: number; readonly imageSize: number } | { readonly errno: LifecycleErrno };

/** request_firmware: an empty name is EINVAL, a missing file ENOENT */
function requestFirmware(store: FirmwareStore, name: string | null): Uint8Array | LifecycleErrno {
  if (name === null || name === '') return 'EINVAL';
  return store.get(name) ?? 'ENOENT';
}

/** " mem=<MiB>M" then " <cmdline>", cut like snprintf into CMDLINE_SIZE bytes incl. the NUL */
export function commandLineBytes(apertureLen: number, cmdline: string | null): Uint8Array {
  const enc = new TextEncoder();
  const text = ` mem=${Math.floor(apertureLen / 2 ** 20)}M${cmdline !== null ? ` ${cmdline}` : ''}`;
  const bytes = enc.encode(text);
  const len = Math.min(bytes.length, CMDLINE_SIZE - 1);
  const out = new Uint8Array(len + 1);
  out.set(bytes.subarray(0, len));
  return out;
}

export function loadCardOs(p: LoadParams): LoadResult {
  const spad2 = p.regs.read32(BAR4.SPAD(SPAD_INDEX.DOWNLOAD_INFO));
  if (typeof spad2 !== 'number') return { errno: 'EIO' };
  const bootAddr = (spad2 & BOOT_ADDR_MASK) >>> 0;
  if (bootAddr > MIC_MAX_BOOT_ADDR) return { errno: 'EINVAL' };
  const image = requestFirmware(p.firmware, p.firmwareName);
  if (typeof image === 'string') return { errno: image };
  if (bootAddr > p.apertureLen - image.length) return { errno: 'EINVAL' };
  const linux = p.bootmode !== 'elf';
  const cmdline = commandLineBytes(p.apertureLen, p.cmdline);
  // The boot address comes from the untrusted card: everything the host will write must fit the
  // aperture before anything is written, so a refused boot changes nothing (the kernel wrote the
  // command line and ramdisk unchecked) [model choice]. Errnos keep the kernel's order.
  if (linux && bootAddr + image.length + cmdline.length > p.apertureLen) return { errno: 'EINVAL' };
  let ramdisk: Uint8Array | undefined;
  if (linux && p.ramdiskName !== null) {
    const rd = requestFirmware(p.firmware, p.ramdiskName);
    if (typeof rd === 'string') return { errno: rd };
    if (2 * bootAddr + rd.length > p.apertureLen) return { errno: 'EINVAL' };
    ramdisk = rd;
  }
  if (p.bar0.write(bootAddr, image) !== undefined) return { errno: 'EIO' };
  p.regs.write32(BAR4.SPAD(SPAD_INDEX.FW_SIZE), image.length);
  if (!linux) return { ok: true, bootAddr, imageSize: image.length };
  // the command line sits right after the image (facts §3.2 step 6)
  if (p.bar0.write(bootAddr + image.length, cmdline) !== undefined) return { errno: 'EIO' };
  if (ramdisk !== undefined && p.bar0.write(2 * bootAddr, ramdisk) !== undefined) return { errno: 'EIO' };
  return { ok: true, bootAddr, imageSize: image.length };
}
