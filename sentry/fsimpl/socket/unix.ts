/**
 * AF_UNIX sockets held entirely in the Sentry (unix(7)): stream, datagram
 * and seqpacket endpoints, listening sockets with their accept queues,
 * shutdown, descriptor and credential passing. Operations that cannot
 * finish throw Block on the wait queues whose notification may let them
 * finish (see kernel/wait.ts), after checking everything and changing
 * nothing.
 */
import { Errno } from '../../abi/linux/errno';
import { O, S_IFSOCK } from '../../abi/linux/fs';
import { POLL } from '../../abi/linux/poll';
import { SIOCINQ, SIOCOUTQ, SOCK, SOCK_BUF_DEFAULT, UNIX_MAX_DGRAM_QLEN } from '../../abi/linux/socket';
import { fail, LinuxError } from '../../errors/linuxerr';
import { WaitQueue } from '../../kernel/wait';
import type { MemoryIO } from '../../platform/platform';
import { FileDescription, StreamFileBase, Stat, Timespec } from '../../vfs/file';
import { nowTimespec } from '../../vfs/inode';
import type { Ucred } from './control';
import type { UnixNamespace } from './namespace';
import { Message, MessageQueue } from './queue';
import { blockOn, type Waiting } from './waiting';

/** sk_shutdown bits. */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
const SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN;

export type { Waiting } from './waiting';

export interface RecvOptions {
  peek?: boolean;
  /** MSG_WAITALL on a stream: wait until the whole length (or EOF) is there. */
  waitAll?: boolean;
}

export interface Received {
  data: Buffer;
  /** The message's full length (datagrams longer than the buffer are truncated). */
  fullLength: number;
  /** One reference on each, owned by the caller (install or decRef them). */
  rights: FileDescription[];
  /** The sender's credentials (undefined at EOF). */
  creds: Ucred | undefined;
  from: Buffer | undefined;
}

export type SocketState = 'unconnected' | 'listening' | 'connected';

export interface SocketOwner {
  uid: number;
  gid: number;
}

export class UnixSocket extends StreamFileBase {
  readonly waitQueue = new WaitQueue();
  readonly ino: number;
  private readonly ctime: Timespec = nowTimespec();
  /** Stored address (see address.ts); undefined while unbound. */
  name: Buffer | undefined;
  bindKey: string | undefined;
  state: SocketState = 'unconnected';
  /** The connected peer; a stream survivor keeps its (closed) peer, like Linux. */
  peer: UnixSocket | undefined;
  /** SO_PEERCRED: the peer's credentials at connect/listen/socketpair time. */
  peerCred: Ucred | undefined;
  /** Own credentials recorded by listen(2), handed to connecting clients. */
  private listenCred: Ucred | undefined;
  private backlog = 0;
  private readonly pending: UnixSocket[] = [];
  readonly queue = new MessageQueue();
  /** Bytes this socket sent that are still queued at a receiver (Linux's sk_wmem_alloc). */
  private inflight = 0;
  shutdownBits = 0;
  /** SO_ERROR: reported once, then cleared. */
  error = 0;
  closed = false;
  sndbuf = SOCK_BUF_DEFAULT;
  rcvbuf = SOCK_BUF_DEFAULT;
  passcred = false;
  /** SO_RCVTIMEO/SO_SNDTIMEO in ns (0: wait forever). */
  rcvtimeoNs = 0n;
  sndtimeoNs = 0n;

  constructor(
    private readonly ns: UnixNamespace,
    readonly type: number,
    nonblock: boolean,
    private readonly owner: SocketOwner,
    /** Credentials stamped on messages sent through read/write(2), which have no task. */
    private readonly creatorCred: Ucred,
  ) {
    const ino = ns.allocIno();
    super(`socket:[${ino}]`, O.RDWR | (nonblock ? O.NONBLOCK : 0));
    this.ino = ino;
  }

  /** socketpair(2): two sockets connected to each other. */
  static pair(ns: UnixNamespace, type: number, nonblock: boolean, owner: SocketOwner, cred: Ucred): [UnixSocket, UnixSocket] {
    const a = new UnixSocket(ns, type, nonblock, owner, cred);
    const b = new UnixSocket(ns, type, nonblock, owner, cred);
    a.link(b, cred);
    b.link(a, cred);
    return [a, b];
  }

  private link(peer: UnixSocket, peerCred: Ucred): void {
    this.peer = peer;
    this.peerCred = peerCred;
    this.state = 'connected';
  }

  get connectionOriented(): boolean {
    return this.type !== SOCK.DGRAM;
  }

