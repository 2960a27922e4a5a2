/**
 * Network interfaces: the loopback device and an Ethernet NIC on a link
 * endpoint (in the Sentry, the pod's veth through a packet socket). Both
 * take IPv4 packets built with ETH_HEADER bytes of headroom in front, so
 * the Ethernet header is written in place without a copy.
 */
import { type Ipv4, sameSubnet } from './addr';
import { ArpCache, type ArpConfig, DEFAULT_ARP_CONFIG } from './arp_cache';
import type { Clock } from './clock';
import type { NetStats } from './stats';
import { ARP_OP, buildArp, parseArp } from './wire/arp';
import { BROADCAST_MAC, buildEthernet, ETH_HEADER, ETHERTYPE, isMulticastMac, parseEthernet } from './wire/ethernet';

/**
 * Transmit work a link can finish for the stack (a packet socket with
 * PACKET_VNET_HDR hands it to the host kernel, which does it in the veth
 * or on the far side, as for its own sockets).
 */
export interface LinkOffloads {
  /** TCP checksums: the stack writes only the pseudo-header sum into the field. */
  readonly txChecksum: boolean;
  /** TCP segmentation (TSO/GSO): one frame of up to 64 KiB is sent as MSS-sized packets. Needs txChecksum. */
  readonly gso: boolean;
}

/** The offload work for one frame, in virtio_net_hdr's terms (offsets from the frame's first byte). */
export interface TxOffload {
  /** Checksum from `csumStart` to the end, stored at `csumStart + csumOffset` (which holds the pseudo-header sum). */
  readonly csumStart: number;
  readonly csumOffset: number;
  /** TCP/IPv4 payload bytes per packet when segmenting; 0: send as is. */
  readonly gsoSize: number;
  /** Ethernet, IP and TCP headers: the bytes each segment repeats. */
  readonly headerLength: number;
}

/** What a link knows about a received frame. */
export interface RxFrameInfo {
  /**
   * The TCP/UDP checksum needs no check: a sender on this host left it
   * partial for offload (it never crossed a wire), or the host kernel
   * verified it already.
   */
  readonly l4ChecksumOk?: boolean;
}

/** Where Ethernet frames leave the stack. */
export interface LinkEndpoint {
  /** The largest IP packet the link carries (1500 on Ethernet). */
  readonly mtu: number;
  readonly mac: Buffer;
  /** Absent: the stack sends finished frames no larger than the MTU. */
  readonly offloads?: LinkOffloads;
  /** Sends one frame; the stack does not touch `frame` afterwards. `offload` comes only with a link's `offloads`. */
  send(frame: Buffer, offload?: TxOffload): void;
}

/** Per-interface traffic, as /proc/net/dev shows it (bytes are link-layer frames on Ethernet, IP packets on lo). */
export class NicCounters {
  rxPackets = 0;
  rxBytes = 0;
  txPackets = 0;
  txBytes = 0;
  txDropped = 0;

  received(bytes: number): void {
    this.rxPackets++;
    this.rxBytes += bytes;
  }

  sent(bytes: number): void {
    this.txPackets++;
    this.txBytes += bytes;
  }
}

export interface Nic {
  readonly name: string;
  readonly counters: NicCounters;
  readonly mtu: number;
  readonly address: Ipv4;
  readonly prefixLength: number;
  /** The transmit offloads of the NIC's link, if any. */
  readonly offloads?: LinkOffloads;
  /** Sends the IPv4 packet at `buf.subarray(ETH_HEADER)` towards `nextHop`. */
  transmit(buf: Buffer, nextHop: Ipv4, broadcast: boolean, offload?: TxOffload): void;
  close(): void;
}

/** Delivers a received IPv4 packet to the network layer; `l4ChecksumOk` as in RxFrameInfo. */
export type IpDeliver = (packet: Buffer, nic: Nic, l4ChecksumOk: boolean) => void;

export const LOOPBACK_MTU = 65536;

/** `lo`: 127.0.0.1/8. Packets come back asynchronously (one timer per batch) so senders never re-enter themselves. */
export class LoopbackNic implements Nic {
  readonly name = 'lo';
  readonly mtu = LOOPBACK_MTU;
  readonly address = 0x7f000001;
  readonly prefixLength = 8;
  readonly counters = new NicCounters();
  private queue: Buffer[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly deliver: IpDeliver,
  ) {}

  transmit(buf: Buffer): void {
    if (this.closed) return;
    const packet = buf.subarray(ETH_HEADER);
    // What lo sends it receives: both sides count each packet, as Linux's lo does.
    this.counters.sent(packet.length);
    this.counters.received(packet.length);
    this.queue.push(packet);
    if (this.scheduled) return;
    this.scheduled = true;
    this.clock.setTimer(0, () => {
      this.scheduled = false;
      const q = this.queue;
      this.queue = [];
      for (const p of q) if (!this.closed) this.deliver(p, this, false);
    });
  }

