/**
 * AF_INET sockets: TCP and UDP file descriptions over the Sentry's
 * user-space stack (sentry/net). The endpoints never block; an operation
 * that cannot finish throws Block on the endpoint's wait queue (or EAGAIN
 * when not waiting), after checking everything and changing nothing, so
 * the scheduler's re-run is the retry loop (see kernel/wait.ts).
 */
import { Errno } from '../../abi/linux/errno';
import { IP, IP_PMTUDISC_MAX, IPPROTO, LINGER_SIZE, SO_INET, SOL_IP, SOL_TCP, TCP } from '../../abi/linux/inet';
import { O, S_IFSOCK } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { SOL_SOCKET } from '../../abi/linux/scm';
import { SIOCINQ, SIOCOUTQ, SO, SOCK } from '../../abi/linux/socket';
import { fail, isLinuxError } from '../../errors/linuxerr';
import type { WaitQueue } from '../../kernel/wait';
import type { InetAddr } from '../../net/addr';
import type { TcpEndpoint } from '../../net/tcp/endpoint';
import type { UdpEndpoint } from '../../net/udp';
import type { MemoryIO } from '../../platform/platform';
import { StreamFileBase, Stat, Timespec } from '../../vfs/file';
import { nowTimespec } from '../../vfs/inode';
import { blockOn, type Waiting } from './waiting';

/** Where a socket's inode lives (sockfs: the sandbox's socket device and a fresh number). */
export interface SockIds {
  dev: number;
  ino: number;
  uid: number;
  gid: number;
}

/** The socket inode of each stack endpoint an app socket holds (/proc/net/tcp's inode and uid columns). */
const endpointIds = new WeakMap<object, SockIds>();

export function socketIdsOf(ep: object): SockIds | undefined {
  return endpointIds.get(ep);
}

export interface InetReceived {
  /** The bytes in order, views of the socket's own buffers: copy them out before the stack runs again. */
  parts: readonly Buffer[];
  /** Their total length. */
  length: number;
  /** The datagram's full length (MSG_TRUNC); the byte count for TCP. */
  fullLength: number;
  /** The sender (UDP only). */
  from: InetAddr | undefined;
}

/** What a receive of one buffer returns. */
export function receivedBuffer(data: Buffer, fullLength = data.length, from?: InetAddr): InetReceived {
  return { parts: [data], length: data.length, fullLength, from };
}

export interface RecvFlags {
  peek: boolean;
  waitAll: boolean;
}

const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;

