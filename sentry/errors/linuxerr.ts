import { Errno, ErrnoName, ERRNO_NAMES } from '../abi/linux/errno';

/**
 * The one error type syscall handlers throw. Only the dispatcher turns it
 * into the `-errno` register value the application sees.
 */
export class LinuxError extends Error {
  constructor(
    readonly errno: number,
    readonly detail?: string,
  ) {
    super(`${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}${detail ? `: ${detail}` : ''}`);
    this.name = 'LinuxError';
  }

  get code(): ErrnoName | undefined {
    return ERRNO_NAMES.get(this.errno);
  }
}

/** Throws LinuxError for `name`, with an optional detail for debug logs. */
export function fail(name: ErrnoName, detail?: string): never {
  throw new LinuxError(Errno[name], detail);
}

export function isLinuxError(e: unknown, name?: ErrnoName): e is LinuxError {
  return e instanceof LinuxError && (name === undefined || e.errno === Errno[name]);
}
