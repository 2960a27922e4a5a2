/**
 * rtnetlink's interfaces and addresses: RTM_NEWLINK messages for
 * RTM_GETLINK (a dump, or one interface by index or name) and RTM_NEWADDR
 * messages for RTM_GETADDR dumps, describing the sandbox's interfaces
 * (ifaces.ts). Each carries the attributes `ip link`, `ip addr`, glibc's
 * getifaddrs and if_nameindex read, in the kernel's order; driver details
 * (GSO/TSO sizes, IFLA_AF_SPEC, IFLA_MAP, min/max MTU) are left out.
 */
import { Errno } from '../../abi/linux/errno';
import {
  IF_OPER, IFA, IFA_CACHEINFO_SIZE, IFA_F_PERMANENT, IFADDRMSG, IFF_LOWER_UP, IFINFOMSG, IFLA, LINK_STATS_SIZE, LINK_STATS64_SIZE,
  NLM_F, RT_SCOPE, RTEXT_FILTER_SKIP_STATS, RTM,
} from '../../abi/linux/netlink';
import { ARPHRD_LOOPBACK } from '../../abi/linux/netdevice';
import { AF } from '../../abi/linux/socket';
import type { NicCounters } from '../../net/nic';
import { broadcastMac, hasAddress, isRunning, operState, type SandboxInterface, TXQLEN } from './ifaces';
import { attrString, ipv4Attr, nlAlign, nlAttr, nlMessage, parseAttrs, stringAttr, u32Attr, u8Attr } from './nlmsg';
import type { DumpResult, RtnlRequest, RtnlResult } from './rtnetlink';

/** Running interfaces have no queueing discipline (as veth and lo); a down one has the "noop" placeholder. */
const qdisc = (i: SandboxInterface) => (isRunning(i) ? 'noqueue' : 'noop');

const isLoopback = (i: SandboxInterface) => i.hwType === ARPHRD_LOOPBACK;

const IF_OPER_OF = { up: IF_OPER.UP, down: IF_OPER.DOWN, unknown: IF_OPER.UNKNOWN } as const;

/** struct rtnl_link_stats64 (u64 fields) or rtnl_link_stats (u32, wrapping): packets, bytes, then tx_dropped. */
function linkStats(c: NicCounters, wide: boolean): Buffer {
  const b = Buffer.alloc(wide ? LINK_STATS64_SIZE : LINK_STATS_SIZE);
  const put = (field: number, v: number) => {
    if (wide) b.writeBigUInt64LE(BigInt(v), field * 8);
    else b.writeUInt32LE(v % 2 ** 32, field * 4);
  };
  put(0, c.rxPackets);
  put(1, c.txPackets);
  put(2, c.rxBytes);
  put(3, c.txBytes);
  put(7, c.txDropped);
  return b;
}

/** RTM_NEWLINK for one interface (rtnl_fill_ifinfo's order); `skipStats` is RTEXT_FILTER_SKIP_STATS. */
export function linkMessage(i: SandboxInterface, flags: number, seq: number, portId: number, skipStats: boolean): Buffer {
  const h = Buffer.alloc(IFINFOMSG.SIZE);
  h.writeUInt8(AF.UNSPEC, IFINFOMSG.FAMILY);
  h.writeUInt16LE(i.hwType, IFINFOMSG.TYPE);
  h.writeInt32LE(i.index, IFINFOMSG.INDEX);
  // lo and the Ethernet interface are up with carrier for the sandbox's whole life; bridges are down.
  const running = isRunning(i);
  h.writeUInt32LE((running ? i.flags | IFF_LOWER_UP : i.flags) >>> 0, IFINFOMSG.FLAGS);
  return nlMessage(RTM.NEWLINK, flags, seq, portId, [
    h,
    stringAttr(IFLA.IFNAME, i.name),
    u32Attr(IFLA.TXQLEN, TXQLEN),
    u8Attr(IFLA.OPERSTATE, IF_OPER_OF[operState(i)]),
    u8Attr(IFLA.LINKMODE, 0),
    u32Attr(IFLA.MTU, i.mtu),
    u32Attr(IFLA.GROUP, 0),
    u32Attr(IFLA.PROMISCUITY, 0),
    u32Attr(IFLA.NUM_TX_QUEUES, 1),
    u32Attr(IFLA.NUM_RX_QUEUES, 1),
    u8Attr(IFLA.CARRIER, running ? 1 : 0),
    nlAttr(IFLA.ADDRESS, i.mac),
    nlAttr(IFLA.BROADCAST, broadcastMac(i)),
    ...(skipStats ? [] : [nlAttr(IFLA.STATS64, linkStats(i.counters, true)), nlAttr(IFLA.STATS, linkStats(i.counters, false))]),
    stringAttr(IFLA.QDISC, qdisc(i)),
  ]);
}

/**
 * The attributes after a request's fixed header: an ifinfomsg, or (old
 * programs) just an rtgenmsg, padded to 4 bytes.
 */
function linkRequestAttrs(payload: Buffer): Map<number, Buffer> {
  return parseAttrs(payload.subarray(payload.length < IFINFOMSG.SIZE ? nlAlign(1) : IFINFOMSG.SIZE));
}

