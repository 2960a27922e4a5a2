/**
 * AF_INET sockets of the `host` network mode: each app socket is a host
 * socket the Sentry made in its own network namespace
 * (platform/host/hostsocket.ts). The Linux argument checks stay in
 * syscalls/socket-inet.ts as for the sandbox stack; here only decoded
 * values reach the host: addresses re-encoded by the Sentry, options from
 * an allow-list with values rebuilt from their decoded numbers, the
 * Sentry's own buffers and flags.
 *
 * The host fd is always non-blocking. When the host says EAGAIN and the
 * app's socket may wait, the task parks on the socket's wait queue, which
 * the scheduler wakes from a poll of the host fd (HostReadiness below),
 * and the syscall runs again, as for the Sentry's other blocking files.
 *
 * Not supported, with the answer the app gets: options outside the
 * allow-list (ENOPROTOOPT, also for ones Linux has); MSG_OOB (refused by
 * socket-inet.ts); control messages (none are read or returned); MSG_MORE
 * is dropped (the data goes out at once). A blocking stream send returns
 * a short count when the host's buffer fills, as Linux does only when
 * interrupted. MSG_WAITALL takes what has arrived before it waits and
 * keeps it in the socket for the next receive if the wait ends by signal
 * or timeout (Linux returns the partial count then). SO_LINGER with a
 * positive time does not make close wait (the host finishes in the
 * background, as with the sandbox stack). Edge-triggered epoll reports a
 * new edge when the host fd becomes ready again, not for every arrival on
 * a socket that stayed readable.
 */
import { Errno, type ErrnoName } from '../../abi/linux/errno';
import { IP, LINGER_SIZE, SO_INET, SOCKADDR_IN, SOL_IP, SOL_TCP, TCP } from '../../abi/linux/inet';
import { POLL } from '../../abi/linux/poll';
import { MSG, SOL_SOCKET } from '../../abi/linux/scm';
import { MSG_FLAGS, SIOCINQ, SIOCOUTQ, SO, SOCK } from '../../abi/linux/socket';
import { fail, isLinuxError } from '../../errors/linuxerr';
import { type HostWaiter, hostWaiters } from '../../kernel/hostwait';
import { Block, WaitQueue } from '../../kernel/wait';
import type { InetAddr } from '../../net/addr';
import { hostFstat, hostPoll } from '../../platform/host/hostfd';
import { decodeStat } from '../../vfs/structs';
import {
  hostAccept, hostBind, hostConnect, hostGetSockOpt, hostInetSocket, hostIoctlInt, hostListen, hostPeerName, hostRecvFrom, hostSendTo,
  hostSetSockOpt, hostShutdown, hostSockName,
} from '../../platform/host/hostsocket';
import { raw } from '../../platform/host/libc';
import { host } from '../host/hostfile';
import { type InetReceived, InetSocket, intOption, intValue, lingerOption, lingerValue, receivedBuffer, type RecvFlags, type SockIds } from './inet';
import { decodeInetAddr, encodeInetAddr } from './inet_address';
import { blockOn, type Waiting } from './waiting';

/** The debug-log line of a Sentry started in host network mode (the less isolated one). */
export const HOST_NETWORK_NOTE =
  "network: host mode (less isolation): the app's AF_INET sockets are host sockets in the Sentry's network namespace; " +
  'its seccomp filter allows socket(AF_INET, stream|dgram), connect, bind, listen and accept4';

/** Every bit tcp_poll/udp_poll can report that a poller may ask for. */
const ALL_EVENTS = POLL.IN | POLL.PRI | POLL.OUT | POLL.RDNORM | POLL.RDBAND | POLL.WRNORM | POLL.WRBAND | POLL.RDHUP;
/** The transitions the scheduler watches for (POLLERR and POLLHUP are always reported). */
const WATCHED = POLL.IN | POLL.PRI | POLL.OUT | POLL.RDHUP;
/** The most one stream receive takes (a short count beyond), as the most a stream send gives. */
const STREAM_RECV_MAX = 4 << 20;
/** The largest datagram: longer receive buffers are never needed (MSG_TRUNC reports the real length). */
const DGRAM_RECV_MAX = 65536;
/** How often an operation runs again at once because the host fd became ready while it failed. */
const RETRIES = 3;

let scratch: Buffer | undefined;

