/**
 * Blocking byte I/O on host fds for the Sentry's synchronous Gofer
 * connection (including descriptors the Gofer passes with SCM_RIGHTS),
 * pread on descriptors it donated, and the socketpair the connection runs
 * on. Uses the koffi bindings in libc.ts; data and msghdrs move through
 * Buffers only.
 */
import { cmsgSpace, IOVEC_SIZE, MSG, MSGHDR, SOL_SOCKET } from '../../abi/linux/scm';
import { scmRights } from './unixsock';
import { raw, errno, check, HostError, addressOf } from './libc';

const { setsockopt, recvmsg } = raw;

const EINTR = 4;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
// include/uapi/asm-generic/socket.h
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

/** Reads up to buf.length bytes at `offset` with pread(2), retrying EINTR; 0 at end of file. */
export function preadFd(fd: number, buf: Buffer, offset: number): number {
  for (;;) {
    const n = Number(raw.pread(fd, buf, buf.length, offset));
    if (n >= 0) return n;
    if (errno() !== EINTR) throw new HostError('pread', errno());
  }
}

/** Descriptors one recvmsg accepts; a peer sending more loses the rest (the kernel closes them). */
const MAX_FDS = 8;

/**
 * readFull over recvmsg(2): also collects descriptors passed with the
 * bytes (SCM_RIGHTS), received close-on-exec so no stub inherits them. The
 * msghdr, iovec and control buffers are allocated once and reused.
 */
export class FdReceiver {
  private readonly msg = Buffer.alloc(MSGHDR.SIZE);
  private readonly iov = Buffer.alloc(IOVEC_SIZE);
  private readonly control = Buffer.alloc(cmsgSpace(4 * MAX_FDS));

  constructor() {
    this.msg.writeBigUInt64LE(addressOf(this.iov), MSGHDR.IOV);
    this.msg.writeBigUInt64LE(1n, MSGHDR.IOVLEN);
    this.msg.writeBigUInt64LE(addressOf(this.control), MSGHDR.CONTROL);
  }

  /** Reads until `buf` is full or end of file, appending received descriptors to `fds`; returns the bytes read. */
  readFull(fd: number, buf: Buffer, fds: number[]): number {
    let done = 0;
    while (done < buf.length) {
      const rest = buf.subarray(done);
      this.iov.writeBigUInt64LE(addressOf(rest), 0);
      this.iov.writeBigUInt64LE(BigInt(rest.length), 8);
      // The kernel rewrites controllen and flags: reset them every call.
      this.msg.writeBigUInt64LE(BigInt(this.control.length), MSGHDR.CONTROLLEN);
      this.msg.writeInt32LE(0, MSGHDR.FLAGS);
      const n = Number(recvmsg(fd, this.msg, MSG.CMSG_CLOEXEC));
      if (n < 0) {
        if (errno() === EINTR) continue;
        throw new HostError('recvmsg', errno());
      }
      this.collect(fds);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** Appends the SCM_RIGHTS descriptors of the last recvmsg to `fds`. */
  private collect(fds: number[]): void {
    fds.push(...scmRights(this.control, Number(this.msg.readBigUInt64LE(MSGHDR.CONTROLLEN))));
  }

}
