/**
 * The socket family: AF_UNIX sockets implemented in the Sentry
 * (fsimpl/socket/unix.ts), AF_INET sockets over the Sentry's network
 * stack (socket-inet.ts routes those), and read-only NETLINK_ROUTE sockets
 * (socket-netlink.ts). Other families fail as on a kernel built without
 * them.
 */
import { AT_FDCWD, O, S_IFMT, S_IFSOCK, W_OK } from '../abi/linux/fs';
import { MSG, MSGHDR, SOL_SOCKET, UIO_MAXIOV } from '../abi/linux/scm';
import { SIG } from '../abi/linux/signal';
import {
  AF, AF_MAX, MSG_FLAGS, SCM_CREDENTIALS, SHUT, SO, SOCK, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF,
  SOCKADDR_UN, SOMAXCONN,
} from '../abi/linux/socket';
import { fail, isLinuxError } from '../errors/linuxerr';
import { sendSignal } from '../kernel/signal/send';
import type { Task } from '../kernel/task';
import { decodeUnixAddr, encodeUnixAddr, UnixAddr } from '../fsimpl/socket/address';
import { ControlWriter, encodeUcred, parseSendControl, SendControl, Ucred } from '../fsimpl/socket/control';
import { unixNamespace } from '../fsimpl/socket/namespace';
import { InetSocket } from '../fsimpl/socket/inet';
import { NetlinkSocket } from '../fsimpl/socket/netlink';
import { UnixSocket } from '../fsimpl/socket/unix';
import type { FileDescription } from '../vfs/file';
import { checkAccess } from '../vfs/perm';
import type { SyscallArgs } from './args';
import { gather, Iovec, iovTotal, MAX_RW_COUNT, nofile, readIovecs, scatter, streamRecvRoom } from './fs-mem';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/linux/time';
import { monotonicNs } from '../kernel/timers';
import { Block } from '../kernel/wait';
import {
  bufferSize, install, intValue, readSockaddr, readTimeout, STREAM_SEND_MAX, timevalValue, waiting, writeSockaddr,
} from './socket-common';
import {
  inetAccept, inetBind, inetConnect, inetGetOption, inetListen, inetPeername, inetRecv, inetSend, inetSetOption, inetSockname, inetSocket,
} from './socket-inet';
import { netlinkRecv, netlinkSend, netlinkSock, netlinkSocket, onNetlink } from './socket-netlink';
import { FamilyRows, partial, supported } from './rows';


function sock(t: Task, fd: number): UnixSocket {
  const f = t.process.fds.get(fd);
  return f instanceof UnixSocket ? f : fail('ENOTSOCK', `fd ${fd}`);
}

function credOf(t: Task): Ucred {
  return { pid: t.process.pid, uid: t.process.creds.euid, gid: t.process.creds.egid };
}


/** The AF_INET socket behind `fd`, if it is one (the handlers route those to socket-inet.ts). */
function inetSock(t: Task, fd: number): InetSocket | undefined {
  const f = t.process.fds.get(fd);
  return f instanceof InetSocket ? f : undefined;
}

/** The SOCK_* type of socket()/socketpair(), after Linux's family and flag checks. */
function socketType(domain: number, type: number, protocol: number): number {
  if (domain < 0 || domain >= AF_MAX) fail('EAFNOSUPPORT', `family ${domain}`);
  if (type & ~(SOCK.TYPE_MASK | SOCK.NONBLOCK | SOCK.CLOEXEC)) fail('EINVAL', `type flags ${type.toString(16)}`);
  if (domain !== AF.UNIX) fail('EAFNOSUPPORT', `family ${domain} (AF_UNIX and AF_INET only; no IPv6 yet)`);
  if (protocol !== 0 && protocol !== AF.UNIX) fail('EPROTONOSUPPORT', `protocol ${protocol}`);
  const base = type & SOCK.TYPE_MASK;
  if (base === SOCK.STREAM || base === SOCK.DGRAM || base === SOCK.SEQPACKET) return base;
  // unix_create: BSD's AF_UNIX SOCK_RAW is a datagram socket.
  if (base === SOCK.RAW) return SOCK.DGRAM;
  return fail('ESOCKTNOSUPPORT', `type ${base}`);
}