/**
 * The receive buffer, shared: the Sentry runs one syscall at a time and
 * every caller copies the received bytes out before the next receive.
 */
function receiveBuffer(size: number): Buffer {
  scratch ??= Buffer.allocUnsafe(STREAM_RECV_MAX);
  return scratch.subarray(0, size);
}

type OptionKind = 'int' | 'linger' | 'ip';

/**
 * The options passed to the host, by level and name: those the sandbox
 * stack has, plus common TCP tuning (TCP_CORK, TCP_DEFER_ACCEPT,
 * TCP_QUICKACK, TCP_USER_TIMEOUT…) and IP_TOS. The host checks values and
 * answers for options that do not apply to the socket's protocol.
 */
const OPTIONS = new Map<number, Map<number, OptionKind>>([
  [SOL_SOCKET, new Map<number, OptionKind>([
    [SO.ERROR, 'int'], [SO.ACCEPTCONN, 'int'], [SO.SNDBUF, 'int'], [SO.RCVBUF, 'int'], [SO.REUSEADDR, 'int'], [SO.KEEPALIVE, 'int'],
    [SO_INET.REUSEPORT, 'int'], [SO_INET.BROADCAST, 'int'], [SO_INET.LINGER, 'linger'],
  ])],
  [SOL_TCP, new Map<number, OptionKind>([
    TCP.NODELAY, TCP.MAXSEG, TCP.CORK, TCP.KEEPIDLE, TCP.KEEPINTVL, TCP.KEEPCNT, TCP.SYNCNT, TCP.LINGER2, TCP.DEFER_ACCEPT, TCP.QUICKACK,
    TCP.USER_TIMEOUT,
  ].map((n) => [n, 'int']))],
  [SOL_IP, new Map<number, OptionKind>([[IP.TTL, 'ip'], [IP.TOS, 'ip']])],
]);

function optionKind(level: number, name: number): OptionKind {
  return OPTIONS.get(level)?.get(name) ?? fail('ENOPROTOOPT', `level ${level} option ${name} (not passed to the host)`);
}

/**
 * The scheduler's view of one host socket (a HostWaiter): while tasks wait
 * on the socket, the scheduler polls the host fd for the bits not seen
 * set at the last look, and a change notifies the socket's waiters. A bit
 * seen set is not watched (poll would report it at once, forever); every
 * operation that can clear one looks again after it (EAGAIN, short reads
 * and sends, datagram receives, accept, connect, listen, shutdown,
 * SO_ERROR, and each readiness check of poll and level-triggered epoll).
 */
class HostReadiness implements HostWaiter {
  /** Notified by the scheduler when the host fd reports something. */
  readonly queue = new WaitQueue();
  private seen = 0;

  constructor(
    private readonly hostFd: number,
    private readonly waiters: WaitQueue,
  ) {
    this.queue.add(() => this.refresh());
    this.refresh();
  }

  /** The host fd while someone waits and the socket is not in error or hung up (poll would then never sleep); else -1, ignored by poll. */
  get fd(): number {
    return this.waiters.size > 0 && !(this.seen & (POLL.ERR | POLL.HUP)) ? this.hostFd : -1;
  }

  get events(): number {
    return WATCHED & ~this.seen;
  }

  /** The host's poll bits now; waiters are notified of bits that became set. */
  refresh(): number {
    const now = hostPoll([{ fd: this.hostFd, events: ALL_EVENTS }], 0)[0] & 0xffff;
    const gained = now & ~this.seen;
    this.seen = now;
    if (gained) this.waiters.notify();
    return now;
  }
}

export class HostInetSocket extends InetSocket {
  private readonly queue = new WaitQueue();
  private readonly watch: HostReadiness;
  /** Bytes a MSG_WAITALL receive took from the host before it waited: served before the host's. */
  private stash = Buffer.alloc(0);
  /** An error the host reported while the stash held data: the next receive's. */
  private stashError: unknown;
  /** SO_LINGER with a positive time is set on the host (turned off before close, which would wait). */
  private lingerWaits = false;

  protected readonly ep = {
    localAddress: (): InetAddr => decodeInetAddr(host(() => hostSockName(this.hostFd))),
    remoteAddress: (): InetAddr => decodeInetAddr(host(() => hostPeerName(this.hostFd))),
  };

