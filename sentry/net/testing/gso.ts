/**
 * What the host kernel does with a frame the stack hands to an offloading
 * link (a packet socket with PACKET_VNET_HDR), for FakeWire to emulate a
 * GSO-capable link: finish a partial checksum as skb_checksum_help does
 * (sum from csum_start over the rest, the field's pseudo-header sum
 * included), and cut a TCP/IPv4 GSO frame into segments as
 * inet_gso_segment and tcp_gso_segment do. Both start from the partial
 * value the stack wrote, so a wrong one shows up as a bad checksum at the
 * receiver, as it would on a real link.
 */
import type { TxOffload } from '../nic';
import { finish, fold, sum16 } from '../wire/checksum';
import { ETH_HEADER } from '../wire/ethernet';
import { TCP_CHECKSUM_AT, TCP_FLAG } from '../wire/tcp';

/** Writes the complement of the sum from `start` to the end at `start + offset` (the field holds the pseudo-header sum). */
export function finishChecksum(frame: Buffer, start: number, offset: number): void {
  frame.writeUInt16BE(finish(sum16(frame, start, frame.length - start)), start + offset);
}

/** One frame as it leaves the link: segmented if `o.gsoSize`, with every checksum finished. */
export function applyOffload(frame: Buffer, o: TxOffload): Buffer[] {
  if (o.gsoSize === 0) {
    const f = Buffer.from(frame);
    finishChecksum(f, o.csumStart, o.csumOffset);
    return [f];
  }
  return segmentTcp4(frame, o);
}

/**
 * The segments of a TCP/IPv4 GSO frame: each repeats the headers (IP
 * total length, ID counting up and header checksum rewritten; the TCP
 * sequence number advanced), FIN and PSH only on the last, CWR only on the
 * first, and its checksum from the partial one with the length replaced.
 */
export function segmentTcp4(frame: Buffer, o: TxOffload): Buffer[] {
  const ip = ETH_HEADER;
  const ihl = (frame[ip] & 0x0f) * 4;
  const l4 = ip + ihl;
  if (o.csumStart !== l4 || o.csumOffset !== TCP_CHECKSUM_AT) throw new Error(`GSO frame with checksum at ${o.csumStart}+${o.csumOffset}`);
  const thlen = (frame[l4 + 12] >> 4) * 4;
  const headers = l4 + thlen;
  const total = frame.readUInt16BE(ip + 2);
  if (ip + total !== frame.length) throw new Error(`GSO frame of ${frame.length} bytes, IP says ${total}`);
  const partial = frame.readUInt16BE(l4 + TCP_CHECKSUM_AT);
  const oldLen = total - ihl;
  const id = frame.readUInt16BE(ip + 4);
  const seq = frame.readUInt32BE(l4 + 4);
  const flags = frame[l4 + 13];
  const out: Buffer[] = [];
  for (let off = headers, i = 0; off < frame.length; off += o.gsoSize, i++) {
    const n = Math.min(o.gsoSize, frame.length - off);
    const last = off + n === frame.length;
    const s = Buffer.alloc(headers + n);
    frame.copy(s, 0, 0, headers);
    frame.copy(s, headers, off, off + n);
    s.writeUInt16BE(ihl + thlen + n, ip + 2);
    s.writeUInt16BE((id + i) & 0xffff, ip + 4);
    s.writeUInt16BE(0, ip + 10);
    s.writeUInt16BE(finish(sum16(s, ip, ihl)), ip + 10);
    s.writeUInt32BE((seq + off - headers) >>> 0, l4 + 4);
    let f = flags;
    if (!last) f &= ~(TCP_FLAG.FIN | TCP_FLAG.PSH);
    if (i > 0) f &= ~TCP_FLAG.CWR;
    s[l4 + 13] = f;
    // The pseudo-header sum with the segment's length in place of the frame's (ones' complement: add ~old, add new).
    s.writeUInt16BE(fold(partial + (~oldLen & 0xffff) + thlen + n), l4 + TCP_CHECKSUM_AT);
    finishChecksum(s, l4, TCP_CHECKSUM_AT);
    out.push(s);
  }
  return out;
}
