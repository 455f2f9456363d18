/** impl/bus: the mic virtual bus, the mic_x100_dma driver wiring and the dmaengine-like client API. */
export { MicBusImpl } from './mbus.ts';
export { ChanImpl, DmaClientImpl } from './client.ts';
export { attachDma } from './attach.ts';
