/** Turns whatever a host operation threw into the Linux errno for Rlerror. */
import { LinuxError } from '../sentry/errors/linuxerr';
import { SysError } from './host/libc';

function hasNumericErrno(e: unknown): e is { errno: number } {
  return typeof e === 'object' && e !== null && typeof (e as { errno?: unknown }).errno === 'number';
}

/** Errno for an exception, or undefined when it carries none (a bug, not a host error). */
export function errnoOf(e: unknown): number | undefined {
  if (e instanceof LinuxError || e instanceof SysError) return e.errno;
  // node:fs SystemErrors carry the negated libuv errno, which is -errno on Linux.
  if (hasNumericErrno(e) && e.errno < 0) return -e.errno;
  return undefined;
}

