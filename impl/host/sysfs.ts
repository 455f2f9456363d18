/**
 * The sysfs attributes of class `mic`, device micN (facts §4.5, §4.1, §1.1), legacy era. Stores
 * keep the written string with a single trailing newline stripped; `state` compares like
 * sysfs_streq. A write of a read-only attribute fails at open with EACCES (kernfs without a
 * store), an unknown name with ENOENT. Reads return the text without sysfs's trailing newline.
 */
import type { AttrResult, LifecycleErrno } from '../../model/contract.ts';
import { X100_DEVICE_IDS, steppingName } from '../../model/constants/pcie.ts';
import { BOOTMODES, FAMILY_X100, MIC_ATTRS, MIC_RO_ATTRS, type MicAttr } from '../../model/constants/lifecycle.ts';
import type { MicHostDriver } from './driver.ts';
import { formatHexAddr, parseHexAddr } from './hex-attr.ts';

const strip = (v: string): string => (v.endsWith('\n') ? v.slice(0, -1) : v);

const isAttr = (name: string): name is MicAttr => (MIC_ATTRS as readonly string[]).includes(name);

export function readAttr(drv: MicHostDriver, deviceId: number, revision: number, name: string): string | { errno: LifecycleErrno } {
  if (!isAttr(name)) return { errno: 'ENOENT' };
  switch (name) {
    case 'family':
      return X100_DEVICE_IDS.includes(deviceId) ? FAMILY_X100 : 'Unknown';
    case 'stepping':
      return steppingName(revision);
    case 'state':
      return drv.state;
    case 'shutdown_status':
      return drv.shutdownStatus;
    case 'cmdline':
      return drv.cmdline ?? '';
    case 'firmware':
      return drv.firmware ?? '';
    case 'ramdisk':
      return drv.ramdisk ?? '';
    case 'bootmode':
      return drv.bootmode ?? '';
    case 'log_buf_addr':
      return formatHexAddr(drv.logBufAddr);
    case 'log_buf_len':
      return formatHexAddr(drv.logBufLen);
  }
}

/** a write; `done` receives the result once the driver finished it (boot may take a reset) */
export function writeAttr(drv: MicHostDriver, name: string, value: string, done: (r: AttrResult) => void): void {
  const ok: AttrResult = { ok: true };
  if (!isAttr(name)) return done({ errno: 'ENOENT' });
  if (MIC_RO_ATTRS.includes(name)) return done({ errno: 'EACCES' });
  const v = strip(value);
  switch (name) {
    case 'cmdline':
      drv.cmdline = v;
      return done(ok);
    case 'firmware':
      drv.firmware = v;
      return done(ok);
    case 'ramdisk':
      drv.ramdisk = v;
      return done(ok);
    case 'bootmode':
      if (!(BOOTMODES as readonly string[]).includes(v)) return done({ errno: 'EINVAL' });
      drv.bootmode = v;
      return done(ok);
    case 'log_buf_addr':
    case 'log_buf_len': {
      const addr = parseHexAddr(value);
      if (addr === undefined) return done({ errno: 'EINVAL' });
      if (name === 'log_buf_addr') drv.logBufAddr = addr;
      else drv.logBufLen = addr;
      return done(ok);
    }
    case 'state':
      switch (v) {
        case 'boot':
          return drv.start((rc) => done(rc === undefined ? ok : { errno: rc }));
        case 'reset':
          drv.resetTrigger();
          return done(ok);
        case 'shutdown':
          return drv.shutdown(() => done(ok));
        case 'suspend':
          return drv.suspend(() => done(ok));
        default:
          return done({ errno: 'EINVAL' });
      }
    default:
      return done({ errno: 'EACCES' });
  }
}
