/**
 * The socket syscalls on AF_INET sockets (fsimpl/socket/inet.ts, over
 * the user-space stack in sentry/net; in `host` network mode
 * fsimpl/socket/hostinet.ts, over host sockets). socket.ts routes here by
 * family; the argument checks Linux makes before reaching the protocol are
 * here, for both.
 */
import { O } from '../abi/linux/fs';
import { IPPROTO } from '../abi/linux/inet';
import { MSG, SOL_SOCKET } from '../abi/linux/scm';
import { SIG } from '../abi/linux/signal';
import { AF, MSG_FLAGS, SO, SOCK, SOMAXCONN } from '../abi/linux/socket';
import { fail, isLinuxError } from '../errors/linuxerr';
import { sendSignal } from '../kernel/signal/send';
import type { Task } from '../kernel/task';
import { decodeInetAddr, encodeInetAddr } from '../fsimpl/socket/inet_address';
import { InetSocket, SockIds } from '../fsimpl/socket/inet';
import { newInetSocket } from '../fsimpl/socket/inet_create';
import { unixNamespace } from '../fsimpl/socket/namespace';
import { gather, Iovec, iovTotal, MAX_RW_COUNT, scatterParts, streamRecvRoom } from './fs-mem';
import { install, intValue, readTimeout, STREAM_SEND_MAX, timevalValue, waiting, writeSockaddr } from './socket-common';

/** A new socket's inode on the sandbox's socket device, owned by the caller. */
function newIds(t: Task): SockIds {
  const ns = unixNamespace(t.kernel);
  return { dev: ns.dev, ino: ns.allocIno(), uid: t.process.creds.euid, gid: t.process.creds.egid };
}

/**
 * The protocol of socket(AF_INET, type, protocol), as inet_create matches
 * its table: 0 picks TCP for streams and UDP for datagrams. Raw and ICMP
 * (ping) sockets are refused as for an unprivileged user.
 */
function inetProtocol(type: number, protocol: number): number {
  if (type === SOCK.STREAM) return protocol === 0 || protocol === IPPROTO.TCP ? IPPROTO.TCP : fail('EPROTONOSUPPORT', `stream protocol ${protocol}`);
  if (type === SOCK.DGRAM) {
    if (protocol === 0 || protocol === IPPROTO.UDP) return IPPROTO.UDP;
    if (protocol === IPPROTO.ICMP) fail('EACCES', 'ping sockets (net.ipv4.ping_group_range excludes everyone)');
    return fail('EPROTONOSUPPORT', `datagram protocol ${protocol}`);
  }
  if (type === SOCK.RAW) fail('EPERM', 'raw sockets need CAP_NET_RAW');
  return fail('ESOCKTNOSUPPORT', `type ${type}`);
}

/** socket(AF_INET, …): `type` without SOCK_NONBLOCK/SOCK_CLOEXEC, already checked by the caller. */
export function inetSocket(t: Task, type: number, protocol: number, nonblock: boolean): InetSocket {
  const proto = inetProtocol(type, protocol);
  // --network=host: a host socket in the Sentry's network namespace, after the same checks.
  return newInetSocket(t.kernel, type, proto, nonblock, newIds(t));
}

export function inetBind(s: InetSocket, raw: Buffer): void {
  s.bind(decodeInetAddr(raw));
}

/** listen(2): backlogs above SOMAXCONN (and negative ones) are capped to it. */
export function inetListen(s: InetSocket, backlog: number): void {
  s.listen(Math.min(backlog, SOMAXCONN));
}

/** connect(2): AF_UNSPEC dissolves the association; otherwise a sockaddr_in. */
export function inetConnect(t: Task, s: InetSocket, raw: Buffer): void {
  if (raw.length < 2) fail('EINVAL', `addrlen ${raw.length}`);
  const to = raw.readUInt16LE(0) === AF.UNSPEC ? undefined : decodeInetAddr(raw);
  s.connect(to, waiting(t, s, 0, s.sndtimeoNs));
}

/** accept4(2) on a listening TCP socket; `flags` already checked. */
export function inetAccept(t: Task, s: InetSocket, addr: number, lenPtr: number, flags: number): number {
  const conn = s.accept(waiting(t, s, 0, s.rcvtimeoNs), newIds(t));
  if (flags & SOCK.NONBLOCK) conn.flags |= O.NONBLOCK;
  try {
    writeSockaddr(t, addr, lenPtr, encodeInetAddr(conn.remoteAddress()));
  } catch (e) {
    conn.decRef();
    throw e;
  }
  return install(t, conn, (flags & SOCK.CLOEXEC) !== 0);
}

export function inetSockname(t: Task, s: InetSocket, addr: number, lenPtr: number): void {
  writeSockaddr(t, addr, lenPtr, encodeInetAddr(s.localAddress()));
}

