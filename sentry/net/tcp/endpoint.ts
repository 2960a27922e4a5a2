/**
 * One TCP socket: the RFC 9293 state machine with the extensions listed in
 * ../README.md. The API is non-blocking throughout, for the Sentry's socket
 * layer: operations that would block throw EAGAIN (or EINPROGRESS for
 * connect), `readiness()` gives the poll bits, and `waitQueue` is notified
 * whenever they may have changed.
 *
 *                    connect: SYN        +---------+  SYN/SYN-ACK
 *   CLOSED --------------------------->  |SYN_SENT | ----------+
 *     | listen                           +---------+           |
 *     v         SYN: SYN-ACK (child)         | SYN-ACK: ACK    v
 *   LISTEN ----------------------> SYN_RCVD --ACK--> ESTABLISHED
 *                                                 close |     | FIN: ACK
 *                                                       v     v
 *            FIN_WAIT_1 --FIN--> CLOSING          CLOSE_WAIT
 *             | ACK               | ACK               | close: FIN
 *             v                   v                   v
 *            FIN_WAIT_2 --FIN--> TIME_WAIT (2MSL)  LAST_ACK --ACK--> CLOSED
 */
import { POLL } from '../../abi/linux/poll';
import { IP_DEFAULT_TTL, TCP_KEEPALIVE_MAX } from '../../abi/linux/inet';
import { SOCK_BUF_MAX, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from '../../abi/linux/socket';
import { Errno } from '../../abi/linux/errno';
import { fail, LinuxError } from '../../errors/linuxerr';
import { WaitQueue } from '../../kernel/wait';
import type { InetAddr, Ipv4 } from '../addr';
import type { Timer } from '../clock';
import type { Route, Stack } from '../stack';
import { IPV4_MAX_PACKET } from '../wire/ipv4';
import { encodeOptions, encodeSackBlocks, MAX_SACK_BLOCKS, type Payload, type SeqRange, TCP_DEFAULT_MSS, TCP_FLAG, TCP_MAX_WINDOW_SCALE, type TcpSegment } from '../wire/tcp';
import { OutOfOrderQueue, RecvQueue, SendQueue } from './buffers';
import { INITIAL_WINDOW_SEGMENTS, NewReno } from './congestion';
import { RttEstimator } from './rto';
import { Scoreboard } from './sack';
import { seqAdd, seqDiff, seqGE, seqGT, seqLE, seqLT } from './seqnum';

export enum TcpState {
  CLOSED = 'CLOSED',
  LISTEN = 'LISTEN',
  SYN_SENT = 'SYN_SENT',
  SYN_RCVD = 'SYN_RCVD',
  ESTABLISHED = 'ESTABLISHED',
  FIN_WAIT_1 = 'FIN_WAIT_1',
  FIN_WAIT_2 = 'FIN_WAIT_2',
  CLOSE_WAIT = 'CLOSE_WAIT',
  CLOSING = 'CLOSING',
  LAST_ACK = 'LAST_ACK',
  TIME_WAIT = 'TIME_WAIT',
}

/** States that may send data (and retransmit a FIN not yet acknowledged). */
const SENDING = new Set([TcpState.ESTABLISHED, TcpState.CLOSE_WAIT, TcpState.FIN_WAIT_1, TcpState.CLOSING, TcpState.LAST_ACK]);
/** States that accept data from the peer. */
const RECEIVING = new Set([TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2]);

/** IPv4 + TCP headers without options: MSS = MTU - 40. */
const IP_TCP_HEADERS = 40;
/** RFC 8985 7.2: the delayed-ACK allowance for a single segment in flight, and a floor for the probe timeout. */
const TLP_WORST_DELACK_MS = 200;
const TLP_MIN_MS = 10;
/** TCP_MAXSEG bounds (Linux: TCP_MIN_MSS 88, MAX_TCP_WINDOW). */
const MIN_MSS = 88;
const MAX_MSS = 32767;

export interface Linger {
  readonly onoff: boolean;
  readonly seconds: number;
}

export class TcpEndpoint {
  readonly waitQueue = new WaitQueue();
  state = TcpState.CLOSED;

  // Addressing. localPort != 0 means bound (in the stack's port table).
  localAddr: Ipv4 = 0;
  localPort = 0;
  remoteAddr: Ipv4 = 0;
  remotePort = 0;
  private route?: Route;
  /** bind() was called: the port stays held after the connection ends. */
  private userBound = false;

  // Options.
  reuseAddr = false;
  reusePort = false;
  private noDelay = false;
  private keepAlive = false;
  private keepIdleMs: number;
  private keepIntvlMs: number;
  private keepCnt: number;
  private linger: Linger = { onoff: false, seconds: 0 };
  private ttl = -1;
  private rcvBufOpt: number;
  private sndBufOpt: number;
  /** The application set SO_RCVBUF / SO_SNDBUF: no autotuning (Linux's SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK). */
  private rcvBufLocked = false;
  private sndBufLocked = false;
  /**
   * Receive autotuning (Linux's dynamic right-sizing): the round trip as
   * the receiver sees it (the time the peer took to fill a window we
   * offered, the minimum so far), and what the reader took since
   * `rcvSpaceTime` against the most it took in a round trip before.
   */
  private rcvRtt = 0;
  private rcvRttSeq?: number;
  private rcvRttStart = 0;
  private rcvCopied = 0;
  private rcvSpace = 0;
  private rcvSpaceTime = 0;
  /** The application found the send buffer full since it last grew (Linux's SOCK_NOSPACE). */
  private sndNoSpace = false;
  private userMss = 0;

  // Send sequence space (RFC 9293 3.3.1) plus SND.MAX, the highest sequence ever sent.
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private sndMax = 0;
  private sndWnd = 0;
  private maxSndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndScale = 0;
  private mss = TCP_DEFAULT_MSS;
  private readonly sndq = new SendQueue();
  /** shutdown(SHUT_WR) or close(): a FIN follows the queued data. */
  private finQueued = false;
  /** Sequence number of our FIN once sent. */
  private finSeq?: number;
  /** The peer's SYN carried a window scale: ours may be offered in the SYN-ACK. */
  private sndScaleOffered = false;
  /** Both SYNs carried SACK-permitted (RFC 2018). */
  private sackOk = false;
  /** What the peer SACKed, and the highest byte retransmitted in this recovery (RFC 6675 HighRxt). */
  private readonly sb = new Scoreboard();
  private highRxt = 0;
  /** Retransmissions of this recovery and SND.MAX when each went out, to notice lost retransmissions. */
  private rxtMarks: { start: number; mark: number }[] = [];
  /** SND.MAX when the outstanding tail loss probe went out (RFC 8985 TLP). */
  private tlpHigh?: number;
  private cc: NewReno;
  private readonly rtt: RttEstimator;
  private rttSeq?: number;
  private rttStart = 0;
  private retries = 0;

  // Receive sequence space.
  private irs = 0;
  private rcvNxt = 0;
  private rcvScale = 0;
  /** Right edge of the window we advertised; never moved left (RFC 9293 3.8.6.2.2). */
  private rcvAdvEdge = 0;
  private readonly rcvq = new RecvQueue();
  private readonly ooo = new OutOfOrderQueue();
  private finReceived = false;
  /** Sequence of the latest out-of-order arrival: its SACK block goes first. */
  private lastOooSeq = 0;
  /**
   * Data received again since the last ACK (below RCV.NXT, or held out of
   * order): the next ACK reports it once, as the first SACK block (a
   * D-SACK, RFC 2883), which tells the sender its retransmission was
   * spurious (Linux undoes the window cut it made and widens its
   * reordering window).
   */
  private dsack?: SeqRange;
  private unackedSegments = 0;
  private ackNow = false;

  // Application side.
  private softError = 0;
  private rdShut = false;
  private wrShut = false;
  /** The application closed the socket; the endpoint lingers only to finish the protocol. */
  private released = false;
  /** The connection finished (reset, timed out or closed): reads see EOF, writes EPIPE. */
  private done = false;
  private everConnected = false;
  /** The socket-level connect state Linux keeps apart from the TCP state (inet_stream_connect). */
  private sockState: 'unconnected' | 'connecting' | 'connected' = 'unconnected';

  // Listening.
  private backlog = 0;
  private readonly acceptQueue: TcpEndpoint[] = [];
  private readonly synQueue = new Set<TcpEndpoint>();
  private parent?: TcpEndpoint;

  // Timers.
  private rtxTimer?: Timer;
  /** When `rtxTimer` fires (clock ms) and whether it is a tail loss probe rather than the RTO. */
  private rtxDue?: { at: number; probe: boolean };
  private delackTimer?: Timer;
  private persistTimer?: Timer;
  private persistBackoff = 0;
  private keepTimer?: Timer;
  private keepProbes = 0;
  private lastRecv = 0;
  private closeTimer?: Timer;

  constructor(private readonly stack: Stack) {
    const c = stack.tcpConfig;
    this.keepIdleMs = c.keepIdleMs;
    this.keepIntvlMs = c.keepIntvlMs;
    this.keepCnt = c.keepCnt;
    this.rcvBufOpt = c.rcvBuf;
    this.sndBufOpt = c.sndBuf;
    this.rtt = new RttEstimator(c.rto);
    this.cc = new NewReno(this.mss, 0);
  }

  // ---------------------------------------------------------------- socket API

  bind(addr: InetAddr): void {
    if (this.localPort !== 0 || this.state !== TcpState.CLOSED) fail('EINVAL', 'already bound');
    if (addr.addr !== 0 && !this.stack.isLocalAddress(addr.addr)) fail('EADDRNOTAVAIL');
    this.stack.tcp.ports.bind(this, addr.addr, addr.port);
    this.userBound = true;
  }

  listen(backlog: number): void {
    if (this.state === TcpState.LISTEN) {
      this.backlog = this.clampBacklog(backlog);
      return;
    }
    if (this.state !== TcpState.CLOSED || this.everConnected) fail('EINVAL', 'not a fresh socket');
    if (this.localPort === 0) this.stack.tcp.ports.bind(this, 0, 0);
    else this.stack.tcp.checkListen(this);
    this.backlog = this.clampBacklog(backlog);
    this.state = TcpState.LISTEN;
    this.notify();
  }

  /**
   * connect(2) as a retry loop, like Linux's inet_stream_connect: the first
   * call sends the SYN and throws EINPROGRESS; calls while the handshake runs
   * throw EALREADY; the call after it ends returns (connected) or throws the
   * error (ECONNABORTED if SO_ERROR already took it). A blocking connect is
   * the first call plus waiting for POLLOUT and calling again.
   */
  connect(to: InetAddr): void {
    if (this.sockState === 'connected') fail('EISCONN');
    if (this.sockState === 'connecting') {
      if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RCVD) fail('EALREADY');
      if (this.state === TcpState.CLOSED) {
        this.sockState = 'unconnected';
        throw new LinuxError(this.takeError() || Errno.ECONNABORTED);
      }
      this.sockState = 'connected';
      return;
    }
    if (this.state !== TcpState.CLOSED) fail('EISCONN');
    if (to.port === 0) fail('ECONNREFUSED', 'port 0');
    const dst = to.addr === 0 ? 0x7f000001 : to.addr; // Linux connects INADDR_ANY to the loopback
    const route = this.stack.route(dst, this.localAddr);
    if (!route) fail('ENETUNREACH');
    if (route.broadcast) fail('ENETUNREACH', 'broadcast');
    if (this.localPort === 0) this.stack.tcp.ports.bind(this, 0, 0);
    if (this.localAddr === 0) this.localAddr = route.src;
    this.remoteAddr = dst;
    this.remotePort = to.port;
    if (this.stack.tcp.lookupConnection(this.localAddr, this.localPort, dst, to.port)) {
      this.remoteAddr = 0;
      this.remotePort = 0;
      fail('EADDRNOTAVAIL', 'four-tuple in use');
    }
    this.route = route;
    this.resetConnectionState();
    this.softError = 0;
    this.done = false;
    this.everConnected = true;
    this.initSend(route);
    this.stack.tcp.addConnection(this);
    this.state = TcpState.SYN_SENT;
    this.sockState = 'connecting';
    this.sendSyn();
    this.notify();
    fail('EINPROGRESS');
  }

  accept(): TcpEndpoint {
    if (this.state !== TcpState.LISTEN) fail('EINVAL', 'not listening');
    const child = this.acceptQueue.shift();
    if (!child) fail('EAGAIN');
    child.parent = undefined;
    child.sockState = 'connected';
    this.notify();
    return child;
  }

  /** Up to `max` bytes, copied into one buffer; as readParts. */
  read(max: number, peek = false): Buffer {
    return Buffer.concat(this.readParts(max, peek));
  }

  /**
   * Up to `max` bytes as views of the received data, in order (RecvQueue.take);
   * none is end of file. Throws EAGAIN, ENOTCONN or a pending error.
   */
  readParts(max: number, peek = false): Buffer[] {
    if (this.state === TcpState.LISTEN || (!this.everConnected && this.state === TcpState.CLOSED)) fail('ENOTCONN');
    if (this.rcvq.length > 0 && max > 0) {
      const before = this.rcvq.length;
      const parts = this.rcvq.take(max, peek);
      if (!peek) {
        this.growRcvBuf(before - this.rcvq.length);
        this.maybeWindowUpdate();
      }
      this.notify();
      return parts;
    }
    if (this.softError) this.throwError();
    if (this.rdShut || this.finReceived || this.done || max === 0) return [];
    return fail('EAGAIN');
  }

  /**
   * Queues as much of `data` as the send buffer takes and returns the
   * count; the endpoint keeps `data` (callers must not reuse it). EPIPE
   * means the caller raises SIGPIPE unless MSG_NOSIGNAL.
   */
  write(data: Buffer): number {
    if (this.softError) this.throwError();
    if (this.wrShut || this.done || this.state === TcpState.CLOSED || this.state === TcpState.LISTEN) fail('EPIPE');
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RCVD) fail('EAGAIN');
    if (!SENDING.has(this.state)) fail('EPIPE');
    const free = this.sndBufOpt - this.sndq.length;
    if (free <= 0 || free < data.length) this.sndNoSpace = true;
    if (free <= 0) fail('EAGAIN');
    if (data.length === 0) return 0;
    const n = Math.min(free, data.length);
    this.sndq.push(n === data.length ? data : data.subarray(0, n));
    this.output();
    return n;
  }

  shutdown(how: number): void {
    const rd = how === 0 || how === 2;
    const wr = how === 1 || how === 2;
    if (!rd && !wr) fail('EINVAL');
    switch (this.state) {
      case TcpState.CLOSED:
        if (!this.everConnected || this.done) fail('ENOTCONN');
        return;
      case TcpState.LISTEN:
        // Linux stops listening, which wakes threads blocked in accept.
        if (rd) this.stopListening();
        return;
      case TcpState.SYN_SENT:
        this.toClosed();
        return;
      default:
        if (rd) this.rdShut = true;
        if (wr) this.shutdownWrite();
        this.notify();
    }
  }

  /** The application's close(2): graceful unless SO_LINGER 0 or unread data (then RST, RFC 2525 2.17). */
  close(): void {
    if (this.released) return;
    this.released = true;
    switch (this.state) {
      case TcpState.LISTEN:
        this.stopListening();
        this.releasePort();
        return;
      case TcpState.CLOSED:
      case TcpState.SYN_SENT:
        this.toClosed();
        this.releasePort();
        return;
      case TcpState.TIME_WAIT:
        return;
    }
    if ((this.linger.onoff && this.linger.seconds === 0) || this.rcvq.length > 0) {
      this.stack.stats.inc(this.rcvq.length > 0 ? 'tcp.close_unread_rst' : 'tcp.linger0_rst');
      this.sendRst(this.sndNxt);
      this.toClosed();
      this.releasePort();
      return;
    }
    this.shutdownWrite();
    if (this.state === TcpState.FIN_WAIT_2) this.startFinTimeout();
  }

  readiness(): number {
    if (this.state === TcpState.LISTEN) return this.acceptQueue.length > 0 ? POLL.IN | POLL.RDNORM : 0;
    let mask = 0;
    const closed = this.state === TcpState.CLOSED;
    const rcvShut = this.rdShut || this.finReceived || this.done;
    const sndShut = this.wrShut || this.done;
    if ((rcvShut && sndShut) || closed) mask |= POLL.HUP;
    if (rcvShut) mask |= POLL.IN | POLL.RDNORM | POLL.RDHUP;
    if (this.state !== TcpState.SYN_SENT && this.state !== TcpState.SYN_RCVD) {
      if (this.rcvq.length > 0) mask |= POLL.IN | POLL.RDNORM;
      // Like sk_stream_is_writeable: room for at least half of what is queued.
      if (sndShut || this.sndBufOpt - this.sndq.length >= this.sndq.length / 2) mask |= POLL.OUT | POLL.WRNORM;
      else this.sndNoSpace = true; // as tcp_poll sets SOCK_NOSPACE: whoever asks wants room
    }
    if (this.softError) mask |= POLL.ERR;
    return mask;
  }

  /** getsockname. */
  localAddress(): InetAddr {
    return { addr: this.localAddr, port: this.localPort };
  }

  /** getpeername: ENOTCONN before the handshake completes and after a failed connect. */
  remoteAddress(): InetAddr {
    if (this.remotePort === 0 || this.state === TcpState.SYN_SENT || this.state === TcpState.CLOSED) fail('ENOTCONN');
    return { addr: this.remoteAddr, port: this.remotePort };
  }

  /** SO_ERROR: the pending error (0 if none), cleared by reading it. */
  takeError(): number {
    const e = this.softError;
    this.softError = 0;
    return e;
  }

  /** A listener's connections waiting for accept(2) (Linux's sk_ack_backlog, /proc/net/tcp's rx_queue). */
  get acceptBacklog(): number {
    return this.acceptQueue.length;
  }

  /** FIONREAD/SIOCINQ. */
  get inQueue(): number {
    return this.rcvq.length;
  }

  /** SIOCOUTQ: bytes not yet acknowledged. */
  get outQueue(): number {
    return this.sndq.length;
  }

  get isListening(): boolean {
    return this.state === TcpState.LISTEN;
  }

  // ------------------------------------------------------------------ options

  getRcvBuf(): number {
    return this.rcvBufOpt;
  }

  /** SO_RCVBUF: Linux doubles the value (for bookkeeping overhead) within [min, 2*rmem_max], and stops autotuning it. */
  setRcvBuf(v: number): void {
    this.rcvBufOpt = Math.max(SOCK_MIN_RCVBUF, Math.min(Math.max(v, 0), SOCK_BUF_MAX) * 2);
    this.rcvBufLocked = true;
  }

  getSndBuf(): number {
    return this.sndBufOpt;
  }

  setSndBuf(v: number): void {
    this.sndBufOpt = Math.max(SOCK_MIN_SNDBUF, Math.min(Math.max(v, 0), SOCK_BUF_MAX) * 2);
    this.sndBufLocked = true;
    this.notify();
  }

  getNoDelay(): boolean {
    return this.noDelay;
  }

  /** TCP_NODELAY: turning it on pushes out what Nagle held back. */
  setNoDelay(on: boolean): void {
    this.noDelay = on;
    if (on) this.output();
  }

  getKeepAlive(): boolean {
    return this.keepAlive;
  }

  setKeepAlive(on: boolean): void {
    this.keepAlive = on;
    if (on) this.armKeepalive();
    else this.cancelTimer('keepTimer');
  }

  getKeepIdle(): number {
    return this.keepIdleMs / 1000;
  }

  setKeepIdle(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > TCP_KEEPALIVE_MAX.IDLE_S) fail('EINVAL');
    this.keepIdleMs = seconds * 1000;
    if (this.keepAlive) this.armKeepalive();
  }

  getKeepIntvl(): number {
    return this.keepIntvlMs / 1000;
  }

  setKeepIntvl(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > TCP_KEEPALIVE_MAX.INTVL_S) fail('EINVAL');
    this.keepIntvlMs = seconds * 1000;
  }

  getKeepCnt(): number {
    return this.keepCnt;
  }

  setKeepCnt(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > TCP_KEEPALIVE_MAX.CNT) fail('EINVAL');
    this.keepCnt = n;
  }

  getLinger(): Linger {
    return this.linger;
  }

  /** SO_LINGER. Only l_linger 0 (abort with RST) changes close; a positive linger does not block, close stays graceful. */
  setLinger(l: Linger): void {
    this.linger = { onoff: l.onoff, seconds: Math.max(0, l.seconds) };
  }

  getTtl(): number {
    return this.ttl === -1 ? IP_DEFAULT_TTL : this.ttl;
  }

  /** IP_TTL: 1..255, or -1 for the default. */
  setTtl(v: number): void {
    if (v !== -1 && (!Number.isInteger(v) || v < 1 || v > 255)) fail('EINVAL');
    this.ttl = v;
  }

  /** TCP_MAXSEG: the effective send MSS once connected, else the clamp (536 when unset, as Linux). */
  getMaxSeg(): number {
    if (SENDING.has(this.state) || this.state === TcpState.FIN_WAIT_2) return this.mss;
    return this.userMss || TCP_DEFAULT_MSS;
  }

  setMaxSeg(v: number): void {
    if (v !== 0 && (v < MIN_MSS || v > MAX_MSS)) fail('EINVAL');
    this.userMss = v;
  }

  // ------------------------------------------------------------- stack side

  /** Sends a SYN-ACK for a SYN that reached listener `parent` (called by the TCP table). */
  acceptSyn(parent: TcpEndpoint, local: InetAddr, remote: InetAddr, seg: TcpSegment, route: Route): void {
    this.inherit(parent, local, remote, route);
    this.initSend(route);
    this.takeSyn(seg);
    this.state = TcpState.SYN_RCVD;
    this.stack.tcp.addConnection(this);
    this.stack.tcp.ports.attach(this);
    parent.synQueue.add(this);
    this.sendSyn();
  }

  /**
   * What listener `this` puts in a SYN-ACK it sends without keeping state
   * (a SYN cookie): its MSS and window, no window scale or SACK (the
   * cookie could not remember them).
   */
  cookieSynAck(route: Route): { mss: number; window: number; ttl: number } {
    return { mss: Math.min(route.nic.mtu - IP_TCP_HEADERS, this.userMss || MAX_MSS, 0xffff), window: Math.min(this.rcvBufOpt, 0xffff), ttl: this.getTtl() };
  }

  /**
   * Opens the connection an ACK `seg` with a valid SYN cookie stands for
   * (called by the TCP table): as if our SYN-ACK with ISN seg.ack - 1 had
   * answered a SYN with seg.seq - 1 on listener `parent`, MSS `peerMss`
   * from the cookie, no window scaling and no SACK. The segment is then
   * processed as the handshake's final ACK (it may carry data).
   */
  acceptCookie(parent: TcpEndpoint, local: InetAddr, remote: InetAddr, seg: TcpSegment, route: Route, peerMss: number): void {
    this.inherit(parent, local, remote, route);
    this.initSend(route, seqAdd(seg.ack, -1));
    this.irs = seqAdd(seg.seq, -1);
    this.rcvNxt = seg.seq;
    this.mss = Math.max(MIN_MSS, Math.min(peerMss, this.mss));
    this.cc.setMss(this.mss);
    this.sndScale = 0;
    this.rcvScale = 0;
    this.sndWl1 = this.irs;
    this.rcvAdvEdge = seqAdd(this.rcvNxt, parent.cookieSynAck(route).window);
    this.sndNxt = seg.ack;
    this.sndMax = seg.ack;
    this.state = TcpState.SYN_RCVD;
    this.stack.tcp.addConnection(this);
    this.stack.tcp.ports.attach(this);
    this.onSegment(seg);
  }

  /** A passive open's settings from the listener, and the four-tuple. */
  private inherit(parent: TcpEndpoint, local: InetAddr, remote: InetAddr, route: Route): void {
    this.parent = parent;
    this.reuseAddr = parent.reuseAddr;
    this.noDelay = parent.noDelay;
    this.keepAlive = parent.keepAlive;
    this.keepIdleMs = parent.keepIdleMs;
    this.keepIntvlMs = parent.keepIntvlMs;
    this.keepCnt = parent.keepCnt;
    this.linger = parent.linger;
    this.ttl = parent.ttl;
    this.rcvBufOpt = parent.rcvBufOpt;
    this.sndBufOpt = parent.sndBufOpt;
    this.rcvBufLocked = parent.rcvBufLocked;
    this.sndBufLocked = parent.sndBufLocked;
    this.userMss = parent.userMss;
    this.localAddr = local.addr;
    this.localPort = local.port;
    this.remoteAddr = remote.addr;
    this.remotePort = remote.port;
    this.route = route;
    this.everConnected = true;
  }

  /** The next hop did not answer ARP: an opening connection fails with EHOSTUNREACH (established ones keep retrying). */
  hostUnreachable(nextHop: Ipv4): void {
    if (this.state === TcpState.SYN_SENT && this.route?.nextHop === nextHop) this.fail(Errno.EHOSTUNREACH);
  }

  /** A listener's SYN queue holds min(tcp_max_syn_backlog, 2*backlog) embryonic connections. */
  synQueueFull(): boolean {
    return this.synQueue.size >= Math.min(this.stack.tcpConfig.maxSynBacklog, Math.max(this.backlog, 1) * 2);
  }

  /** Linux's sk_acceptq_is_full: one more than the backlog may wait. */
  acceptQueueFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }

  /** A segment for this connection (after the stack checked the checksum). */
  onSegment(seg: TcpSegment): void {
    this.lastRecv = this.stack.clock.now();
    this.keepProbes = 0;
    if (this.state === TcpState.SYN_SENT) this.synSentInput(seg);
    else this.synchronizedInput(seg);
    // In a burst of frames, output and the ACK wait for its end; not while data is missing, so that
    // each out-of-order arrival gets its duplicate ACK at once (they drive the peer's fast retransmit).
    if (this.state !== TcpState.CLOSED && !(this.ooo.empty && this.stack.deferOutput(this))) this.flushOutput();
  }

  /** Sends what the last segments allowed: data, then an ACK still due. */
  flushOutput(): void {
    if (this.state === TcpState.CLOSED) return;
    this.output();
    this.flushAck();
  }

  // ---------------------------------------------------------- input path

  private synSentInput(seg: TcpSegment): void {
    const f = seg.flags;
    if (f & TCP_FLAG.ACK && (seqLE(seg.ack, this.iss) || seqGT(seg.ack, this.sndMax))) {
      if (!(f & TCP_FLAG.RST)) this.sendRawRst(seg.ack);
      return;
    }
    if (f & TCP_FLAG.RST) {
      if (f & TCP_FLAG.ACK) this.fail(Errno.ECONNREFUSED);
      return;
    }
    if (!(f & TCP_FLAG.SYN)) return;
    this.takeSyn(seg);
    this.sndWl2 = seg.ack;
    if (f & TCP_FLAG.ACK) {
      this.ackAdvanced(seg.ack);
      this.established();
      this.ackNow = true;
    } else {
      // Simultaneous open (RFC 9293 3.5 figure 7): answer with a SYN-ACK from the same ISS.
      this.state = TcpState.SYN_RCVD;
      this.sndNxt = this.iss;
      this.sendSyn();
    }
  }

  private synchronizedInput(seg: TcpSegment): void {
    const f = seg.flags;
    let seq = seg.seq;
    let data = seg.payload;
    let syn = (f & TCP_FLAG.SYN) !== 0;
    let fin = (f & TCP_FLAG.FIN) !== 0;
    const segLen = data.length + (syn ? 1 : 0) + (fin ? 1 : 0);
    const wnd = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));

    if (this.state === TcpState.SYN_RCVD && syn && !(f & TCP_FLAG.ACK) && seq === this.irs) {
      this.sendSyn(); // the peer did not see our SYN-ACK
      return;
    }
    // Acceptability (RFC 9293 3.10.7.4, in Linux's form: not wholly old and starting within the window).
    const whollyOld = seqLT(seqAdd(seq, segLen), this.rcvNxt);
    if (whollyOld || seqGT(seq, seqAdd(this.rcvNxt, wnd))) {
      if (!(f & TCP_FLAG.RST)) {
        this.ackNow = true;
        if (whollyOld) this.noteDuplicate(syn ? seqAdd(seq, 1) : seq, data.length);
      }
      this.stack.stats.inc('tcp.unacceptable');
      return;
    }
    if (f & TCP_FLAG.RST) {
      // RFC 5961 3.2: only an exact RST resets; one elsewhere in the window gets a challenge ACK.
      if (seq === this.rcvNxt) this.onReset();
      else this.ackNow = true;
      return;
    }
    // Trim what was already received.
    const before = seqDiff(this.rcvNxt, seq);
    if (before > 0) {
      if (syn) {
        syn = false;
        seq = seqAdd(seq, 1);
      }
      const cut = Math.min(seqDiff(this.rcvNxt, seq), data.length);
      this.noteDuplicate(seq, cut);
      data = data.subarray(cut);
      seq = seqAdd(seq, cut);
      if (data.length === 0 && !fin) this.ackNow = true; // a duplicate: our ACK may have been lost
      else if (data.length === 0 && fin && seqLT(seq, this.rcvNxt)) {
        fin = false;
        this.ackNow = true;
      }
    }
    // Trim what is beyond the window.
    const room = seqDiff(seqAdd(this.rcvNxt, wnd), seq);
    if (data.length > room) {
      data = data.subarray(0, Math.max(room, 0));
      fin = false;
    }
    if (syn) {
      // RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK.
      this.ackNow = true;
      return;
    }
    if (!(f & TCP_FLAG.ACK)) return;
    if (!this.ackInput(seg, seq)) return;
    if (this.state === TcpState.CLOSED) return;
    if (data.length > 0 && this.cannotReadAnyMore()) {
      // Linux (tcp_rcv_state_process, TCPAbortOnData): new data for a socket closed or shut for reading gets an RST.
      this.stack.stats.inc('tcp.abort_on_data');
      this.sendRst(this.sndNxt);
      this.fail(Errno.ECONNRESET);
      if (this.released) this.releasePort();
      return;
    }
    if (data.length > 0 || fin) this.dataInput(seq, data, fin);
  }

  /** ACK processing (RFC 9293 3.10.7.4 fifth check); false when the segment must be dropped. */
  private ackInput(seg: TcpSegment, seq: number): boolean {
    const ack = seg.ack;
    if (this.state === TcpState.SYN_RCVD) {
      if (seqLE(ack, this.sndUna) || seqGT(ack, this.sndMax)) {
        this.sendRawRst(ack);
        return false;
      }
      if (this.parent?.acceptQueueFull()) {
        // Accept queue full: as Linux, ignore the ACK; our SYN-ACK retransmission retries.
        this.stack.stats.inc('tcp.accept_queue_full');
        return false;
      }
      this.sndWnd = seg.window << this.sndScale;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      this.ackAdvanced(ack);
      this.established();
    }
    if (this.state === TcpState.TIME_WAIT) {
      if (seg.flags & TCP_FLAG.FIN) {
        this.ackNow = true;
        this.enterTimeWait(); // restart 2MSL (RFC 9293 3.10.7.4)
      }
      return false;
    }
    if (seqGT(ack, this.sndMax)) {
      this.ackNow = true;
      return false;
    }
    const wnd = seg.window << this.sndScale;
    const flight = seqDiff(this.sndMax, this.sndUna);
    if (seqLE(ack, this.sndUna)) {
      const pure = seg.payload.length === 0 && !(seg.flags & (TCP_FLAG.SYN | TCP_FLAG.FIN));
      if (ack === this.sndUna && pure && wnd === this.sndWnd && flight > 0) {
        if (this.cc.onDupAck(this.sndUna, flight, this.sndMax) === 'retransmit') this.startRecovery();
      }
    } else {
      this.ackAdvanced(ack);
    }
    if (this.sackOk && seqGT(this.sndMax, this.sndUna)) {
      if (seg.options.sackBlocks) this.sb.update(seg.options.sackBlocks, this.sndUna, this.sndMax);
      const highest = this.sb.highest;
      if (this.tlpHigh !== undefined && highest !== undefined && seqGE(highest, this.tlpHigh)) this.sb.lostBelow = highest;
      if (this.cc.canRecover(this.sndUna) && this.sb.isLost(this.sndUna, this.mss)) {
        this.cc.enterRecovery(seqDiff(this.sndMax, this.sndUna), this.sndMax);
        this.startRecovery();
      }
      if (this.cc.recovering) this.sackSend();
    }
    if (seqLT(this.sndWl1, seq) || (this.sndWl1 === seq && seqLE(this.sndWl2, ack))) {
      this.sndWnd = wnd;
      this.maxSndWnd = Math.max(this.maxSndWnd, wnd);
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      if (wnd > 0) this.stopPersist();
    }
    const finAcked = this.ourFinAcked();
    switch (this.state) {
      case TcpState.FIN_WAIT_1:
        if (finAcked) {
          this.state = TcpState.FIN_WAIT_2;
          if (this.released) this.startFinTimeout();
          this.notify();
        }
        break;
      case TcpState.CLOSING:
        if (finAcked) this.enterTimeWait();
        break;
      case TcpState.LAST_ACK:
        if (finAcked) this.toClosed();
        return false;
      default:
        break;
    }
    return true;
  }

  /** Whether the FIN we sent is acknowledged: SND.UNA is past it. */
  private ourFinAcked(): boolean {
    return this.finSeq !== undefined && seqGT(this.sndUna, this.finSeq);
  }

  /** New data acknowledged up to `ack` (which is within SND.MAX). */
  private ackAdvanced(ack: number): void {
    const acked = seqDiff(ack, this.sndUna);
    if (acked <= 0) return;
    // SYN and FIN occupy a sequence number but no buffer byte.
    const synAcked = this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RCVD ? 1 : 0;
    this.sndq.consume(Math.min(acked - synAcked, this.sndq.length));
    this.sndUna = ack;
    if (seqLT(this.sndNxt, ack)) this.sndNxt = ack;
    if (seqLT(this.highRxt, ack)) this.highRxt = ack;
    this.sb.ack(ack);
    if (this.tlpHigh !== undefined && seqGE(ack, this.tlpHigh)) this.tlpHigh = undefined;
    if (this.rttSeq !== undefined && seqGE(ack, this.rttSeq)) {
      this.rtt.sample(this.stack.clock.now() - this.rttStart);
      this.rttSeq = undefined;
    }
    this.retries = 0;
    const flight = seqDiff(this.sndMax, this.sndUna);
    if (synAcked === 0 && this.cc.onAck(acked, ack, flight) === 'retransmit') this.retransmitFirst();
    this.growSndBuf(flight);
    if (flight === 0) this.cancelTimer('rtxTimer');
    else this.restartRtx();
    this.notify();
  }

  /** The application closed the socket, or shut it for reading, after sending its FIN. */
  private cannotReadAnyMore(): boolean {
    return (this.released || this.rdShut) && (this.state === TcpState.FIN_WAIT_1 || this.state === TcpState.FIN_WAIT_2);
  }

  private dataInput(seq: number, data: Buffer, fin: boolean): void {
    if (!RECEIVING.has(this.state)) return;
    if (seq !== this.rcvNxt) {
      // Out of order: keep it and tell the sender at once (a duplicate ACK drives its fast retransmit).
      const repeated = this.ooo.insert(this.rcvNxt, seq, data);
      if (repeated) this.noteDuplicate(repeated.start, seqDiff(repeated.end, repeated.start));
      // Its run goes first among the SACK blocks: after a D-SACK, the block that holds the repeat (RFC 2883 4).
      this.lastOooSeq = seq;
      if (fin) this.ooo.fin = seqAdd(seq, data.length);
      this.ackNow = true;
      this.stack.stats.inc('tcp.out_of_order');
      return;
    }
    const filledHole = !this.ooo.empty;
    this.deliver(data);
    for (const d of this.ooo.take(this.rcvNxt)) this.deliver(d);
    this.measureRcvRtt();
    if (this.ooo.fin !== undefined && this.ooo.fin === this.rcvNxt) fin = true;
    if (fin) {
      this.finInput();
      return;
    }
    if (filledHole) this.ackNow = true;
    else this.scheduleAck(data.length);
    this.notify();
  }

  /** `length` bytes at `seq` arrived again: the next ACK carries them as a D-SACK block. */
  private noteDuplicate(seq: number, length: number): void {
    if (!this.sackOk || length <= 0) return;
    this.dsack = { start: seq, end: seqAdd(seq, length) };
  }

  private deliver(data: Buffer): void {
    this.rcvq.push(data);
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
  }

  private finInput(): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.finReceived = true;
    this.ooo.clear();
    this.ackNow = true;
    switch (this.state) {
      case TcpState.ESTABLISHED:
        this.state = TcpState.CLOSE_WAIT;
        break;
      case TcpState.FIN_WAIT_1:
        // Simultaneous close: our FIN is not yet acknowledged.
        this.state = TcpState.CLOSING;
        break;
      case TcpState.FIN_WAIT_2:
        this.enterTimeWait();
        break;
      default:
        break;
    }
    this.notify();
  }

  private onReset(): void {
    this.stack.stats.inc('tcp.resets_received');
    if (this.state === TcpState.SYN_RCVD && this.parent) {
      // A passive open goes back to LISTEN: only the embryonic connection dies.
      this.toClosed();
      return;
    }
    let err: number = Errno.ECONNRESET;
    if (this.state === TcpState.SYN_RCVD) err = Errno.ECONNREFUSED;
    // As Linux's tcp_reset: the peer had already closed, so the next send is told the pipe is broken.
    if (this.state === TcpState.CLOSE_WAIT) err = Errno.EPIPE;
    if (this.state === TcpState.CLOSING || this.state === TcpState.LAST_ACK || this.state === TcpState.TIME_WAIT) err = 0;
    this.fail(err);
  }

  // ---------------------------------------------------------- output path

  /** Sends whatever the windows, Nagle and the sender-side SWS rule allow, then the FIN if due. */
  private output(): void {
    if (!SENDING.has(this.state)) return;
    for (;;) {
      // Going back after a timeout, skip what the peer already holds.
      const held = seqLT(this.sndNxt, this.sndMax) ? this.sb.covers(this.sndNxt) : undefined;
      if (held) {
        this.sndNxt = held.end;
        continue;
      }
      const dataEnd = seqAdd(this.sndUna, this.sndq.length);
      const unsent = Math.max(0, seqDiff(dataEnd, this.sndNxt));
      const flight = seqDiff(this.sndNxt, this.sndUna);
      const usable = Math.min(this.cc.allowance, this.sndWnd) - flight;
      let len = Math.min(unsent, this.segmentLimit(), Math.max(usable, 0));
      const nextHeld = seqLT(this.sndNxt, this.sndMax) ? this.sb.nextSacked(this.sndNxt) : undefined;
      if (nextHeld !== undefined) len = Math.min(len, seqDiff(nextHeld, this.sndNxt));
      if (len > this.mss) {
        // A GSO frame: whole segments, and the tail of the data with them only if Nagle would send
        // it now anyway (nothing in flight, TCP_NODELAY, or the FIN follows), as Linux's
        // tcp_mss_split_point. Otherwise the tail is left to the rules below on the next round.
        const partial = len % this.mss;
        if (partial > 0 && !(len === unsent && (flight === 0 || this.noDelay || this.finQueued))) len -= partial;
      }
      // The FIN rides on the last data (or goes alone), also again after a go-back-N. It needs a
      // byte of the peer's window (Linux drops a FIN at zero window), not of cwnd.
      const fin = this.finQueued && len === unsent && seqLE(this.sndNxt, dataEnd) && this.sndWnd - flight - len >= 1;
      if (len === 0 && !fin) break;
      if (len < this.mss && len < unsent && len < this.maxSndWnd / 2) break; // sender SWS avoidance
      if (len > 0 && len < this.mss && len === unsent && !fin && !this.noDelay && flight > 0) break; // Nagle
      this.sendData(this.sndNxt, len, fin);
    }
    this.checkPersist();
  }

  /**
   * The most new data one frame may carry: an MSS, or with a GSO link as
   * many whole MSS as fit in an IPv4 packet (the link segments it).
   */
  private segmentLimit(): number {
    if (this.route?.nic.offloads?.gso !== true) return this.mss;
    return Math.floor((IPV4_MAX_PACKET - IP_TCP_HEADERS) / this.mss) * this.mss;
  }

  /** Sends `len` bytes at `seq` (plus FIN), advancing SND.NXT. */
  private sendData(seq: number, len: number, fin: boolean): void {
    const data = this.sndq.read(seqDiff(seq, this.sndUna), len);
    let flags = TCP_FLAG.ACK;
    if (len > 0 && seqAdd(seq, len) === seqAdd(this.sndUna, this.sndq.length)) flags |= TCP_FLAG.PSH;
    if (fin) {
      flags |= TCP_FLAG.FIN;
      this.finSeq = seqAdd(seq, len);
    }
    const end = seqAdd(seq, len + (fin ? 1 : 0));
    if (seq === this.sndMax && this.rttSeq === undefined) {
      // Time new data only (Karn's rule).
      this.rttSeq = end;
      this.rttStart = this.stack.clock.now();
    }
    this.transmit(flags, seq, data);
    this.sndNxt = end;
    const fresh = seqGT(end, this.sndMax);
    if (fresh) this.sndMax = end;
    if (!this.rtxTimer) this.restartRtx();
    else if (fresh) this.rearmProbe();
  }

  /** Resends the first unacknowledged segment, ignoring windows (fast retransmit, partial ACK, RTO). */
  private retransmitFirst(): void {
    this.retransmitAt(this.sndUna, this.mss);
  }

  /** Resends up to `maxLen` bytes at `seq` (and the FIN if they reach it); returns the sequence space sent. */
  private retransmitAt(seq: number, maxLen: number): number {
    this.rttSeq = undefined;
    const dataLeft = this.sndq.length - seqDiff(seq, this.sndUna);
    const len = Math.max(0, Math.min(dataLeft, maxLen));
    const fin = this.finSeq !== undefined && len === dataLeft;
    if (len === 0 && !fin) return 0;
    const saveNxt = this.sndNxt;
    const saveMax = this.sndMax;
    this.sendData(seq, len, fin);
    if (seqGT(saveNxt, this.sndNxt)) this.sndNxt = saveNxt;
    this.sndMax = saveMax;
    this.stack.stats.inc('tcp.retransmits');
    return len + (fin ? 1 : 0);
  }

  /** Fast retransmit: the first segment now; with SACK, RFC 6675 recovery continues from HighRxt. */
  private startRecovery(): void {
    this.stack.stats.inc('tcp.fast_retransmits');
    this.rxtMarks = [{ start: this.sndUna, mark: this.sndMax }];
    this.highRxt = seqAdd(this.sndUna, this.retransmitAt(this.sndUna, this.mss));
  }

  /**
   * A retransmission is lost again when the peer SACKs a whole segment sent
   * after it while the hole stays open: send it again instead of waiting for
   * the timeout (the idea of RACK, RFC 8985, in sequence space). With the
   * small windows of a lossy path that one segment is often all that follows
   * the retransmission; a reordered retransmission costs a duplicate, a missed
   * lost one costs the RTO and the window.
   */
  private detectLostRetransmits(): void {
    const highest = this.sb.highest;
    if (highest === undefined) return;
    this.rxtMarks = this.rxtMarks.filter((m) => {
      if (seqLT(m.start, this.sndUna) || this.sb.covers(m.start)) return false;
      if (seqLT(highest, seqAdd(m.mark, this.mss))) return true;
      if (seqLT(m.start, this.highRxt)) this.highRxt = m.start;
      this.stack.stats.inc('tcp.lost_retransmits');
      return false;
    });
  }

  /** RFC 6675 5 step (C): while the pipe leaves room for a segment, retransmit lost holes, then send new data. */
  private sackSend(): void {
    this.detectLostRetransmits();
    let pipe = this.sb.pipe(this.sndUna, this.sndMax, this.highRxt, this.mss);
    while (this.cc.cwnd - pipe >= this.mss) {
      const from = seqGT(this.highRxt, this.sndUna) ? this.highRxt : this.sndUna;
      const hole = this.sb.nextLost(from, this.sndMax, this.mss);
      if (hole) {
        const n = this.retransmitAt(hole.start, Math.min(this.mss, seqDiff(hole.end, hole.start)));
        if (n === 0) break;
        this.rxtMarks.push({ start: hole.start, mark: this.sndMax });
        this.highRxt = seqAdd(hole.start, n);
        pipe += n;
        continue;
      }
      const dataEnd = seqAdd(this.sndUna, this.sndq.length);
      const room = this.sndWnd - seqDiff(this.sndNxt, this.sndUna);
      const len = Math.min(seqDiff(dataEnd, this.sndNxt), this.mss, room);
      if (len <= 0) break;
      this.sendData(this.sndNxt, len, this.finQueued && len === seqDiff(dataEnd, this.sndNxt));
      pipe += len;
    }
  }

  private sendSyn(): void {
    const synAck = this.state === TcpState.SYN_RCVD;
    const flags = TCP_FLAG.SYN | (synAck ? TCP_FLAG.ACK : 0);
    const mssOpt = this.advertisedMss();
    // A SYN-ACK offers window scaling only if the SYN did (RFC 7323 1.3).
    const offerScale = !synAck || this.sndScaleOffered;
    const options = encodeOptions({ mss: mssOpt, sackPermitted: !synAck || this.sackOk, windowScale: offerScale ? this.rcvScale : undefined });
    if (this.rttSeq === undefined && this.retries === 0) {
      this.rttSeq = seqAdd(this.iss, 1);
      this.rttStart = this.stack.clock.now();
    }
    this.transmit(flags, this.iss, Buffer.alloc(0), options);
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
    if (!this.rtxTimer) this.restartRtx();
  }

  /** The MSS option of our SYN: the largest segment the peer should send us. */
  private advertisedMss(): number {
    return Math.min(this.route ? this.route.nic.mtu - IP_TCP_HEADERS : TCP_DEFAULT_MSS, this.userMss || MAX_MSS, 0xffff);
  }

  private sendAck(): void {
    this.transmit(TCP_FLAG.ACK, this.sndNxt, Buffer.alloc(0));
  }

  /** An RST in this connection's name (abort, close with unread data). */
  private sendRst(seq: number): void {
    this.transmit(TCP_FLAG.RST | TCP_FLAG.ACK, seq, Buffer.alloc(0));
  }

  /** RST with SEQ = `seq` and no ACK, for segments with an unacceptable ACK (RFC 9293 3.10.7.3). */
  private sendRawRst(seq: number): void {
    if (!this.route) return;
    this.stack.stats.inc('tcp.resets_sent');
    this.stack.tcp.send(this.route, this.localAddr, this.remoteAddr, this.getTtl(), {
      srcPort: this.localPort, dstPort: this.remotePort, seq, ack: 0, flags: TCP_FLAG.RST, window: 0,
    }, Buffer.alloc(0));
  }

  private transmit(flags: number, seq: number, data: Payload, opts?: Buffer): void {
    let options = opts;
    if (!this.route) return;
    if (flags & TCP_FLAG.RST) this.stack.stats.inc('tcp.resets_sent');
    let window: number;
    if (flags & TCP_FLAG.SYN) {
      // SYN windows are never scaled (RFC 7323 2.2); a SYN-ACK's opens our receive window.
      window = Math.min(this.rcvWindowSpace(), 0xffff);
      if (flags & TCP_FLAG.ACK) this.rcvAdvEdge = seqAdd(this.rcvNxt, window);
    } else {
      window = this.advertise();
      // SACK blocks ride on ACKs while data is missing (a D-SACK first), if they fit beside the payload.
      if (!options && this.sackOk && (this.dsack || !this.ooo.empty) && flags & TCP_FLAG.ACK && data.length <= this.mss - 40) {
        const dup = this.dsack ? [this.dsack] : [];
        options = encodeSackBlocks([...dup, ...this.ooo.sackBlocks(this.lastOooSeq, MAX_SACK_BLOCKS - dup.length)]);
        if (this.dsack) this.stack.stats.inc('tcp.dsack_sent');
        this.dsack = undefined;
      }
    }
    this.stack.tcp.send(this.route, this.localAddr, this.remoteAddr, this.getTtl(), {
      srcPort: this.localPort, dstPort: this.remotePort, seq, ack: flags & TCP_FLAG.ACK ? this.rcvNxt : 0, flags, window, options,
    }, data, this.mss);
    if (flags & TCP_FLAG.ACK) {
      this.unackedSegments = 0;
      this.ackNow = false;
      this.cancelTimer('delackTimer');
    }
  }

  // ------------------------------------------------------ buffer autotuning

  /**
   * The receiver's round trip without timestamps, as Linux's
   * tcp_rcv_rtt_measure: the time from offering a window to receiving the
   * data at its right edge, the smallest such time seen.
   */
  private measureRcvRtt(): void {
    const now = this.stack.clock.now();
    if (this.rcvRttSeq !== undefined) {
      if (seqLT(this.rcvNxt, this.rcvRttSeq)) return;
      const sample = now - this.rcvRttStart;
      if (sample > 0) this.rcvRtt = this.rcvRtt === 0 ? sample : Math.min(this.rcvRtt, sample);
    }
    this.rcvRttSeq = this.rcvAdvEdge;
    this.rcvRttStart = now;
  }

  /**
   * Receive buffer autotuning as Linux's tcp_rcv_space_adjust, once per
   * receiver round trip: when the reader took more than in any round trip
   * before, the sender needs twice that in flight to keep it busy (the
   * window, not the reader, was the limit), so the buffer grows to twice
   * it plus 16 segments, up to tcp_rmem[2].
   */
  private growRcvBuf(read: number): void {
    if (this.rcvBufLocked) return;
    this.rcvCopied += read;
    const now = this.stack.clock.now();
    if (this.rcvRtt === 0 || now - this.rcvSpaceTime < this.rcvRtt) return;
    if (this.rcvCopied > this.rcvSpace) {
      this.rcvSpace = this.rcvCopied;
      const want = 2 * this.rcvCopied + 16 * this.advertisedMss();
      this.rcvBufOpt = Math.max(this.rcvBufOpt, Math.min(want, this.stack.tcpConfig.rcvBufMax));
    }
    this.rcvCopied = 0;
    this.rcvSpaceTime = now;
  }

  /**
   * Send buffer autotuning as Linux's tcp_sndbuf_expand: when an ACK makes
   * room that the application was waiting for and cwnd is not what limits
   * the flight, the buffer grows to twice cwnd (at least the initial
   * window), up to tcp_wmem[2].
   */
  private growSndBuf(flight: number): void {
    if (this.sndBufLocked || !this.sndNoSpace || flight >= this.cc.cwnd) return;
    this.sndNoSpace = false;
    const want = 2 * Math.max(this.cc.cwnd, INITIAL_WINDOW_SEGMENTS * this.mss);
    this.sndBufOpt = Math.max(this.sndBufOpt, Math.min(want, this.stack.tcpConfig.sndBufMax));
  }

  // ------------------------------------------------------ receive window

  private rcvWindowSpace(): number {
    return Math.max(0, this.rcvBufOpt - this.rcvq.length - this.ooo.length);
  }

  /** The window field for the next segment; moves the right edge only by worthwhile steps (receiver SWS, RFC 9293 3.8.6.2.2). */
  private advertise(): number {
    const free = Math.min(this.rcvWindowSpace(), 0xffff << this.rcvScale);
    const unit = 1 << this.rcvScale;
    const edge = seqAdd(this.rcvNxt, Math.floor(free / unit) * unit);
    const step = seqDiff(edge, this.rcvAdvEdge);
    if (step > 0 && (step >= Math.min(this.rcvBufOpt / 2, this.mss) || seqLE(this.rcvAdvEdge, this.rcvNxt))) this.rcvAdvEdge = edge;
    return Math.min(0xffff, Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt)) >>> this.rcvScale);
  }

  /**
   * After the application read: announce a window that grew from small to
   * worthwhile, as Linux's tcp_cleanup_rbuf: the offered window is at most
   * half the buffer and would at least double (by a worthwhile step).
   */
  private maybeWindowUpdate(): void {
    if (!RECEIVING.has(this.state)) return;
    const current = Math.max(0, seqDiff(this.rcvAdvEdge, this.rcvNxt));
    const free = this.rcvWindowSpace();
    if (2 * current <= this.rcvBufOpt && free >= 2 * current && free - current >= Math.min(this.rcvBufOpt / 2, this.mss)) this.sendAck();
  }

  // -------------------------------------------------------------- ACKs

  /**
   * Delayed ACK for `bytes` of new in-order data: every second segment is
   * acknowledged at once. A GSO frame from a local sender counts as the
   * segments it stands for, so it is acknowledged at once as Linux does
   * when more than one MSS arrived (__tcp_ack_snd_check).
   */
  private scheduleAck(bytes: number): void {
    this.unackedSegments += Math.max(1, Math.ceil(bytes / this.advertisedMss()));
    if (this.unackedSegments >= 2) {
      this.ackNow = true;
      return;
    }
    if (!this.delackTimer) {
      this.delackTimer = this.stack.clock.setTimer(this.stack.tcpConfig.delayedAckMs, () => {
        this.delackTimer = undefined;
        if (this.state !== TcpState.CLOSED) this.sendAck();
      });
    }
  }

  private flushAck(): void {
    if (this.ackNow && this.state !== TcpState.CLOSED) this.sendAck();
  }

  // ------------------------------------------------------------- timers

  /** Arms the retransmission timer, or the tail loss probe when that comes first. */
  private restartRtx(): void {
    const pto = this.probeTimeout();
    this.armRtx(pto ?? this.rtt.rto, pto !== undefined);
  }

  /** Arms `rtxTimer` to fire in `delayMs`, as the loss probe or as the RTO. */
  private armRtx(delayMs: number, probe: boolean): void {
    this.cancelTimer('rtxTimer');
    this.rtxDue = { at: this.stack.clock.now() + delayMs, probe };
    this.rtxTimer = this.stack.clock.setTimer(delayMs, () => {
      this.rtxTimer = undefined;
      if (probe) this.onProbeTimeout();
      else this.onRetransmitTimeout();
    });
  }

  /**
   * New data went out while the timer ran: the loss probe is due 2*SRTT
   * after the last transmission, as Linux's tcp_schedule_loss_probe after
   * every send. A timer armed when one segment was in flight waited for a
   * worst-case delayed ACK (or was the RTO itself); with more in flight the
   * probe now comes sooner, so a lost tail of a small window is probed
   * instead of waiting out the RTO. A pending RTO that is due earlier stays.
   */
  private rearmProbe(): void {
    const pto = this.probeTimeout();
    const due = this.rtxDue;
    if (pto === undefined || due === undefined) return;
    const at = this.stack.clock.now() + pto;
    if (due.probe || at < due.at) this.armRtx(pto, true);
  }

  /**
   * RFC 8985 7.2: with SACK, outside recovery and with no probe outstanding,
   * probe after 2*SRTT (plus a worst-case delayed ACK when one segment is in
   * flight) if that is sooner than the RTO. The probe's ACK (with SACK
   * blocks) turns a tail loss into a fast recovery instead of a timeout.
   */
  private probeTimeout(): number | undefined {
    const srtt = this.rtt.smoothed;
    if (!this.stack.tcpConfig.tailLossProbe || !this.sackOk || srtt === undefined || this.tlpHigh !== undefined || this.cc.recovering) return undefined;
    if (!SENDING.has(this.state) || this.retries > 0) return undefined;
    const flight = seqDiff(this.sndMax, this.sndUna);
    const pto = Math.max(2 * srtt + (flight <= this.mss ? TLP_WORST_DELACK_MS : 0), TLP_MIN_MS);
    return pto < this.rtt.rto ? pto : undefined;
  }

  /** Sends the probe: a new segment if the windows allow, else the last one again (RFC 8985 7.3). */
  private onProbeTimeout(): void {
    this.stack.stats.inc('tcp.loss_probes');
    this.tlpHigh = this.sndMax;
    const dataEnd = seqAdd(this.sndUna, this.sndq.length);
    const unsent = seqDiff(dataEnd, this.sndNxt);
    const room = this.sndWnd - seqDiff(this.sndNxt, this.sndUna);
    if (unsent > 0 && room > 0 && this.sndNxt === this.sndMax) {
      const len = Math.min(unsent, this.mss, room);
      this.sendData(this.sndNxt, len, this.finQueued && len === unsent);
    } else {
      const last = this.finSeq !== undefined && this.sndMax === seqAdd(this.finSeq, 1) ? this.finSeq : this.sndMax;
      const len = Math.min(this.mss, seqDiff(last, this.sndUna));
      this.retransmitAt(seqAdd(last, -len), this.mss);
    }
    this.restartRtx();
  }

  private onRetransmitTimeout(): void {
    this.stack.stats.inc('tcp.timeouts');
    this.retries++;
    this.rtt.backoff();
    this.rttSeq = undefined;
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RCVD) {
      const limit = this.state === TcpState.SYN_SENT ? this.stack.tcpConfig.synRetries : this.stack.tcpConfig.synackRetries;
      if (this.retries > limit) {
        if (this.parent) this.toClosed();
        else this.fail(Errno.ETIMEDOUT);
        return;
      }
      this.sendSyn();
      return;
    }
    if (!SENDING.has(this.state)) return;
    if (this.retries > this.stack.tcpConfig.dataRetries) {
      this.fail(Errno.ETIMEDOUT);
      return;
    }
    this.cc.onTimeout(seqDiff(this.sndMax, this.sndUna), this.sndMax);
    // A receiver may renege on SACKed data (RFC 2018 8): after a second timeout, trust only cumulative ACKs.
    if (this.retries >= 2) this.sb.clear();
    this.highRxt = this.sndUna;
    // Go back to SND.UNA: the first segment now, the rest as ACKs open the window again.
    this.sndNxt = this.sndUna;
    this.retransmitFirst();
    this.restartRtx();
  }

  /**
   * Data waiting but nothing in flight (a zero window, or one too small for
   * the sender SWS rule): arm the persist timer (RFC 9293 3.8.6.1 and the
   * SWS override timer of 3.8.6.2.1), with backoff.
   */
  private checkPersist(): void {
    const waiting = this.sndq.length > seqDiff(this.sndNxt, this.sndUna) || (this.finQueued && this.finSeq === undefined);
    if (waiting && this.sndNxt === this.sndUna && !this.rtxTimer) {
      if (!this.persistTimer) this.armPersist();
    } else {
      this.stopPersist();
    }
  }

  private armPersist(): void {
    const delay = Math.min(this.rtt.rto * 2 ** this.persistBackoff, this.stack.tcpConfig.persistMaxMs);
    this.persistTimer = this.stack.clock.setTimer(delay, () => {
      this.persistTimer = undefined;
      if (!SENDING.has(this.state)) return;
      this.persistBackoff++;
      const unsent = seqDiff(seqAdd(this.sndUna, this.sndq.length), this.sndNxt);
      const len = Math.min(unsent, this.mss, this.sndWnd - seqDiff(this.sndNxt, this.sndUna));
      if (len > 0) {
        // A window too small to please the SWS rule: send what fits anyway.
        this.sendData(this.sndNxt, len, this.finQueued && len === unsent);
        return;
      }
      this.stack.stats.inc('tcp.window_probes');
      // As Linux: an old sequence number makes the receiver answer with its current window.
      this.transmit(TCP_FLAG.ACK, seqAdd(this.sndUna, -1), Buffer.alloc(0));
      this.armPersist();
    });
  }

  private stopPersist(): void {
    this.persistBackoff = 0;
    this.cancelTimer('persistTimer');
  }

  private armKeepalive(): void {
    this.cancelTimer('keepTimer');
    if (!this.keepAlive || !(SENDING.has(this.state) || this.state === TcpState.FIN_WAIT_2)) return;
    const idle = this.stack.clock.now() - this.lastRecv;
    const delay = this.keepProbes > 0 ? this.keepIntvlMs : Math.max(this.keepIdleMs - idle, 0);
    this.keepTimer = this.stack.clock.setTimer(delay, () => {
      this.keepTimer = undefined;
      this.onKeepalive();
    });
  }

  private onKeepalive(): void {
    const idle = this.stack.clock.now() - this.lastRecv;
    if (this.keepProbes === 0 && idle < this.keepIdleMs) return this.armKeepalive();
    // Data in flight: the retransmission timer watches the peer instead.
    if (this.sndMax !== this.sndUna || this.sndq.length > 0) {
      this.keepProbes = 0;
      this.lastRecv = this.stack.clock.now();
      return this.armKeepalive();
    }
    if (this.keepProbes >= this.keepCnt) {
      this.sendRst(this.sndNxt);
      this.fail(Errno.ETIMEDOUT);
      return;
    }
    this.keepProbes++;
    this.stack.stats.inc('tcp.keepalive_probes');
    this.transmit(TCP_FLAG.ACK, seqAdd(this.sndUna, -1), Buffer.alloc(0));
    this.armKeepalive();
  }

  /**
   * A new SYN for a connection in TIME_WAIT may start a new incarnation if
   * its sequence number is past the old one's (RFC 9293 3.6.1 note, as Linux
   * without timestamps); the TIME_WAIT state then ends at once.
   */
  yieldsToSyn(seg: TcpSegment): boolean {
    if (this.state !== TcpState.TIME_WAIT || (seg.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK | TCP_FLAG.RST)) !== TCP_FLAG.SYN) return false;
    if (!seqGT(seg.seq, this.rcvNxt)) return false;
    this.toClosed();
    return true;
  }

  private enterTimeWait(): void {
    this.state = TcpState.TIME_WAIT;
    // Only the receive queue still matters (the application may read it).
    this.sndq.clear();
    this.ooo.clear();
    this.sb.clear();
    for (const t of ['rtxTimer', 'persistTimer', 'keepTimer', 'delackTimer'] as const) this.cancelTimer(t);
    this.cancelTimer('closeTimer');
    this.closeTimer = this.stack.clock.setTimer(this.stack.tcpConfig.timeWaitMs, () => {
      this.closeTimer = undefined;
      this.toClosed();
    });
    this.notify();
  }

  private startFinTimeout(): void {
    if (this.closeTimer) return;
    this.closeTimer = this.stack.clock.setTimer(this.stack.tcpConfig.finTimeoutMs, () => {
      this.closeTimer = undefined;
      if (this.state === TcpState.FIN_WAIT_2) {
        this.stack.stats.inc('tcp.fin_timeout');
        this.toClosed();
      }
    });
  }

  private cancelTimer(name: 'rtxTimer' | 'delackTimer' | 'persistTimer' | 'keepTimer' | 'closeTimer'): void {
    this[name]?.cancel();
    this[name] = undefined;
  }

  // ------------------------------------------------------------ helpers

  private initSend(route: Route, iss = (this.stack.random() * 0x100000000) >>> 0): void {
    this.iss = iss;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.mss = Math.min(route.nic.mtu - IP_TCP_HEADERS, this.userMss || MAX_MSS);
    this.cc = new NewReno(this.mss, this.iss);
    this.cc.gso = route.nic.offloads?.gso === true;
    // The scale covers the largest buffer autotuning may reach, as Linux's tcp_select_initial_window.
    const space = this.rcvBufLocked ? this.rcvBufOpt : Math.max(this.rcvBufOpt, this.stack.tcpConfig.rcvBufMax);
    let scale = 0;
    while (scale < TCP_MAX_WINDOW_SCALE && 0xffff << scale < space) scale++;
    this.rcvScale = scale;
    this.lastRecv = this.stack.clock.now();
  }

  /** The peer's SYN: its sequence number, options and (unscaled) window. */
  private takeSyn(seg: TcpSegment): void {
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.applySynOptions(seg);
    this.sndWnd = seg.window;
    this.maxSndWnd = seg.window;
    this.sndWl1 = seg.seq;
  }

  /** MSS and window scale from the peer's SYN (RFC 7323: scaling only if both sides offer it). */
  private applySynOptions(seg: TcpSegment): void {
    const o = seg.options;
    const ours = this.route ? this.route.nic.mtu - IP_TCP_HEADERS : TCP_DEFAULT_MSS;
    this.mss = Math.max(MIN_MSS, Math.min(o.mss ?? TCP_DEFAULT_MSS, ours, this.userMss || MAX_MSS));
    this.cc.setMss(this.mss);
    this.sndScaleOffered = o.windowScale !== undefined;
    // We offer SACK in every SYN, and in a SYN-ACK only when the SYN did: the peer's flag decides.
    this.sackOk = o.sackPermitted === true;
    this.cc.sack = this.sackOk;
    if (this.sackOk) this.stack.stats.inc('tcp.sack_enabled');
    if (o.windowScale !== undefined) {
      this.sndScale = o.windowScale;
    } else {
      this.sndScale = 0;
      this.rcvScale = 0;
    }
    this.rcvAdvEdge = this.rcvNxt;
  }

  private established(): void {
    this.state = TcpState.ESTABLISHED;
    if (this.parent) {
      this.parent.synQueue.delete(this);
      this.parent.acceptQueue.push(this);
      this.parent.notify();
    }
    this.armKeepalive();
    this.notify();
  }

  private shutdownWrite(): void {
    if (this.wrShut) return;
    this.wrShut = true;
    this.finQueued = true;
    if (this.state === TcpState.ESTABLISHED || this.state === TcpState.SYN_RCVD) this.state = TcpState.FIN_WAIT_1;
    else if (this.state === TcpState.CLOSE_WAIT) this.state = TcpState.LAST_ACK;
    this.output();
    this.notify();
  }

  private stopListening(): void {
    for (const c of [...this.synQueue, ...this.acceptQueue]) c.abort();
    this.synQueue.clear();
    this.acceptQueue.length = 0;
    this.state = TcpState.CLOSED;
    this.notify();
  }

  /** Tears down with an RST (listener closing, SO_LINGER 0). */
  abort(): void {
    if (this.state !== TcpState.CLOSED && this.state !== TcpState.SYN_SENT && this.state !== TcpState.TIME_WAIT) this.sendRst(this.sndNxt);
    this.released = true;
    this.toClosed();
    this.releasePort();
  }

  /** The connection failed with `errno` (0: ended quietly). */
  private fail(errno: number): void {
    if (errno) this.softError = errno;
    this.toClosed();
  }

  private throwError(): never {
    const e = this.takeError();
    throw new LinuxError(e);
  }

  /** Ends the connection: timers off, out of the demux table; the port goes too unless bind() holds it. */
  private toClosed(): void {
    const wasConnected = this.state !== TcpState.CLOSED && this.state !== TcpState.LISTEN;
    this.state = TcpState.CLOSED;
    this.done = this.everConnected;
    for (const t of ['rtxTimer', 'persistTimer', 'keepTimer', 'delackTimer', 'closeTimer'] as const) this.cancelTimer(t);
    this.sndq.clear();
    this.ooo.clear();
    if (wasConnected) this.stack.tcp.removeConnection(this);
    if (this.parent?.synQueue.delete(this)) {
      // Embryonic: nobody will ever own it. (Queued for accept, it stays there and reports its error.)
      this.parent = undefined;
      this.released = true;
    }
    if (this.released || !this.userBound) this.releasePort();
    this.notify();
  }

  /** Gives the local port back; an unbound socket forgets its name, as Linux's inet_put_port. */
  private releasePort(): void {
    this.stack.tcp.ports.release(this);
    if (!this.userBound || this.released) {
      this.localPort = 0;
      this.localAddr = 0;
    }
  }

  private resetConnectionState(): void {
    this.sndq.clear();
    this.rcvq.clear();
    this.ooo.clear();
    this.finQueued = false;
    this.finSeq = undefined;
    this.finReceived = false;
    this.rdShut = false;
    this.wrShut = false;
    this.retries = 0;
    this.rttSeq = undefined;
    this.rcvRtt = 0;
    this.rcvRttSeq = undefined;
    this.rcvCopied = 0;
    this.rcvSpace = 0;
  }

  private clampBacklog(backlog: number): number {
    return Math.max(0, Math.min(backlog, this.stack.tcp.somaxconn));
  }

  private notify(): void {
    this.waitQueue.notify();
  }
}
