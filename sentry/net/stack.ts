/**
 * The user-space TCP/IP stack: interfaces, routing, IPv4 (checks,
 * fragmentation and reassembly), ICMP, and the UDP and TCP tables. It is
 * fed raw Ethernet frames (`input`) and emits them through a LinkEndpoint;
 * all timing goes through a Clock. See README.md for what is supported.
 */
import { Errno } from '../abi/linux/errno';
import { IP_DEFAULT_TTL, IPPROTO } from '../abi/linux/inet';
import { type Ipv4, isLoopback, isMulticastOrBroadcast, parseIpv4, prefixMask, sameSubnet } from './addr';
import type { ArpConfig } from './arp_cache';
import { type Clock, realClock } from './clock';
import { EthernetNic, type LinkEndpoint, LoopbackNic, type Nic, type RxFrameInfo, type TxOffload } from './nic';
import { Reassembler } from './reassembly';
import { NetStats } from './stats';
import { DEFAULT_TCP_CONFIG, type TcpConfig } from './tcp/config';
import { TcpEndpoint } from './tcp/endpoint';
import { TcpTable } from './tcp/table';
import { UdpEndpoint, UdpTable } from './udp';
import { finish, sum16 } from './wire/checksum';
import { ETH_HEADER } from './wire/ethernet';
import { ICMP_ERROR_QUOTE_MAX, ICMP_HEADER, ICMP_TYPE, ICMP_UNREACH } from './wire/icmp';
import { IPV4_MAX_PACKET, IPV4_MIN_HEADER, type Ipv4Header, parseIpv4 as parseIpv4Packet, writeIpv4Header } from './wire/ipv4';

/** How a packet leaves: the interface, our source address and the next hop. */
export interface Route {
  readonly nic: Nic;
  readonly src: Ipv4;
  readonly nextHop: Ipv4;
  readonly broadcast: boolean;
}

export interface IpSendFields {
  readonly protocol: number;
  readonly ttl: number;
  readonly dontFragment: boolean;
}

/**
 * What a transport leaves to the NIC for one packet (only where
 * `route.nic.offloads` offers it): the checksum, whose field at
 * `checksumAt` of the transport header holds the pseudo-header sum, and
 * for TCP segmentation the payload per segment (`gsoSize`, 0: none) behind
 * a transport header of `headerLength` bytes.
 */
export interface L4Offload {
  readonly checksumAt: number;
  readonly gsoSize: number;
  readonly headerLength: number;
}

export interface StackOptions {
  readonly clock?: Clock;
  /** Uniform in [0, 1): initial sequence numbers, ephemeral ports. */
  readonly random?: () => number;
  readonly tcp?: Partial<TcpConfig>;
  /** ICMP errors per second and burst (Linux icmp_msgs_per_sec 1000, icmp_msgs_burst 50). */
  readonly icmpRate?: { readonly perSecond: number; readonly burst: number };
}

export interface EthernetSetup {
  readonly name?: string;
  readonly address: string;
  readonly prefixLength: number;
  readonly gateway?: string;
  readonly arp?: ArpConfig;
}

export class Stack {
  readonly clock: Clock;
  readonly random: () => number;
  readonly stats = new NetStats();
  readonly tcpConfig: TcpConfig;
  readonly defaultTtl = IP_DEFAULT_TTL;
  readonly loopback: LoopbackNic;
  readonly tcp: TcpTable;
  readonly udp: UdpTable;
  private eth?: EthernetNic;
  private gateway?: Ipv4;
  private readonly reassembler: Reassembler;
  private ipId: number;
  private readonly icmpRate: { readonly perSecond: number; readonly burst: number };
  private icmpTokens: number;
  private icmpRefill: number;
  /** The last exception a malformed input provoked (it was caught and counted as internal_error). */
  lastInternalError?: unknown;
  /** Inside inputBatch: connections whose output and ACK wait for the end of the burst. */
  private batch?: Set<TcpEndpoint>;

  constructor(opts: StackOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.tcpConfig = { ...DEFAULT_TCP_CONFIG, ...opts.tcp };
    this.loopback = new LoopbackNic(this.clock, (p, nic) => this.guard(() => this.ipInput(p, nic, false)));
    this.tcp = new TcpTable(this);
    this.udp = new UdpTable(this);
    this.reassembler = new Reassembler(this.clock, this.stats);
    this.ipId = Math.floor(this.random() * 0x10000);
    this.icmpRate = opts.icmpRate ?? { perSecond: 1000, burst: 50 };
    this.icmpTokens = this.icmpRate.burst;
    this.icmpRefill = this.clock.now();
  }