function newSocket(t: Task, type: number, nonblock: boolean): UnixSocket {
  const c = t.process.creds;
  return new UnixSocket(unixNamespace(t.kernel), type, nonblock, { uid: c.euid, gid: c.egid }, credOf(t));
}

/** socket(2): AF_UNIX stream, datagram (and raw) and seqpacket sockets; AF_INET TCP and UDP; AF_NETLINK NETLINK_ROUTE. */
function socket(t: Task, a: SyscallArgs): number {
  const type = a.int(1);
  const nonblock = (type & SOCK.NONBLOCK) !== 0;
  const domain = a.int(0);
  const s = domain === AF.INET ? inetSocket(t, inetType(type), a.int(2), nonblock)
    : domain === AF.NETLINK ? netlinkSocket(t, inetType(type), a.int(2), nonblock)
    : newSocket(t, socketType(domain, type, a.int(2)), nonblock);
  return install(t, s, (type & SOCK.CLOEXEC) !== 0);
}

/** The SOCK_* type of socket(AF_INET or AF_NETLINK, …) after the generic flag check. */
function inetType(type: number): number {
  if (type & ~(SOCK.TYPE_MASK | SOCK.NONBLOCK | SOCK.CLOEXEC)) fail('EINVAL', `type flags ${type.toString(16)}`);
  return type & SOCK.TYPE_MASK;
}

/** socketpair(2): two connected AF_UNIX sockets, each with the creator as SO_PEERCRED. */
function socketpair(t: Task, a: SyscallArgs): number {
  const type = a.int(1);
  if (a.int(0) === AF.INET || a.int(0) === AF.NETLINK) {
    // The socket is made (its type and protocol checked), then neither family has socketpair.
    (a.int(0) === AF.INET ? inetSocket : netlinkSocket)(t, inetType(type), a.int(2), false).decRef();
    fail('EOPNOTSUPP', `socketpair on family ${a.int(0)}`);
  }
  const base = socketType(a.int(0), type, a.int(2));
  const c = t.process.creds;
  const pair = UnixSocket.pair(unixNamespace(t.kernel), base, (type & SOCK.NONBLOCK) !== 0, { uid: c.euid, gid: c.egid }, credOf(t));
  const cloexec = (type & SOCK.CLOEXEC) !== 0;
  const fd0 = install(t, pair[0], cloexec);
  let fd1: number;
  try {
    fd1 = install(t, pair[1], cloexec);
  } catch (e) {
    t.process.fds.close(fd0);
    throw e;
  }
  const out = Buffer.alloc(8);
  out.writeInt32LE(fd0, 0);
  out.writeInt32LE(fd1, 4);
  try {
    t.mem.write(a.ptr(3), out);
  } catch (e) {
    t.process.fds.close(fd0);
    t.process.fds.close(fd1);
    throw e;
  }
  return 0;
}



/** The socket a connect/sendto address names: ECONNREFUSED when nothing listens there. */
function findSocket(t: Task, addr: UnixAddr): UnixSocket {
  const ns = unixNamespace(t.kernel);
  if (addr.kind === 'abstract') return ns.lookupAbstract(addr.name) ?? fail('ECONNREFUSED', 'no abstract socket');
  const loc = t.process.mounts.resolve(t, AT_FDCWD, addr.path, true);
  const st = loc.inode.stat();
  checkAccess(t.process.creds, st, W_OK, `connect ${loc.path}`);
  if ((st.mode & S_IFMT) !== S_IFSOCK) fail('ECONNREFUSED', `${loc.path} is not a socket`);
  return ns.lookupNode(st) ?? fail('ECONNREFUSED', `nothing bound at ${loc.path}`);
}

/** SO_PASSCRED sockets get a name before they connect or send (unix_autobind). */
function autobindForCreds(t: Task, s: UnixSocket): void {
  if (s.passcred && s.name === undefined) unixNamespace(t.kernel).autobind(s);
}

