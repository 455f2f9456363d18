/** The host side of virtio over PCIe (issue 9): per-card VOP device work and the char device. */
export { HostVop, descBlockOf, type VopDeps } from './host-vop.ts';
export { VopCharDev, type CharDevDeps } from './chardev.ts';
export type { HostVdev, HostVq } from './vdev.ts';
