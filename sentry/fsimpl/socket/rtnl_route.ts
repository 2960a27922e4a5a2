/**
 * rtnetlink's IPv4 routes: the sandbox's routing tables as Linux would
 * hold them for its interfaces (RTM_GETROUTE dumps), and route lookups
 * (RTM_GETROUTE without NLM_F_DUMP, `ip route get`) answered from the
 * same rules the stack routes by.
 *
 * - main: the default route via the gateway (proto boot, as a route the
 *   runtime added) and the Ethernet interface's subnet (proto kernel,
 *   scope link, preferred source its address);
 * - local: each address (local, scope host), each subnet broadcast
 *   (broadcast, scope link) and lo's whole 127.0.0.0/8 (local).
 *
 * Not supported: other tables (a dump of one is ENOENT, "FIB table does
 * not exist", as Linux), route exceptions (RTM_F_CLONED dumps are empty),
 * and lookups of input routes (RTA_IIF: EOPNOTSUPP) or with RTA_OIF,
 * RTA_MARK or RTA_SRC influencing the choice (the result is the output
 * route to RTA_DST).
 */
import { Errno } from '../../abi/linux/errno';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK } from '../../abi/linux/netdevice';
import {
  NLM_F, RT_SCOPE, RT_TABLE, RTA, RTA_CACHEINFO_SIZE, RTCF, RTM, RTM_F, RTMSG, RTN, RTPROT,
} from '../../abi/linux/netlink';
import { AF } from '../../abi/linux/socket';
import { type Ipv4, isLoopback, prefixMask } from '../../net/addr';
import { ipv4Attr, nlAttr, nlMessage, parseAttrs, u32Attr } from './nlmsg';
import type { DumpResult, RouteView, RtnlRequest, RtnlResult } from './rtnetlink';

export interface Route {
  table: number;
  type: number;
  protocol: number;
  scope: number;
  dst: Ipv4;
  dstLen: number;
  oif: number;
  gateway?: Ipv4;
  prefsrc?: Ipv4;
}

const LIMITED_BROADCAST = 0xffffffff;

/** The routes Linux derives from the interfaces' addresses (fib_add_ifaddr), plus the default route. */
export function sandboxRoutes(v: RouteView): Route[] {
  const main: Route[] = [];
  const local: Route[] = [];
  const kernel = { protocol: RTPROT.KERNEL };
  for (const i of v.interfaces) {
    const mask = prefixMask(i.prefixLength);
    const net = (i.address & mask) >>> 0;
    const src = { oif: i.index, prefsrc: i.address };
    local.push({ ...kernel, ...src, table: RT_TABLE.LOCAL, type: RTN.LOCAL, scope: RT_SCOPE.HOST, dst: i.address, dstLen: 32 });
    if (i.hwType === ARPHRD_LOOPBACK) {
      local.push({ ...kernel, ...src, table: RT_TABLE.LOCAL, type: RTN.LOCAL, scope: RT_SCOPE.HOST, dst: net, dstLen: i.prefixLength });
    } else {
      main.push({ ...kernel, ...src, table: RT_TABLE.MAIN, type: RTN.UNICAST, scope: RT_SCOPE.LINK, dst: net, dstLen: i.prefixLength });
      if (v.gateway !== undefined) {
        main.push({ table: RT_TABLE.MAIN, type: RTN.UNICAST, protocol: RTPROT.BOOT, scope: RT_SCOPE.UNIVERSE, dst: 0, dstLen: 0, oif: i.index, gateway: v.gateway });
      }
    }
    if (i.prefixLength < 31) {
      local.push({ ...kernel, ...src, table: RT_TABLE.LOCAL, type: RTN.BROADCAST, scope: RT_SCOPE.LINK, dst: (net | ~mask) >>> 0, dstLen: 32 });
    }
  }
  // Each table in its trie's order: by destination, then the shorter prefix first.
  const order = (a: Route, b: Route) => a.dst - b.dst || a.dstLen - b.dstLen;
  return [...main.sort(order), ...local.sort(order)];
}

