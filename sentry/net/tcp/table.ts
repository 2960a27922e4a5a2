/**
 * The stack's TCP demultiplexer: connected endpoints by four-tuple,
 * listeners by port, and the answers for segments nobody owns (RST, RFC
 * 9293 3.10.7.1). SYNs for listeners create embryonic endpoints within the
 * listener's SYN queue limit; past it they are answered with SYN cookies
 * (syncookies.ts) that keep no state, so a SYN flood costs bounded memory
 * and real clients still get in.
 */
import { IPPROTO } from '../../abi/linux/inet';
import { SOMAXCONN } from '../../abi/linux/socket';
import { fail } from '../../errors/linuxerr';
import { type Ipv4, isMulticastOrBroadcast } from '../addr';
import { addressesOverlap, PortTable } from '../ports';
import type { Route, Stack } from '../stack';
import type { Ipv4Header } from '../wire/ipv4';
import { encodeOptions, type Payload, parseTcp, TCP_CHECKSUM_AT, TCP_DEFAULT_MSS, TCP_FLAG, TCP_MIN_HEADER, type TcpFields, type TcpSegment, writeTcp } from '../wire/tcp';
import { TcpEndpoint, TcpState } from './endpoint';
import { seqAdd } from './seqnum';
import { SYNCOOKIE_VALID_MS, SynCookies } from './syncookies';

export class TcpTable {
  readonly ports: PortTable<TcpEndpoint>;
  readonly somaxconn = SOMAXCONN;
  private readonly conns = new Map<string, TcpEndpoint>();
  private readonly cookies: SynCookies;
  /** When each listener last answered with a cookie (Linux's rx_opt.ts_recent_stamp for tcp_synq_overflow). */
  private readonly lastCookie = new WeakMap<TcpEndpoint, number>();

