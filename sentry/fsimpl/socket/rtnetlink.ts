/**
 * NETLINK_ROUTE's kernel side, read-only: which request gets which
 * answer (rtnetlink_rcv_msg's rules), from the sandbox's interfaces,
 * addresses and routes.
 *
 * - RTM_GETLINK (dump, or one interface), RTM_GETADDR (dump; IPv4; IPv6
 *   dumps are empty), RTM_GETROUTE (dump of the IPv4 tables, or a lookup).
 * - Every message that would change something (the NEW/DEL/SET kinds,
 *   known or not) is EPERM, as for a program without CAP_NET_ADMIN: the
 *   sandbox's interfaces are fixed.
 * - Other GET requests (neighbours, rules, qdiscs, nsid, …) and RTM_GETADDR
 *   without NLM_F_DUMP are EOPNOTSUPP; types past RTM_MAX too.
 *
 * Results are plain data; netlink.ts turns them into datagrams (acks,
 * NLMSG_DONE, dump chunks).
 */
import { Errno } from '../../abi/linux/errno';
import { AF_BRIDGE, AF_MCTP, AF_MPLS, NLM_F, RTM, RTM_MAX, RTNL_FAMILY_IP6MR, RTNL_FAMILY_IPMR } from '../../abi/linux/netlink';
import { AF } from '../../abi/linux/socket';
import type { Ipv4 } from '../../net/addr';
import type { SandboxInterface } from './ifaces';
import type { NlError, NlMsg } from './nlmsg';
import { dumpAddrs, dumpLinks, getLink } from './rtnl_link';
import { dumpRoutes, getRoute } from './rtnl_route';

/** What the answers describe: the sandbox's interfaces and its default gateway. */
export interface RouteView {
  interfaces: SandboxInterface[];
  gateway?: Ipv4;
}

export interface RtnlRequest {
  msg: NlMsg;
  /** The requesting socket's port id: every reply is addressed to it. */
  portId: number;
  /** NETLINK_GET_STRICT_CHK: dump requests are validated and may filter. */
  strict: boolean;
  /** The caller's uid (RTA_UID of a route lookup). */
  uid: number;
  view(): RouteView;
}

/** A dump's messages (sent in chunks), then NLMSG_DONE with `doneFlags` and the dump's error, if any. */
export interface DumpResult {
  kind: 'dump';
  messages: Buffer[];
  doneFlags: number;
  error?: NlError;
}

export type RtnlResult =
  | { kind: 'ok' }
  | { kind: 'error'; error: NlError }
  /** Messages sent one per datagram (then the ack, if asked for). */
  | { kind: 'reply'; messages: Buffer[] }
  | DumpResult;

const EMPTY_DUMP: DumpResult = { kind: 'dump', messages: [], doneFlags: 0 };

/**
 * Families with their own handler for a message type. A dump for one of
 * them answers for that family only (nothing here: the sandbox has only
 * IPv4); any other family falls back to AF_UNSPEC's "all families".
 */
const OWN_HANDLERS: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [RTM.GETLINK, new Set([AF_BRIDGE])],
  [RTM.GETADDR, new Set([AF.INET6, AF_MCTP])],
  [RTM.GETROUTE, new Set([AF.INET6, AF_MPLS, RTNL_FAMILY_IPMR, RTNL_FAMILY_IP6MR])],
]);

function dump(r: RtnlRequest, family: number): RtnlResult {
  const type = r.msg.type;
  if (OWN_HANDLERS.get(type)?.has(family)) return EMPTY_DUMP;
  if (type === RTM.GETLINK) return dumpLinks(r);
  if (type === RTM.GETADDR) return dumpAddrs(r);
  if (type === RTM.GETROUTE) return dumpRoutes(r, family === AF.INET);
  return { kind: 'error', error: { errno: Errno.EOPNOTSUPP } };
}

/** One request message (NLM_F_REQUEST set, type at or above NLMSG_MIN_TYPE). */
export function rtnetlinkRequest(r: RtnlRequest): RtnlResult {
  const { type, flags, payload } = r.msg;
  if (type > RTM_MAX) return { kind: 'error', error: { errno: Errno.EOPNOTSUPP } };
  // Every rtnetlink message starts with at least the family byte; shorter ones are skipped.
  if (payload.length < 1) return { kind: 'ok' };
  // The low two bits of (type - RTM_BASE): 0 new, 1 delete, 2 get, 3 set.
  if (((type - RTM.BASE) & 3) !== 2) return { kind: 'error', error: { errno: Errno.EPERM } };
  if (flags & NLM_F.DUMP) return dump(r, payload[0]);
  if (type === RTM.GETLINK) return getLink(r);
  // Route lookups are per family: IPv4's here, IPv6 has no routes at all; AF_UNSPEC has no lookup.
  if (type === RTM.GETROUTE && payload[0] === AF.INET) return getRoute(r);
  if (type === RTM.GETROUTE && payload[0] === AF.INET6) return { kind: 'error', error: { errno: Errno.ENETUNREACH } };
  return { kind: 'error', error: { errno: Errno.EOPNOTSUPP } };
}
