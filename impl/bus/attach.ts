/**
 * Wires the DMA stack on one card: the engine (hardware), the mic bus, the mic_x100_dma driver
 * bound to the bus devices the host driver (MBUS_DEV_DMA_HOST, channels 0–3) and the card driver
 * (MBUS_DEV_DMA_MIC, channels 4–7) register, and the two client APIs (facts §7.1, §7.6).
 *
 * Memory the DMA drivers allocate: host rings + status buffers in host RAM (mapped through the SMPT
 * so the engine reaches them above 0x80_0000_0000), card rings + status buffers in card GDDR.
 * Interrupts: the host driver enables SICE0 source 8 + n for its channels and acks the bit in
 * SICR0 when it is delivered; the card acks with the DCAR mask/unmask erratum (facts §7.5).
 */
import type {
  DmaAttachOptions,
  DmaCard,
  DmaError,
  DmaRegisterPort,
  DmaSide,
  MbusDevice,
  MbusDriver,
  Platform,
} from '../../model/contract.ts';
import { BAR4 } from '../../model/layout/sbox.ts';
import { alignUp, PAGE_SIZE } from '../../model/layout/table.ts';
import {
  MBUS_DEV_DMA_HOST,
  MBUS_DEV_DMA_MIC,
  MIC_DMA_CARD_CHAN_FIRST,
  MIC_DMA_DCAR_IM0,
  MIC_DMA_DESC_RX_SIZE,
  MIC_DMA_DESC_SIZE,
  MIC_DMA_RING_SIZE_MAX,
  MIC_DMA_STATUS_BUF_SIZE,
  MIC_MAX_DMA_CHAN,
} from '../../model/constants/dma.ts';
import { DmaEngineImpl } from '../dma/engine.ts';
import { dmaError } from '../dma/errors.ts';
import { StoreProbe } from '../memory/store-probe.ts';
import { MicBusImpl } from './mbus.ts';
import { ChanImpl, DmaClientImpl, type ChannelMemory } from './client.ts';

const ALLOC_RESERVE = 64 * 1024 * 1024;

