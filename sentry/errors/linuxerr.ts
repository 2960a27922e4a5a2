import { Errno, ErrnoName, ERRNO_NAMES } from '../abi/linux/errno';

/**
 * The one error type syscall handlers throw. Only the dispatcher turns it
 * into the `-errno` register value the application sees.
 *
 * It carries no stack trace: an errno is an answer to the application, not
 * a bug, nothing reads where it was thrown (the detail says why), and
 * capturing the frames cost more than the rest of a failed syscall (1.7 of
 * 3.6 us for a throw 15 frames deep), paid on every EAGAIN of a
 * non-blocking socket or pipe.
 */
export class LinuxError extends Error {
  readonly errno: number;
  readonly detail?: string;

  constructor(errno: number, detail?: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}${detail ? `: ${detail}` : ''}`);
    Error.stackTraceLimit = limit;
    this.errno = errno;
    this.detail = detail;
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