  private constructor(
    private readonly hostFd: number,
    type: number,
    protocol: number,
    nonblock: boolean,
    ids: SockIds,
  ) {
    // The host socket's inode number, which the host's /proc/net tables (shown in this mode) list it under.
    super(type, protocol, nonblock, { ...ids, ino: host(() => decodeStat(hostFstat(hostFd))).ino });
    this.watch = new HostReadiness(hostFd, this.queue);
    hostWaiters.add(this.watch);
  }

  /** A new host socket: `type` SOCK_STREAM or SOCK_DGRAM, `protocol` the one socket-inet.ts chose. */
  static create(type: number, protocol: number, nonblock: boolean, ids: SockIds): HostInetSocket {
    return new HostInetSocket(host(() => hostInetSocket(type, protocol)), type, protocol, nonblock, ids);
  }

  get waitQueue(): WaitQueue {
    return this.queue;
  }

  readiness(): number {
    let r = this.watch.refresh();
    if (this.stash.length > 0 || this.stashError !== undefined) r |= POLL.IN | POLL.RDNORM;
    return r;
  }

  /**
   * Runs a host operation that never blocks. When it fails because it
   * would have to wait (`waitOn` errnos, EAGAIN by default), the task
   * parks until the host fd changes, or fails with EAGAIN when it must not
   * wait; unless `events` (or an error or hang-up) came up in the meantime,
   * then the operation runs again at once, as the watch would not see a
   * change any more.
   */
  private attempt<T>(w: Waiting, events: number, op: () => T, waitOn: readonly ErrnoName[] = ['EAGAIN'], timeoutErrno?: number): T {
    for (let tries = 0; ; tries++) {
      try {
        return host(op);
      } catch (e) {
        if (!waitOn.some((n) => isLinuxError(e, n))) throw e;
        const now = this.watch.refresh();
        if (w.nonblock && !waitOn.includes('EAGAIN')) throw e;
        if (tries < RETRIES && now & (events | POLL.ERR | POLL.HUP)) continue;
        blockOn(w, [this.queue], this.path, timeoutErrno);
      }
    }
  }

  bind(a: InetAddr): void {
    host(() => hostBind(this.hostFd, encodeInetAddr(a)));
  }

  listen(backlog: number): void {
    host(() => hostListen(this.hostFd, backlog));
    this.watch.refresh();
  }

  /**
   * Linux's connect retry loop, on the host: EINPROGRESS first, EALREADY
   * while the handshake runs, then 0 or the error once. A blocking connect
   * parks until the host fd changes and connects again (EINPROGRESS when
   * SO_SNDTIMEO passes first).
   */
  connect(to: InetAddr | undefined, w: Waiting): void {
    // AF_UNSPEC (all zero) dissolves the association.
    const addr = to === undefined ? Buffer.alloc(SOCKADDR_IN.SIZE) : encodeInetAddr(to);
    try {
      this.attempt(w, POLL.OUT, () => hostConnect(this.hostFd, addr), ['EINPROGRESS', 'EALREADY'], Errno.EINPROGRESS);
    } finally {
      this.watch.refresh();
    }
  }

  accept(w: Waiting, ids: SockIds): HostInetSocket {
    const conn = this.attempt(w, POLL.IN, () => hostAccept(this.hostFd)).fd;
    // The queue may be empty now: watch for the next connection.
    this.watch.refresh();
    return new HostInetSocket(conn, this.type, this.protocol, false, ids);
  }

  /** Never raises SIGPIPE in the Sentry (MSG_NOSIGNAL): socket-inet.ts raises it in the app on EPIPE. */
  send(data: Buffer, to: InetAddr | undefined, w: Waiting): number {
    const dest = to !== undefined && this.type === SOCK.DGRAM ? encodeInetAddr(to) : undefined;
    const n = this.attempt(w, POLL.OUT, () => hostSendTo(this.hostFd, data, MSG.NOSIGNAL | MSG.DONTWAIT, dest));
    // A short send filled the buffer: watch for room again (an edge-triggered poller waits for it now).
    if (n < data.length) this.watch.refresh();
    return n;
  }

