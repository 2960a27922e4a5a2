/**
 * Random bytes from the host kernel (getrandom(2), the urandom source):
 * what the Sentry hands out as AT_RANDOM, /dev/urandom, getrandom(2) and
 * the like. Not node:crypto, whose loading cost every sandbox start ~4 ms
 * of CPU for a few bytes per exec.
 */
import { Errno } from '../../abi/linux/errno';
import { errno, HostError, raw } from './libc';

/** Fills `dst` with random bytes and returns it. */
export function randomFill<T extends Uint8Array>(dst: T): T {
  // Requests over 256 bytes may come back short, or fail with EINTR before any byte.
  for (let done = 0; done < dst.length; ) {
    const part = dst.subarray(done);
    const n = Number(raw.getrandom(part, part.length, 0));
    if (n >= 0) done += n;
    else if (errno() !== Errno.EINTR) throw new HostError('getrandom', errno());
  }
  return dst;
}

/** `n` random bytes. */
export function randomBytes(n: number): Buffer {
  return randomFill(Buffer.allocUnsafe(n));
}