  /** Puts the stack on an Ethernet link with one IPv4 address (and a default route via `gateway`). */
  attachEthernet(link: LinkEndpoint, setup: EthernetSetup): EthernetNic {
    if (this.eth) throw new Error('the stack already has an Ethernet interface');
    if (!Number.isInteger(setup.prefixLength) || setup.prefixLength < 0 || setup.prefixLength > 32) throw new Error(`bad prefix length ${setup.prefixLength}`);
    if (link.mtu < 576 || link.mtu > 65535) throw new Error(`bad MTU ${link.mtu}`);
    const address = parseIpv4(setup.address);
    this.gateway = setup.gateway === undefined ? undefined : parseIpv4(setup.gateway);
    this.eth = new EthernetNic(
      link,
      { name: setup.name, address, prefixLength: setup.prefixLength, arp: setup.arp },
      this.clock,
      this.stats,
      (p, nic, l4ChecksumOk) => this.ipInput(p, nic, l4ChecksumOk),
      (ip) => this.tcp.hostUnreachable(ip),
    );
    return this.eth;
  }

  get ethernet(): EthernetNic | undefined {
    return this.eth;
  }

  /** The default route's next hop, if the Ethernet interface has one. */
  get defaultGateway(): Ipv4 | undefined {
    return this.gateway;
  }

  /**
   * One frame from the Ethernet link; `info` says what the link vouches
   * for (a trusted checksum is not computed again). Malformed input never
   * throws: it is counted and dropped.
   */
  input(frame: Buffer, info?: RxFrameInfo): void {
    const eth = this.eth;
    if (!eth) return this.stats.inc('eth.no_interface');
    this.guard(() => eth.input(frame, info));
  }

  /**
   * Runs `feed`, which passes a burst of frames to `input`, with TCP output
   * and ACKs held until it ends: ACKs that arrive together release one
   * large (GSO) frame instead of a small one each, and data that arrives
   * together is acknowledged once, as Linux acknowledges what GRO merged.
   */
  inputBatch(feed: () => void): void {
    if (this.batch) return feed();
    const batch = new Set<TcpEndpoint>();
    this.batch = batch;
    try {
      feed();
    } finally {
      this.batch = undefined;
      for (const e of batch) this.guard(() => e.flushOutput());
    }
  }

  /** Whether `e` may leave its output to the end of the current input batch (then it is called back with flushOutput). */
  deferOutput(e: TcpEndpoint): boolean {
    if (!this.batch) return false;
    this.batch.add(e);
    return true;
  }

  tcpSocket(): TcpEndpoint {
    return new TcpEndpoint(this);
  }

  udpSocket(): UdpEndpoint {
    return new UdpEndpoint(this);
  }

  isLocalAddress(a: Ipv4): boolean {
    return isLoopback(a) || a === this.eth?.address;
  }

  /** Where a packet to `dst` goes; `src` (0: any) is the socket's bound address. Undefined: ENETUNREACH. */
  route(dst: Ipv4, src: Ipv4 = 0): Route | undefined {
    const eth = this.eth;
    if (isLoopback(dst) || (eth && dst === eth.address)) {
      return { nic: this.loopback, src: src || (isLoopback(dst) ? this.loopback.address : dst), nextHop: dst, broadcast: false };
    }
    if (isLoopback(src)) return undefined; // a loopback-bound socket cannot reach out (Linux: EINVAL/ENETUNREACH)
    if (!eth) return undefined;
    const srcAddr = src && !isMulticastOrBroadcast(src) ? src : eth.address;
    const directedBroadcast = eth.prefixLength < 31 && ((dst | ~prefixMask(eth.prefixLength)) >>> 0) === dst && sameSubnet(dst, eth.address, eth.prefixLength);
    if (dst === 0xffffffff || directedBroadcast) return { nic: eth, src: srcAddr, nextHop: dst, broadcast: true };
    if (isMulticastOrBroadcast(dst)) return undefined; // no multicast routes
    if (sameSubnet(dst, eth.address, eth.prefixLength)) return { nic: eth, src: srcAddr, nextHop: dst, broadcast: false };
    if (this.gateway !== undefined) return { nic: eth, src: srcAddr, nextHop: this.gateway, broadcast: false };
    return undefined;
  }

