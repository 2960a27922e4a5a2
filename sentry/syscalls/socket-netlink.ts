/**
 * The socket syscalls on AF_NETLINK sockets (fsimpl/socket/netlink.ts):
 * socket.ts sends every call on a NetlinkSocket here. The checks Linux's
 * af_netlink makes on addresses and options are here; what the socket
 * does with them is in the socket.
 *
 * Not supported: protocols other than NETLINK_ROUTE (EPROTONOSUPPORT:
 * no uevents, sock_diag, netfilter, generic netlink…), control messages
 * on sendmsg (ignored), listen/accept/shutdown (EOPNOTSUPP, as Linux).
 */
import { SOL_SOCKET } from '../abi/linux/scm';
import { NETLINK_MAX_LINKS, NETLINK_OPT, NETLINK_ROUTE, SOCKADDR_NL, SOL_NETLINK } from '../abi/linux/netlink';
import { AF, MSG_FLAGS, SCM_CREDENTIALS, SO, SOCK, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from '../abi/linux/socket';
import { fail } from '../errors/linuxerr';
import type { Task } from '../kernel/task';
import { ControlWriter, encodeUcred } from '../fsimpl/socket/control';
import { kernelInterfaces } from '../fsimpl/socket/ifaces';
import { unixNamespace } from '../fsimpl/socket/namespace';
import { type NetlinkAddr, type NetlinkCaller, netlinkPorts, NetlinkSocket } from '../fsimpl/socket/netlink';
import { netStack } from '../fsimpl/socket/netstack';
import type { SyscallName } from '../abi/linux/syscalls';
import type { SyscallArgs } from './args';
import { gather, type Iovec, iovTotal, MAX_RW_COUNT, scatter } from './fs-mem';
import { bufferSize, intValue, readSockaddr, readTimeout, timevalValue, waiting, writeSockaddr } from './socket-common';
import type { SyscallHandler } from './types';

/** socket(AF_NETLINK, …): `type` without SOCK_NONBLOCK/SOCK_CLOEXEC, already checked by the caller. */
export function netlinkSocket(t: Task, type: number, protocol: number, nonblock: boolean): NetlinkSocket {
  if (type !== SOCK.RAW && type !== SOCK.DGRAM) fail('ESOCKTNOSUPPORT', `netlink type ${type}`);
  if (protocol < 0 || protocol >= NETLINK_MAX_LINKS) fail('EPROTONOSUPPORT', `netlink protocol ${protocol}`);
  if (protocol !== NETLINK_ROUTE) fail('EPROTONOSUPPORT', `netlink protocol ${protocol} (only NETLINK_ROUTE)`);
  const k = t.kernel;
  const ports = netlinkPorts(k, () => ({ interfaces: kernelInterfaces(k), gateway: netStack(k).defaultGateway }));
  const ns = unixNamespace(k);
  return new NetlinkSocket(ports, type, nonblock, { dev: ns.dev, ino: ns.allocIno(), uid: t.process.creds.euid, gid: t.process.creds.egid });
}

function caller(t: Task): NetlinkCaller {
  return { pid: t.process.pid, uid: t.process.creds.uid };
}

/** A sockaddr_nl: EINVAL if it is short or another family. */
function decodeNetlinkAddr(raw: Buffer): NetlinkAddr {
  if (raw.length < SOCKADDR_NL.SIZE) fail('EINVAL', `addrlen ${raw.length}`);
  if (raw.readUInt16LE(SOCKADDR_NL.FAMILY) !== AF.NETLINK) fail('EINVAL', `family ${raw.readUInt16LE(0)}`);
  return { pid: raw.readInt32LE(SOCKADDR_NL.PID), groups: raw.readUInt32LE(SOCKADDR_NL.GROUPS) };
}

function encodeNetlinkAddr(a: NetlinkAddr): Buffer {
  const b = Buffer.alloc(SOCKADDR_NL.SIZE);
  b.writeUInt16LE(AF.NETLINK, SOCKADDR_NL.FAMILY);
  b.writeUInt32LE(a.pid >>> 0, SOCKADDR_NL.PID);
  b.writeUInt32LE(a.groups >>> 0, SOCKADDR_NL.GROUPS);
  return b;
}

/** Where the kernel's messages come from: port 0, no group. */
const KERNEL_ADDR = encodeNetlinkAddr({ pid: 0, groups: 0 });

/** The netlink socket behind `fd`, if it is one. */
export function netlinkSock(t: Task, fd: number): NetlinkSocket | undefined {
  const f = t.process.fds.get(fd);
  return f instanceof NetlinkSocket ? f : undefined;
}

function sock(t: Task, fd: number): NetlinkSocket {
  return netlinkSock(t, fd) ?? fail('ENOTSOCK', `fd ${fd}`);
}

function bind(t: Task, a: SyscallArgs): number {
  sock(t, a.int(0)).bind(decodeNetlinkAddr(readSockaddr(t, a.ptr(1), a.int(2))), caller(t));
  return 0;
}

/** connect(2): AF_UNSPEC forgets the destination; otherwise a sockaddr_nl naming the kernel. */
function connect(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  const raw = readSockaddr(t, a.ptr(1), a.int(2));
  if (raw.length < 2) fail('EINVAL', `addrlen ${raw.length}`);
  s.connect(raw.readUInt16LE(0) === AF.UNSPEC ? undefined : decodeNetlinkAddr(raw), caller(t));
  return 0;
}

function getsockname(t: Task, a: SyscallArgs): number {
  writeSockaddr(t, a.ptr(1), a.ptr(2), encodeNetlinkAddr(sock(t, a.int(0)).localName()));
  return 0;
}

/** getpeername(2): the default destination (the kernel's port 0 when never connected, as Linux). */
function getpeername(t: Task, a: SyscallArgs): number {
  writeSockaddr(t, a.ptr(1), a.ptr(2), encodeNetlinkAddr(sock(t, a.int(0)).peerName()));
  return 0;
}

/** send/sendto/sendmsg: `dest` is the raw sockaddr, if any. */
export function netlinkSend(t: Task, s: NetlinkSocket, iov: Iovec[], flags: number, dest: Buffer | undefined): number {
  if (flags & MSG_FLAGS.OOB) fail('EOPNOTSUPP', 'MSG_OOB');
  const to = dest !== undefined ? decodeNetlinkAddr(dest) : undefined;
  const total = iov.reduce((n, v) => n + v.len, 0);
  if (total > s.sndbuf - 32) fail('EMSGSIZE', `${total} bytes`);
  return s.send(gather(t.mem, iov, Math.min(total, MAX_RW_COUNT)), to, caller(t));
}

interface Received {
  n: number;
  msgFlags: number;
  /** The sender's sockaddr_nl: always the kernel. */
  from: Buffer;
  control: Buffer;
}

/** recv/recvfrom/recvmsg: MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT; NETLINK_PKTINFO then SCM_CREDENTIALS (SO_PASSCRED) control messages. */
export function netlinkRecv(t: Task, s: NetlinkSocket, iov: Iovec[], flags: number, controlLen: number): Received {
  if (flags & MSG_FLAGS.OOB) fail('EOPNOTSUPP', 'MSG_OOB');
  const total = iovTotal(iov);
  const r = s.recv(total, (flags & MSG_FLAGS.PEEK) !== 0, waiting(t, s, flags, s.rcvtimeoNs));
  scatter(t.mem, iov, r.data);
  const w = new ControlWriter(controlLen);
  // Every message comes from the kernel as a unicast: group 0, credentials all zero.
  if (s.wantsPktinfo) w.put(SOL_NETLINK, NETLINK_OPT.PKTINFO, intValue(0));
  if (s.passcred) w.put(SOL_SOCKET, SCM_CREDENTIALS, encodeUcred({ pid: 0, uid: 0, gid: 0 }));
  const truncated = r.fullLength > r.data.length;
  const n = flags & MSG_FLAGS.TRUNC ? r.fullLength : r.data.length;
  return { n, msgFlags: (truncated ? MSG_FLAGS.TRUNC : 0) | w.flags, from: KERNEL_ADDR, control: w.bytes() };
}

function sendto(t: Task, a: SyscallArgs): number {
  const addrLen = a.int(5);
  const dest = a.ptr(4) !== 0 && addrLen !== 0 ? readSockaddr(t, a.ptr(4), addrLen) : undefined;
  return netlinkSend(t, sock(t, a.int(0)), [{ base: a.ptr(1), len: a.size(2) }], a.int(3), dest);
}

function recvfrom(t: Task, a: SyscallArgs): number {
  const r = netlinkRecv(t, sock(t, a.int(0)), [{ base: a.ptr(1), len: a.size(2) }], a.int(3), 0);
  writeSockaddr(t, a.ptr(4), a.ptr(5), r.from);
  return r.n;
}

/** getsockopt(SOL_SOCKET): what generic sockets answer; ENOPROTOOPT for the rest. */
function socketOption(s: NetlinkSocket, name: number): Buffer {
  switch (name) {
    case SO.TYPE: return intValue(s.type);
    case SO.DOMAIN: return intValue(AF.NETLINK);
    case SO.PROTOCOL: return intValue(NETLINK_ROUTE);
    case SO.ERROR: return intValue(s.takeError());
    case SO.SNDBUF: return intValue(s.sndbuf);
    case SO.RCVBUF: return intValue(s.rcvbuf);
    case SO.PASSCRED: return intValue(s.passcred ? 1 : 0);
    case SO.RCVTIMEO: return timevalValue(s.rcvtimeoNs);
    case SO.SNDTIMEO: return timevalValue(s.sndtimeoNs);
    default: return fail('ENOPROTOOPT', `SOL_SOCKET option ${name}`);
  }
}

/**
 * getsockopt(2). SOL_NETLINK flag options need a full int (EINVAL);
 * NETLINK_LIST_MEMBERSHIPS copies the words that fit and reports the
 * bitmap's whole size.
 */
function getsockopt(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  const level = a.int(1);
  const name = a.int(2);
  const lenPtr = a.ptr(4);
  const len = t.mem.read(lenPtr, 4).readInt32LE(0);
  if (len < 0) fail('EINVAL', `optlen ${len}`);
  let value: Buffer;
  let reported: number | undefined;
  if (level === SOL_SOCKET) value = socketOption(s, name);
  else if (level !== SOL_NETLINK) return fail('ENOPROTOOPT', `level ${level}`);
  else if (name === NETLINK_OPT.LIST_MEMBERSHIPS) {
    value = s.memberships();
    reported = value.length;
    value = value.subarray(0, len - (len % 4));
  } else {
    value = intValue(s.flagOption(name));
    if (len < 4) fail('EINVAL', `optlen ${len}`);
  }
  const n = Math.min(len, value.length);
  if (n > 0) t.mem.write(a.ptr(3), value.subarray(0, n));
  t.mem.write(lenPtr, intValue(reported ?? n));
  return 0;
}

/** setsockopt(2): SOL_SOCKET buffer sizes, SO_PASSCRED and timeouts; the SOL_NETLINK options. */
function setsockopt(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  const level = a.int(1);
  const name = a.int(2);
  const addr = a.ptr(3);
  const len = a.int(4);
  if (level === SOL_NETLINK) {
    // Linux reads the int only when optlen holds one; a short option counts as 0.
    s.setOption(name, len >= 4 ? t.mem.read(addr, 4).readInt32LE(0) : 0);
    return 0;
  }
  if (level !== SOL_SOCKET) fail('ENOPROTOOPT', `level ${level}`);
  if (name === SO.RCVTIMEO) s.rcvtimeoNs = readTimeout(t, addr, len);
  else if (name === SO.SNDTIMEO) s.sndtimeoNs = readTimeout(t, addr, len);
  else {
    if (len < 4) fail('EINVAL', `optlen ${len}`);
    const v = t.mem.read(addr, 4).readInt32LE(0);
    if (name === SO.SNDBUF) s.sndbuf = bufferSize(v, SOCK_MIN_SNDBUF);
    else if (name === SO.RCVBUF) s.rcvbuf = bufferSize(v, SOCK_MIN_RCVBUF);
    else if (name === SO.PASSCRED) s.passcred = v !== 0;
    else if (name === SO.SNDBUFFORCE || name === SO.RCVBUFFORCE) fail('EPERM', 'SO_*BUFFORCE needs CAP_NET_ADMIN');
    else fail('ENOPROTOOPT', `SOL_SOCKET option ${name}`);
  }
  return 0;
}

const notSupported = (what: string) => (t: Task, a: SyscallArgs): number => {
  sock(t, a.int(0));
  return fail('EOPNOTSUPP', `${what} on a netlink socket`);
};

/** The handlers socket.ts uses when the call's fd is a netlink socket (sendmsg/recvmsg call netlinkSend/netlinkRecv from its own). */
export const netlinkHandlers: Partial<Record<SyscallName, SyscallHandler>> = {
  bind, connect, getsockname, getpeername, sendto, recvfrom, getsockopt, setsockopt,
  listen: notSupported('listen'),
  accept: notSupported('accept'),
  accept4: notSupported('accept4'),
  shutdown: notSupported('shutdown'),
};

/** Wraps a socket syscall's handler so that calls on a netlink socket go to netlinkHandlers[name]. */
export function onNetlink(name: SyscallName, other: SyscallHandler): SyscallHandler {
  const nl = netlinkHandlers[name];
  if (!nl) return other;
  return (t, a) => (t.process.fds.get(a.int(0)) instanceof NetlinkSocket ? nl(t, a) : other(t, a));
}
