/** impl/bus: the mic virtual bus, the mic_x100_dma driver wiring and the dmaengine-like client API. */
import type { DmaComponents } from '../../model/contract.ts';
import { attachDma } from './attach.ts';

export { MicBusImpl } from './mbus.ts';
export { ChanImpl, DmaClientImpl } from './client.ts';
export { attachDma } from './attach.ts';

/** the contract's DMA stack (engine, bus, driver, clients) is wired here, one layer above the engine */
export const dmaComponents: DmaComponents = { attachDma };
