// ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet.

import { ETHERTYPE } from './ethernet';

export const ARP_PACKET = 28;
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_OP = { REQUEST: 1, REPLY: 2 } as const;

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Buffer;
  readonly senderIp: number;
  readonly targetMac: Buffer;
  readonly targetIp: number;
}

/** Only Ethernet/IPv4 ARP is accepted; anything else is undefined. */
export function parseArp(b: Buffer): ArpPacket | undefined {
  if (b.length < ARP_PACKET) return undefined;
  if (b.readUInt16BE(0) !== ARP_HTYPE_ETHERNET || b.readUInt16BE(2) !== ETHERTYPE.IPV4 || b[4] !== 6 || b[5] !== 4) return undefined;
  return {
    op: b.readUInt16BE(6),
    senderMac: Buffer.from(b.subarray(8, 14)),
    senderIp: b.readUInt32BE(14),
    targetMac: Buffer.from(b.subarray(18, 24)),
    targetIp: b.readUInt32BE(24),
  };
}

export function buildArp(p: ArpPacket): Buffer {
  const b = Buffer.alloc(ARP_PACKET);
  b.writeUInt16BE(ARP_HTYPE_ETHERNET, 0);
  b.writeUInt16BE(ETHERTYPE.IPV4, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(p.op, 6);
  p.senderMac.copy(b, 8, 0, 6);
  b.writeUInt32BE(p.senderIp >>> 0, 14);
  p.targetMac.copy(b, 18, 0, 6);
  b.writeUInt32BE(p.targetIp >>> 0, 24);
  return b;
}
