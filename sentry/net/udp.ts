/**
 * UDP sockets (RFC 768) with Linux's socket semantics: bind, connect
 * (filters what is received; AF_UNSPEC dissolves it), sendto, recvfrom with
 * MSG_PEEK and truncation, SO_BROADCAST off by default, ICMP port
 * unreachable reported as ECONNREFUSED on connected sockets. The receive
 * queue is bounded by SO_RCVBUF, counting a fixed overhead per datagram so
 * floods of empty datagrams are bounded too.
 */
import { IP_DEFAULT_TTL, IPPROTO } from '../abi/linux/inet';
import { POLL } from '../abi/linux/poll';
import { SOCK_BUF_DEFAULT, SOCK_BUF_MAX, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from '../abi/linux/socket';
import { fail, LinuxError } from '../errors/linuxerr';
import { WaitQueue } from '../kernel/wait';
import { addressesOverlap, PortTable } from './ports';
import { type InetAddr, type Ipv4, isMulticastOrBroadcast } from './addr';
import type { Stack } from './stack';
import { finish, pseudoHeaderSum, sum16 } from './wire/checksum';
import type { Ipv4Header } from './wire/ipv4';
import { UDP_HEADER, UDP_MAX_PAYLOAD } from './wire/udp';

/** Accounting overhead per queued datagram (roughly Linux's skb truesize beyond the data). */
const DATAGRAM_OVERHEAD = 256;

export interface Datagram {
  readonly data: Buffer;
  readonly from: InetAddr;
  /** The datagram was longer than the buffer (MSG_TRUNC). */
  readonly truncated: boolean;
  /** Its full length (what recv returns with MSG_TRUNC). */
  readonly length: number;
}

export class UdpEndpoint {
  readonly waitQueue = new WaitQueue();
  localAddr: Ipv4 = 0;
  localPort = 0;
  remoteAddr: Ipv4 = 0;
  remotePort = 0;
  reuseAddr = false;
  reusePort = false;
  broadcast = false;
  private ttl = -1;
  private rcvBufOpt = SOCK_BUF_DEFAULT;
  private sndBufOpt = SOCK_BUF_DEFAULT;
  private readonly queue: { data: Buffer; from: InetAddr }[] = [];
  private queued = 0;
  private softError = 0;
  private closed = false;

  constructor(private readonly stack: Stack) {}

  bind(addr: InetAddr): void {
    if (this.localPort !== 0) fail('EINVAL', 'already bound');
    if (addr.addr !== 0 && !this.stack.isLocalAddress(addr.addr) && !isMulticastOrBroadcast(addr.addr)) fail('EADDRNOTAVAIL');
    this.stack.udp.ports.bind(this, addr.addr, addr.port);
  }

  /** Sets the default destination and the receive filter; binds an ephemeral port and local address if needed. */
  connect(to: InetAddr): void {
    if (to.port === 0) fail('ECONNREFUSED');
    const dst = to.addr === 0 ? 0x7f000001 : to.addr;
    const route = this.stack.route(dst, this.localAddr);
    if (!route) fail('ENETUNREACH');
    if (route.broadcast && !this.broadcast) fail('EACCES');
    if (this.localPort === 0) this.stack.udp.ports.bind(this, 0, 0);
    if (this.localAddr === 0) this.localAddr = route.src;
    this.remoteAddr = dst;
    this.remotePort = to.port;
  }

  /** connect(AF_UNSPEC). */
  disconnect(): void {
    this.remoteAddr = 0;
    this.remotePort = 0;
  }

  /** Sends one datagram to `to` (or the connected peer); returns its length. */
  sendto(data: Buffer, to?: InetAddr): number {
    if (this.closed) fail('EBADF');
    if (this.softError) this.throwError();
    const dst = to ? (to.addr === 0 ? 0x7f000001 : to.addr) : this.remoteAddr;
    const port = to ? to.port : this.remotePort;
    if (!to && this.remotePort === 0) fail('EDESTADDRREQ');
    if (port === 0) fail('EINVAL', 'port 0');
    if (data.length > UDP_MAX_PAYLOAD) fail('EMSGSIZE');
    if (data.length > this.sndBufOpt) fail('EMSGSIZE');
    const route = this.stack.route(dst, this.localAddr);
    if (!route) fail('ENETUNREACH');
    if (route.broadcast && !this.broadcast) fail('EACCES');
    if (this.localPort === 0) this.stack.udp.ports.bind(this, 0, 0);
    const src = this.localAddr !== 0 && !isMulticastOrBroadcast(this.localAddr) ? this.localAddr : route.src;
    const len = UDP_HEADER + data.length;
    const sport = this.localPort;
    const ok = this.stack.sendIp(route, dst, { protocol: IPPROTO.UDP, ttl: this.getTtl(), dontFragment: false }, len, (b, off) => {
      b.writeUInt16BE(sport, off);
      b.writeUInt16BE(port, off + 2);
      b.writeUInt16BE(len, off + 4);
      b.writeUInt16BE(0, off + 6);
      data.copy(b, off + UDP_HEADER);
      const c = finish(sum16(b, off, len, pseudoHeaderSum(src, dst, IPPROTO.UDP, len)));
      b.writeUInt16BE(c === 0 ? 0xffff : c, off + 6);
    });
    if (!ok) fail('EMSGSIZE');
    this.stack.stats.inc('udp.datagrams_out');
    return data.length;
  }

  /** The next datagram, up to `max` bytes. Throws EAGAIN, or a pending error (ECONNREFUSED) first. */
  recvfrom(max: number, peek = false): Datagram {
    if (this.softError) this.throwError();
    const d = this.queue[0];
    if (!d) fail('EAGAIN');
    if (!peek) {
      this.queue.shift();
      this.queued -= d.data.length + DATAGRAM_OVERHEAD;
    }
    const truncated = d.data.length > max;
    return { data: truncated ? Buffer.from(d.data.subarray(0, max)) : d.data, from: d.from, truncated, length: d.data.length };
  }

  readiness(): number {
    let mask = POLL.OUT | POLL.WRNORM;
    if (this.queue.length > 0) mask |= POLL.IN | POLL.RDNORM;
    if (this.softError) mask |= POLL.ERR;
    return mask;
  }

  localAddress(): InetAddr {
    return { addr: this.localAddr, port: this.localPort };
  }

  remoteAddress(): InetAddr {
    if (this.remotePort === 0) fail('ENOTCONN');
    return { addr: this.remoteAddr, port: this.remotePort };
  }

  takeError(): number {
    const e = this.softError;
    this.softError = 0;
    return e;
  }

  /** Bytes the receive queue charges (data and per-datagram overhead): /proc/net/udp's rx_queue, Linux's sk_rmem_alloc. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** FIONREAD on UDP: the size of the next datagram. */
  get inQueue(): number {
    return this.queue[0]?.data.length ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stack.udp.ports.release(this);
    this.queue.length = 0;
    this.queued = 0;
  }

  getTtl(): number {
    return this.ttl === -1 ? IP_DEFAULT_TTL : this.ttl;
  }

  setTtl(v: number): void {
    if (v !== -1 && (!Number.isInteger(v) || v < 1 || v > 255)) fail('EINVAL');
    this.ttl = v;
  }

  getRcvBuf(): number {
    return this.rcvBufOpt;
  }

  setRcvBuf(v: number): void {
    this.rcvBufOpt = Math.max(SOCK_MIN_RCVBUF, Math.min(Math.max(v, 0), SOCK_BUF_MAX) * 2);
  }

  getSndBuf(): number {
    return this.sndBufOpt;
  }

  setSndBuf(v: number): void {
    this.sndBufOpt = Math.max(SOCK_MIN_SNDBUF, Math.min(Math.max(v, 0), SOCK_BUF_MAX) * 2);
  }

  /** Queues a received datagram (called by the UDP table); false when the buffer is full. */
  enqueue(data: Buffer, from: InetAddr): boolean {
    const cost = data.length + DATAGRAM_OVERHEAD;
    if (this.queued + cost > this.rcvBufOpt) return false;
    this.queue.push({ data, from });
    this.queued += cost;
    this.waitQueue.notify();
    return true;
  }

  /** An ICMP error for a datagram this socket sent. Linux reports it only on connected sockets (no IP_RECVERR). */
  icmpError(errno: number): void {
    if (this.remotePort === 0) return;
    this.softError = errno;
    this.waitQueue.notify();
  }

  private throwError(): never {
    throw new LinuxError(this.takeError());
  }
}

export class UdpTable {
  readonly ports: PortTable<UdpEndpoint>;

  constructor(private readonly stack: Stack) {
    this.ports = new PortTable<UdpEndpoint>(stack.random, (holder, cand, addr) => {
      if (!addressesOverlap(holder.localAddr, addr)) return false;
      return !((cand.reuseAddr && holder.reuseAddr) || (cand.reusePort && holder.reusePort));
    });
  }

  /**
   * One received datagram; false when no socket wanted it (the caller may
   * answer port unreachable). `checksumOk`: the link vouched for its checksum.
   */
  input(h: Ipv4Header, broadcast: boolean, checksumOk = false): boolean {
    const p = h.payload;
    if (p.length < UDP_HEADER) {
      this.stack.stats.inc('udp.truncated');
      return true;
    }
    const len = p.readUInt16BE(4);
    if (len < UDP_HEADER || len > p.length) {
      this.stack.stats.inc('udp.bad_length');
      return true;
    }
    const dgram = p.subarray(0, len);
    if (!checksumOk && p.readUInt16BE(6) !== 0 && finish(sum16(dgram, 0, len, pseudoHeaderSum(h.src, h.dst, IPPROTO.UDP, len))) !== 0) {
      this.stack.stats.inc('udp.bad_checksum');
      return true;
    }
    const sport = p.readUInt16BE(0);
    const dport = p.readUInt16BE(2);
    const data = dgram.subarray(UDP_HEADER);
    const from = { addr: h.src, port: sport };
    const matches = [...this.ports.users(dport)].filter(
      (e) => (e.localAddr === 0 || e.localAddr === h.dst) && (e.remotePort === 0 || (e.remoteAddr === h.src && e.remotePort === sport)),
    );
    if (matches.length === 0) return false;
    this.stack.stats.inc('udp.datagrams_in');
    // Broadcasts go to every matching socket; unicast to the most specific one (connected, then bound address).
    const targets = broadcast ? matches : [matches.reduce((a, b) => (score(b) > score(a) ? b : a))];
    for (const e of targets) if (!e.enqueue(targets.length > 1 ? Buffer.from(data) : data, from)) this.stack.stats.inc('udp.rcvbuf_full');
    return true;
  }

  /** ICMP said our datagram to `dst`:`dport` from `sport` failed. */
  icmpError(src: Ipv4, sport: number, dst: Ipv4, dport: number, errno: number): void {
    for (const e of this.ports.users(sport)) {
      if ((e.localAddr === 0 || e.localAddr === src) && e.remoteAddr === dst && e.remotePort === dport) e.icmpError(errno);
    }
  }
}

function score(e: UdpEndpoint): number {
  return (e.remotePort !== 0 ? 2 : 0) + (e.localAddr !== 0 ? 1 : 0);
}
