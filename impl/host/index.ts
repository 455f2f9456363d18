/** impl/host: the legacy host PCIe driver (facts §3, §4.1, §4.2, §4.5) and the host side of VOP's device page. */
export { MicHostDriver, type HostDriverDeps } from './driver.ts';
export { HostAllocator } from './alloc.ts';
export { HostVop, VopCharDev, descBlockOf, type HostVdev } from './vop/index.ts';
export { readAttr, writeAttr } from './sysfs.ts';
export { loadCardOs, commandLineBytes, type FirmwareStore } from './loader.ts';
export { readField, writeField, readOr } from '../memory/fields.ts';
