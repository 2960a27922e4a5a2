/** Hand-built frames for tests, and a decoder for what the stacks put on the wire. */
import { IPPROTO } from '../../abi/linux/inet';
import { buildEthernet, ETHERTYPE, parseEthernet } from '../wire/ethernet';
import { type Ipv4Header, parseIpv4, writeIpv4Header } from '../wire/ipv4';
import { finish, pseudoHeaderSum, sum16 } from '../wire/checksum';
import { parseTcp, type TcpFields, type TcpSegment, writeTcp } from '../wire/tcp';

export interface IpFrameSpec {
  readonly srcMac: Buffer;
  readonly dstMac: Buffer;
  readonly src: number;
  readonly dst: number;
  readonly id?: number;
  readonly ttl?: number;
  readonly fragmentOffset?: number;
  readonly moreFragments?: boolean;
}

export function ipFrame(s: IpFrameSpec, protocol: number, payload: Buffer): Buffer {
  const ip = Buffer.alloc(20 + payload.length);
  payload.copy(ip, 20);
  writeIpv4Header(ip, 0, { id: s.id ?? 1, ttl: s.ttl ?? 64, protocol, src: s.src, dst: s.dst, fragmentOffset: s.fragmentOffset, moreFragments: s.moreFragments }, payload.length);
  return buildEthernet(s.dstMac, s.srcMac, ETHERTYPE.IPV4, ip);
}

export function tcpFrame(s: IpFrameSpec, f: TcpFields, payload: Buffer = Buffer.alloc(0)): Buffer {
  const seg = Buffer.alloc(20 + (f.options?.length ?? 0) + payload.length);
  writeTcp(seg, 0, f, payload, s.src, s.dst, IPPROTO.TCP);
  return ipFrame(s, IPPROTO.TCP, seg);
}

export function udpPayload(src: number, dst: number, sport: number, dport: number, data: Buffer): Buffer {
  const u = Buffer.alloc(8 + data.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(u.length, 4);
  data.copy(u, 8);
  const c = finish(sum16(u, 0, u.length, pseudoHeaderSum(src, dst, IPPROTO.UDP, u.length)));
  u.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  return u;
}

export function icmpEcho(type: number, id: number, seq: number, data: Buffer): Buffer {
  const m = Buffer.alloc(8 + data.length);
  m[0] = type;
  m.writeUInt16BE(id, 4);
  m.writeUInt16BE(seq, 6);
  data.copy(m, 8);
  m.writeUInt16BE(finish(sum16(m, 0, m.length)), 2);
  return m;
}

export interface Decoded {
  readonly ethType: number;
  readonly ip?: Ipv4Header;
  readonly tcp?: TcpSegment;
}

/** The headers of a frame on the wire; `checksumOk` skips the TCP checksum (a partial one of an offloading sender). */
export function decode(frame: Buffer, checksumOk = false): Decoded {
  const eth = parseEthernet(frame);
  if (!eth) throw new Error('short frame');
  if (eth.type !== ETHERTYPE.IPV4) return { ethType: eth.type };
  const ip = parseIpv4(eth.payload);
  if (typeof ip === 'string') throw new Error(`bad IPv4 on the wire: ${ip}`);
  if (ip.protocol !== IPPROTO.TCP || ip.fragmentOffset > 0 || ip.moreFragments) return { ethType: eth.type, ip };
  const tcp = parseTcp(ip.payload, ip.src, ip.dst, IPPROTO.TCP, checksumOk);
  if (typeof tcp === 'string') throw new Error(`bad TCP on the wire: ${tcp}`);
  return { ethType: eth.type, ip, tcp };
}

/**
 * Recomputes the IPv4 header checksum and, for unfragmented TCP/UDP/ICMP,
 * the transport checksum of a (mutated) frame where its lengths allow, so
 * fuzzed headers get past the checksum checks into the protocol logic.
 */
export function fixChecksums(frame: Buffer): void {
  if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== ETHERTYPE.IPV4) return;
  const ip = frame.subarray(14);
  const ihl = (ip[0] & 0xf) * 4;
  if (ihl < 20 || ihl > ip.length) return;
  ip.writeUInt16BE(0, 10);
  ip.writeUInt16BE(finish(sum16(ip, 0, ihl)), 10);
  const total = Math.min(ip.readUInt16BE(2), ip.length);
  if (total < ihl || (ip.readUInt16BE(6) & 0x3fff) !== 0) return;
  const t = ip.subarray(ihl, total);
  const src = ip.readUInt32BE(12);
  const dst = ip.readUInt32BE(16);
  const at = ip[9] === IPPROTO.TCP ? 16 : ip[9] === IPPROTO.UDP ? 6 : ip[9] === IPPROTO.ICMP ? 2 : -1;
  if (at < 0 || t.length < at + 2) return;
  t.writeUInt16BE(0, at);
  const pseudo = ip[9] === IPPROTO.ICMP ? 0 : pseudoHeaderSum(src, dst, ip[9], t.length);
  t.writeUInt16BE(finish(sum16(t, 0, t.length, pseudo)), at);
}
