/** impl/daemon: our mpssd — boot policy, the devices it adds and their loops and backends (facts §8). */
import type { DaemonComponents } from '../../model/contract.ts';
import { createDaemon, run } from './run.ts';

export { Mpssd, DAEMON_WAKE_NS } from './mpssd.ts';
export { DEFAULT_DEVICES, CONSOLE_DEVICE, NET_DEVICE, BLOCK_DEVICE } from './devices.ts';
export { VopDaemon } from './device-daemon.ts';
export { createDaemon, run, PUMP_EVERY } from './run.ts';

export const daemonComponents: DaemonComponents = { createDaemon, run };
export * from './backends/index.ts';
