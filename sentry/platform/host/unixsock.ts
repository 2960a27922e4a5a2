/**
 * Named AF_UNIX stream sockets for the pod Sentry's control channel: the
 * Sentry listens (bound before its seccomp filter, which then allows
 * accept4 on that one fd), the CRI server connects and sends messages with
 * descriptors attached (SCM_RIGHTS). Everything is non-blocking: the
 * Sentry's scheduler polls these fds between app syscalls.
 */
import { CMSGHDR, cmsgSpace, MSG, MSGHDR, SCM_RIGHTS, SOL_SOCKET } from '../../abi/linux/scm';
import { addressOf, check, errno, HostError, raw } from './libc';
import { msghdr, putScmRights } from './msghdr';

const { socket, bind, listen, connect, accept4, sendmsg, recvmsg, getsockopt } = raw;

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const EINTR = 4;
const EAGAIN = 11;
const POLLOUT = 4;
/** sizeof(struct sockaddr_un): family + 108 bytes of path. */
const SOCKADDR_UN_SIZE = 110;
/** Descriptors one message may carry. */
export const MAX_CONTROL_FDS = 16;

function sockaddrUn(path: string): Buffer {
  const p = Buffer.from(path);
  if (p.length >= SOCKADDR_UN_SIZE - 2) throw new Error(`socket path too long (${p.length} bytes): ${path}`);
  const a = Buffer.alloc(SOCKADDR_UN_SIZE);
  a.writeUInt16LE(AF_UNIX, 0);
  p.copy(a, 2);
  return a;
}

function newSocket(): number {
  return check('socket', socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) as number);
}

/** A listening socket at `path` (which must not exist). */
export function listenUnix(path: string, backlog = 16): number {
  const fd = newSocket();
  const addr = sockaddrUn(path);
  try {
    check('bind', bind(fd, addr, addr.length) as number);
    check('listen', listen(fd, backlog) as number);
  } catch (e) {
    raw.close(fd);
    throw e;
  }
  return fd;
}

/** Connects to a listening socket; the fd is non-blocking and close-on-exec. */
export function connectUnix(path: string): number {
  const fd = newSocket();
  const addr = sockaddrUn(path);
  for (;;) {
    if ((connect(fd, addr, addr.length) as number) === 0) return fd;
    const e = errno();
    if (e === EINTR) continue;
    raw.close(fd);
    throw new HostError(`connect(${path})`, e);
  }
}

/** socket(7) SO_PEERCRED: struct ucred { pid_t pid; uid_t uid; gid_t gid; }. */
const SO_PEERCRED = 17;
const UCRED_SIZE = 12;

/**
 * The pid of the process at the other end of a connected socket (the one
 * that called listen or connect), as this process's PID namespace sees it.
 */
export function peerPid(fd: number): number {
  const cred = Buffer.alloc(UCRED_SIZE);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(UCRED_SIZE);
  check('getsockopt(SO_PEERCRED)', getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) as number);
  return cred.readInt32LE(0);
}

/** The next pending connection, or undefined when none is waiting. */
export function acceptUnix(listenFd: number): number | undefined {
  for (;;) {
    const fd = accept4(listenFd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK) as number;
    if (fd >= 0) return fd;
    const e = errno();
    if (e === EINTR) continue;
    if (e === EAGAIN) return undefined;
    throw new HostError('accept4', e);
  }
}

/**
 * Sends all of `data`, the descriptors attached to its first byte. Waits
 * (poll) while the peer's buffer is full, at most `timeoutMs` in all.
 */
export function sendWithFds(fd: number, data: Buffer, fds: readonly number[] = [], timeoutMs = 10_000): void {
  if (fds.length > MAX_CONTROL_FDS) throw new Error(`at most ${MAX_CONTROL_FDS} descriptors per message`);
  const { msg, iov, control } = msghdr(fds.length ? cmsgSpace(4 * fds.length) : 0);
  if (fds.length) putScmRights(control, fds);
  const deadline = Date.now() + timeoutMs;
  let done = 0;
  while (done < data.length) {
    const rest = data.subarray(done);
    iov.writeBigUInt64LE(addressOf(rest), 0);
    iov.writeBigUInt64LE(BigInt(rest.length), 8);
    const n = Number(sendmsg(fd, msg, MSG.NOSIGNAL));
    if (n > 0) {
      done += n;
      msg.writeBigUInt64LE(0n, MSGHDR.CONTROLLEN); // the descriptors went with the first bytes
      continue;
    }
    const e = errno();
    if (e === EINTR) continue;
    if (e !== EAGAIN || Date.now() > deadline) throw new HostError('sendmsg', e);
    const pfd = Buffer.alloc(8);
    pfd.writeInt32LE(fd, 0);
    pfd.writeInt16LE(POLLOUT, 4);
    raw.poll(pfd, 1, Math.max(1, deadline - Date.now()));
  }
}

/** What one non-blocking receive got. */
export type Received = { kind: 'data'; bytes: Buffer; fds: number[] } | { kind: 'again' } | { kind: 'eof' };

/** One non-blocking recvmsg of up to `max` bytes; received descriptors are close-on-exec. */
export function receiveWithFds(fd: number, max = 64 << 10): Received {
  const buf = Buffer.alloc(max);
  const { msg, iov, control } = msghdr(cmsgSpace(4 * MAX_CONTROL_FDS));
  iov.writeBigUInt64LE(addressOf(buf), 0);
  iov.writeBigUInt64LE(BigInt(buf.length), 8);
  for (;;) {
    msg.writeBigUInt64LE(BigInt(control.length), MSGHDR.CONTROLLEN);
    const n = Number(recvmsg(fd, msg, MSG.CMSG_CLOEXEC | MSG.DONTWAIT));
    if (n < 0) {
      const e = errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) return { kind: 'again' };
      throw new HostError('recvmsg', e);
    }
    const fds = scmRights(control, Number(msg.readBigUInt64LE(MSGHDR.CONTROLLEN)));
    if (n === 0 && fds.length === 0) return { kind: 'eof' };
    return { kind: 'data', bytes: Buffer.from(buf.subarray(0, n)), fds };
  }
}

/** The SCM_RIGHTS descriptors in a control buffer of `len` bytes. */
export function scmRights(control: Buffer, len: number): number[] {
  const fds: number[] = [];
  for (let at = 0; at + CMSGHDR.DATA <= len; ) {
    const cmsgLen = Number(control.readBigUInt64LE(at + CMSGHDR.LEN));
    if (cmsgLen < CMSGHDR.DATA || at + cmsgLen > len) break;
    if (control.readInt32LE(at + CMSGHDR.LEVEL) === SOL_SOCKET && control.readInt32LE(at + CMSGHDR.TYPE) === SCM_RIGHTS) {
      for (let p = at + CMSGHDR.DATA; p + 4 <= at + cmsgLen; p += 4) fds.push(control.readInt32LE(p));
    }
    at += cmsgSpace(cmsgLen - CMSGHDR.DATA);
  }
  return fds;
}
