/**
 * The op that issues a card-state machine event on a system: one representative command per event
 * (the paths of the exhaustive properties are sequences of events).
 */
import type { CardStateEvent } from '../../model/machines/card-state.ts';
import type { Op } from './ops.ts';

/** the op that issues a machine event on a system */
export function eventOp(e: CardStateEvent): Op {
  switch (e.type) {
    case 'state.boot':
    case 'state.reset':
    case 'state.shutdown':
    case 'state.suspend':
      return { kind: 'state', value: e.type.slice('state.'.length) };
    case 'state.invalid':
      return { kind: 'state', value: 'bogus' };
    case 'attr.cmdline':
    case 'attr.firmware':
    case 'attr.ramdisk':
    case 'attr.bootmode':
    case 'attr.log_buf_addr':
    case 'attr.log_buf_len':
      return { kind: 'attr', name: e.type.slice('attr.'.length) as 'cmdline', value: e.value };
    case 'attr.readonly':
      return { kind: 'readonly', name: 'family', value: 'x' };
    case 'attr.unknown':
      return { kind: 'unknown', name: 'nosuch', value: '1' };
    case 'pm.suspend':
      return { kind: 'pmSuspend' };
    case 'pm.resume':
      return { kind: 'pmResume' };
    case 'time.passes':
      return { kind: 'time' };
    case 'card.halt':
    case 'card.poweroff':
    case 'card.restart':
    case 'card.panic':
      return { kind: 'card', what: e.type.slice('card.'.length) as 'halt' };
    case 'fault.badImage':
      return { kind: 'corrupt', how: 'checksum' };
    case 'fault.resetHang':
      return { kind: 'resetHang' };
    case 'fault.dpMagic':
      return { kind: 'dpMagic' };
  }
}
