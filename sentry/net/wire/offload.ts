/**
 * Checksum offload on the receive side. A frame that a sender on the same
 * host handed to a veth still has a partial TCP/UDP checksum (only the
 * pseudo-header sum: the sender's kernel counted on the NIC to finish it);
 * a packet socket marks such frames TP_STATUS_CSUMNOTREADY. The stack
 * verifies every checksum it reads, so those frames get theirs computed
 * here first. Anything that is not a whole IPv4 TCP or UDP packet is left
 * alone (the stack's own checks drop it).
 */
import { IPPROTO } from '../../abi/linux/inet';
import { finish, pseudoHeaderSum, sum16 } from './checksum';
import { ETH_HEADER, ETHERTYPE } from './ethernet';
import { IPV4_MIN_HEADER } from './ipv4';

/** Byte offset of the checksum field in each transport header. */
const CHECKSUM_AT: Partial<Record<number, number>> = { [IPPROTO.TCP]: 16, [IPPROTO.UDP]: 6 };

/** Writes the full transport checksum into `frame` (an Ethernet frame); true when it did. */
export function completeChecksum(frame: Buffer): boolean {
  if (frame.length < ETH_HEADER + IPV4_MIN_HEADER || frame.readUInt16BE(12) !== ETHERTYPE.IPV4) return false;
  const ip = ETH_HEADER;
  const ihl = (frame[ip] & 0x0f) * 4;
  const total = frame.readUInt16BE(ip + 2);
  const protocol = frame[ip + 9];
  const at = CHECKSUM_AT[protocol];
  // Fragments carry no whole transport header to fix (offloaded packets are never fragments).
  const fragment = (frame.readUInt16BE(ip + 6) & 0x3fff) !== 0;
  if (at === undefined || fragment || frame[ip] >> 4 !== 4 || ihl < IPV4_MIN_HEADER || total < ihl + at + 2 || ip + total > frame.length) return false;
  const l4 = ip + ihl;
  const len = total - ihl;
  frame.writeUInt16BE(0, l4 + at);
  const sum = sum16(frame, l4, len, pseudoHeaderSum(frame.readUInt32BE(ip + 12), frame.readUInt32BE(ip + 16), protocol, len));
  const c = finish(sum);
  // UDP sends a computed zero as all ones (zero means "no checksum").
  frame.writeUInt16BE(protocol === IPPROTO.UDP && c === 0 ? 0xffff : c, l4 + at);
  return true;
}
