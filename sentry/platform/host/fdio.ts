/**
 * Blocking byte I/O on host fds for the Sentry's synchronous Gofer
 * connection, and the socketpair that connection runs on. Reuses the
 * koffi bindings in libc.ts (plus setsockopt); data moves through Buffers only.
 */
import koffi from 'koffi';
import { raw, errno, check, HostError } from './libc';

const setsockopt = koffi
  .load('libc.so.6')
  .func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)');

const EINTR = 4;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
// include/uapi/asm-generic/socket.h
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
/** Socket buffers big enough for a whole 1 MiB 9P reply: halves large-read latency versus the 208 KiB default. */
const SOCKET_BUFFER = 2 << 20;

/** Sets a socket buffer size, above net.core.*mem_max when privileged (best effort otherwise). */
function setBuffer(fd: number, force: number, plain: number): void {
  const v = new Int32Array([SOCKET_BUFFER]);
  if ((setsockopt(fd, SOL_SOCKET, force, v, 4) as number) !== 0) setsockopt(fd, SOL_SOCKET, plain, v, 4);
}

/**
 * A connected AF_UNIX stream pair with large buffers, both ends
 * close-on-exec (spawn's dup2 clears it on the child's copy).
 */
export function socketPair(): [number, number] {
  const sv = new Int32Array(2);
  check('socketpair', raw.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) as number);
  for (const fd of sv) {
    setBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
    setBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  }
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