/** RTM_NEWROUTE for a table entry (fib_dump_info's order). */
export function routeMessage(rt: Route, flags: number, seq: number, portId: number): Buffer {
  const h = Buffer.alloc(RTMSG.SIZE);
  h.writeUInt8(AF.INET, RTMSG.FAMILY);
  h.writeUInt8(rt.dstLen, RTMSG.DST_LEN);
  h.writeUInt8(rt.table, RTMSG.TABLE);
  h.writeUInt8(rt.protocol, RTMSG.PROTOCOL);
  h.writeUInt8(rt.scope, RTMSG.SCOPE);
  h.writeUInt8(rt.type, RTMSG.TYPE);
  return nlMessage(RTM.NEWROUTE, flags, seq, portId, [
    h,
    u32Attr(RTA.TABLE, rt.table),
    ...(rt.dstLen > 0 ? [ipv4Attr(RTA.DST, rt.dst)] : []),
    ...(rt.prefsrc !== undefined ? [ipv4Attr(RTA.PREFSRC, rt.prefsrc)] : []),
    ...(rt.gateway !== undefined ? [ipv4Attr(RTA.GATEWAY, rt.gateway)] : []),
    u32Attr(RTA.OIF, rt.oif),
  ]);
}

interface RouteFilter {
  table: number;
  protocol: number;
  type: number;
  oif: number;
  /** RTM_F_CLONED: the route exceptions (cache) instead of the routes. */
  exceptions: boolean;
  /** RTM_F_PREFIX: IPv4 has no prefix routes, so nothing. */
  prefixOnly: boolean;
  set: boolean;
}

const invalid = (message: string): DumpResult => ({ kind: 'dump', messages: [], doneFlags: 0, error: { errno: Errno.EINVAL, message } });

/** ip_valid_fib_dump_req (strict checking): the header must be clean; rtm_table/protocol/type, RTA_TABLE and RTA_OIF filter. */
function strictFilter(r: RtnlRequest): RouteFilter | DumpResult {
  const p = r.msg.payload;
  if (p.length < RTMSG.SIZE) return invalid('Invalid header for FIB dump request');
  if (p[RTMSG.DST_LEN] || p[RTMSG.SRC_LEN] || p[RTMSG.TOS] || p[RTMSG.SCOPE]) return invalid('Invalid values in header for FIB dump request');
  const flags = p.readUInt32LE(RTMSG.FLAGS);
  if (flags & ~(RTM_F.CLONED | RTM_F.PREFIX)) return invalid('Invalid flags for FIB dump request');
  const f: RouteFilter = {
    table: p[RTMSG.TABLE], protocol: p[RTMSG.PROTOCOL], type: p[RTMSG.TYPE], oif: 0,
    exceptions: (flags & RTM_F.CLONED) !== 0, prefixOnly: (flags & RTM_F.PREFIX) !== 0, set: false,
  };
  for (const [type, v] of parseAttrs(p.subarray(RTMSG.SIZE))) {
    if (type === RTA.TABLE && v.length >= 4) f.table = v.readUInt32LE(0);
    else if (type === RTA.OIF && v.length >= 4) {
      f.oif = v.readInt32LE(0);
      if (!r.view().interfaces.some((i) => i.index === f.oif)) return { kind: 'dump', messages: [], doneFlags: 0, error: { errno: Errno.ENODEV } };
    } else return invalid('Unsupported attribute in dump request');
  }
  f.set = flags !== 0 || f.table !== 0 || f.protocol !== 0 || f.type !== 0 || f.oif !== 0;
  return f;
}

/** What an old-style request asks: only its RTM_F_CLONED/RTM_F_PREFIX flags count. */
function lenientFilter(p: Buffer): RouteFilter {
  const flags = p.length >= RTMSG.SIZE ? p.readUInt32LE(RTMSG.FLAGS) : 0;
  return { table: 0, protocol: 0, type: 0, oif: 0, exceptions: false, prefixOnly: (flags & RTM_F.PREFIX) !== 0, set: false };
}

/**
 * RTM_GETROUTE with NLM_F_DUMP for IPv4 (inet_dump_fib). `ownFamily`:
 * the request named AF_INET (not AF_UNSPEC's all-families dump), so a
 * missing table is an error rather than nothing.
 */
export function dumpRoutes(r: RtnlRequest, ownFamily: boolean): DumpResult {
  const f = r.strict ? strictFilter(r) : lenientFilter(r.msg.payload);
  if ('kind' in f) return f;
  const doneFlags = f.set ? NLM_F.DUMP_FILTERED : 0;
  // With strict checking routes and exceptions are dumped apart, so every route message says "filtered".
  const flags = NLM_F.MULTI | (r.strict ? NLM_F.DUMP_FILTERED : 0);
  if (f.prefixOnly || f.exceptions) return { kind: 'dump', messages: [], doneFlags };
  if (f.table !== 0 && f.table !== RT_TABLE.MAIN && f.table !== RT_TABLE.LOCAL) {
    return { kind: 'dump', messages: [], doneFlags, error: ownFamily ? { errno: Errno.ENOENT, message: 'ipv4: FIB table does not exist' } : undefined };
  }
  const routes = sandboxRoutes(r.view()).filter((rt) =>
    (f.table === 0 || rt.table === f.table) && (f.protocol === 0 || rt.protocol === f.protocol) &&
    (f.type === 0 || rt.type === f.type) && (f.oif === 0 || rt.oif === f.oif));
  return { kind: 'dump', messages: routes.map((rt) => routeMessage(rt, flags, r.msg.seq, r.portId)), doneFlags };
}