/**
 * bind(2): a path (a new S_IFSOCK node, mode 0777 & ~umask; EADDRINUSE if
 * the name exists), an abstract name, or with only sun_family an autobind
 * name. EINVAL if already bound.
 */
function bind(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  const raw = readSockaddr(t, a.ptr(1), a.int(2));
  if (i) {
    inetBind(i, raw);
    return 0;
  }
  const s = sock(t, a.int(0));
  const ns = unixNamespace(t.kernel);
  if (raw.length === SOCKADDR_UN.PATH && raw.readUInt16LE(0) === AF.UNIX) {
    if (s.name === undefined) ns.autobind(s);
    return 0;
  }
  const addr = decodeUnixAddr(raw);
  if (s.name !== undefined) fail('EINVAL', 'socket already bound');
  if (addr.kind === 'abstract') {
    ns.bindAbstract(s, addr.name);
    return 0;
  }
  let node;
  try {
    node = t.process.mounts.mksockAt(t, AT_FDCWD, addr.path, 0o777);
  } catch (e) {
    if (isLinuxError(e, 'EEXIST')) fail('EADDRINUSE', addr.path);
    throw e;
  }
  ns.bindNode(s, node.inode.stat(), addr.name);
  return 0;
}

/** listen(2): backlogs above SOMAXCONN (and negative ones) are capped to it. */
function listen(t: Task, a: SyscallArgs): number {
  const backlog = a.uint(1);
  const i = inetSock(t, a.int(0));
  if (i) inetListen(i, backlog);
  else sock(t, a.int(0)).listen(Math.min(backlog, SOMAXCONN), credOf(t));
  return 0;
}

/**
 * connect(2): a stream/seqpacket connection completes as soon as it is
 * queued on the listener (waiting only while its backlog is full);
 * a datagram socket records its peer, or forgets it for AF_UNSPEC.
 */
function connect(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  const raw = readSockaddr(t, a.ptr(1), a.int(2));
  if (i) {
    inetConnect(t, i, raw);
    return 0;
  }
  const s = sock(t, a.int(0));
  if (s.type === SOCK.DGRAM && raw.length >= 2 && raw.readUInt16LE(0) === AF.UNSPEC) {
    s.connectDgram(undefined);
    return 0;
  }
  const target = findSocket(t, decodeUnixAddr(raw));
  autobindForCreds(t, s);
  if (s.type === SOCK.DGRAM) s.connectDgram(target);
  else s.connectStream(target, credOf(t), waiting(t, s, 0, s.sndtimeoNs));
  return 0;
}

/** accept4(2): SOCK_NONBLOCK/SOCK_CLOEXEC; the client's address (just sun_family if it is unbound). */
function acceptOn(t: Task, fd: number, addr: number, lenPtr: number, flags: number): number {
  if (flags & ~(SOCK.NONBLOCK | SOCK.CLOEXEC)) fail('EINVAL', `accept4 flags ${flags.toString(16)}`);
  const i = inetSock(t, fd);
  if (i) return inetAccept(t, i, addr, lenPtr, flags);
  const s = sock(t, fd);
  const conn = s.accept(waiting(t, s, 0, s.rcvtimeoNs));
  if (flags & SOCK.NONBLOCK) conn.flags |= O.NONBLOCK;
  try {
    writeSockaddr(t, addr, lenPtr, encodeUnixAddr(conn.peer?.name));
  } catch (e) {
    conn.decRef();
    throw e;
  }
  return install(t, conn, (flags & SOCK.CLOEXEC) !== 0);
}

function accept4(t: Task, a: SyscallArgs): number {
  return acceptOn(t, a.int(0), a.ptr(1), a.ptr(2), a.int(3));
}

/** accept(2): accept4 with no flags. */
function accept(t: Task, a: SyscallArgs): number {
  return acceptOn(t, a.int(0), a.ptr(1), a.ptr(2), 0);
}

/** getsockname(2): the bound name, or just sun_family when unbound. */
function getsockname(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  if (i) {
    inetSockname(t, i, a.ptr(1), a.ptr(2));
    return 0;
  }
  const s = sock(t, a.int(0));
  writeSockaddr(t, a.ptr(1), a.ptr(2), encodeUnixAddr(s.name));
  return 0;
}