  get nonblocking(): boolean {
    return (this.flags & O.NONBLOCK) !== 0;
  }

  /** Fails with EAGAIN when not waiting, otherwise parks on `queues`. */
  private wait(w: Waiting, queues: WaitQueue[]): never {
    return blockOn(w, queues, this.path);
  }

  private notify(): void {
    this.waitQueue.notify();
  }

  /** listen(2): `backlog` already capped to SOMAXCONN by the caller. */
  listen(backlog: number, cred: Ucred): void {
    if (!this.connectionOriented) fail('EOPNOTSUPP', 'listen on a datagram socket');
    if (this.name === undefined) fail('EINVAL', 'listen on an unbound socket');
    if (this.state === 'connected') fail('EINVAL', 'listen on a connected socket');
    const grew = backlog > this.backlog;
    this.backlog = backlog;
    this.state = 'listening';
    this.listenCred ??= cred;
    if (grew) this.notify();
  }

  /**
   * connect(2) of a stream/seqpacket socket to `target`: queues a new
   * server-side socket on the listener; the connection is complete at
   * once (accept only picks it up). `cred` is the caller's SO_PEERCRED.
   */
  connectStream(target: UnixSocket, cred: Ucred, w: Waiting): void {
    if (target.type !== this.type) fail('EPROTOTYPE', 'socket type mismatch');
    if (target.state !== 'listening' || target.closed || target.shutdownBits & RCV_SHUTDOWN) fail('ECONNREFUSED', 'not listening');
    if (target.pending.length > target.backlog) this.wait(w, [target.waitQueue]);
    if (this.state === 'connected') fail('EISCONN', this.path);
    if (this.state === 'listening') fail('EINVAL', 'connect on a listening socket');
    const server = new UnixSocket(this.ns, this.type, false, target.owner, target.creatorCred);
    server.name = target.name;
    server.passcred = target.passcred;
    server.link(this, cred);
    this.link(server, target.listenCred ?? target.creatorCred);
    target.pending.push(server);
    target.notify();
  }

  /** connect(2) of a datagram socket: sets the default destination (and only source it accepts from). */
  connectDgram(target: UnixSocket | undefined): void {
    if (target === undefined) {
      this.peer = undefined;
      this.state = 'unconnected';
      return;
    }
    if (target.type !== this.type) fail('EPROTOTYPE', 'socket type mismatch');
    if (target.closed) fail('ECONNREFUSED', 'peer closed');
    if (!this.mayReceiveFrom(target)) fail('EPERM', 'peer is connected elsewhere');
    this.peer = target;
    this.state = 'connected';
  }

  /** unix_may_send: a connected datagram socket only takes messages from its peer. */
  private mayReceiveFrom(sender: UnixSocket): boolean {
    return this.peer === undefined || this.peer === sender;
  }

  /** accept(2): the oldest pending connection. */
  accept(w: Waiting): UnixSocket {
    if (!this.connectionOriented) fail('EOPNOTSUPP', 'accept on a datagram socket');
    if (this.state !== 'listening') fail('EINVAL', 'accept on a socket that is not listening');
    if (this.pending.length === 0) this.wait(w, [this.waitQueue]);
    const s = this.pending.shift() as UnixSocket;
    this.notify();
    return s;
  }

  /** Where an explicit destination is not given: the connected peer. */
  private destination(to: UnixSocket | undefined): UnixSocket {
    if (to !== undefined) return to;
    return this.peer ?? fail('ENOTCONN', this.path);
  }

  /**
   * sendmsg(2) of `data` with `rights` (taken with new references) and
   * `creds`. `to` is the resolved destination of a datagram sendto (ignored
   * by seqpacket; stream callers reject it first). Returns the bytes sent;
   * EPIPE needs the caller's SIGPIPE.
   */
  send(data: Buffer, rights: FileDescription[], creds: Ucred, to: UnixSocket | undefined, w: Waiting): number {
    if (this.type === SOCK.STREAM) return this.sendStream(data, rights, creds, w);
    if (this.type === SOCK.SEQPACKET && this.state !== 'connected') fail('ENOTCONN', this.path);
    const target = this.destination(this.type === SOCK.SEQPACKET ? undefined : to);
    if (this.shutdownBits & SEND_SHUTDOWN) fail('EPIPE', this.path);
    if (data.length > this.sndbuf - 32) fail('EMSGSIZE', `${data.length} bytes`);
    if (target.closed) {
      if (this.type === SOCK.SEQPACKET) fail('EPIPE', 'peer closed');
      if (target === this.peer) this.connectDgram(undefined);
      fail('ECONNREFUSED', 'peer closed');
    }
    if (target.type !== this.type) fail('EPROTOTYPE', 'socket type mismatch');
    if (!target.mayReceiveFrom(this)) fail('EPERM', 'destination is connected elsewhere');
    if (target.shutdownBits & RCV_SHUTDOWN) fail('EPIPE', 'destination shut down');
    if (this.inflight >= this.sndbuf || this.queueFull(target)) this.wait(w, [this.waitQueue, target.waitQueue]);
    this.deliver(target, data, rights, creds);
    return data.length;
  }

