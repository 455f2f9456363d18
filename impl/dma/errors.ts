/** DmaError values (model/contract/dma.ts): errors the other side or a client can cause are values. */
import type { DmaErrno, DmaError, DmaErrorReason } from '../../model/contract.ts';

export function dmaError(errno: DmaErrno, reason: DmaErrorReason, detail: string): DmaError {
  return { kind: 'dma-error', errno, reason, detail };
}

import { isDmaError } from '../../model/contract/guards.ts';

export { isDmaError };