/** getpeername(2): the peer's name; ENOTCONN when not connected. */
function getpeername(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  if (i) {
    inetPeername(t, i, a.ptr(1), a.ptr(2));
    return 0;
  }
  const s = sock(t, a.int(0));
  const peer = s.state === 'connected' ? s.peer : undefined;
  if (!peer) fail('ENOTCONN', s.path);
  writeSockaddr(t, a.ptr(1), a.ptr(2), encodeUnixAddr(peer.name));
  return 0;
}



/** SCM_CREDENTIALS a sender may claim: its own pid and one of its ids, unless root (__scm_send's checks). */
function checkClaimedCreds(t: Task, c: Ucred): void {
  const k = t.process.creds;
  if (k.euid === 0) return;
  if (c.pid !== t.process.pid) fail('EPERM', `SCM_CREDENTIALS pid ${c.pid}`);
  if (![k.uid, k.euid, k.suid].includes(c.uid)) fail('EPERM', `SCM_CREDENTIALS uid ${c.uid}`);
  if (![k.gid, k.egid, k.sgid].includes(c.gid)) fail('EPERM', `SCM_CREDENTIALS gid ${c.gid}`);
}

/**
 * The common part of send/sendto/sendmsg. `dest` is the raw sockaddr (if
 * any). EPIPE on a stream raises SIGPIPE unless MSG_NOSIGNAL.
 */
function sendCommon(t: Task, s: UnixSocket, iov: Iovec[], control: SendControl, flags: number, dest: Buffer | undefined): number {
  if (flags & MSG_FLAGS.OOB) fail('EOPNOTSUPP', 'MSG_OOB');
  let to: UnixSocket | undefined;
  if (dest !== undefined && s.type === SOCK.STREAM) fail(s.state === 'connected' ? 'EISCONN' : 'EOPNOTSUPP', 'address on a stream send');
  if (dest !== undefined && s.type === SOCK.DGRAM) to = findSocket(t, decodeUnixAddr(dest));
  const total = iov.reduce((n, v) => n + v.len, 0);
  if (s.type !== SOCK.STREAM && total > s.sndbuf - 32) fail('EMSGSIZE', `${total} bytes`);
  const rights = control.fds.map((fd) => t.process.fds.get(fd));
  const creds = control.creds ?? { pid: t.process.pid, uid: t.process.creds.uid, gid: t.process.creds.gid };
  if (control.creds) checkClaimedCreds(t, control.creds);
  if (s.type === SOCK.DGRAM) autobindForCreds(t, s);
  const data = gather(t.mem, iov, Math.min(total, s.type === SOCK.STREAM ? STREAM_SEND_MAX : MAX_RW_COUNT));
  try {
    return s.send(data, rights, creds, to, waiting(t, s, flags, s.sndtimeoNs));
  } catch (e) {
    if (isLinuxError(e, 'EPIPE') && s.type === SOCK.STREAM && !(flags & MSG.NOSIGNAL)) sendSignal(t, SIG.SIGPIPE);
    throw e;
  }
}

interface RecvResult {
  n: number;
  msgFlags: number;
  from: Buffer;
  control: Buffer;
}

/**
 * The common part of recv/recvfrom/recvmsg: MSG_PEEK, MSG_WAITALL,
 * MSG_TRUNC (the real length of a longer datagram), MSG_DONTWAIT, and the
 * control messages (SCM_CREDENTIALS with SO_PASSCRED, then SCM_RIGHTS as
 * new fds, MSG_CMSG_CLOEXEC; what does not fit is dropped with MSG_CTRUNC).
 */
