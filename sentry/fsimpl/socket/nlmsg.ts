/**
 * Netlink's wire format: splitting what a program sent into messages the
 * way the kernel walks them, building replies (struct nlmsghdr, then a
 * fixed header and attributes, each padded to 4 bytes), NLMSG_ERROR acks
 * and NLMSG_DONE. Pure functions on Buffers; the socket (netlink.ts) and
 * the rtnetlink handlers (rtnetlink.ts) use them.
 */
import { NLA_HDRLEN, NLM_F, NLMSG, NLMSG_ALIGNTO, NLMSGERR_ATTR_MSG, NLMSGHDR } from '../../abi/linux/netlink';

/** One message of a request, as its header describes it. */
export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The whole message (header included), nlmsg_len bytes. */
  raw: Buffer;
  /** What follows the header. */
  payload: Buffer;
}

export const nlAlign = (n: number): number => (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);

/**
 * The messages of one sendmsg, as netlink_rcv_skb walks them: each starts
 * at the aligned end of the one before, and the walk stops (silently) at
 * a header whose nlmsg_len is shorter than a header or runs past the data.
 */
export function splitMessages(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  let off = 0;
  while (buf.length - off >= NLMSGHDR.SIZE) {
    const len = buf.readUInt32LE(off + NLMSGHDR.LEN);
    if (len < NLMSGHDR.SIZE || len > buf.length - off) break;
    const raw = buf.subarray(off, off + len);
    out.push({
      type: raw.readUInt16LE(NLMSGHDR.TYPE), flags: raw.readUInt16LE(NLMSGHDR.FLAGS),
      seq: raw.readUInt32LE(NLMSGHDR.SEQ), pid: raw.readUInt32LE(NLMSGHDR.PID), raw, payload: raw.subarray(NLMSGHDR.SIZE),
    });
    off += nlAlign(len);
  }
  return out;
}

/** A message: header (nlmsg_len covers every part) and the parts, each already padded where Linux pads. */
export function nlMessage(type: number, flags: number, seq: number, pid: number, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(NLMSGHDR.SIZE);
  h.writeUInt32LE(NLMSGHDR.SIZE + body.length, NLMSGHDR.LEN);
  h.writeUInt16LE(type, NLMSGHDR.TYPE);
  h.writeUInt16LE(flags, NLMSGHDR.FLAGS);
  h.writeUInt32LE(seq >>> 0, NLMSGHDR.SEQ);
  h.writeUInt32LE(pid >>> 0, NLMSGHDR.PID);
  return Buffer.concat([h, body]);
}

/** Messages packed into one datagram, each starting on a 4-byte boundary. */
export function packMessages(msgs: Buffer[]): Buffer {
  const out = Buffer.alloc(msgs.reduce((n, m) => n + nlAlign(m.length), 0));
  let off = 0;
  for (const m of msgs) {
    m.copy(out, off);
    off += nlAlign(m.length);
  }
  return out;
}

/** An attribute: nla_len covers header and value; the padding after the value is not counted. */
export function nlAttr(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(nlAlign(NLA_HDRLEN + value.length));
  out.writeUInt16LE(NLA_HDRLEN + value.length, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, NLA_HDRLEN);
  return out;
}

export const u8Attr = (type: number, v: number): Buffer => nlAttr(type, Buffer.from([v]));

export function u32Attr(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return nlAttr(type, b);
}

/** An IPv4 address (host-order number) in network byte order. */
export function ipv4Attr(type: number, a: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(a >>> 0);
  return nlAttr(type, b);
}

/** A NUL-terminated string. */
export const stringAttr = (type: number, s: string): Buffer => nlAttr(type, Buffer.from(`${s}\0`, 'latin1'));

/** NLA_TYPE_MASK: the nested and byte-order flags are not part of the type. */
const NLA_TYPE_MASK = 0x3fff;

/** Attributes by type (the last one wins); parsing stops at the first malformed one, as nla_for_each_attr does. */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = 0;
  while (buf.length - off >= NLA_HDRLEN) {
    const len = buf.readUInt16LE(off);
    if (len < NLA_HDRLEN || len > buf.length - off) break;
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + NLA_HDRLEN, off + len));
    off += nlAlign(len);
  }
  return out;
}

/** A string attribute's value up to its first NUL. */
export function attrString(v: Buffer): string {
  const end = v.indexOf(0);
  return v.subarray(0, end < 0 ? v.length : end).toString('latin1');
}

/** An error with the extended-ack message Linux attaches to some (NL_SET_ERR_MSG). */
export interface NlError {
  errno: number;
  message?: string;
}

export interface AckOptions {
  /** NETLINK_CAP_ACK: errors carry only the request's header, not the whole request. */
  capAck: boolean;
  /** NETLINK_EXT_ACK: error messages are sent as NLMSGERR_ATTR_MSG TLVs. */
  extAck: boolean;
}

function tlvs(e: NlError | undefined, o: AckOptions): Buffer[] {
  return o.extAck && e?.message !== undefined ? [stringAttr(NLMSGERR_ATTR_MSG, e.message)] : [];
}

/**
 * netlink_ack: NLMSG_ERROR for `req`, to port `portId`. An ack (no error)
 * and a capped error echo only the request's header (NLM_F_CAPPED); other
 * errors echo the whole request.
 */
export function ackMessage(req: NlMsg, portId: number, e: NlError | undefined, o: AckOptions): Buffer {
  const capped = e === undefined || o.capAck;
  const head = Buffer.alloc(4);
  head.writeInt32LE(e ? -e.errno : 0);
  const echo = capped ? req.raw.subarray(0, NLMSGHDR.SIZE) : req.raw;
  const extra = tlvs(e, o);
  const flags = (capped ? NLM_F.CAPPED : 0) | (extra.length > 0 ? NLM_F.ACK_TLVS : 0);
  // The echoed request is padded before any TLV, as nlmsg_put reserves aligned room.
  const body = extra.length > 0 ? [head, echo, Buffer.alloc(nlAlign(echo.length) - echo.length), ...extra] : [head, echo];
  return nlMessage(NLMSG.ERROR, flags, req.seq, portId, body);
}

/** NLMSG_DONE ending a dump: its payload is the dump's result (0, or a negative errno). */
export function doneMessage(seq: number, portId: number, flags: number, e: NlError | undefined, o: AckOptions): Buffer {
  const code = Buffer.alloc(4);
  code.writeInt32LE(e ? -e.errno : 0);
  const extra = tlvs(e, o);
  return nlMessage(NLMSG.DONE, NLM_F.MULTI | flags | (extra.length > 0 ? NLM_F.ACK_TLVS : 0), seq, portId, [code, ...extra]);
}