  /** A datagram receiver's queue limit (net.unix.max_dgram_qlen), skipped between mutually connected sockets. */
  private queueFull(target: UnixSocket): boolean {
    return this.type === SOCK.DGRAM && target.peer !== this && target.queue.length > UNIX_MAX_DGRAM_QLEN;
  }

  private sendStream(data: Buffer, rights: FileDescription[], creds: Ucred, w: Waiting): number {
    const peer = this.peer ?? fail('ENOTCONN', this.path);
    if (this.shutdownBits & SEND_SHUTDOWN) fail('EPIPE', this.path);
    if (data.length === 0) return 0;
    if (peer.closed || peer.shutdownBits & RCV_SHUTDOWN) fail('EPIPE', 'peer closed');
    const room = this.sndbuf - this.inflight;
    // A blocking send is atomic: it waits for room for all of it (or an empty queue).
    const fits = this.inflight === 0 || data.length <= room;
    if (room <= 0 || (!fits && !w.nonblock)) this.wait(w, [this.waitQueue, peer.waitQueue]);
    const n = fits ? data.length : room;
    this.deliver(peer, data.subarray(0, n), rights, creds);
    return n;
  }

  private deliver(target: UnixSocket, data: Buffer, rights: FileDescription[], creds: Ucred): void {
    for (const f of rights) f.incRef();
    this.inflight += data.length;
    const m: Message = {
      data: Buffer.from(data), rights: [...rights], creds, from: this.name,
      onConsume: (n) => {
        this.inflight -= n;
        this.notify();
      },
    };
    target.queue.push(m);
    target.notify();
  }

  /** Receives up to `len` bytes (one message for datagram and seqpacket sockets). */
  recv(len: number, opts: RecvOptions, w: Waiting): Received {
    if (this.state === 'listening') fail('EINVAL', 'recv on a listening socket');
    if (this.type === SOCK.STREAM && this.state !== 'connected') fail('EINVAL', 'recv on an unconnected stream');
    if (this.type === SOCK.SEQPACKET && this.state !== 'connected') fail('ENOTCONN', this.path);
    if (this.queue.empty) {
      if (this.error) throw new LinuxError(this.takeError(), 'pending socket error');
      if (this.shutdownBits & RCV_SHUTDOWN) return { data: Buffer.alloc(0), fullLength: 0, rights: [], creds: undefined, from: undefined };
      this.wait(w, [this.waitQueue]);
    }
    if (this.type !== SOCK.STREAM) return this.recvMessage(len, opts.peek === true);
    const want = Math.min(len, this.rcvbuf);
    if (opts.waitAll && !w.nonblock && this.queue.bytes < want && !(this.shutdownBits & RCV_SHUTDOWN) && !this.error) {
      this.wait(w, [this.waitQueue]);
    }
    return this.recvStream(len, opts.peek === true);
  }

  /** SO_ERROR's read-and-clear. */
  takeError(): number {
    const e = this.error;
    this.error = 0;
    return e;
  }

  private recvMessage(len: number, peek: boolean): Received {
    const m = this.queue.at(0) as Message;
    const data = Buffer.from(m.data.subarray(0, len));
    const out: Received = { data, fullLength: m.data.length, rights: this.takeRights(m, peek), creds: m.creds, from: m.from };
    if (!peek) {
      this.queue.dropHead();
      this.afterConsume();
    }
    return out;
  }

  /**
   * Reads across messages until `len` bytes, stopping after a message that
   * carried descriptors and (with SO_PASSCRED) before one from other
   * credentials, as unix_stream_read_generic does.
   */
  private recvStream(len: number, peek: boolean): Received {
    const parts: Buffer[] = [];
    let got = 0;
    let rights: FileDescription[] = [];
    const first = this.queue.at(0) as Message;
    for (let i = 0; got < len; ) {
      const m = this.queue.at(i);
      if (!m || (this.passcred && !sameCreds(m.creds, first.creds))) break;
      const n = Math.min(len - got, m.data.length);
      parts.push(Buffer.from(m.data.subarray(0, n)));
      got += n;
      const hadRights = m.rights.length > 0;
      if (hadRights) rights = this.takeRights(m, peek);
      if (peek) i++;
      else this.queue.consumeHead(n);
      if (hadRights) break;
    }
    if (!peek) this.afterConsume();
    return { data: Buffer.concat(parts), fullLength: got, rights, creds: first.creds, from: first.from };
  }