function recvCommon(t: Task, s: UnixSocket, iov: Iovec[], flags: number, controlLen: number): RecvResult {
  if (flags & MSG_FLAGS.OOB) fail('EOPNOTSUPP', 'MSG_OOB');
  if (flags & MSG_FLAGS.ERRQUEUE) fail('EAGAIN', 'no error queue on unix sockets');
  const total = s.type === SOCK.STREAM ? streamRecvRoom(t, iov) : iovTotal(iov);
  const r = s.recv(total, { peek: (flags & MSG_FLAGS.PEEK) !== 0, waitAll: (flags & MSG_FLAGS.WAITALL) !== 0 }, waiting(t, s, flags, s.rcvtimeoNs));
  const writer = new ControlWriter(controlLen);
  try {
    scatter(t.mem, iov, r.data);
  } catch (e) {
    for (const f of r.rights) f.decRef();
    throw e;
  }
  if (s.passcred && r.creds) writer.put(SOL_SOCKET, SCM_CREDENTIALS, encodeUcred(r.creds));
  const fds = installRights(t, r.rights, writer.fdRoom(), (flags & MSG.CMSG_CLOEXEC) !== 0);
  writer.putRights(fds, r.rights.length - fds.length);
  const truncated = s.type !== SOCK.STREAM && r.fullLength > r.data.length;
  return {
    n: truncated && flags & MSG_FLAGS.TRUNC ? r.fullLength : r.data.length,
    msgFlags: (truncated ? MSG_FLAGS.TRUNC : 0) | writer.flags,
    from: r.from ? encodeUnixAddr(r.from) : Buffer.alloc(0),
    control: writer.bytes(),
  };
}

/** Installs up to `room` received descriptions as fds (stopping at EMFILE); drops the rest. */
function installRights(t: Task, rights: FileDescription[], room: number, cloexec: boolean): number[] {
  const fds: number[] = [];
  for (const f of rights) {
    if (fds.length < room) {
      try {
        fds.push(t.process.fds.install(f, { cloexec, limit: nofile(t) }));
        continue;
      } catch (e) {
        if (!isLinuxError(e, 'EMFILE')) throw e;
        room = fds.length;
      }
    }
    f.decRef();
  }
  return fds;
}

/** sendto(2) (send(2) is sendto without an address). */
function sendto(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  const addrLen = a.int(5);
  const dest = a.ptr(4) !== 0 && addrLen !== 0 ? readSockaddr(t, a.ptr(4), addrLen) : undefined;
  if (i) return inetSend(t, i, [{ base: a.ptr(1), len: a.size(2) }], a.int(3), dest);
  const s = sock(t, a.int(0));
  return sendCommon(t, s, [{ base: a.ptr(1), len: a.size(2) }], { fds: [] }, a.int(3), dest);
}

/** recvfrom(2): the sender's address is empty (length 0) when it was unbound. */
function recvfrom(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  const iov = [{ base: a.ptr(1), len: a.size(2) }];
  const r = i ? inetRecv(t, i, iov, a.int(3)) : recvCommon(t, sock(t, a.int(0)), iov, a.int(3), 0);
  writeSockaddr(t, a.ptr(4), a.ptr(5), r.from);
  return r.n;
}

/** sendmsg(2): iovecs, an optional destination and SCM_RIGHTS/SCM_CREDENTIALS. */
function sendmsg(t: Task, a: SyscallArgs): number {
  return sendOne(t, a.int(0), a.ptr(1), a.int(2));
}

/** One sendmsg of the msghdr at `msgPtr`. */
function sendOne(t: Task, fd: number, msgPtr: number, flags: number): number {
  const s = inetSock(t, fd) ?? netlinkSock(t, fd) ?? sock(t, fd);
  const h = t.mem.read(msgPtr, MSGHDR.SIZE);
  const namePtr = Number(h.readBigUInt64LE(MSGHDR.NAME));
  const nameLen = h.readInt32LE(MSGHDR.NAMELEN);
  const controlLen = h.readBigUInt64LE(MSGHDR.CONTROLLEN);
  if (controlLen > 0x7fffffffn) fail('ENOBUFS', 'msg_controllen');
  const control = controlLen > 0n ? t.mem.read(Number(h.readBigUInt64LE(MSGHDR.CONTROL)), Number(controlLen)) : Buffer.alloc(0);
  const iov = readIovecs(t.mem, Number(h.readBigUInt64LE(MSGHDR.IOV)), Number(h.readBigUInt64LE(MSGHDR.IOVLEN)));
  const dest = namePtr !== 0 && nameLen !== 0 ? readSockaddr(t, namePtr, nameLen) : undefined;
  if (s instanceof InetSocket) return inetSend(t, s, iov, flags, dest);
  if (s instanceof NetlinkSocket) return netlinkSend(t, s, iov, flags, dest);
  return sendCommon(t, s, iov, parseSendControl(control), flags, dest);
}

