// The TCP header and options (RFC 9293 section 3.1; window scale RFC 7323
// section 2; SACK-permitted RFC 2018).

import { finish, fold, pseudoHeaderSum, sum16 } from './checksum';

export const TCP_MIN_HEADER = 20;
export const TCP_MAX_HEADER = 60;

export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export const TCP_OPT = { EOL: 0, NOP: 1, MSS: 2, WINDOW_SCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;

/** RFC 7323 2.3: a shift above 14 is treated as 14. */
export const TCP_MAX_WINDOW_SCALE = 14;
/** RFC 9293 3.7.1: the MSS assumed when the peer sends none. */
export const TCP_DEFAULT_MSS = 536;

/** A half-open sequence range [start, end), as SACK blocks carry them. */
export interface SeqRange {
  readonly start: number;
  readonly end: number;
}

/** Blocks in one ACK: 4 fit in the 40 option bytes without timestamps (RFC 2018 3). */
export const MAX_SACK_BLOCKS = 4;

export interface TcpOptions {
  readonly mss?: number;
  readonly windowScale?: number;
  readonly sackPermitted?: boolean;
  readonly sackBlocks?: readonly SeqRange[];
}

export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  readonly options: TcpOptions;
  readonly payload: Buffer;
}

export type TcpParseError = 'truncated' | 'data-offset' | 'checksum';

/**
 * Parses and checks the checksum against the pseudo-header of `src` ->
 * `dst`, unless `checksumOk` says the link already vouched for it (a local
 * sender's offloaded checksum, or one the host kernel verified). Malformed
 * options are ignored, not fatal.
 */
export function parseTcp(b: Buffer, src: number, dst: number, protocol: number, checksumOk = false): TcpSegment | TcpParseError {
  if (b.length < TCP_MIN_HEADER) return 'truncated';
  const headerLength = (b[12] >> 4) * 4;
  if (headerLength < TCP_MIN_HEADER || headerLength > b.length) return 'data-offset';
  if (!checksumOk && finish(sum16(b, 0, b.length, pseudoHeaderSum(src, dst, protocol, b.length))) !== 0) return 'checksum';
  return {
    srcPort: b.readUInt16BE(0),
    dstPort: b.readUInt16BE(2),
    seq: b.readUInt32BE(4),
    ack: b.readUInt32BE(8),
    flags: b[13],
    window: b.readUInt16BE(14),
    urgentPointer: b.readUInt16BE(18),
    options: parseOptions(b, TCP_MIN_HEADER, headerLength),
    payload: b.subarray(headerLength),
  };
}

function parseOptions(b: Buffer, start: number, end: number): TcpOptions {
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted = false;
  let sackBlocks: SeqRange[] | undefined;
  let i = start;
  while (i < end) {
    const kind = b[i];
    if (kind === TCP_OPT.EOL) break;
    if (kind === TCP_OPT.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) break;
    const len = b[i + 1];
    if (len < 2 || i + len > end) break;
    if (kind === TCP_OPT.MSS && len === 4) mss = b.readUInt16BE(i + 2);
    else if (kind === TCP_OPT.WINDOW_SCALE && len === 3) windowScale = Math.min(b[i + 2], TCP_MAX_WINDOW_SCALE);
    else if (kind === TCP_OPT.SACK_PERMITTED && len === 2) sackPermitted = true;
    else if (kind === TCP_OPT.SACK && len >= 10 && (len - 2) % 8 === 0) {
      sackBlocks = [];
      for (let j = i + 2; j + 8 <= i + len && sackBlocks.length < MAX_SACK_BLOCKS; j += 8) {
        sackBlocks.push({ start: b.readUInt32BE(j), end: b.readUInt32BE(j + 4) });
      }
    }
    i += len;
  }
  return { mss, windowScale, sackPermitted, sackBlocks };
}

/** Encoded options padded to a multiple of 4 with NOPs (order as Linux: MSS, NOP, WS). */
export function encodeOptions(o: TcpOptions): Buffer {
  const parts: number[] = [];
  if (o.mss !== undefined) parts.push(TCP_OPT.MSS, 4, o.mss >> 8, o.mss & 0xff);
  if (o.sackPermitted) parts.push(TCP_OPT.NOP, TCP_OPT.NOP, TCP_OPT.SACK_PERMITTED, 2);
  if (o.windowScale !== undefined) parts.push(TCP_OPT.NOP, TCP_OPT.WINDOW_SCALE, 3, o.windowScale);
  return Buffer.from(parts);
}

/** SACK blocks as NOP, NOP, kind 5, length, edges (Linux's layout). */
export function encodeSackBlocks(blocks: readonly SeqRange[]): Buffer {
  const n = Math.min(blocks.length, MAX_SACK_BLOCKS);
  const b = Buffer.alloc(4 + 8 * n);
  b[0] = TCP_OPT.NOP;
  b[1] = TCP_OPT.NOP;
  b[2] = TCP_OPT.SACK;
  b[3] = 2 + 8 * n;
  for (let i = 0; i < n; i++) {
    b.writeUInt32BE(blocks[i].start >>> 0, 4 + 8 * i);
    b.writeUInt32BE(blocks[i].end >>> 0, 8 + 8 * i);
  }
  return b;
}

/** A segment's data: a Buffer, or a view that copies bytes kept elsewhere into the frame (a Buffer is one). */
export interface Payload {
  readonly length: number;
  /** Copies all `length` bytes to `target` at `targetStart`; returns the count. */
  copy(target: Buffer, targetStart: number): number;
}

export interface TcpFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  readonly options?: Buffer;
}

/** Offset of the checksum field in the TCP header. */
export const TCP_CHECKSUM_AT = 16;

/**
 * Writes header, options and `payload` at `off` of `b` (which must have room)
 * with the checksum over the pseudo-header of `src` -> `dst`; returns the
 * segment length. With `partialChecksum` the field gets only the folded
 * pseudo-header sum (over the whole length, as Linux leaves it for
 * CHECKSUM_PARTIAL and GSO), for the link to finish.
 */
export function writeTcp(b: Buffer, off: number, f: TcpFields, payload: Payload, src: number, dst: number, protocol: number, partialChecksum = false): number {
  const optLen = f.options?.length ?? 0;
  const headerLength = TCP_MIN_HEADER + optLen;
  const len = headerLength + payload.length;
  b.writeUInt16BE(f.srcPort, off);
  b.writeUInt16BE(f.dstPort, off + 2);
  b.writeUInt32BE(f.seq >>> 0, off + 4);
  b.writeUInt32BE(f.ack >>> 0, off + 8);
  b[off + 12] = (headerLength / 4) << 4;
  b[off + 13] = f.flags;
  b.writeUInt16BE(f.window, off + 14);
  b.writeUInt32BE(0, off + TCP_CHECKSUM_AT); // checksum and urgent pointer
  if (f.options) f.options.copy(b, off + TCP_MIN_HEADER);
  payload.copy(b, off + headerLength);
  const pseudo = pseudoHeaderSum(src, dst, protocol, len);
  b.writeUInt16BE(partialChecksum ? fold(pseudo) : finish(sum16(b, off, len, pseudo)), off + TCP_CHECKSUM_AT);
  return len;
}