export function intValue(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

export function lingerValue(onoff: boolean, seconds: number): Buffer {
  const b = Buffer.alloc(LINGER_SIZE);
  b.writeInt32LE(onoff ? 1 : 0, 0);
  b.writeInt32LE(seconds, 4);
  return b;
}

/** An int option's value: setsockopt needs at least sizeof(int) (EINVAL otherwise). */
export function intOption(v: Buffer): number {
  if (v.length < 4) fail('EINVAL', `optlen ${v.length}`);
  return v.readInt32LE(0);
}

/**
 * An IPPROTO_IP option's value: Linux takes an int, or a single unsigned
 * byte when optlen is shorter (do_ip_setsockopt).
 */
export function ipOptionValue(v: Buffer): number {
  if (v.length >= 4) return v.readInt32LE(0);
  return v.length >= 1 ? v[0] : 0;
}

/** The ECN bits of the TOS byte, which a TCP socket's IP_TOS leaves to the stack. */
const INET_ECN_MASK = 3;

/**
 * The IPPROTO_IP options of a sandbox-stack socket. IP_TTL applies. The
 * TOS byte is kept and reported (ECN bits masked for TCP, as Linux) but not
 * yet written into the packets the stack sends. IP_RECVERR is accepted
 * (glibc's resolver gives up without it) but no extended errors are queued:
 * MSG_ERRQUEUE always finds none. IP_MTU_DISCOVER is kept: the stack never
 * does path MTU discovery (TCP sends DF at the interface MTU, UDP does not).
 */
export class IpOptions {
  tos = 0;
  recvErr = false;
  mtuDiscover = 1; // IP_PMTUDISC_WANT, Linux's default (ip_no_pmtu_disc = 0)

  constructor(private readonly stream: boolean) {}

  get(name: number, ep: { getTtl(): number }): Buffer | undefined {
    switch (name) {
      case IP.TTL: return intValue(ep.getTtl());
      case IP.TOS: return intValue(this.tos);
      case IP.RECVERR: return intValue(this.recvErr ? 1 : 0);
      case IP.MTU_DISCOVER: return intValue(this.mtuDiscover);
      default: return undefined;
    }
  }

  /** True when `name` was an option handled here. */
  set(name: number, value: Buffer, ep: { setTtl(v: number): void }): boolean {
    const v = ipOptionValue(value);
    switch (name) {
      case IP.TTL:
        ep.setTtl(v);
        return true;
      case IP.TOS:
        this.tos = this.stream ? (v & ~INET_ECN_MASK & 0xff) | (this.tos & INET_ECN_MASK) : v & 0xff;
        return true;
      case IP.RECVERR:
        this.recvErr = v !== 0;
        return true;
      case IP.MTU_DISCOVER:
        if (v < 0 || v > IP_PMTUDISC_MAX) fail('EINVAL', `IP_MTU_DISCOVER ${v}`);
        this.mtuDiscover = v;
        return true;
      default:
        return false;
    }
  }
}

/** struct linger: l_onoff, l_linger. */
export function lingerOption(v: Buffer): { onoff: boolean; seconds: number } {
  if (v.length < LINGER_SIZE) fail('EINVAL', `linger optlen ${v.length}`);
  return { onoff: v.readInt32LE(0) !== 0, seconds: v.readInt32LE(4) };
}

/** What TCP and UDP sockets share: the description, SO_RCVTIMEO/SNDTIMEO, stat. */
export abstract class InetSocket extends StreamFileBase {
  /** SO_RCVTIMEO/SO_SNDTIMEO in ns (0: wait forever; negative: do not wait). */
  rcvtimeoNs = 0n;
  sndtimeoNs = 0n;
  private readonly ctime: Timespec = nowTimespec();

  constructor(
    readonly type: number,
    readonly protocol: number,
    nonblock: boolean,
    protected readonly ids: SockIds,
  ) {
    super(`socket:[${ids.ino}]`, O.RDWR | (nonblock ? O.NONBLOCK : 0));
  }

  abstract get waitQueue(): WaitQueue;
  abstract readiness(): number;
  abstract bind(a: InetAddr): void;
  abstract listen(backlog: number): void;
  /** connect(2); `to` undefined is AF_UNSPEC (dissolve the association). */
  abstract connect(to: InetAddr | undefined, w: Waiting): void;
  abstract accept(w: Waiting, ids: SockIds): InetSocket;
  /**
   * Sends `data` (the socket keeps it), no more than sendRoom granted (a
   * caller that waits asks it first); EPIPE needs the caller's SIGPIPE.
   */
  abstract send(data: Buffer, to: InetAddr | undefined, w: Waiting): number;
  /**
   * How many of `len` bytes a send can queue now, after any wait a send
   * makes first: the caller reads only those from the app. A datagram is
   * taken whole or not at all.
   */
  sendRoom(len: number, _w: Waiting): number {
    return len;
  }
  abstract recv(len: number, flags: RecvFlags, w: Waiting): InetReceived;
  abstract shutdown(how: number): void;
  /** The stack endpoint (TCP or UDP) behind the socket. */
  protected abstract readonly ep: { localAddress(): InetAddr; remoteAddress(): InetAddr };

  localAddress(): InetAddr {
    return this.ep.localAddress();
  }

  remoteAddress(): InetAddr {
    return this.ep.remoteAddress();
  }
  /** getsockopt beyond SO_TYPE/DOMAIN/PROTOCOL/RCVTIMEO/SNDTIMEO; ENOPROTOOPT for unknown options. */
  abstract getOption(level: number, name: number): Buffer;
  abstract setOption(level: number, name: number, value: Buffer): void;

  get nonblocking(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }

  read(dst: Buffer): number {
    const r = this.recv(dst.length, { peek: false, waitAll: false }, { nonblock: this.nonblocking });
    let n = 0;
    for (const p of r.parts) n += p.copy(dst, n);
    return n;
  }

  write(src: Buffer): number {
    const w = { nonblock: this.nonblocking };
    return this.send(Buffer.from(src.subarray(0, this.sendRoom(src.length, w))), undefined, w);
  }

  stat(): Stat {
    return {
      dev: this.ids.dev, ino: this.ids.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: this.ids.uid, gid: this.ids.gid,
      rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: this.ctime, mtime: this.ctime, ctime: this.ctime,
    };
  }

  /** FIONREAD/SIOCINQ and SIOCOUTQ. */
  ioctl(mem: MemoryIO, cmd: number, arg: number): number {
    let value: number;
    if (cmd === SIOCINQ) value = this.inQueue();
    else if (cmd === SIOCOUTQ) value = this.outQueue();
    else return fail('ENOTTY', `socket ioctl ${cmd.toString(16)}`);
    mem.write(arg, intValue(value));
    return 0;
  }

  protected abstract inQueue(): number;
  protected abstract outQueue(): number;
}

/** A socket over an endpoint of the Sentry's own stack: its waits and its end are the endpoint's. */
abstract class StackSocket<E extends { waitQueue: WaitQueue; close(): void; localAddress(): InetAddr; remoteAddress(): InetAddr }> extends InetSocket {
  constructor(
    readonly ep: E,
    type: number,
    protocol: number,
    nonblock: boolean,
    ids: SockIds,
  ) {
    super(type, protocol, nonblock, ids);
    endpointIds.set(ep, ids);
  }

  get waitQueue(): WaitQueue {
    return this.ep.waitQueue;
  }

  /** The last close: the endpoint finishes the protocol alone (TCP: graceful FIN, RST with unread data or SO_LINGER 0). */
  protected override release(): void {
    this.ep.close();
  }
}

/** A SOCK_STREAM socket over a TcpEndpoint. */
export class TcpSocket extends StackSocket<TcpEndpoint> {
  private readonly ip = new IpOptions(true);

  constructor(ep: TcpEndpoint, nonblock: boolean, ids: SockIds) {
    super(ep, SOCK.STREAM, IPPROTO.TCP, nonblock, ids);
  }

  readiness(): number {
    return this.ep.readiness();
  }

  bind(a: InetAddr): void {
    this.ep.bind(a);
  }

  listen(backlog: number): void {
    this.ep.listen(backlog);
  }

  /**
   * The endpoint's connect is Linux's retry loop: EINPROGRESS on the first
   * call, EALREADY while the handshake runs. A blocking connect parks until
   * the endpoint changes and runs again; a timed-out one says EINPROGRESS.
   */
  connect(to: InetAddr | undefined, w: Waiting): void {
    if (to === undefined) {
      // AF_UNSPEC on a stream: tcp_disconnect, an abortive close of the connection.
      this.ep.abort();
      return;
    }
    try {
      this.ep.connect(to);
    } catch (e) {
      if (w.nonblock || !(isLinuxError(e, 'EINPROGRESS') || isLinuxError(e, 'EALREADY'))) throw e;
      blockOn(w, [this.ep.waitQueue], this.path, Errno.EINPROGRESS);
    }
  }

  accept(w: Waiting, ids: SockIds): TcpSocket {
    let child: TcpEndpoint;
    try {
      child = this.ep.accept();
    } catch (e) {
      if (!isLinuxError(e, 'EAGAIN')) throw e;
      return blockOn(w, [this.ep.waitQueue], this.path);
    }
    return new TcpSocket(child, false, ids);
  }

  /**
   * A blocking send waits until the whole of a small write fits (it is
   * atomic, as Linux's usually is) or half the buffer is free for a large
   * one, which then returns a short count, as Linux does when interrupted.
   * A send that fails takes the room it asked for (the endpoint reports
   * the error).
   */
  override sendRoom(len: number, w: Waiting): number {
    const sndbuf = this.ep.getSndBuf();
    const free = sndbuf - this.ep.outQueue;
    if ((this.ep.readiness() & (POLL.ERR | POLL.HUP)) !== 0) return len;
    if (!w.nonblock && free < Math.min(len, sndbuf >> 1)) blockOn(w, [this.ep.waitQueue], this.path);
    return Math.min(len, Math.max(free, 0));
  }

  send(data: Buffer, _to: InetAddr | undefined, w: Waiting): number {
    // tcp_sendmsg ignores a destination address (there is no Fast Open here).
    try {
      return this.ep.write(data);
    } catch (e) {
      if (!isLinuxError(e, 'EAGAIN')) throw e;
      return blockOn(w, [this.ep.waitQueue], this.path);
    }
  }

  recv(len: number, flags: RecvFlags, w: Waiting): InetReceived {
    const ended = (this.ep.readiness() & (POLL.RDHUP | POLL.ERR | POLL.HUP)) !== 0;
    if (flags.waitAll && !flags.peek && !w.nonblock && !ended && this.ep.inQueue < Math.min(len, this.ep.getRcvBuf())) {
      blockOn(w, [this.ep.waitQueue], this.path);
    }
    // Nothing to read and nothing ended: wait without the endpoint's EAGAIN
    // (an exception with a stack trace, once per blocking read of a bulk receive).
    if (!ended && len > 0 && this.ep.inQueue === 0 && !this.ep.isListening && (this.ep.readiness() & POLL.IN) === 0) {
      return blockOn(w, [this.ep.waitQueue], this.path);
    }
    let parts: Buffer[];
    try {
      parts = this.ep.readParts(len, flags.peek);
    } catch (e) {
      if (!isLinuxError(e, 'EAGAIN')) throw e;
      return blockOn(w, [this.ep.waitQueue], this.path);
    }
    const n = parts.reduce((sum, p) => sum + p.length, 0);
    return { parts, length: n, fullLength: n, from: undefined };
  }

  shutdown(how: number): void {
    this.ep.shutdown(how);
  }

  getOption(level: number, name: number): Buffer {
    const ep = this.ep;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO.ERROR: return intValue(ep.takeError());
        case SO.ACCEPTCONN: return intValue(ep.isListening ? 1 : 0);
        case SO.SNDBUF: return intValue(ep.getSndBuf());
        case SO.RCVBUF: return intValue(ep.getRcvBuf());
        case SO.REUSEADDR: return intValue(ep.reuseAddr ? 1 : 0);
        case SO_INET.REUSEPORT: return intValue(ep.reusePort ? 1 : 0);
        case SO.KEEPALIVE: return intValue(ep.getKeepAlive() ? 1 : 0);
        case SO_INET.LINGER: return lingerValue(ep.getLinger().onoff, ep.getLinger().seconds);
      }
    } else if (level === SOL_TCP) {
      switch (name) {
        case TCP.NODELAY: return intValue(ep.getNoDelay() ? 1 : 0);
        case TCP.MAXSEG: return intValue(ep.getMaxSeg());
        case TCP.KEEPIDLE: return intValue(ep.getKeepIdle());
        case TCP.KEEPINTVL: return intValue(ep.getKeepIntvl());
        case TCP.KEEPCNT: return intValue(ep.getKeepCnt());
      }
    } else if (level === SOL_IP) {
      const v = this.ip.get(name, ep);
      if (v) return v;
    }
    return fail('ENOPROTOOPT', `level ${level} option ${name}`);
  }

  setOption(level: number, name: number, value: Buffer): void {
    const ep = this.ep;
    if (level === SOL_SOCKET && name === SO_INET.LINGER) return ep.setLinger(lingerOption(value));
    if (level === SOL_IP && this.ip.set(name, value, ep)) return;
    const v = intOption(value);
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO.SNDBUF: return ep.setSndBuf(v);
        case SO.RCVBUF: return ep.setRcvBuf(v);
        case SO.REUSEADDR: ep.reuseAddr = v !== 0; return;
        case SO_INET.REUSEPORT: ep.reusePort = v !== 0; return;
        case SO.KEEPALIVE: return ep.setKeepAlive(v !== 0);
      }
    } else if (level === SOL_TCP) {
      switch (name) {
        case TCP.NODELAY: return ep.setNoDelay(v !== 0);
        case TCP.MAXSEG: return ep.setMaxSeg(v);
        case TCP.KEEPIDLE: return ep.setKeepIdle(v);
        case TCP.KEEPINTVL: return ep.setKeepIntvl(v);
        case TCP.KEEPCNT: return ep.setKeepCnt(v);
      }
    }
    fail('ENOPROTOOPT', `level ${level} option ${name}`);
  }

  protected inQueue(): number {
    if (this.ep.isListening) fail('EINVAL', 'SIOCINQ on a listening socket');
    return this.ep.inQueue;
  }

  protected outQueue(): number {
    return this.ep.outQueue;
  }
}