/** struct mmsghdr: a msghdr, then msg_len (unsigned int), padded to 64 bytes. */
const MMSGHDR = { SIZE: 64, LEN: MSGHDR.SIZE } as const;

/**
 * Runs `one` on each mmsghdr of a sendmmsg/recvmmsg vector, writing each
 * msg_len. As Linux: an error (or a wait) on the first message is the
 * call's; after that the call returns how many messages were done.
 */
function eachMessage(t: Task, vec: number, vlen: number, one: (msgPtr: number, i: number) => number | undefined): number {
  let done = 0;
  for (; done < Math.min(vlen, UIO_MAXIOV); done++) {
    let n: number | undefined;
    try {
      n = one(vec + done * MMSGHDR.SIZE, done);
    } catch (e) {
      if (done === 0 || !(e instanceof Block || isLinuxError(e))) throw e;
      break;
    }
    if (n === undefined) break;
    const len = Buffer.alloc(4);
    len.writeUInt32LE(n);
    t.mem.write(vec + done * MMSGHDR.SIZE + MMSGHDR.LEN, len);
  }
  return done;
}

/** sendmmsg(2): sendmsg for each message of the vector (at most UIO_MAXIOV). */
function sendmmsg(t: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const flags = a.int(3);
  return eachMessage(t, a.ptr(1), a.uint(2), (msgPtr) => sendOne(t, fd, msgPtr, flags));
}

/**
 * recvmmsg(2): recvmsg for each message of the vector; MSG_WAITFORONE
 * makes every receive after the first non-blocking. The timeout, as in
 * Linux, is only looked at after each message is received.
 */
function recvmmsg(t: Task, a: SyscallArgs): number {
  const fd = a.int(0);
  const flags = a.int(3);
  const timeoutPtr = a.ptr(4);
  const timeout = timeoutPtr === 0 ? undefined : (decodeTimespec(t.mem.read(timeoutPtr, TIMESPEC_SIZE)) ?? fail('EINVAL', 'timeout'));
  const deadline = timeout === undefined ? undefined : t.deadline(timeout);
  return eachMessage(t, a.ptr(1), a.uint(2), (msgPtr, i) => {
    if (i > 0 && deadline !== undefined && monotonicNs() >= deadline) return undefined;
    const f = i > 0 && flags & MSG_FLAGS.WAITFORONE ? flags | MSG.DONTWAIT : flags & ~MSG_FLAGS.WAITFORONE;
    return recvOne(t, fd, msgPtr, f);
  });
}

/** recvmsg(2): fills msg_name/msg_namelen, msg_control/msg_controllen and msg_flags. */
function recvmsg(t: Task, a: SyscallArgs): number {
  return recvOne(t, a.int(0), a.ptr(1), a.int(2));
}

/** One recvmsg into the msghdr at `msgPtr`. */
function recvOne(t: Task, fd: number, msgPtr: number, flags: number): number {
  const s = inetSock(t, fd) ?? netlinkSock(t, fd) ?? sock(t, fd);
  const h = t.mem.read(msgPtr, MSGHDR.SIZE);
  const namePtr = Number(h.readBigUInt64LE(MSGHDR.NAME));
  if (h.readInt32LE(MSGHDR.NAMELEN) < 0) fail('EINVAL', 'msg_namelen');
  const controlPtr = Number(h.readBigUInt64LE(MSGHDR.CONTROL));
  const controlLen = controlPtr === 0 ? 0 : Math.min(Number(h.readBigUInt64LE(MSGHDR.CONTROLLEN)), 0x7fffffff);
  const iov = readIovecs(t.mem, Number(h.readBigUInt64LE(MSGHDR.IOV)), Number(h.readBigUInt64LE(MSGHDR.IOVLEN)));
  const r = s instanceof InetSocket ? { ...inetRecv(t, s, iov, flags), control: Buffer.alloc(0) }
    : s instanceof NetlinkSocket ? netlinkRecv(t, s, iov, flags, controlLen)
    : recvCommon(t, s, iov, flags, controlLen);
  writeSockaddr(t, namePtr, msgPtr + MSGHDR.NAMELEN, r.from);
  if (r.control.length > 0) t.mem.write(controlPtr, r.control);
  const tail = Buffer.alloc(8 + 4);
  tail.writeBigUInt64LE(BigInt(r.control.length), 0);
  tail.writeInt32LE(r.msgFlags, 8);
  t.mem.write(msgPtr + MSGHDR.CONTROLLEN, tail);
  return r.n;
}