  recv(len: number, flags: RecvFlags, w: Waiting): InetReceived {
    if (this.type === SOCK.DGRAM) {
      const r = this.receive(Math.min(len, DGRAM_RECV_MAX), (flags.peek ? MSG_FLAGS.PEEK : 0) | MSG_FLAGS.TRUNC, w);
      return receivedBuffer(r.data, r.n, r.from.length === SOCKADDR_IN.SIZE ? decodeInetAddr(r.from) : undefined);
    }
    const max = Math.min(len, STREAM_RECV_MAX);
    if (flags.waitAll && !flags.peek && !w.nonblock) return this.receiveAll(max, w);
    if (this.stash.length > 0 || this.stashError !== undefined) return this.fromStash(max, flags.peek);
    return receivedBuffer(this.receive(max, flags.peek ? MSG_FLAGS.PEEK : 0, w).data);
  }

  /**
   * One host receive into the shared buffer. A receive that may have
   * emptied the queue (a short read, any datagram) looks at the host fd
   * again, so that the next arrival is watched: edge-triggered pollers
   * (nginx) stop reading after a short read without waiting for EAGAIN.
   */
  private receive(size: number, flags: number, w: Waiting): { data: Buffer; n: number; from: Buffer } {
    const buf = receiveBuffer(size);
    const r = this.attempt(w, POLL.IN, () => hostRecvFrom(this.hostFd, buf, flags | MSG.DONTWAIT));
    if (!(flags & MSG_FLAGS.PEEK) && (r.n < size || this.type === SOCK.DGRAM)) this.watch.refresh();
    return { data: buf.subarray(0, Math.min(r.n, size)), n: r.n, from: r.from };
  }

  /**
   * MSG_WAITALL on a blocking stream: what arrives moves into the stash
   * (so the host fd is not readable while more is awaited) until `max`
   * bytes, end of file or an error.
   */
  private receiveAll(max: number, w: Waiting): InetReceived {
    while (this.stash.length < max && this.stashError === undefined) {
      let got: Buffer;
      try {
        got = this.receive(max - this.stash.length, 0, w).data;
      } catch (e) {
        if (e instanceof Block || this.stash.length === 0) throw e;
        this.stashError = e;
        break;
      }
      if (got.length === 0) break;
      this.stash = Buffer.concat([this.stash, got]);
    }
    return this.fromStash(max, false);
  }

  /** Stashed bytes first, then the stashed error; empty (end of file) when neither is left. */
  private fromStash(max: number, peek: boolean): InetReceived {
    if (this.stash.length === 0 && this.stashError !== undefined) {
      const e = this.stashError;
      this.stashError = undefined;
      throw e;
    }
    const data = this.stash.subarray(0, max);
    if (!peek) this.stash = this.stash.subarray(data.length);
    return receivedBuffer(data);
  }

  shutdown(how: number): void {
    try {
      host(() => hostShutdown(this.hostFd, how));
    } finally {
      // Waiters on the socket see the new EOF or hang-up.
      this.watch.refresh();
    }
  }

  getOption(level: number, name: number): Buffer {
    const size = optionKind(level, name) === 'linger' ? LINGER_SIZE : 4;
    const v = host(() => hostGetSockOpt(this.hostFd, level, name, size));
    if (level === SOL_SOCKET && name === SO.ERROR) this.watch.refresh();
    return v;
  }

  /** The value is rebuilt from what it decodes to: an int (IP options also take one byte, as Linux), or a struct linger. */
  setOption(level: number, name: number, value: Buffer): void {
    const kind = optionKind(level, name);
    let v: Buffer;
    if (kind === 'linger') {
      const l = lingerOption(value);
      v = lingerValue(l.onoff, l.seconds);
      host(() => hostSetSockOpt(this.hostFd, level, name, v));
      this.lingerWaits = l.onoff && l.seconds > 0;
      return;
    }
    v = intValue(kind === 'ip' && value.length > 0 && value.length < 4 ? value[0] : intOption(value));
    host(() => hostSetSockOpt(this.hostFd, level, name, v));
  }

  protected inQueue(): number {
    return host(() => hostIoctlInt(this.hostFd, SIOCINQ)) + this.stash.length;
  }

  protected outQueue(): number {
    return host(() => hostIoctlInt(this.hostFd, SIOCOUTQ));
  }

  protected override release(): void {
    hostWaiters.delete(this.watch);
    if (this.lingerWaits) {
      // close(2) would block the whole Sentry for up to the linger time.
      try {
        hostSetSockOpt(this.hostFd, SOL_SOCKET, SO_INET.LINGER, lingerValue(false, 0));
      } catch {
        // the socket is closed below either way
      }
    }
    raw.close(this.hostFd);
  }
}