/** A SOCK_DGRAM socket over a UdpEndpoint. */
export class UdpSocket extends StackSocket<UdpEndpoint> {
  private shutdownBits = 0;
  /** SO_KEEPALIVE and SO_LINGER mean nothing for UDP; Linux stores them, so do we. */
  private keepAlive = false;
  private linger = { onoff: false, seconds: 0 };
  private readonly ip = new IpOptions(false);

  constructor(ep: UdpEndpoint, nonblock: boolean, ids: SockIds) {
    super(ep, SOCK.DGRAM, IPPROTO.UDP, nonblock, ids);
  }

  /** As udp_poll: the endpoint's bits plus those of shutdown(2). */
  readiness(): number {
    let m = this.ep.readiness();
    if (this.shutdownBits & RCV_SHUTDOWN) m |= POLL.IN | POLL.RDNORM | POLL.RDHUP;
    if (this.shutdownBits === (RCV_SHUTDOWN | SEND_SHUTDOWN)) m |= POLL.HUP;
    return m;
  }

  bind(a: InetAddr): void {
    this.ep.bind(a);
  }

  listen(): void {
    fail('EOPNOTSUPP', 'listen on a datagram socket');
  }

  connect(to: InetAddr | undefined): void {
    if (to === undefined) this.ep.disconnect();
    else this.ep.connect(to);
  }

