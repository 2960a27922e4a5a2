import assert from 'node:assert/strict';
import { Errno } from '../../abi/linux/errno';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK } from '../../abi/linux/netdevice';
import {
  IFA, IFADDRMSG, IFINFOMSG, IFLA, NLM_F, NLMSG, NLMSGERR_ATTR_MSG, RT_TABLE, RTA, RTEXT_FILTER_SKIP_STATS, RTM, RTM_F, RTMSG,
} from '../../abi/linux/netlink';
import { AF } from '../../abi/linux/socket';
import { parseIpv4 } from '../../net/addr';
import { Stack } from '../../net/stack';
import { FakeClock } from '../../net/testing/clock';
import { sandboxInterfaces } from './ifaces';
import { ackMessage, doneMessage, nlAttr, nlMessage, type NlMsg, packMessages, parseAttrs, splitMessages, u32Attr } from './nlmsg';
import { type RouteView, type RtnlResult, rtnetlinkRequest } from './rtnetlink';

const MAC = Buffer.from('02fc00000001', 'hex');
const PORT = 4242;
const SEQ = 77;

/** The sandbox's view with lo and eth0 10.99.0.1/24 via 10.99.0.2, from a real Stack. */
function view(gateway = true): RouteView {
  const stack = new Stack({ clock: new FakeClock() });
  stack.attachEthernet({ mtu: 1500, mac: MAC, send: () => {} }, { address: '10.99.0.1', prefixLength: 24, gateway: gateway ? '10.99.0.2' : undefined, name: 'eth0' });
  return { interfaces: sandboxInterfaces(stack), gateway: stack.defaultGateway };
}

const loOnly = (): RouteView => ({ interfaces: view().interfaces.filter((i) => i.hwType === ARPHRD_LOOPBACK) });

function request(type: number, flags: number, body: Buffer[]): NlMsg {
  return splitMessages(nlMessage(type, NLM_F.REQUEST | flags, SEQ, 0, body))[0];
}

function ask(m: NlMsg, v: RouteView = view(), strict = false): RtnlResult {
  return rtnetlinkRequest({ msg: m, portId: PORT, strict, uid: 1000, view: () => v });
}

function ifinfomsg(index = 0, family: number = AF.UNSPEC): Buffer {
  const b = Buffer.alloc(IFINFOMSG.SIZE);
  b[IFINFOMSG.FAMILY] = family;
  b.writeInt32LE(index, IFINFOMSG.INDEX);
  return b;
}

function ifaddrmsg(family: number, index = 0): Buffer {
  const b = Buffer.alloc(IFADDRMSG.SIZE);
  b[IFADDRMSG.FAMILY] = family;
  b.writeUInt32LE(index, IFADDRMSG.INDEX);
  return b;
}

function rtmsg(fields: { table?: number; flags?: number; dstLen?: number } = {}, family: number = AF.INET): Buffer {
  const b = Buffer.alloc(RTMSG.SIZE);
  b[RTMSG.FAMILY] = family;
  b[RTMSG.TABLE] = fields.table ?? 0;
  b[RTMSG.DST_LEN] = fields.dstLen ?? 0;
  b.writeUInt32LE(fields.flags ?? 0, RTMSG.FLAGS);
  return b;
}

function dumpOf(r: RtnlResult): { messages: NlMsg[]; doneFlags: number; error?: { errno: number; message?: string } } {
  assert.equal(r.kind, 'dump', JSON.stringify(r));
  if (r.kind !== 'dump') throw new Error('not a dump');
  return { messages: r.messages.map((m) => splitMessages(m)[0]), doneFlags: r.doneFlags, error: r.error };
}