export function attachDma(platform: Platform, cardIndex = 0, opts: DmaAttachOptions = {}): DmaCard | DmaError {
  const ep = platform.cards[cardIndex];
  const smpt = platform.smpt[cardIndex];
  if (ep === undefined || smpt === undefined) return dmaError('ENODEV', 'no-device', `card ${cardIndex} does not exist`);
  const ringSize = opts.ringSize ?? MIC_DMA_DESC_RX_SIZE;
  if (!Number.isInteger(ringSize) || ringSize < 8 || ringSize > MIC_DMA_RING_SIZE_MAX) {
    return dmaError('EINVAL', 'bad-channel', `ring size ${ringSize} outside 8..${MIC_DMA_RING_SIZE_MAX}`);
  }
  const sched = platform.scheduler;
  const ringStride = alignUp(ringSize * MIC_DMA_DESC_SIZE, PAGE_SIZE);
  const allocLen = MIC_MAX_DMA_CHAN * ringStride + PAGE_SIZE;
  const hostBase = opts.hostAllocBase ?? platform.hostMemory.size - ALLOC_RESERVE;
  const cardBase = opts.cardAllocBase ?? ep.cardMemory.size - ALLOC_RESERVE;
  if (hostBase < 0 || hostBase % PAGE_SIZE !== 0 || hostBase + allocLen > platform.hostMemory.size) {
    return dmaError('ENOMEM', 'bad-address', `host allocation [0x${hostBase.toString(16)}, +${allocLen}) does not fit host memory`);
  }
  if (cardBase < 0 || cardBase % PAGE_SIZE !== 0 || cardBase + allocLen > ep.cardMemory.size) {
    return dmaError('ENOMEM', 'bad-address', `card allocation [0x${cardBase.toString(16)}, +${allocLen}) does not fit card memory`);
  }
  // host_dma_map_ops → mic_map: every DMA address the host hands the card is an SMPT window address (facts §2)
  const hostCardBase = smpt.map(hostBase, allocLen);
  if (typeof hostCardBase !== 'number') return dmaError('ENOMEM', 'bad-address', `SMPT map of the host DMA allocation failed: ${hostCardBase.detail}`);

  const engine = new DmaEngineImpl(ep, sched, cardIndex);
  const bus = new MicBusImpl();

  const memoryOf = (side: DmaSide, ch: number): ChannelMemory => {
    const idx = side === 'host' ? ch : ch - MIC_DMA_CARD_CHAN_FIRST;
    const ringOff = idx * ringStride;
    const statusOff = MIC_MAX_DMA_CHAN * ringStride + idx * MIC_DMA_STATUS_BUF_SIZE;
    const cm: ChannelMemory = side === 'host'
      ? { mem: platform.hostMemory, ringAddr: hostBase + ringOff, ringCardAddr: hostCardBase + ringOff, statusCardAddr: hostCardBase + statusOff }
      : { mem: ep.cardMemory, ringAddr: cardBase + ringOff, ringCardAddr: cardBase + ringOff, statusCardAddr: cardBase + statusOff };
    const pub = opts.publications;
    if (pub === undefined) return cm;
    // every descriptor store is a point where the engine may look; reported at its card address
    const toCard = cm.ringCardAddr - cm.ringAddr;
    const mem = new StoreProbe(cm.mem, (addr, len) => pub({ kind: 'ring-store', side, channel: ch, addr: addr + toCard, len, regs: engine.regs(ch) }));
    return { ...cm, mem };
  };

  /** with a publication oracle, every register write of a client is a point too (DHPR above all) */
  const portOf = (side: DmaSide): DmaRegisterPort => {
    const port = engine.port(side);
    const pub = opts.publications;
    if (pub === undefined) return port;
    return {
      side,
      readChan: (ch, reg) => port.readChan(ch, reg),
      writeChan: (ch, reg, value) => {
        const e = port.writeChan(ch, reg, value);
        if (e === undefined) pub({ kind: 'register', side, channel: ch, reg, value: value >>> 0, regs: engine.regs(ch) });
        return e;
      },
      readDcr: () => port.readDcr(),
      writeDcr: (value) => port.writeDcr(value),
    };
  };
  const hostPort = portOf('host');
  const cardPort = portOf('card');

  const hostIrq = {
    enableIrq: (ch: number) => void ep.regs.write32(BAR4.SICE0, 1 << (8 + ch)),
    disableIrq: (ch: number) => void ep.regs.write32(BAR4.SICC0, 1 << (8 + ch)),
  };
  // The card has no interrupt-controller mask (facts §1.5), so a card channel's interrupt is live
  // exactly between its setup and its teardown: a delivery still in flight when the teardown
  // disabled and masked the channel (facts §7.3) belongs to the torn-down channel and is dropped,
  // as SICC0 drops it on the host side. Acking it would run the DCAR mask/unmask erratum (facts
  // §7.5) on a released channel and undo the teardown's mask.
  const cardIrqLive = new Uint8Array(MIC_DMA_CARD_CHAN_FIRST + MIC_MAX_DMA_CHAN);
  const cardIrq = {
    enableIrq: (ch: number) => void (cardIrqLive[ch] = 1),
    disableIrq: (ch: number) => void (cardIrqLive[ch] = 0),
  };

  const host = new DmaClientImpl('host', cardIndex, (ch) => new ChanImpl(ch, 'host', ringSize, hostPort, memoryOf('host', ch), sched, hostIrq));
  const card = new DmaClientImpl('card', cardIndex, (ch) => new ChanImpl(ch, 'card', ringSize, cardPort, memoryOf('card', ch), sched, cardIrq));

  const unsubscribe: { host?: () => void; card?: () => void } = {};

  // the mic_x100_dma driver: one probe per mbus DMA device
  const driver: MbusDriver = {
    name: 'mic_x100_dma',
    idTable: [MBUS_DEV_DMA_HOST, MBUS_DEV_DMA_MIC],
    probe(dev: MbusDevice) {
      if (dev.cardIndex !== cardIndex) return dmaError('ENODEV', 'no-device', `device of card ${dev.cardIndex}`);
      if (dev.side === 'host') {
        unsubscribe.host = ep.onHostInterrupt((bits) => {
          for (let n = 0; n < MIC_MAX_DMA_CHAN; n++) {
            const bit = 1 << (8 + n);
            if ((bits & bit) === 0) continue;
            ep.regs.write32(BAR4.SICR0, bit);
            host.onChannelInterrupt(n);
          }
        });
        host.bound = true;
      } else {
        unsubscribe.card = ep.onCardIrq((irq) => {
          if (irq < MIC_DMA_CARD_CHAN_FIRST || irq >= MIC_DMA_CARD_CHAN_FIRST + MIC_MAX_DMA_CHAN) return;
          if (cardIrqLive[irq] !== 1) return;
          // erratum: mask then unmask in DCAR before the bus-level ack (a no-op on the card)
          const port = engine.port('card');
          const dcar = port.readChan(irq, 'DCAR');
          if (typeof dcar === 'number') {
            port.writeChan(irq, 'DCAR', dcar | MIC_DMA_DCAR_IM0);
            port.writeChan(irq, 'DCAR', dcar & ~MIC_DMA_DCAR_IM0);
          }
          card.onChannelInterrupt(irq);
        });
        card.bound = true;
      }
      return undefined;
    },
    remove(dev: MbusDevice) {
      if (dev.side === 'host') {
        host.unbind();
        unsubscribe.host?.();
      } else {
        card.unbind();
        unsubscribe.card?.();
      }
    },
  };
  bus.registerDriver(driver);
  // the host driver registers its DMA device at card start, the card driver its own (facts §7.6)
  bus.registerDevice({ id: MBUS_DEV_DMA_HOST, cardIndex, side: 'host', name: `mic${cardIndex}.dma-host` });
  bus.registerDevice({ id: MBUS_DEV_DMA_MIC, cardIndex, side: 'card', name: `mic${cardIndex}.dma-mic` });

  return {
    engine,
    bus,
    host,
    card,
    hostAlloc: { base: hostBase, len: allocLen },
    cardAlloc: { base: cardBase, len: allocLen },
  };
}
