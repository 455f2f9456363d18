/**
 * The card-side SMPT window as hardware does it: card addresses 0x80_0000_0000 + i·16 GiB + off go
 * to the host address held in register SMPT<i> (facts §2), whoever programmed it. The window is a
 * windowed view rebuilt from a register whenever that register is written; an entry pointing past
 * the end of host memory maps nothing there (such card accesses fault 'unmapped').
 */
import type { MemPort, RegisterFile, WindowedView } from '../../model/contract.ts';
import { BAR4 } from '../../model/layout/sbox.ts';
import { SMPT_NUM_ENTRIES, SMPT_PAGE_SIZE } from '../../model/constants/pcie.ts';
import { smptRegHostAddr } from './smpt.ts';

export function installSmptWindow(regs: RegisterFile, view: WindowedView, hostMemory: MemPort): void {
  const program = (i: number): void => {
    const base = i * SMPT_PAGE_SIZE;
    view.unmap(base);
    const target = smptRegHostAddr(regs.peek(BAR4.SMPT(i)));
    if (target >= hostMemory.size) return;
    const len = Math.min(SMPT_PAGE_SIZE, hostMemory.size - target);
    view.map({ base, len, port: hostMemory, target, label: `SMPT${String(i).padStart(2, '0')}` });
  };
  for (let i = 0; i < SMPT_NUM_ENTRIES; i++) {
    regs.hook(BAR4.SMPT(i), 4, { write: () => program(i) });
    program(i);
  }
}