/** shutdown(2): SHUT_RD/SHUT_WR/SHUT_RDWR; the peer of a connected stream sees EOF or EPIPE. */
function shutdown(t: Task, a: SyscallArgs): number {
  const s = inetSock(t, a.int(0)) ?? sock(t, a.int(0));
  const how = a.int(1);
  if (how < SHUT.RD || how > SHUT.RDWR) fail('EINVAL', `how ${how}`);
  s.shutdown(how);
  return 0;
}



/** The value getsockopt(SOL_SOCKET, `name`) reports; ENOPROTOOPT for options unix sockets lack. */
function optionValue(s: UnixSocket, name: number): Buffer {
  switch (name) {
    case SO.TYPE: return intValue(s.type);
    case SO.DOMAIN: return intValue(AF.UNIX);
    case SO.PROTOCOL: return intValue(0);
    case SO.ERROR: return intValue(s.takeError());
    case SO.ACCEPTCONN: return intValue(s.state === 'listening' ? 1 : 0);
    case SO.SNDBUF: return intValue(s.sndbuf);
    case SO.RCVBUF: return intValue(s.rcvbuf);
    case SO.PASSCRED: return intValue(s.passcred ? 1 : 0);
    case SO.REUSEADDR: return intValue(reuseAddr.has(s) ? 1 : 0);
    case SO.RCVTIMEO: return timevalValue(s.rcvtimeoNs);
    case SO.SNDTIMEO: return timevalValue(s.sndtimeoNs);
    case SO.PEERCRED: return encodeUcred(s.peerCred ?? { pid: 0, uid: -1, gid: -1 });
    default: return fail('ENOPROTOOPT', `SOL_SOCKET option ${name}`);
  }
}

/** SO_REUSEADDR has no effect on unix sockets; it is only remembered for getsockopt. */
const reuseAddr = new WeakSet<UnixSocket>();

/** getsockopt(2): SOL_SOCKET options; the value is cut to the caller's length, which is then updated. */
function getsockopt(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  const s = i ?? sock(t, a.int(0));
  if (!i && a.int(1) !== SOL_SOCKET) fail('EOPNOTSUPP', `level ${a.int(1)}`);
  const lenPtr = a.ptr(4);
  const len = t.mem.read(lenPtr, 4).readInt32LE(0);
  if (len < 0) fail('EINVAL', `optlen ${len}`);
  const value = s instanceof InetSocket ? inetGetOption(s, a.int(1), a.int(2)) : optionValue(s, a.int(2));
  const n = Math.min(len, value.length);
  if (n > 0) t.mem.write(a.ptr(3), value.subarray(0, n));
  t.mem.write(lenPtr, intValue(n));
  return 0;
}



/** setsockopt(2): the SOL_SOCKET options unix sockets use; ENOPROTOOPT otherwise. */
function setsockopt(t: Task, a: SyscallArgs): number {
  const i = inetSock(t, a.int(0));
  if (i) {
    inetSetOption(t, i, a.int(1), a.int(2), a.ptr(3), a.int(4));
    return 0;
  }
  const s = sock(t, a.int(0));
  if (a.int(1) !== SOL_SOCKET) fail('EOPNOTSUPP', `level ${a.int(1)}`);
  const name = a.int(2);
  const addr = a.ptr(3);
  const len = a.int(4);
  if (len < 4) fail('EINVAL', `optlen ${len}`);
  if (name === SO.RCVTIMEO) s.rcvtimeoNs = readTimeout(t, addr, len);
  else if (name === SO.SNDTIMEO) s.sndtimeoNs = readTimeout(t, addr, len);
  else {
    const v = t.mem.read(addr, 4).readInt32LE(0);
    if (name === SO.SNDBUF) s.sndbuf = bufferSize(v, SOCK_MIN_SNDBUF);
    else if (name === SO.RCVBUF) s.rcvbuf = bufferSize(v, SOCK_MIN_RCVBUF);
    else if (name === SO.PASSCRED) s.passcred = v !== 0;
    else if (name === SO.REUSEADDR) {
      if (v) reuseAddr.add(s);
      else reuseAddr.delete(s);
    } else fail('ENOPROTOOPT', `SOL_SOCKET option ${name}`);
  }
  return 0;
}