  /** The message's descriptions for the caller: moved out, or new references when peeking. */
  private takeRights(m: Message, peek: boolean): FileDescription[] {
    const r = m.rights;
    if (peek) r.forEach((f) => f.incRef());
    else m.rights = [];
    return r;
  }

  private afterConsume(): void {
    this.notify();
    this.peer?.notify();
  }

  /** shutdown(2): `how` is SHUT_RD/WR/RDWR (validated by the caller). */
  shutdown(how: number): void {
    const mode = how + 1;
    this.shutdownBits |= mode;
    const peer = this.peer;
    if (peer && this.connectionOriented) {
      peer.shutdownBits |= (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) | (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);
      peer.notify();
    }
    this.notify();
  }

  /** poll(2) bits, as unix_poll / unix_dgram_poll compute them. */
  readiness(): number {
    let m = 0;
    if (this.error) m |= POLL.ERR;
    if (this.shutdownBits === SHUTDOWN_MASK) m |= POLL.HUP;
    if (this.shutdownBits & RCV_SHUTDOWN) m |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (!this.queue.empty || this.pending.length > 0) m |= POLL.IN | POLL.RDNORM;
    if (this.connectionOriented && this.state === 'unconnected') m |= POLL.HUP;
    if (this.state !== 'listening' && this.writable()) m |= POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    return m;
  }

  private writable(): boolean {
    if (this.inflight * 4 > this.sndbuf) return false;
    const peer = this.peer;
    return !(peer && !peer.closed && this.queueFull(peer));
  }

  /** FIONREAD/SIOCINQ and SIOCOUTQ. */
  ioctl(mem: MemoryIO, cmd: number, arg: number): number {
    let value: number;
    if (cmd === SIOCINQ) {
      if (this.state === 'listening') fail('EINVAL', 'SIOCINQ on a listening socket');
      value = this.type === SOCK.DGRAM ? (this.queue.at(0)?.data.length ?? 0) : this.queue.bytes;
    } else if (cmd === SIOCOUTQ) {
      value = this.inflight;
    } else {
      return fail('ENOTTY', `socket ioctl ${cmd.toString(16)}`);
    }
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    mem.write(arg, b);
    return 0;
  }

  /** read(2): recv without flags; descriptors that came with the bytes are discarded, as on Linux. */
  read(dst: Buffer): number {
    const r = this.recv(dst.length, {}, { nonblock: this.nonblocking });
    for (const f of r.rights) f.decRef();
    r.data.copy(dst);
    return r.data.length;
  }

  /** write(2): send without flags, stamped with the creator's credentials (write has no task). */
  write(src: Buffer): number {
    return this.send(src, [], this.creatorCred, undefined, { nonblock: this.nonblocking });
  }


  stat(): Stat {
    return {
      dev: this.ns.dev, ino: this.ino, mode: S_IFSOCK | 0o777, nlink: 1, uid: this.owner.uid, gid: this.owner.gid,
      rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: this.ctime, mtime: this.ctime, ctime: this.ctime,
    };
  }

  /**
   * The last close: the name is freed, queued messages (and descriptions
   * in flight) are dropped, unaccepted connections are reset, and a
   * connected peer sees EOF (ECONNRESET if it left data unread here).
   */
  protected override release(): void {
    this.closed = true;
    this.ns.unbind(this);
    const unread = !this.queue.empty;
    this.queue.clear();
    for (const s of this.pending.splice(0)) s.releaseEmbryo();
    this.hangUpPeer(unread);
    this.notify();
  }

  /** An accepted-never connection of a closing listener. */
  private releaseEmbryo(): void {
    this.closed = true;
    this.queue.clear();
    this.hangUpPeer(true);
  }

  private hangUpPeer(reset: boolean): void {
    const peer = this.peer;
    if (!peer || !this.connectionOriented) return;
    peer.shutdownBits = SHUTDOWN_MASK;
    if (reset) peer.error = Errno.ECONNRESET;
    peer.notify();
  }
}

function sameCreds(a: Ucred, b: Ucred): boolean {
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}