  /**
   * Sends an IPv4 packet of `payloadLength` bytes that `write(buf, off)`
   * fills in place, fragmenting it if the interface needs (and DF allows).
   * A packet with `offload` (which the route's NIC must offer) is never
   * fragmented: with a `gsoSize` the link cuts it into packets that fit.
   * False if it cannot go out whole (EMSGSIZE).
   */
  sendIp(route: Route, dst: Ipv4, f: IpSendFields, payloadLength: number, write: (b: Buffer, off: number) => void, offload?: L4Offload): boolean {
    const mtu = route.nic.mtu;
    if (IPV4_MIN_HEADER + payloadLength > IPV4_MAX_PACKET) return false;
    const id = this.ipId;
    // The link numbers the segments of a GSO packet id, id+1, … (as Linux's inet_gso_segment).
    const segments = offload && offload.gsoSize > 0 ? Math.max(1, Math.ceil((payloadLength - offload.headerLength) / offload.gsoSize)) : 1;
    this.ipId = (this.ipId + segments) & 0xffff;
    const fields = { id, ttl: f.ttl, protocol: f.protocol, src: route.src, dst, dontFragment: f.dontFragment };
    if (IPV4_MIN_HEADER + payloadLength <= mtu || segments > 1) {
      const buf = Buffer.allocUnsafe(ETH_HEADER + IPV4_MIN_HEADER + payloadLength);
      write(buf, ETH_HEADER + IPV4_MIN_HEADER);
      writeIpv4Header(buf, ETH_HEADER, fields, payloadLength);
      route.nic.transmit(buf, route.nextHop, route.broadcast, offload && this.txOffload(offload, segments));
      return true;
    }
    // A partial checksum cannot be finished across fragments.
    if (f.dontFragment || offload) return false;
    const whole = Buffer.allocUnsafe(payloadLength);
    write(whole, 0);
    const step = Math.floor((mtu - IPV4_MIN_HEADER) / 8) * 8;
    for (let off = 0; off < payloadLength; off += step) {
      const n = Math.min(step, payloadLength - off);
      const buf = Buffer.allocUnsafe(ETH_HEADER + IPV4_MIN_HEADER + n);
      whole.copy(buf, ETH_HEADER + IPV4_MIN_HEADER, off, off + n);
      writeIpv4Header(buf, ETH_HEADER, { ...fields, fragmentOffset: off, moreFragments: off + n < payloadLength }, n);
      route.nic.transmit(buf, route.nextHop, route.broadcast);
    }
    this.stats.inc('ip.fragmented');
    return true;
  }

  /** The link's view of a transport's offload request for a packet behind a 20-byte IPv4 header. */
  private txOffload(o: L4Offload, segments: number): TxOffload {
    const l4 = ETH_HEADER + IPV4_MIN_HEADER;
    return { csumStart: l4, csumOffset: o.checksumAt, gsoSize: segments > 1 ? o.gsoSize : 0, headerLength: l4 + o.headerLength };
  }

  /** Stops the interfaces and forgets pending fragments; endpoints should be closed first. */
  close(): void {
    this.loopback.close();
    this.eth?.close();
    this.reassembler.clear();
  }

  get pendingFragments(): { datagrams: number; bytes: number } {
    return { datagrams: this.reassembler.pendingDatagrams, bytes: this.reassembler.pendingBytes };
  }

