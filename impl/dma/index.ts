/**
 * impl/dma: the X100 DMA engine (hardware): descriptors, channel registers, errors (issue 3). The
 * bus devices, driver and client APIs on top of it live in impl/bus, which also assembles the
 * contract's DmaComponents.
 */
export { DmaEngineImpl } from './engine.ts';
export { executeDescriptor, encodeMemcopy, encodeStatus, encodeGeneral, encodeNop } from './descriptor.ts';
export { dmaError, isDmaError } from './errors.ts';
