/** The daemon's backends: in-memory twins for properties, real ones for people (issue 10 item 3). */
export { MemoryConsole, MemoryNet, MemoryDisk, type MemoryDiskOptions } from './memory.ts';
export { FileDisk, type FileDiskOptions } from './file.ts';
export { UdpNet, type UdpNetOptions } from './udp-net.ts';
export { TerminalConsole, UnixSocketConsole } from './console-stream.ts';
export { BackendError, type BackendErrorCode } from './errors.ts';
