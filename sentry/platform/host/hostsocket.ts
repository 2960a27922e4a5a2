/**
 * Host AF_INET sockets for the Sentry's `host` network mode: typed
 * wrappers over the socket calls the Sentry makes on the app's behalf.
 * Every socket is created non-blocking and close-on-exec, so no call here
 * ever waits (the Sentry parks the app's task instead); EINTR is retried.
 * Addresses are struct sockaddr_in Buffers the caller built itself
 * (exactly SOCKADDR_IN.SIZE bytes), never app memory; option values are
 * Buffers of the caller's own making too. Failures throw HostError with
 * the host errno (EAGAIN, EINPROGRESS, ECONNREFUSED… are the caller's to
 * interpret). The seccomp filter of host mode allows exactly these calls.
 */
import koffi from './koffi';
import { AF, SOCK } from '../../abi/linux/socket';
import { SOCKADDR_IN } from '../../abi/linux/inet';
import { errno, HostError, raw } from './libc';

const libc = koffi.load('libc.so.6');
const fns = {
  getsockname: libc.func('int getsockname(int fd, void *addr, void *len)'),
  getpeername: libc.func('int getpeername(int fd, void *addr, void *len)'),
  sendto: libc.func('long sendto(int fd, void *buf, size_t len, int flags, void *addr, unsigned int alen)'),
  recvfrom: libc.func('long recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *alen)'),
};

const EINTR = 4;

/** Runs a libc call until it is not interrupted; its result, or HostError. */
function call(name: string, op: () => number | bigint): number {
  for (;;) {
    const r = Number(op());
    if (r >= 0) return r;
    const e = errno();
    if (e !== EINTR) throw new HostError(name, e);
  }
}

function sockaddrIn(a: Buffer): Buffer {
  if (a.length !== SOCKADDR_IN.SIZE) throw new RangeError(`sockaddr_in of ${a.length} bytes`);
  return a;
}

/** A sockaddr_in-sized result buffer and its length word. */
function nameBuffers(): { addr: Buffer; len: Int32Array } {
  return { addr: Buffer.alloc(SOCKADDR_IN.SIZE), len: new Int32Array([SOCKADDR_IN.SIZE]) };
}

/** socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol) for SOCK_STREAM or SOCK_DGRAM. */
export function hostInetSocket(type: number, protocol: number): number {
  if (type !== SOCK.STREAM && type !== SOCK.DGRAM) throw new RangeError(`socket type ${type}`);
  return call('socket', () => raw.socket(AF.INET, type | SOCK.NONBLOCK | SOCK.CLOEXEC, protocol));
}

export function hostBind(fd: number, addr: Buffer): void {
  call('bind', () => raw.bind(fd, sockaddrIn(addr), SOCKADDR_IN.SIZE));
}

/** connect(2); EINPROGRESS and EALREADY come back as HostError like any failure. */
export function hostConnect(fd: number, addr: Buffer): void {
  call('connect', () => raw.connect(fd, sockaddrIn(addr), SOCKADDR_IN.SIZE));
}

export function hostListen(fd: number, backlog: number): void {
  call('listen', () => raw.listen(fd, backlog));
}

/** accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: the new fd and the peer's sockaddr_in. */
export function hostAccept(fd: number): { fd: number; peer: Buffer } {
  const { addr, len } = nameBuffers();
  const conn = call('accept4', () => raw.accept4(fd, addr, len, SOCK.NONBLOCK | SOCK.CLOEXEC));
  return { fd: conn, peer: addr.subarray(0, Math.min(len[0], SOCKADDR_IN.SIZE)) };
}

export function hostSockName(fd: number): Buffer {
  const { addr, len } = nameBuffers();
  call('getsockname', () => fns.getsockname(fd, addr, len));
  return addr.subarray(0, Math.min(len[0], SOCKADDR_IN.SIZE));
}

export function hostPeerName(fd: number): Buffer {
  const { addr, len } = nameBuffers();
  call('getpeername', () => fns.getpeername(fd, addr, len));
  return addr.subarray(0, Math.min(len[0], SOCKADDR_IN.SIZE));
}

/** getsockopt(2) into a fresh buffer of `size` bytes; returns the part the kernel filled. */
export function hostGetSockOpt(fd: number, level: number, name: number, size: number): Buffer {
  const val = Buffer.alloc(size);
  const len = new Int32Array([size]);
  call('getsockopt', () => raw.getsockopt(fd, level, name, val, len));
  return val.subarray(0, Math.min(len[0], size));
}

export function hostSetSockOpt(fd: number, level: number, name: number, value: Buffer): void {
  call('setsockopt', () => raw.setsockopt(fd, level, name, value, value.length));
}

/** shutdown(2): also the pod's port-forward half-close (allowed by every Sentry filter: it opens nothing). */
export function hostShutdown(fd: number, how: number): void {
  call('shutdown', () => raw.shutdown(fd, how));
}

/** sendto(2); `to` undefined sends to the connected peer. Returns the bytes taken. */
export function hostSendTo(fd: number, data: Buffer, flags: number, to?: Buffer): number {
  // koffi passes an empty Buffer as NULL, which the kernel accepts only for a zero length, as here.
  return call('sendto', () => fns.sendto(fd, data, data.length, flags, to ? sockaddrIn(to) : null, to ? SOCKADDR_IN.SIZE : 0));
}

/**
 * recvfrom(2) into `buf`: the count the kernel returned (with MSG_TRUNC on
 * a datagram socket, the datagram's real length) and the sender's address
 * (empty when the kernel gave none, as on a stream).
 */
export function hostRecvFrom(fd: number, buf: Buffer, flags: number): { n: number; from: Buffer } {
  const { addr, len } = nameBuffers();
  const n = call('recvfrom', () => fns.recvfrom(fd, buf, buf.length, flags, addr, len));
  return { n, from: addr.subarray(0, Math.min(len[0], SOCKADDR_IN.SIZE)) };
}

/** An ioctl whose result is one int (SIOCINQ, SIOCOUTQ). */
export function hostIoctlInt(fd: number, req: number): number {
  const v = Buffer.alloc(4);
  call('ioctl', () => raw.ioctlP(fd, req, v));
  return v.readInt32LE(0);
}