const OTHER_FAMILIES = 'AF_UNIX; AF_INET TCP and UDP over the Sentry\'s stack, or host sockets with --network=host (raw sockets EPERM, ping sockets EACCES); AF_NETLINK NETLINK_ROUTE, read-only (socket-netlink.ts); other families, AF_INET6 included, are EAFNOSUPPORT';

export const socketRows: FamilyRows = {
  socket: partial(socket, OTHER_FAMILIES),
  socketpair: partial(socketpair, 'AF_UNIX only (AF_INET, AF_NETLINK: EOPNOTSUPP, as Linux); other families are EAFNOSUPPORT'),
  bind: partial(onNetlink('bind', bind), 'filesystem names only on tmpfs/overlay directories (EPERM on Gofer-only mounts)'),
  listen: supported(onNetlink('listen', listen)),
  accept: supported(onNetlink('accept', accept)),
  accept4: supported(onNetlink('accept4', accept4)),
  connect: supported(onNetlink('connect', connect)),
  getsockname: supported(onNetlink('getsockname', getsockname)),
  getpeername: supported(onNetlink('getpeername', getpeername)),
  sendto: partial(onNetlink('sendto', sendto), 'MSG_OOB is EOPNOTSUPP; a stream send copies at most 4 MiB per call'),
  recvfrom: partial(onNetlink('recvfrom', recvfrom), 'MSG_OOB is EOPNOTSUPP; MSG_ERRQUEUE is EAGAIN'),
  sendmsg: partial(sendmsg, 'MSG_OOB is EOPNOTSUPP; a stream send copies at most 4 MiB per call; control messages on AF_INET and AF_NETLINK are ignored'),
  sendmmsg: partial(sendmmsg, 'as sendmsg for each message; an error after the first message ends the call with the count so far'),
  recvmmsg: partial(recvmmsg, 'as recvmsg for each message; MSG_WAITFORONE; the timeout is checked after each message, as Linux'),
  recvmsg: partial(recvmsg, 'MSG_OOB is EOPNOTSUPP (EINVAL on TCP); MSG_ERRQUEUE is EAGAIN; no SCM_SECURITY; no control messages on AF_INET'),
  shutdown: supported(onNetlink('shutdown', shutdown)),
  getsockopt: partial(onNetlink('getsockopt', getsockopt), 'AF_UNIX SOL_SOCKET: SO_TYPE/DOMAIN/PROTOCOL/ERROR/ACCEPTCONN/SNDBUF/RCVBUF/PASSCRED/PEERCRED/REUSEADDR/RCVTIMEO/SNDTIMEO; AF_INET also SO_REUSEPORT/KEEPALIVE/LINGER/BROADCAST, TCP_NODELAY/MAXSEG/KEEPIDLE/KEEPINTVL/KEEPCNT, IP_TTL; ENOPROTOOPT otherwise'),
  setsockopt: partial(onNetlink('setsockopt', setsockopt), 'AF_UNIX SOL_SOCKET: SO_SNDBUF/RCVBUF/PASSCRED/REUSEADDR/RCVTIMEO/SNDTIMEO; AF_INET also SO_REUSEPORT/KEEPALIVE/LINGER/BROADCAST, TCP_NODELAY/MAXSEG/KEEPIDLE/KEEPINTVL/KEEPCNT, IP_TTL; ENOPROTOOPT otherwise'),
};
