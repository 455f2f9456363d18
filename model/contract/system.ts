/** Contract of a whole system: host + cards on the bus, lifecycle controls and observers (issue 5). Types only. */
export interface SystemComponents {}
