/**
 * Blocking byte I/O on host fds for the Sentry's synchronous Gofer
 * connection, and the socketpair that connection runs on. Reuses the
 * koffi bindings in libc.ts; data moves through Buffers only.
 */
import { raw, errno, check, HostError } from './libc';

const EINTR = 4;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;

/** A connected AF_UNIX stream pair, both ends close-on-exec (spawn's dup2 clears it in the child). */
export function socketPair(): [number, number] {
  const sv = new Int32Array(2);
  check('socketpair', raw.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) as number);
  return [sv[0], sv[1]];
}

export function closeFd(fd: number): void {
  check('close', raw.close(fd) as number);
}

/** Reads until `buf` is full or end of file; returns the bytes read (< buf.length only at EOF). */
export function readFull(fd: number, buf: Buffer): number {
  let done = 0;
  while (done < buf.length) {
    const n = Number(raw.read(fd, buf.subarray(done), buf.length - done));
    if (n === 0) break;
    if (n < 0) {
      if (errno() === EINTR) continue;
      throw new HostError('read', errno());
    }
    done += n;
  }
  return done;
}

/** Writes all of `buf`, retrying short writes and EINTR. */
export function writeAll(fd: number, buf: Buffer): void {
  for (let done = 0; done < buf.length; ) {
    const n = Number(raw.write(fd, buf.subarray(done), buf.length - done));
    if (n < 0) {
      if (errno() === EINTR) continue;
      throw new HostError('write', errno());
    }
    done += n;
  }
}
