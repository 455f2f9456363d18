/** impl/daemon: our mpssd — boot policy and the devices it adds (facts §8). */
export { Mpssd, DAEMON_WAKE_NS } from './mpssd.ts';
export { DEFAULT_DEVICES, CONSOLE_DEVICE, NET_DEVICE, BLOCK_DEVICE } from './devices.ts';