  // ------------------------------------------------------------------ input

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // A bug, not bad input (parsers reject that): count it, keep the stack alive.
      this.stats.inc('internal_error');
      this.lastInternalError = e;
    }
  }

  /** `l4ChecksumOk`: the link vouched for the transport checksum (never for fragments: reassembly leaves it to the check). */
  private ipInput(packet: Buffer, nic: Nic, l4ChecksumOk: boolean): void {
    const parsed = parseIpv4Packet(packet);
    if (typeof parsed === 'string') return this.stats.inc(`ip.bad_${parsed}`);
    let h: Ipv4Header = parsed;
    const fromWire = nic !== this.loopback;
    if (isMulticastOrBroadcast(h.src) || (fromWire && (isLoopback(h.src) || isLoopback(h.dst) || h.src === nic.address))) return this.stats.inc('ip.martian');
    const broadcast = h.dst === 0xffffffff || (fromWire && h.dst !== nic.address && this.route(h.dst)?.broadcast === true);
    if (!broadcast && !this.isLocalAddress(h.dst)) return this.stats.inc('ip.not_for_us');
    let checksumOk = l4ChecksumOk;
    if (h.moreFragments || h.fragmentOffset > 0) {
      const whole = this.reassembler.add(h);
      if (!whole) return;
      h = whole;
      checksumOk = false;
    }
    this.stats.inc('ip.delivered');
    switch (h.protocol) {
      case IPPROTO.TCP:
        if (!broadcast) this.tcp.input(h, checksumOk);
        return;
      case IPPROTO.UDP:
        if (!this.udp.input(h, broadcast, checksumOk) && !broadcast) this.sendIcmpError(h, ICMP_TYPE.DEST_UNREACHABLE, ICMP_UNREACH.PORT);
        return;
      case IPPROTO.ICMP:
        return this.icmpInput(h, broadcast);
      default:
        if (!broadcast) this.sendIcmpError(h, ICMP_TYPE.DEST_UNREACHABLE, ICMP_UNREACH.PROTOCOL);
        this.stats.inc('ip.unknown_protocol');
    }
  }

  private icmpInput(h: Ipv4Header, broadcast: boolean): void {
    const p = h.payload;
    if (p.length < ICMP_HEADER || finish(sum16(p, 0, p.length)) !== 0) return this.stats.inc('icmp.bad');
    const type = p[0];
    if (type === ICMP_TYPE.ECHO_REQUEST) {
      // Broadcast echo is ignored, as Linux's icmp_echo_ignore_broadcasts=1.
      if (broadcast) return;
      const route = this.route(h.src, h.dst);
      if (!route) return;
      this.stats.inc('icmp.echo_replies');
      this.sendIp(route, h.src, { protocol: IPPROTO.ICMP, ttl: this.defaultTtl, dontFragment: false }, p.length, (b, off) => {
        p.copy(b, off);
        b[off] = ICMP_TYPE.ECHO_REPLY;
        b.writeUInt16BE(0, off + 2);
        b.writeUInt16BE(finish(sum16(b, off, p.length)), off + 2);
      });
      return;
    }
    if (type === ICMP_TYPE.DEST_UNREACHABLE && p[1] === ICMP_UNREACH.PORT) {
      // The quoted datagram: its IP header and at least 8 bytes of its UDP header.
      const q = p.subarray(ICMP_HEADER);
      if (q.length < IPV4_MIN_HEADER || q[0] >> 4 !== 4) return this.stats.inc('icmp.bad');
      const ihl = (q[0] & 0xf) * 4;
      if (ihl < IPV4_MIN_HEADER || q.length < ihl + 8 || q[9] !== IPPROTO.UDP) return;
      this.udp.icmpError(q.readUInt32BE(12), q.readUInt16BE(ihl), q.readUInt32BE(16), q.readUInt16BE(ihl + 2), Errno.ECONNREFUSED);
      return;
    }
    this.stats.inc('icmp.ignored');
  }

  /** An ICMP error about packet `h` (RFC 1122 3.2.2: never about broadcasts, fragments past the first, or ICMP errors). */
  private sendIcmpError(h: Ipv4Header, type: number, code: number): void {
    if (h.fragmentOffset > 0 || isMulticastOrBroadcast(h.dst)) return;
    if (!this.takeIcmpToken()) return this.stats.inc('icmp.rate_limited');
    const route = this.route(h.src, h.dst);
    if (!route) return;
    // Quote the original header and data; the caller's h.payload follows its header in the same buffer.
    const header = Buffer.alloc(IPV4_MIN_HEADER);
    writeIpv4Header(header, 0, { id: h.id, ttl: h.ttl, protocol: h.protocol, src: h.src, dst: h.dst, dontFragment: h.dontFragment }, h.payload.length);
    const quote = Buffer.concat([header, h.payload.subarray(0, Math.max(0, ICMP_ERROR_QUOTE_MAX - IPV4_MIN_HEADER))]);
    this.stats.inc('icmp.errors_sent');
    this.sendIp(route, h.src, { protocol: IPPROTO.ICMP, ttl: this.defaultTtl, dontFragment: false }, ICMP_HEADER + quote.length, (b, off) => {
      b[off] = type;
      b[off + 1] = code;
      b.writeUInt32BE(0, off + 2);
      b.writeUInt16BE(0, off + 6);
      quote.copy(b, off + ICMP_HEADER);
      b.writeUInt16BE(finish(sum16(b, off, ICMP_HEADER + quote.length)), off + 2);
    });
  }

  private takeIcmpToken(): boolean {
    const now = this.clock.now();
    this.icmpTokens = Math.min(this.icmpRate.burst, this.icmpTokens + ((now - this.icmpRefill) * this.icmpRate.perSecond) / 1000);
    this.icmpRefill = now;
    if (this.icmpTokens < 1) return false;
    this.icmpTokens--;
    return true;
  }
}
