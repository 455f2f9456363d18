/** Why a backend could not be opened: a typed error with a one-line message, thrown at open, never later. */
export type BackendErrorCode = 'missing' | 'unreadable' | 'bad-size' | 'not-a-file' | 'socket';

export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly code: BackendErrorCode,
    message: string,
  ) {
    super(message);
  }
}
