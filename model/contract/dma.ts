/** Contract of the X100 DMA engine and the mic virtual bus (issue 3). Types only. */
export interface DmaComponents {}