export function inetPeername(t: Task, s: InetSocket, addr: number, lenPtr: number): void {
  writeSockaddr(t, addr, lenPtr, encodeInetAddr(s.remoteAddress()));
}

/**
 * send/sendto/sendmsg: `dest` is the raw sockaddr, if any (ignored by
 * TCP). Control messages are not read. EPIPE on TCP raises SIGPIPE unless
 * MSG_NOSIGNAL.
 */
export function inetSend(t: Task, s: InetSocket, iov: Iovec[], flags: number, dest: Buffer | undefined): number {
  if (flags & MSG_FLAGS.OOB) fail('EOPNOTSUPP', 'MSG_OOB');
  const to = dest !== undefined && s.type === SOCK.DGRAM ? decodeInetAddr(dest) : undefined;
  const total = iov.reduce((n, v) => n + v.len, 0);
  const w = waiting(t, s, flags, s.sndtimeoNs);
  try {
    // Only what the socket takes now is read from the app: a send that waits for room is restarted and reads again.
    const data = gather(t.mem, iov, s.sendRoom(Math.min(total, s.type === SOCK.STREAM ? STREAM_SEND_MAX : MAX_RW_COUNT), w));
    return s.send(data, to, w);
  } catch (e) {
    if (isLinuxError(e, 'EPIPE') && s.type === SOCK.STREAM && !(flags & MSG.NOSIGNAL)) sendSignal(t, SIG.SIGPIPE);
    throw e;
  }
}

export interface InetRecvResult {
  n: number;
  msgFlags: number;
  /** The sender's sockaddr_in (UDP), else empty. */
  from: Buffer;
}

/**
 * recv/recvfrom/recvmsg: MSG_PEEK, MSG_WAITALL (TCP), MSG_DONTWAIT,
 * MSG_TRUNC (UDP: the datagram's real length; TCP: the bytes are dropped,
 * not copied). No urgent data (MSG_OOB is EINVAL on TCP, as with none
 * pending) and no error queue (MSG_ERRQUEUE is EAGAIN).
 */
export function inetRecv(t: Task, s: InetSocket, iov: Iovec[], flags: number): InetRecvResult {
  if (flags & MSG_FLAGS.OOB) fail(s.type === SOCK.STREAM ? 'EINVAL' : 'EOPNOTSUPP', 'MSG_OOB');
  if (flags & MSG_FLAGS.ERRQUEUE) fail('EAGAIN', 'no error queue');
  const discard = s.type === SOCK.STREAM && (flags & MSG_FLAGS.TRUNC) !== 0;
  // A datagram is taken whatever the memory can store (Linux drops one it could not copy).
  const total = s.type === SOCK.STREAM && !discard ? streamRecvRoom(t, iov) : iovTotal(iov);
  const opts = { peek: (flags & MSG_FLAGS.PEEK) !== 0, waitAll: (flags & MSG_FLAGS.WAITALL) !== 0 };
  const r = s.recv(total, opts, waiting(t, s, flags, s.rcvtimeoNs));
  if (!discard) scatterParts(t.mem, iov, r.parts);
  const truncated = s.type === SOCK.DGRAM && r.fullLength > r.length;
  return {
    n: truncated && flags & MSG_FLAGS.TRUNC ? r.fullLength : r.length,
    msgFlags: truncated ? MSG_FLAGS.TRUNC : 0,
    from: r.from ? encodeInetAddr(r.from) : Buffer.alloc(0),
  };
}

/** getsockopt(2): the options both families answer alike, then the protocol's. */
export function inetGetOption(s: InetSocket, level: number, name: number): Buffer {
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.TYPE: return intValue(s.type);
      case SO.DOMAIN: return intValue(AF.INET);
      case SO.PROTOCOL: return intValue(s.protocol);
      case SO.RCVTIMEO: return timevalValue(s.rcvtimeoNs);
      case SO.SNDTIMEO: return timevalValue(s.sndtimeoNs);
    }
  }
  return s.getOption(level, name);
}

/** setsockopt(2): SO_RCVTIMEO/SO_SNDTIMEO here, the rest by the protocol. */
export function inetSetOption(t: Task, s: InetSocket, level: number, name: number, addr: number, len: number): void {
  if (level === SOL_SOCKET && name === SO.RCVTIMEO) s.rcvtimeoNs = readTimeout(t, addr, len);
  else if (level === SOL_SOCKET && name === SO.SNDTIMEO) s.sndtimeoNs = readTimeout(t, addr, len);
  else {
    if (len < 0) fail('EINVAL', `optlen ${len}`);
    s.setOption(level, name, len === 0 ? Buffer.alloc(0) : t.mem.read(addr, Math.min(len, 64)));
  }
}