function skipStats(attrs: Map<number, Buffer>): boolean {
  const mask = attrs.get(IFLA.EXT_MASK);
  return mask !== undefined && mask.length >= 4 && (mask.readUInt32LE(0) & RTEXT_FILTER_SKIP_STATS) !== 0;
}

/**
 * RTM_GETLINK with NLM_F_DUMP: every interface. With strict checking a
 * device index is refused (Linux filters link dumps by master or kind
 * only, neither of which the sandbox has).
 */
export function dumpLinks(r: RtnlRequest): DumpResult {
  const p = r.msg.payload;
  if (r.strict && p.length >= IFINFOMSG.SIZE && p.readInt32LE(IFINFOMSG.INDEX) !== 0) {
    return { kind: 'dump', messages: [], doneFlags: 0, error: { errno: Errno.EINVAL, message: 'Filter by device index not supported for link dumps' } };
  }
  const skip = skipStats(linkRequestAttrs(p));
  return { kind: 'dump', messages: r.view().interfaces.map((i) => linkMessage(i, NLM_F.MULTI, r.msg.seq, r.portId, skip)), doneFlags: 0 };
}

/** RTM_GETLINK without NLM_F_DUMP: the interface with ifi_index, else IFLA_IFNAME/IFLA_ALT_IFNAME (EINVAL with neither, ENODEV if none matches). */
export function getLink(r: RtnlRequest): RtnlResult {
  const p = r.msg.payload;
  if (p.length < IFINFOMSG.SIZE) return { kind: 'error', error: { errno: Errno.EINVAL } };
  const attrs = linkRequestAttrs(p);
  const index = p.readInt32LE(IFINFOMSG.INDEX);
  const name = attrs.get(IFLA.IFNAME) ?? attrs.get(IFLA.ALT_IFNAME);
  const ifaces = r.view().interfaces;
  let found: SandboxInterface | undefined;
  if (index > 0) found = ifaces.find((i) => i.index === index);
  else if (name !== undefined) found = ifaces.find((i) => i.name === attrString(name));
  else return { kind: 'error', error: { errno: Errno.EINVAL } };
  if (!found) return { kind: 'error', error: { errno: Errno.ENODEV } };
  return { kind: 'reply', messages: [linkMessage(found, 0, r.msg.seq, r.portId, skipStats(attrs))] };
}

/** RTM_NEWADDR for an interface's IPv4 address (inet_fill_ifaddr's order); permanent, so its lifetimes are "forever". */
export function addrMessage(i: SandboxInterface, flags: number, seq: number, portId: number): Buffer {
  const h = Buffer.alloc(IFADDRMSG.SIZE);
  h.writeUInt8(AF.INET, IFADDRMSG.FAMILY);
  h.writeUInt8(i.prefixLength, IFADDRMSG.PREFIXLEN);
  h.writeUInt8(IFA_F_PERMANENT, IFADDRMSG.FLAGS);
  h.writeUInt8(isLoopback(i) ? RT_SCOPE.HOST : RT_SCOPE.UNIVERSE, IFADDRMSG.SCOPE);
  h.writeUInt32LE(i.index, IFADDRMSG.INDEX);
  const cache = Buffer.alloc(IFA_CACHEINFO_SIZE);
  cache.writeUInt32LE(0xffffffff, 0);
  cache.writeUInt32LE(0xffffffff, 4);
  // cstamp and tstamp (hundredths of a second since boot): the addresses exist from the sandbox's start.
  return nlMessage(RTM.NEWADDR, flags, seq, portId, [
    h,
    ipv4Attr(IFA.ADDRESS, i.address),
    ipv4Attr(IFA.LOCAL, i.address),
    ...(i.broadcast !== 0 ? [ipv4Attr(IFA.BROADCAST, i.broadcast)] : []),
    stringAttr(IFA.LABEL, i.name),
    u32Attr(IFA.FLAGS, IFA_F_PERMANENT),
    nlAttr(IFA.CACHEINFO, cache),
  ]);
}

/**
 * RTM_GETADDR with NLM_F_DUMP, for the IPv4 addresses (the caller has
 * picked the family). With strict checking a nonzero ifa_index keeps
 * that interface's addresses (ENODEV if there is none) and marks the
 * messages NLM_F_DUMP_FILTERED.
 */
export function dumpAddrs(r: RtnlRequest): DumpResult {
  const p = r.msg.payload;
  let ifaces = r.view().interfaces;
  let flags = NLM_F.MULTI;
  const index = r.strict && p.length >= IFADDRMSG.SIZE ? p.readUInt32LE(IFADDRMSG.INDEX) : 0;
  if (index !== 0) {
    ifaces = ifaces.filter((i) => i.index === index);
    if (ifaces.length === 0) return { kind: 'dump', messages: [], doneFlags: 0, error: { errno: Errno.ENODEV } };
    flags |= NLM_F.DUMP_FILTERED;
  }
  // Bridges have no address to describe.
  return { kind: 'dump', messages: ifaces.filter(hasAddress).map((i) => addrMessage(i, flags, r.msg.seq, r.portId)), doneFlags: 0 };
}
