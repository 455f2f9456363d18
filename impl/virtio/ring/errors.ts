/** Ring errors as values (DESIGN.md §7): each names the requirement the other side broke. */
import type { MemFault, RingError, RingErrorCode } from '../../../model/contract.ts';
import { REQ } from '../../../model/constants/virtio.ts';

const REQ_OF: Record<RingErrorCode, RingError['req']> = {
  'queue-size': REQ.queueSize,
  'area-misaligned': REQ.areaAlign,
  'mem-fault': REQ.areaAlign,
  'avail-idx-jump': REQ.availIdx,
  'head-out-of-range': REQ.availRing,
  'next-out-of-range': REQ.nextIndex,
  'chain-too-long': REQ.chainLimit,
  'chain-bytes-overflow': REQ.chainLimit,
  'readable-after-writable': REQ.readBeforeWrite,
  'indirect-nested': REQ.indirect,
  'indirect-with-next': REQ.indirect,
  'indirect-not-negotiated': REQ.indirect,
  'indirect-len': REQ.indirectTable,
  'outside-window': REQ.window,
  'head-in-flight': REQ.inFlight,
  'used-idx-jump': REQ.usedRing,
  'used-id-invalid': REQ.usedRing,
  'used-len-too-big': REQ.usedRing,
  'push-not-held': REQ.usedRing,
  'no-space': REQ.inFlight,
  'bad-request': REQ.descFormat,
  broken: REQ.needsReset,
};

export function ringError(code: RingErrorCode, detail: string, head?: number, fault?: MemFault): RingError {
  return {
    kind: 'ring-error',
    code,
    req: REQ_OF[code],
    detail,
    ...(head !== undefined ? { head } : {}),
    ...(fault !== undefined ? { fault } : {}),
  };
}

import { isRingError, isFault } from '../../../model/contract/guards.ts';

export { isRingError, isFault };

export function faultError(where: string, f: MemFault, head?: number): RingError {
  return ringError('mem-fault', `${where}: ${f.reason} at ${f.space}:0x${f.addr.toString(16)}+${f.len}`, head, f);
}
