/**
 * Contract of the card as a PCIe endpoint: config space, BARs, BAR4 register file, doorbells, SMPT.
 * Types only. (Filled in by the foundations work; see issue 2 item 4.)
 */
export interface PcieComponents {}