  accept(): TcpSocket {
    return fail('EOPNOTSUPP', 'accept on a datagram socket');
  }

  /** UDP sends never wait: a datagram goes out at once or fails. */
  send(data: Buffer, to: InetAddr | undefined): number {
    if (this.shutdownBits & SEND_SHUTDOWN) fail('EPIPE', this.path);
    return this.ep.sendto(data, to);
  }

  recv(len: number, flags: RecvFlags, w: Waiting): InetReceived {
    try {
      const d = this.ep.recvfrom(len, flags.peek);
      return receivedBuffer(d.data, d.length, d.from);
    } catch (e) {
      if (!isLinuxError(e, 'EAGAIN')) throw e;
      if (this.shutdownBits & RCV_SHUTDOWN) return receivedBuffer(Buffer.alloc(0));
      return blockOn(w, [this.ep.waitQueue], this.path);
    }
  }

  /** inet_shutdown: the bits are set even when unconnected, which then fails with ENOTCONN. */
  shutdown(how: number): void {
    this.shutdownBits |= how + 1;
    this.ep.waitQueue.notify();
    if (this.ep.remotePort === 0) fail('ENOTCONN', this.path);
  }

  getOption(level: number, name: number): Buffer {
    const ep = this.ep;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO.ERROR: return intValue(ep.takeError());
        case SO.ACCEPTCONN: return intValue(0);
        case SO.SNDBUF: return intValue(ep.getSndBuf());
        case SO.RCVBUF: return intValue(ep.getRcvBuf());
        case SO.REUSEADDR: return intValue(ep.reuseAddr ? 1 : 0);
        case SO_INET.REUSEPORT: return intValue(ep.reusePort ? 1 : 0);
        case SO_INET.BROADCAST: return intValue(ep.broadcast ? 1 : 0);
        case SO.KEEPALIVE: return intValue(this.keepAlive ? 1 : 0);
        case SO_INET.LINGER: return lingerValue(this.linger.onoff, this.linger.seconds);
      }
    } else if (level === SOL_IP) {
      const v = this.ip.get(name, ep);
      if (v) return v;
    }
    return fail('ENOPROTOOPT', `level ${level} option ${name}`);
  }

  setOption(level: number, name: number, value: Buffer): void {
    const ep = this.ep;
    if (level === SOL_SOCKET && name === SO_INET.LINGER) {
      this.linger = lingerOption(value);
      return;
    }
    if (level === SOL_IP && this.ip.set(name, value, ep)) return;
    const v = intOption(value);
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO.SNDBUF: return ep.setSndBuf(v);
        case SO.RCVBUF: return ep.setRcvBuf(v);
        case SO.REUSEADDR: ep.reuseAddr = v !== 0; return;
        case SO_INET.REUSEPORT: ep.reusePort = v !== 0; return;
        case SO_INET.BROADCAST: ep.broadcast = v !== 0; return;
        case SO.KEEPALIVE: this.keepAlive = v !== 0; return;
      }
    }
    fail('ENOPROTOOPT', `level ${level} option ${name}`);
  }

  protected inQueue(): number {
    return this.ep.inQueue;
  }

  protected outQueue(): number {
    return 0;
  }
}
