/**
 * Blocking I/O on the Sentry's own host fds (the sandbox's stdio). Calls
 * retry EINTR, and wait with poll(2) when the host fd is non-blocking, so
 * the application sees ordinary blocking semantics. Failures throw
 * HostError carrying the host errno (the caller maps it to LinuxError).
 */
import koffi from './koffi';
import { check, errno, HostError, raw } from './libc';

const libc = koffi.load('libc.so.6');
const fns = {
  fstat: libc.func('int fstat(int fd, void *buf)'),
};

const EINTR = 4;
const EAGAIN = 11;
const POLLIN = 1;
const POLLOUT = 4;

/** Waits until `fd` is ready for `events`. */
function waitReady(fd: number, events: number): void {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(events, 4);
  while (Number(raw.poll(pfd, 1, -1)) < 0 && errno() === EINTR);
}

/** Runs `op` until it neither is interrupted nor would block. */
function blocking(call: string, fd: number, events: number, op: () => number | bigint): number {
  for (;;) {
    const r = Number(op());
    if (r >= 0) return r;
    const e = errno();
    if (e === EAGAIN) waitReady(fd, events);
    else if (e !== EINTR) throw new HostError(call, e);
  }
}

export function hostRead(fd: number, dst: Buffer): number {
  return blocking('read', fd, POLLIN, () => raw.read(fd, dst, dst.length));
}

export function hostWrite(fd: number, src: Buffer): number {
  return blocking('write', fd, POLLOUT, () => raw.write(fd, src, src.length));
}

/** One write(2) that never waits on a non-blocking fd: the bytes written, or undefined when it would block. */
export function hostWriteNow(fd: number, src: Buffer): number | undefined {
  for (;;) {
    const r = Number(raw.write(fd, src, src.length));
    if (r >= 0) return r;
    const e = errno();
    if (e === EAGAIN) return undefined;
    if (e !== EINTR) throw new HostError('write', e);
  }
}

/**
 * Writes all of `b`, retrying short writes; false once the fd fails (its
 * reader is gone, the disk is full) or, with `wait` false, would block.
 */
export function hostWriteAll(fd: number, b: Buffer, wait = true): boolean {
  try {
    for (let off = 0; off < b.length; ) {
      const n = wait ? hostWrite(fd, b.subarray(off)) : hostWriteNow(fd, b.subarray(off));
      if (n === undefined) return false;
      off += n;
    }
    return true;
  } catch (e) {
    if (e instanceof HostError) return false;
    throw e;
  }
}

export function hostPread(fd: number, dst: Buffer, offset: number): number {
  return blocking('pread', fd, POLLIN, () => raw.pread(fd, dst, dst.length, offset));
}

export function hostPwrite(fd: number, src: Buffer, offset: number): number {
  return blocking('pwrite', fd, POLLOUT, () => raw.pwrite(fd, src, src.length, offset));
}

export function hostLseek(fd: number, offset: number, whence: number): number {
  return Number(check('lseek', raw.lseek(fd, offset, whence)));
}

/** The host's struct stat (144 bytes, x86_64) for `fd`. */
export function hostFstat(fd: number): Buffer {
  const buf = Buffer.alloc(144);
  check('fstat', fns.fstat(fd, buf));
  return buf;
}

/** ioctl with an in/out argument buffer. */
export function hostIoctl(fd: number, req: number, arg: Buffer): number {
  return Number(check('ioctl', raw.ioctlP(fd, req, arg)));
}

export function hostIsatty(fd: number): boolean {
  return raw.isatty(fd) === 1;
}

/** F_GETFL of a host fd. */
export function hostStatusFlags(fd: number): number {
  return Number(check('fcntl', raw.fcntl(fd, 3, 0)));
}

/** Makes writes to a host fd fail with EAGAIN rather than block the Sentry (fcntl F_SETFL O_NONBLOCK). */
export function hostSetNonblocking(fd: number): void {
  const O_NONBLOCK = 0o4000;
  check('fcntl', raw.fcntl(fd, 4 /* F_SETFL */, hostStatusFlags(fd) | O_NONBLOCK));
}

/** poll(2) over host fds: the revents of each, after at most `timeoutMs` (0: just look). */
export function hostPoll(fds: readonly { fd: number; events: number }[], timeoutMs: number): number[] {
  const pfd = Buffer.alloc(8 * fds.length);
  fds.forEach((f, i) => {
    pfd.writeInt32LE(f.fd, i * 8);
    pfd.writeInt16LE(f.events, i * 8 + 4);
  });
  if (Number(raw.poll(pfd, fds.length, timeoutMs)) < 0 && errno() !== EINTR) throw new HostError('poll', errno());
  return fds.map((_, i) => pfd.readInt16LE(i * 8 + 6));
}