  close(): void {
    this.closed = true;
    this.queue = [];
  }
}

export interface EthernetConfig {
  readonly name?: string;
  readonly address: Ipv4;
  readonly prefixLength: number;
  readonly arp?: ArpConfig;
}

export class EthernetNic implements Nic {
  readonly name: string;
  readonly address: Ipv4;
  readonly prefixLength: number;
  readonly arp: ArpCache;
  readonly counters = new NicCounters();
  private closed = false;

  constructor(
    private readonly link: LinkEndpoint,
    cfg: EthernetConfig,
    clock: Clock,
    private readonly stats: NetStats,
    private readonly deliver: IpDeliver,
    unresolved: (ip: Ipv4) => void,
  ) {
    if (link.mac.length !== 6) throw new Error(`link MAC must be 6 bytes, got ${link.mac.length}`);
    this.name = cfg.name ?? 'eth0';
    this.address = cfg.address;
    this.prefixLength = cfg.prefixLength;
    this.arp = new ArpCache(
      clock,
      { request: (ip) => this.sendArp(ARP_OP.REQUEST, BROADCAST_MAC, Buffer.alloc(6), ip), transmit: (f, mac, o) => this.sendFrame(f, mac, o), unresolved },
      stats,
      cfg.arp ?? DEFAULT_ARP_CONFIG,
    );
  }

  get mtu(): number {
    return this.link.mtu;
  }

  get mac(): Buffer {
    return this.link.mac;
  }

  get offloads(): LinkOffloads | undefined {
    return this.link.offloads;
  }

  transmit(buf: Buffer, nextHop: Ipv4, broadcast: boolean, offload?: TxOffload): void {
    if (this.closed) return;
    if (broadcast) this.sendFrame(buf, BROADCAST_MAC, offload);
    else this.arp.send(nextHop, buf, offload);
  }

  /** One received frame; anything malformed or not for us is counted and dropped. */
  input(frame: Buffer, info?: RxFrameInfo): void {
    if (this.closed) return;
    this.counters.received(frame.length);
    const eth = parseEthernet(frame);
    if (!eth) return this.stats.inc('eth.truncated');
    if (isMulticastMac(eth.dst) ? !eth.dst.equals(BROADCAST_MAC) : !eth.dst.equals(this.mac)) return this.stats.inc('eth.not_for_us');
    if (eth.type === ETHERTYPE.IPV4) this.deliver(eth.payload, this, info?.l4ChecksumOk === true);
    else if (eth.type === ETHERTYPE.ARP) this.arpInput(eth.payload);
    else this.stats.inc('eth.unknown_type');
  }

  close(): void {
    this.closed = true;
    this.arp.clear();
  }

  private arpInput(payload: Buffer): void {
    const p = parseArp(payload);
    if (!p) return this.stats.inc('arp.malformed');
    if (isMulticastMac(p.senderMac) || p.senderIp === 0 || p.senderIp === this.address) return this.stats.inc('arp.ignored');
    const forUs = p.targetIp === this.address;
    // Only our subnet's neighbours go in the table (RFC 1122 2.3.2.1: no proxying, no strangers).
    this.arp.learn(p.senderIp, p.senderMac, forUs && sameSubnet(p.senderIp, this.address, this.prefixLength));
    if (forUs && p.op === ARP_OP.REQUEST) this.sendArp(ARP_OP.REPLY, p.senderMac, p.senderMac, p.senderIp);
  }

  private sendArp(op: number, dstMac: Buffer, targetMac: Buffer, targetIp: Ipv4): void {
    if (this.closed) return;
    const body = buildArp({ op, senderMac: this.mac, senderIp: this.address, targetMac, targetIp });
    this.stats.inc(op === ARP_OP.REQUEST ? 'arp.requests_sent' : 'arp.replies_sent');
    this.output(buildEthernet(dstMac, this.mac, ETHERTYPE.ARP, body));
  }

  private sendFrame(buf: Buffer, dst: Buffer, offload?: TxOffload): void {
    if (this.closed) return;
    dst.copy(buf, 0, 0, 6);
    this.mac.copy(buf, 6, 0, 6);
    buf.writeUInt16BE(ETHERTYPE.IPV4, 12);
    this.output(buf, offload);
  }

  private output(frame: Buffer, offload?: TxOffload): void {
    this.counters.sent(frame.length);
    this.link.send(frame, offload);
  }
}
