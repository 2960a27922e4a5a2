// Ethernet II framing (IEEE 802.3 with EtherType, RFC 894) and the
// EtherTypes the stack handles (IANA ieee-802-numbers).

export const ETH_HEADER = 14;
/** Where the EtherType sits in a frame. */
export const ETH_TYPE_OFFSET = 12;
export const ETH_ADDR_LEN = 6;
export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;
export const BROADCAST_MAC = Buffer.alloc(6, 0xff);

export interface EthernetHeader {
  readonly dst: Buffer;
  readonly src: Buffer;
  readonly type: number;
  readonly payload: Buffer;
}

export function parseEthernet(frame: Buffer): EthernetHeader | undefined {
  if (frame.length < ETH_HEADER) return undefined;
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    type: frame.readUInt16BE(ETH_TYPE_OFFSET),
    payload: frame.subarray(ETH_HEADER),
  };
}

/** A frame with `payload` copied after the header. */
export function buildEthernet(dst: Buffer, src: Buffer, type: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(ETH_HEADER + payload.length);
  dst.copy(f, 0, 0, 6);
  src.copy(f, 6, 0, 6);
  f.writeUInt16BE(type, 12);
  payload.copy(f, ETH_HEADER);
  return f;
}

export function isMulticastMac(m: Buffer): boolean {
  return (m[0] & 1) === 1;
}