  constructor(private readonly stack: Stack) {
    this.cookies = new SynCookies(stack.clock);
    this.ports = new PortTable<TcpEndpoint>(stack.random, (holder, cand, addr) => {
      if (!addressesOverlap(holder.localAddr, addr)) return false;
      if (cand.reusePort && holder.reusePort) return false;
      // SO_REUSEADDR: share with sockets that do not listen, and with TIME_WAIT leftovers.
      if (cand.reuseAddr && ((holder.reuseAddr && !holder.isListening) || holder.state === TcpState.TIME_WAIT)) return false;
      return true;
    });
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  addConnection(e: TcpEndpoint): void {
    this.conns.set(key(e.localAddr, e.localPort, e.remoteAddr, e.remotePort), e);
  }

  removeConnection(e: TcpEndpoint): void {
    const k = key(e.localAddr, e.localPort, e.remoteAddr, e.remotePort);
    if (this.conns.get(k) === e) this.conns.delete(k);
  }

  lookupConnection(la: Ipv4, lp: number, ra: Ipv4, rp: number): TcpEndpoint | undefined {
    return this.conns.get(key(la, lp, ra, rp));
  }

  /** ARP found nobody at `nextHop`: connections being opened through it fail (Linux: EHOSTUNREACH after ~3 s). */
  hostUnreachable(nextHop: Ipv4): void {
    for (const c of [...this.conns.values()]) c.hostUnreachable(nextHop);
  }

  /** listen(2) on a bound port: another overlapping listener is EADDRINUSE unless both set SO_REUSEPORT. */
  checkListen(e: TcpEndpoint): void {
    for (const other of this.ports.users(e.localPort)) {
      if (other !== e && other.isListening && addressesOverlap(other.localAddr, e.localAddr) && !(other.reusePort && e.reusePort)) {
        fail('EADDRINUSE', `port ${e.localPort}`);
      }
    }
  }

  /** One received TCP segment inside IPv4 header `h`; `checksumOk`: the link vouched for its checksum. */
  input(h: Ipv4Header, checksumOk = false): void {
    const seg = parseTcp(h.payload, h.src, h.dst, IPPROTO.TCP, checksumOk);
    if (typeof seg === 'string') return this.stack.stats.inc(`tcp.bad_${seg}`);
    if (isMulticastOrBroadcast(h.dst) || isMulticastOrBroadcast(h.src) || seg.srcPort === 0 || seg.dstPort === 0) return this.stack.stats.inc('tcp.bad_address');
    this.stack.stats.inc('tcp.segments_in');
    const conn = this.conns.get(key(h.dst, seg.dstPort, h.src, seg.srcPort));
    if (conn && !conn.yieldsToSyn(seg)) return conn.onSegment(seg);
    const listener = this.findListener(h, seg);
    if (listener) return this.listenInput(listener, h, seg);
    this.stack.stats.inc('tcp.no_socket');
    this.resetFor(h, seg);
  }

  /**
   * Builds and sends one segment from `src` to `dst` over `route`. Where
   * the route's NIC offers it, the link finishes the checksum, and a
   * payload longer than `mss` (only with GSO) goes as one frame the link
   * cuts into `mss`-byte segments.
   */
  send(route: Route, src: Ipv4, dst: Ipv4, ttl: number, f: TcpFields, payload: Payload, mss = 0): void {
    const headerLength = TCP_MIN_HEADER + (f.options?.length ?? 0);
    const len = headerLength + payload.length;
    const partial = route.nic.offloads?.txChecksum === true;
    const offload = partial ? { checksumAt: TCP_CHECKSUM_AT, gsoSize: mss > 0 && payload.length > mss ? mss : 0, headerLength } : undefined;
    this.stack.stats.inc('tcp.segments_out');
    this.stack.sendIp(route, dst, { protocol: IPPROTO.TCP, ttl, dontFragment: true }, len, (b, off) => {
      writeTcp(b, off, f, payload, src, dst, IPPROTO.TCP, partial);
    }, offload);
  }

  private findListener(h: Ipv4Header, seg: TcpSegment): TcpEndpoint | undefined {
    const candidates: TcpEndpoint[] = [];
    let exact = false;
    for (const e of this.ports.users(seg.dstPort)) {
      if (!e.isListening || (e.localAddr !== 0 && e.localAddr !== h.dst)) continue;
      const isExact = e.localAddr === h.dst;
      if (isExact && !exact) {
        candidates.length = 0;
        exact = true;
      }
      if (isExact === exact) candidates.push(e);
    }
    if (candidates.length <= 1) return candidates[0];
    // SO_REUSEPORT group: spread connections by the peer's address and port.
    return candidates[((h.src ^ Math.imul(seg.srcPort, 2654435761)) >>> 0) % candidates.length];
  }

  /** A segment for a listener with no connection of its own (Linux's tcp_v4_do_rcv in LISTEN and tcp_conn_request). */
  private listenInput(listener: TcpEndpoint, h: Ipv4Header, seg: TcpSegment): void {
    if (seg.flags & TCP_FLAG.RST) return;
    if (seg.flags & TCP_FLAG.ACK) {
      if (!(seg.flags & TCP_FLAG.SYN) && this.cookieAck(listener, h, seg)) return;
      return this.resetFor(h, seg);
    }
    if (!(seg.flags & TCP_FLAG.SYN)) return;
    // As Linux: a full SYN queue means a cookie (or a drop without them); a full accept queue drops the SYN either way.
    const synQueueFull = listener.synQueueFull();
    if ((synQueueFull && !this.stack.tcpConfig.syncookies) || listener.acceptQueueFull()) return this.stack.stats.inc('tcp.syn_dropped');
    const route = this.stack.route(h.src, h.dst);
    if (!route) return this.stack.stats.inc('tcp.no_route');
    if (synQueueFull) return this.sendCookie(listener, route, h, seg);
    new TcpEndpoint(this.stack).acceptSyn(listener, { addr: h.dst, port: seg.dstPort }, { addr: h.src, port: seg.srcPort }, seg, route);
  }

  /** Answers a SYN with a SYN-ACK whose ISN is a cookie (MSS option only), keeping nothing. */
  private sendCookie(listener: TcpEndpoint, route: Route, h: Ipv4Header, seg: TcpSegment): void {
    const t = listener.cookieSynAck(route);
    const cookie = this.cookies.make(h.dst, seg.dstPort, h.src, seg.srcPort, seg.seq, Math.min(seg.options.mss ?? TCP_DEFAULT_MSS, t.mss));
    this.lastCookie.set(listener, this.stack.clock.now());
    this.stack.stats.inc('tcp.syncookies_sent');
    const f: TcpFields = {
      srcPort: seg.dstPort, dstPort: seg.srcPort, seq: cookie.isn, ack: seqAdd(seg.seq, 1), flags: TCP_FLAG.SYN | TCP_FLAG.ACK, window: t.window,
      options: encodeOptions({ mss: t.mss }),
    };
    this.send(route, h.dst, h.src, t.ttl, f, Buffer.alloc(0));
  }

  /**
   * An ACK for a listener: true when it carries a valid cookie and was
   * taken (a connection opened, or dropped for a full accept queue, as
   * Linux drops it); false for a stray ACK, which gets an RST. Cookies are
   * looked for only within 2 minutes of the listener's last one, as Linux.
   */
  private cookieAck(listener: TcpEndpoint, h: Ipv4Header, seg: TcpSegment): boolean {
    const last = this.lastCookie.get(listener);
    if (last === undefined || this.stack.clock.now() - last > SYNCOOKIE_VALID_MS) return false;
    const mss = this.cookies.check(h.dst, seg.dstPort, h.src, seg.srcPort, seqAdd(seg.seq, -1), seqAdd(seg.ack, -1));
    if (mss === undefined) {
      this.stack.stats.inc('tcp.syncookies_failed');
      return false;
    }
    this.stack.stats.inc('tcp.syncookies_recv');
    if (listener.acceptQueueFull()) {
      this.stack.stats.inc('tcp.accept_queue_full');
      return true;
    }
    const route = this.stack.route(h.src, h.dst);
    if (!route) return true;
    new TcpEndpoint(this.stack).acceptCookie(listener, { addr: h.dst, port: seg.dstPort }, { addr: h.src, port: seg.srcPort }, seg, route, mss);
    return true;
  }

  /** The RST a segment for no connection gets (never one for an RST). */
  private resetFor(h: Ipv4Header, seg: TcpSegment): void {
    if (seg.flags & TCP_FLAG.RST) return;
    const route = this.stack.route(h.src, h.dst);
    if (!route) return;
    const segLen = seg.payload.length + (seg.flags & TCP_FLAG.SYN ? 1 : 0) + (seg.flags & TCP_FLAG.FIN ? 1 : 0);
    const f: TcpFields =
      seg.flags & TCP_FLAG.ACK
        ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TCP_FLAG.RST, window: 0 }
        : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: seqAdd(seg.seq, segLen), flags: TCP_FLAG.RST | TCP_FLAG.ACK, window: 0 };
    this.stack.stats.inc('tcp.resets_sent');
    this.send(route, h.dst, h.src, this.stack.defaultTtl, f, Buffer.alloc(0));
  }
}

function key(la: Ipv4, lp: number, ra: Ipv4, rp: number): string {
  return `${la}:${lp}:${ra}:${rp}`;
}
