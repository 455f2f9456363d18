/**
 * One X100 card as a PCIe endpoint: config space, BAR0 aperture onto GDDR, the BAR4 register file
 * with the interrupt controller, doorbells and SMPT window installed, and the card's own physical
 * address space (facts §1.1: GDDR at 0, MMIO at 0x08_007C_0000, SMPT window at 0x80_0000_0000).
 */
import type {
  MemFault,
  MemoryComponents,
  MemPort,
  PcieEndpoint,
  RegisterFile,
  Scheduler,
  SparseMemory,
  WindowedView,
} from '../../model/contract.ts';
import { MMIO_SIZE } from '../../model/layout/sbox.ts';
import { IO_BAR_SIZE } from '../../model/layout/config-space.ts';
import {
  CARD_ADDRESS_SPACE_BYTES,
  CARD_MMIO_BASE,
  SMPT_WINDOW_BASE,
  SMPT_WINDOW_SIZE,
} from '../../model/constants/pcie.ts';
import { RegisterFileImpl } from './regfile.ts';
import { MmioPort } from './mmio-port.ts';
import { ConfigSpace } from './config-space.ts';
import { barSizeFor } from './bars.ts';
import { CardIrqs, HostInterrupts } from './interrupts.ts';
import { installDoorbells } from './doorbells.ts';
import { installSmptWindow } from './smpt-window.ts';

export interface EndpointConfig {
  readonly index: number;
  readonly deviceId: number;
  readonly revision: number;
  readonly scheduler: Scheduler;
  readonly memory: MemoryComponents;
  readonly hostMemory: MemPort;
  readonly cardMemoryBytes: number;
}

export class X100Endpoint implements PcieEndpoint {
  readonly index: number;
  readonly deviceId: number;
  readonly revision: number;
  readonly name: string;
  readonly regs: RegisterFile;
  readonly cardMemory: SparseMemory;
  readonly bar0: WindowedView;
  readonly bar0Size: number;
  readonly cardView: WindowedView;
  /** the card's SMPT window alone (0 = card address 0x80_0000_0000), for observers */
  readonly smptWindow: WindowedView;
  readonly config: ConfigSpace;
  readonly hostIrq: HostInterrupts;
  readonly cardIrq: CardIrqs;

  constructor(c: EndpointConfig) {
    this.index = c.index;
    this.deviceId = c.deviceId;
    this.revision = c.revision;
    const name = `card${c.index}`;
    this.name = name;
    if (c.cardMemoryBytes <= 0 || c.cardMemoryBytes > CARD_MMIO_BASE) {
      throw new RangeError(`${name}: card memory of ${c.cardMemoryBytes} bytes does not fit below the MMIO window`);
    }
    this.regs = new RegisterFileImpl(`${name}.bar4`);
    this.cardMemory = c.memory.createSparseMemory(c.cardMemoryBytes, `${name}.gddr`);
    this.bar0Size = barSizeFor(c.cardMemoryBytes);
    // the aperture length is the card memory size (aper.len, facts §1.1): beyond it BAR0 faults
    this.bar0 = c.memory.createWindowedView(c.cardMemoryBytes, `${name}.bar0`);
    this.bar0.map({ base: 0, len: c.cardMemoryBytes, port: this.cardMemory, target: 0, label: 'gddr' });
    this.config = new ConfigSpace(`${name}.config`, {
      deviceId: c.deviceId,
      revision: c.revision,
      apertureBarSize: this.bar0Size,
      mmioBarSize: MMIO_SIZE,
      ioBarSize: IO_BAR_SIZE,
    });

    this.hostIrq = new HostInterrupts(this.regs, c.scheduler, name);
    this.cardIrq = new CardIrqs(c.scheduler, name);
    installDoorbells(this.regs, this);

    this.smptWindow = c.memory.createWindowedView(SMPT_WINDOW_SIZE, `${name}.smpt`);
    installSmptWindow(this.regs, this.smptWindow, c.hostMemory);

    this.cardView = c.memory.createWindowedView(CARD_ADDRESS_SPACE_BYTES, `${name}.phys`);
    this.cardView.map({ base: 0, len: c.cardMemoryBytes, port: this.cardMemory, target: 0, label: 'gddr' });
    this.cardView.map({ base: CARD_MMIO_BASE, len: MMIO_SIZE, port: new MmioPort(`${name}.mmio`, this.regs), target: 0, label: 'mmio' });
    this.cardView.map({ base: SMPT_WINDOW_BASE, len: SMPT_WINDOW_SIZE, port: this.smptWindow, target: 0, label: 'smpt' });
  }

  configRead32(off: number): number | MemFault {
    return this.config.read32(off);
  }

  configWrite32(off: number, value: number): MemFault | undefined {
    return this.config.write32(off, value);
  }

  onHostInterrupt(handler: (causeBits: number) => void): () => void {
    return this.hostIrq.on(handler);
  }

  onCardIrq(handler: (irq: number) => void): () => void {
    return this.cardIrq.on(handler);
  }

  raiseHostSource(bit: number): void {
    this.hostIrq.raise(bit);
  }

  raiseCardIrq(irq: number): void {
    this.cardIrq.raise(irq);
  }
}