interface Lookup {
  type: number;
  oif: number;
  prefsrc: Ipv4;
  gateway?: Ipv4;
  rtcf: number;
}

/** The output route to `dst`, by the stack's rules: loopback and own addresses via lo, the subnet directly, the rest via the gateway. */
export function lookupRoute(v: RouteView, dst: Ipv4): Lookup | undefined {
  const lo = v.interfaces.find((i) => i.hwType === ARPHRD_LOOPBACK);
  const eth = v.interfaces.find((i) => i.hwType === ARPHRD_ETHER);
  if (lo && (dst === 0 || isLoopback(dst))) return { type: RTN.LOCAL, oif: lo.index, prefsrc: lo.address, rtcf: RTCF.LOCAL };
  if (!eth) return undefined;
  if (lo && dst === eth.address) return { type: RTN.LOCAL, oif: lo.index, prefsrc: eth.address, rtcf: RTCF.LOCAL };
  const mask = prefixMask(eth.prefixLength);
  if (dst === LIMITED_BROADCAST || dst === eth.broadcast) {
    return { type: RTN.BROADCAST, oif: eth.index, prefsrc: eth.address, rtcf: RTCF.BROADCAST | RTCF.LOCAL };
  }
  if (((dst & mask) >>> 0) === ((eth.address & mask) >>> 0)) return { type: RTN.UNICAST, oif: eth.index, prefsrc: eth.address, rtcf: 0 };
  if (v.gateway === undefined) return undefined;
  return { type: RTN.UNICAST, oif: eth.index, prefsrc: eth.address, gateway: v.gateway, rtcf: 0 };
}

/**
 * RTM_GETROUTE without NLM_F_DUMP (inet_rtm_getroute): the route to
 * RTA_DST (0.0.0.0 if absent) as a cloned RTM_NEWROUTE, with the caller's
 * uid; ENETUNREACH when nothing routes there.
 */
export function getRoute(r: RtnlRequest): RtnlResult {
  const p = r.msg.payload;
  if (p.length < RTMSG.SIZE) return { kind: 'error', error: { errno: Errno.EINVAL } };
  const attrs = parseAttrs(p.subarray(RTMSG.SIZE));
  if (attrs.has(RTA.IIF)) return { kind: 'error', error: { errno: Errno.EOPNOTSUPP, message: 'tsvisor: input route lookups are not supported' } };
  const d = attrs.get(RTA.DST);
  const dst = d !== undefined && d.length >= 4 ? d.readUInt32BE(0) : 0;
  const oif = attrs.get(RTA.OIF);
  if (oif !== undefined && oif.length >= 4 && oif.readInt32LE(0) !== 0 && !r.view().interfaces.some((i) => i.index === oif.readInt32LE(0))) {
    return { kind: 'error', error: { errno: Errno.ENODEV } };
  }
  const found = lookupRoute(r.view(), dst);
  if (!found) return { kind: 'error', error: { errno: Errno.ENETUNREACH } };
  const h = Buffer.alloc(RTMSG.SIZE);
  h.writeUInt8(AF.INET, RTMSG.FAMILY);
  h.writeUInt8(32, RTMSG.DST_LEN);
  h.writeUInt8(p[RTMSG.TOS], RTMSG.TOS);
  h.writeUInt8(RT_TABLE.MAIN, RTMSG.TABLE);
  h.writeUInt8(found.type, RTMSG.TYPE);
  h.writeUInt32LE((RTM_F.CLONED | found.rtcf) >>> 0, RTMSG.FLAGS);
  const msg = nlMessage(RTM.NEWROUTE, 0, r.msg.seq, r.portId, [
    h,
    u32Attr(RTA.TABLE, RT_TABLE.MAIN),
    ipv4Attr(RTA.DST, dst),
    u32Attr(RTA.OIF, found.oif),
    ipv4Attr(RTA.PREFSRC, found.prefsrc),
    ...(found.gateway !== undefined ? [ipv4Attr(RTA.GATEWAY, found.gateway)] : []),
    u32Attr(RTA.UID, r.uid),
    nlAttr(RTA.CACHEINFO, Buffer.alloc(RTA_CACHEINFO_SIZE)),
  ]);
  return { kind: 'reply', messages: [msg] };
}