function errnoOfResult(r: RtnlResult): number | undefined {
  return r.kind === 'error' ? r.error.errno : undefined;
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** A reply's nlmsghdr as hex: length, type, flags, then our SEQ and PORT. */
function header(len: number, type: number, flags: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(len, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(SEQ, 8);
  b.writeUInt32LE(PORT, 12);
  return b.toString('hex');
}

describe('netlink wire format', () => {
  it('splits a request as netlink_rcv_skb walks it: aligned starts, stop at a bad length', () => {
    const a = nlMessage(RTM.GETLINK, NLM_F.REQUEST, 1, 0, [Buffer.from([0])]);
    const b = nlMessage(RTM.GETADDR, NLM_F.REQUEST, 2, 0, [Buffer.from([2])]);
    assert.equal(a.length, 17);
    const both = packMessages([a, b]);
    assert.equal(both.length, 40);
    assert.deepEqual(splitMessages(both).map((m) => [m.type, m.seq, m.payload.length]), [[RTM.GETLINK, 1, 1], [RTM.GETADDR, 2, 1]]);
    // iproute2 sends a zeroed header after its request: the walk ends there.
    assert.equal(splitMessages(Buffer.concat([nlMessage(RTM.GETLINK, 1, 3, 0, [Buffer.alloc(16)]), Buffer.alloc(120)])).length, 1);
    const overlong = nlMessage(RTM.GETLINK, 1, 4, 0, [Buffer.alloc(4)]);
    overlong.writeUInt32LE(100, 0);
    assert.equal(splitMessages(overlong).length, 0);
    assert.equal(splitMessages(Buffer.alloc(15)).length, 0);
  });

  it('attributes are padded to 4 bytes but their length excludes the padding; parsing masks the flag bits', () => {
    assert.deepEqual(nlAttr(3, Buffer.from('lo\0')), hex('0700 0300 6c6f00 00'));
    const attrs = parseAttrs(Buffer.concat([nlAttr(3 | 0x8000, Buffer.from('eth0\0')), u32Attr(4, 1500), Buffer.from([0xff, 0x00])]));
    assert.deepEqual([...attrs.keys()], [3, 4]);
    assert.equal(attrs.get(4)?.readUInt32LE(0), 1500);
  });

  it('acks echo the header (NLM_F_CAPPED), errors the whole request, CAP_ACK caps them, EXT_ACK adds the message', () => {
    const req = request(RTM.NEWADDR, NLM_F.ACK, [ifaddrmsg(AF.INET, 2), u32Attr(IFA.LOCAL, 0x0a090909)]);
    const plain = { capAck: false, extAck: false };
    assert.deepEqual(ackMessage(req, PORT, undefined, plain), Buffer.concat([hex(header(36, NLMSG.ERROR, NLM_F.CAPPED)), hex('00000000'), req.raw.subarray(0, 16)]));
    assert.deepEqual(ackMessage(req, PORT, { errno: Errno.EPERM }, plain), Buffer.concat([hex(header(20 + req.raw.length, NLMSG.ERROR, 0)), hex('ffffffff'), req.raw]));
    assert.deepEqual(ackMessage(req, PORT, { errno: Errno.EPERM }, { capAck: true, extAck: false }).length, 36);
    const ext = splitMessages(ackMessage(req, PORT, { errno: Errno.EINVAL, message: 'bad' }, { capAck: false, extAck: true }))[0];
    assert.equal(ext.flags, NLM_F.ACK_TLVS);
    assert.equal(parseAttrs(ext.payload.subarray(4 + req.raw.length)).get(NLMSGERR_ATTR_MSG)?.toString(), 'bad\0');
    // iproute2's "ip route show table 100": NLMSG_DONE carries -ENOENT and the message.
    const done = doneMessage(SEQ, PORT, NLM_F.DUMP_FILTERED, { errno: Errno.ENOENT, message: 'ipv4: FIB table does not exist' }, { capAck: false, extAck: true });
    assert.equal(done.length, 56);
    assert.deepEqual(done.subarray(0, 20), hex(`${header(56, NLMSG.DONE, NLM_F.MULTI | NLM_F.DUMP_FILTERED | NLM_F.ACK_TLVS)}feffffff`));
    assert.deepEqual(doneMessage(SEQ, PORT, 0, undefined, plain), hex(`${header(20, NLMSG.DONE, NLM_F.MULTI)}00000000`));
  });
});

describe('rtnetlink answers from the sandbox interfaces', () => {
  it('RTM_GETLINK dump: lo and eth0 with the attributes ip link prints', () => {
    const d = dumpOf(ask(request(RTM.GETLINK, NLM_F.DUMP, [ifinfomsg(0, AF.PACKET), u32Attr(IFLA.EXT_MASK, 1)])));
    assert.deepEqual(d.messages.map((m) => [m.type, m.flags, m.seq, m.pid]), [[RTM.NEWLINK, NLM_F.MULTI, SEQ, PORT], [RTM.NEWLINK, NLM_F.MULTI, SEQ, PORT]]);
    const [lo, eth] = d.messages;
    assert.deepEqual(lo.payload.subarray(0, IFINFOMSG.SIZE), hex(`00 00 0403 01000000 49000100 00000000`));
    assert.deepEqual(eth.payload.subarray(0, IFINFOMSG.SIZE), hex(`00 00 0100 02000000 43100100 00000000`));
    const a = parseAttrs(eth.payload.subarray(IFINFOMSG.SIZE));
    assert.equal(a.get(IFLA.IFNAME)?.toString('latin1'), 'eth0\0');
    assert.equal(a.get(IFLA.MTU)?.readUInt32LE(0), 1500);
    assert.equal(a.get(IFLA.TXQLEN)?.readUInt32LE(0), 1000);
    assert.deepEqual(a.get(IFLA.OPERSTATE), Buffer.from([6]));
    assert.deepEqual(a.get(IFLA.ADDRESS), MAC);
    assert.deepEqual(a.get(IFLA.BROADCAST), Buffer.alloc(6, 0xff));
    assert.equal(a.get(IFLA.QDISC)?.toString(), 'noqueue\0');
    assert.equal(a.get(IFLA.STATS64)?.length, 200);
    assert.equal(a.get(IFLA.STATS)?.length, 96);
    const l = parseAttrs(lo.payload.subarray(IFINFOMSG.SIZE));
    assert.deepEqual([l.get(IFLA.OPERSTATE), l.get(IFLA.ADDRESS), l.get(IFLA.BROADCAST)], [Buffer.from([0]), Buffer.alloc(6), Buffer.alloc(6)]);
    assert.equal(l.get(IFLA.MTU)?.readUInt32LE(0), 65536);
    // The layout matches Linux's: the name first, each attribute aligned.
    assert.deepEqual(lo.payload.subarray(IFINFOMSG.SIZE, IFINFOMSG.SIZE + 16), hex('0700 0300 6c6f00 00 0800 0d00 e8030000'));
  });

  it('RTEXT_FILTER_SKIP_STATS leaves the statistics out; an rtgenmsg-only request still dumps', () => {
    const skip = dumpOf(ask(request(RTM.GETLINK, NLM_F.DUMP, [ifinfomsg(), u32Attr(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS)])));
    assert.equal(parseAttrs(skip.messages[1].payload.subarray(IFINFOMSG.SIZE)).has(IFLA.STATS64), false);
    // glibc's getifaddrs and if_nameindex: nlmsghdr + rtgenmsg (padded), nothing else.
    const old = dumpOf(ask(request(RTM.GETLINK, NLM_F.DUMP, [Buffer.from([AF.UNSPEC, 0, 0, 0])])));
    assert.equal(old.messages.length, 2);
    assert.equal(dumpOf(ask(request(RTM.GETLINK, NLM_F.DUMP, [ifinfomsg(0, 7 /* AF_BRIDGE: bridge ports */)]))).messages.length, 0);
    const strictIndex = dumpOf(ask(request(RTM.GETLINK, NLM_F.DUMP, [ifinfomsg(2)]), view(), true));
    assert.deepEqual([strictIndex.messages.length, strictIndex.error?.errno], [0, Errno.EINVAL]);
  });

  it('RTM_GETLINK for one interface: by index or name, ENODEV if none, EINVAL with neither', () => {
    const byIndex = ask(request(RTM.GETLINK, 0, [ifinfomsg(2)]));
    assert.equal(byIndex.kind, 'reply');
    if (byIndex.kind !== 'reply') return;
    const m = splitMessages(byIndex.messages[0])[0];
    assert.deepEqual([m.type, m.flags, m.seq, m.pid], [RTM.NEWLINK, 0, SEQ, PORT]);
    const byName = ask(request(RTM.GETLINK, 0, [ifinfomsg(), nlAttr(IFLA.IFNAME, Buffer.from('lo\0'))]));
    assert.equal(byName.kind === 'reply' && splitMessages(byName.messages[0])[0].payload.readInt32LE(IFINFOMSG.INDEX), 1);
    assert.equal(errnoOfResult(ask(request(RTM.GETLINK, 0, [ifinfomsg(7)]))), Errno.ENODEV);
    assert.equal(errnoOfResult(ask(request(RTM.GETLINK, 0, [ifinfomsg(), nlAttr(IFLA.IFNAME, Buffer.from('eth9\0'))]))), Errno.ENODEV);
    assert.equal(errnoOfResult(ask(request(RTM.GETLINK, 0, [ifinfomsg()]))), Errno.EINVAL);
    assert.equal(errnoOfResult(ask(request(RTM.GETLINK, 0, [Buffer.from([0, 0, 0, 0])]))), Errno.EINVAL);
  });

  it('RTM_GETADDR dump: the bytes Linux sends for lo and an Ethernet address; IPv6 is empty', () => {
    const d = dumpOf(ask(request(RTM.GETADDR, NLM_F.DUMP, [ifaddrmsg(AF.INET)])));
    const cache = 'ffffffff ffffffff 00000000 00000000';
    assert.deepEqual(packMessages(d.messages.map((m) => m.raw)), hex(
      `${header(76, RTM.NEWADDR, NLM_F.MULTI)} 02 08 80 fe 01000000 0800 0100 7f000001 0800 0200 7f000001 0700 0300 6c6f00 00` +
      ` 0800 0800 80000000 1400 0600 ${cache}` +
      `${header(88, RTM.NEWADDR, NLM_F.MULTI)} 02 18 80 00 02000000 0800 0100 0a630001 0800 0200 0a630001 0800 0400 0a6300ff` +
      ` 0900 0300 65746830 00 000000 0800 0800 80000000 1400 0600 ${cache}`,
    ));
    assert.equal(dumpOf(ask(request(RTM.GETADDR, NLM_F.DUMP, [ifaddrmsg(AF.UNSPEC)]))).messages.length, 2);
    assert.equal(dumpOf(ask(request(RTM.GETADDR, NLM_F.DUMP, [ifaddrmsg(AF.INET6)]))).messages.length, 0);
    // With strict checking ifa_index filters (ip addr show dev eth0).
    const one = dumpOf(ask(request(RTM.GETADDR, NLM_F.DUMP, [ifaddrmsg(AF.UNSPEC, 2)]), view(), true));
    assert.deepEqual(one.messages.map((m) => [m.flags, m.payload[IFADDRMSG.PREFIXLEN]]), [[NLM_F.MULTI | NLM_F.DUMP_FILTERED, 24]]);
    assert.equal(dumpOf(ask(request(RTM.GETADDR, NLM_F.DUMP, [ifaddrmsg(AF.UNSPEC, 9)]), view(), true)).error?.errno, Errno.ENODEV);
    assert.equal(errnoOfResult(ask(request(RTM.GETADDR, 0, [ifaddrmsg(AF.INET)]))), Errno.EOPNOTSUPP);
  });

  it('RTM_GETROUTE dump: main and local tables as Linux builds them; strict checking filters and flags', () => {
    const all = dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg()])));
    assert.equal(all.doneFlags, 0);
    const routes = all.messages.map((m) => {
      const a = parseAttrs(m.payload.subarray(RTMSG.SIZE));
      const ip = (t: number) => (a.has(t) ? [...(a.get(t) ?? [])].join('.') : '-');
      return `${m.payload[RTMSG.TABLE]} ${m.payload[RTMSG.TYPE]} ${ip(RTA.DST)}/${m.payload[RTMSG.DST_LEN]} proto ${m.payload[RTMSG.PROTOCOL]} scope ${m.payload[RTMSG.SCOPE]} src ${ip(RTA.PREFSRC)} via ${ip(RTA.GATEWAY)} dev ${a.get(RTA.OIF)?.readUInt32LE(0)}`;
    });
    assert.deepEqual(routes, [
      '254 1 -/0 proto 3 scope 0 src - via 10.99.0.2 dev 2',
      '254 1 10.99.0.0/24 proto 2 scope 253 src 10.99.0.1 via - dev 2',
      '255 2 10.99.0.1/32 proto 2 scope 254 src 10.99.0.1 via - dev 2',
      '255 3 10.99.0.255/32 proto 2 scope 253 src 10.99.0.1 via - dev 2',
      '255 2 127.0.0.0/8 proto 2 scope 254 src 127.0.0.1 via - dev 1',
      '255 2 127.0.0.1/32 proto 2 scope 254 src 127.0.0.1 via - dev 1',
      '255 3 127.255.255.255/32 proto 2 scope 253 src 127.0.0.1 via - dev 1',
    ]);
    // The default route's bytes as Linux sends them (52 bytes: table, gateway, oif).
    assert.deepEqual(all.messages[0].raw, hex(`${header(52, RTM.NEWROUTE, NLM_F.MULTI)} 02 00 00 00 fe 03 00 01 00000000 0800 0f00 fe000000 0800 0500 0a630002 0800 0400 02000000`));
    // iproute2's `ip route`: strict, RTA_TABLE main.
    const main = dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg(), u32Attr(RTA.TABLE, RT_TABLE.MAIN)]), view(), true));
    assert.deepEqual(main.messages.map((m) => m.flags), [NLM_F.MULTI | NLM_F.DUMP_FILTERED, NLM_F.MULTI | NLM_F.DUMP_FILTERED]);
    assert.equal(main.doneFlags, NLM_F.DUMP_FILTERED);
    // `ip -4 route show table all`: strict without a filter: every message flagged, NLMSG_DONE not.
    const strictAll = dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg()]), view(), true));
    assert.deepEqual([strictAll.messages.length, strictAll.messages[0].flags, strictAll.doneFlags], [7, NLM_F.MULTI | NLM_F.DUMP_FILTERED, 0]);
    const missing = dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg(), u32Attr(RTA.TABLE, 100)]), view(), true));
    assert.deepEqual([missing.messages.length, missing.error, missing.doneFlags], [0, { errno: Errno.ENOENT, message: 'ipv4: FIB table does not exist' }, NLM_F.DUMP_FILTERED]);
    assert.equal(dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg({}, AF.UNSPEC), u32Attr(RTA.TABLE, 100)]), view(), true)).error, undefined);
    assert.equal(dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg({ flags: RTM_F.CLONED })]), view(), true)).messages.length, 0);
    assert.equal(dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg({ dstLen: 8 })]), view(), true)).error?.errno, Errno.EINVAL);
    assert.equal(dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg({}, AF.INET6)]))).messages.length, 0);
    assert.equal(dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg()]), loOnly())).messages.length, 3);
    assert.equal(dumpOf(ask(request(RTM.GETROUTE, NLM_F.DUMP, [rtmsg()]), view(false))).messages.length, 6);
  });

  it('RTM_GETROUTE lookups: via the gateway, on the subnet, local and broadcast; ENETUNREACH without a route', () => {
    const get = (dst: string, v: RouteView = view()) => {
      const r = ask(request(RTM.GETROUTE, 0, [rtmsg({ dstLen: 32, flags: RTM_F.LOOKUP_TABLE }), nlAttr(RTA.DST, Buffer.from(dst.split('.').map(Number)))]), v);
      if (r.kind !== 'reply') return `error ${r.kind === 'error' ? r.error.errno : r.kind}`;
      const m = splitMessages(r.messages[0])[0];
      const a = parseAttrs(m.payload.subarray(RTMSG.SIZE));
      const ip = (t: number) => (a.has(t) ? [...(a.get(t) ?? [])].join('.') : '-');
      return `${m.flags} type ${m.payload[RTMSG.TYPE]} flags ${m.payload.readUInt32LE(RTMSG.FLAGS).toString(16)} dev ${a.get(RTA.OIF)?.readUInt32LE(0)} src ${ip(RTA.PREFSRC)} via ${ip(RTA.GATEWAY)} uid ${a.get(RTA.UID)?.readUInt32LE(0)}`;
    };
    assert.equal(get('8.8.8.8'), '0 type 1 flags 200 dev 2 src 10.99.0.1 via 10.99.0.2 uid 1000');
    assert.equal(get('10.99.0.7'), '0 type 1 flags 200 dev 2 src 10.99.0.1 via - uid 1000');
    assert.equal(get('10.99.0.1'), '0 type 2 flags 80000200 dev 1 src 10.99.0.1 via - uid 1000');
    assert.equal(get('127.0.0.3'), '0 type 2 flags 80000200 dev 1 src 127.0.0.1 via - uid 1000');
    assert.equal(get('10.99.0.255'), '0 type 3 flags 90000200 dev 2 src 10.99.0.1 via - uid 1000');
    assert.equal(get('8.8.8.8', view(false)), `error ${Errno.ENETUNREACH}`);
    assert.equal(get('10.99.0.7', loOnly()), `error ${Errno.ENETUNREACH}`);
    assert.equal(parseIpv4('10.99.0.2'), view().gateway);
  });

  it('changes are EPERM, other requests EOPNOTSUPP, a request without a family byte is skipped', () => {
    for (const type of [RTM.NEWLINK, RTM.NEWADDR, RTM.NEWROUTE, 21 /* DELADDR */, 19 /* SETLINK */, 0x57]) {
      assert.equal(errnoOfResult(ask(request(type, NLM_F.ACK, [ifaddrmsg(AF.INET)]))), Errno.EPERM, `type ${type}`);
    }
    for (const type of [30 /* GETNEIGH */, 34 /* GETRULE */, 90 /* GETNSID */, 124, 1000]) {
      assert.equal(errnoOfResult(ask(request(type, NLM_F.DUMP, [Buffer.from([0])]))), Errno.EOPNOTSUPP, `type ${type}`);
    }
    assert.deepEqual(ask(request(RTM.NEWADDR, 0, [])), { kind: 'ok' });
    assert.equal(ARPHRD_ETHER, view().interfaces[1].hwType);
  });
});
