// The IPv4 header (RFC 791 section 3.1).

import { finish, sum16 } from './checksum';

export const IPV4_MIN_HEADER = 20;
export const IPV4_MAX_PACKET = 65535;
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_OFFSET_MASK = 0x1fff;

export interface Ipv4Header {
  readonly headerLength: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly id: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in bytes. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  /** The packet's data: bytes past the header, up to totalLength (link padding removed). */
  readonly payload: Buffer;
}

export type Ipv4ParseError = 'truncated' | 'version' | 'header-length' | 'total-length' | 'checksum';

/** Validates version, lengths and the header checksum (RFC 1122 3.2.1). */
export function parseIpv4(b: Buffer): Ipv4Header | Ipv4ParseError {
  if (b.length < IPV4_MIN_HEADER) return 'truncated';
  if (b[0] >> 4 !== 4) return 'version';
  const headerLength = (b[0] & 0xf) * 4;
  if (headerLength < IPV4_MIN_HEADER || headerLength > b.length) return 'header-length';
  const totalLength = b.readUInt16BE(2);
  if (totalLength < headerLength || totalLength > b.length) return 'total-length';
  if (finish(sum16(b, 0, headerLength)) !== 0) return 'checksum';
  const frag = b.readUInt16BE(6);
  return {
    headerLength,
    tos: b[1],
    totalLength,
    id: b.readUInt16BE(4),
    dontFragment: (frag & IPV4_FLAG_DF) !== 0,
    moreFragments: (frag & IPV4_FLAG_MF) !== 0,
    fragmentOffset: (frag & IPV4_OFFSET_MASK) * 8,
    ttl: b[8],
    protocol: b[9],
    src: b.readUInt32BE(12),
    dst: b.readUInt32BE(16),
    payload: b.subarray(headerLength, totalLength),
  };
}

/**
 * Whether the IPv4 packet at `off` in `b` is a whole (unfragmented) packet
 * of `protocol`, judged from those two fields alone: the header is not
 * validated.
 */
export function isWholePacketOf(b: Buffer, off: number, protocol: number): boolean {
  return b.length >= off + IPV4_MIN_HEADER && b[off + 9] === protocol && (b.readUInt16BE(off + 6) & (IPV4_FLAG_MF | IPV4_OFFSET_MASK)) === 0;
}

export interface Ipv4Fields {
  readonly tos?: number;
  readonly id: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
}

/** Writes a 20-byte header (no options) for `payloadLength` bytes at `off` of `b`. */
export function writeIpv4Header(b: Buffer, off: number, f: Ipv4Fields, payloadLength: number): void {
  b[off] = 0x45;
  b[off + 1] = f.tos ?? 0;
  b.writeUInt16BE(IPV4_MIN_HEADER + payloadLength, off + 2);
  b.writeUInt16BE(f.id & 0xffff, off + 4);
  const frag = (f.dontFragment ? IPV4_FLAG_DF : 0) | (f.moreFragments ? IPV4_FLAG_MF : 0) | ((f.fragmentOffset ?? 0) / 8);
  b.writeUInt16BE(frag, off + 6);
  b[off + 8] = f.ttl;
  b[off + 9] = f.protocol;
  b.writeUInt16BE(0, off + 10);
  b.writeUInt32BE(f.src >>> 0, off + 12);
  b.writeUInt32BE(f.dst >>> 0, off + 16);
  b.writeUInt16BE(finish(sum16(b, off, IPV4_MIN_HEADER)), off + 10);
}
