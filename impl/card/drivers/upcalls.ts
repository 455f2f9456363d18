/**
 * What the card's drivers tell the services of their card (impl/card/services/): the drivers are
 * made per OS generation, the services and their listeners live as long as the system, so every
 * event crosses over through this one object.
 */
export interface NetCounters {
  txFrames: number;
  rxFrames: number;
  rxDropped: number;
  refills: number;
  rxEmpty: number;
}

export interface DriverUpcalls {
  readonly cardId: number;
  /** the console's driver went live (after each probe) */
  consoleLive(): void;
  /** bytes from the host, in order */
  consoleInput(bytes: Uint8Array): void;
  /** the host completed transmit buffers: room for more output */
  consoleDrained(): void;
  /** a received Ethernet frame (header stripped) */
  netFrame(frame: Uint8Array): void;
  readonly net: NetCounters;
  /** console bytes / net frames / block request ids a reset, crash or removal took away */
  lostConsole(bytes: number): void;
  lostNet(frames: number): void;
  lostBlk(ids: readonly number[]): void;
  /** a block request id unique for the life of the card */
  nextBlkId(): number;
}
