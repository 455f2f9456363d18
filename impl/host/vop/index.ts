/** The host side of virtio over PCIe (issue 9): per-card VOP device work and the char device. */
export { HostVop, type VopDeps } from './host-vop.ts';
export { ReferenceVopHost, VopCharDev, referenceVopHost } from './chardev.ts';
export { addDeviceSpec, descBlockOf } from './spec.ts';
export type { HostVdev, HostVq } from './vdev.ts';
