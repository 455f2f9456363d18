/**
 * impl/dma: the X100 DMA engine (hardware) and, through impl/bus, the bus devices, driver and
 * client APIs on top of it (issue 3).
 */
import type { DmaComponents } from '../../model/contract.ts';
import { attachDma } from '../bus/attach.ts';

export { DmaEngineImpl } from './engine.ts';
export { executeDescriptor, encodeMemcopy, encodeStatus, encodeGeneral, encodeNop } from './descriptor.ts';
export { dmaError, isDmaError } from './errors.ts';

export const dmaComponents: DmaComponents = { attachDma };
