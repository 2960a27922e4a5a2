/**
 * IPv4 addresses are host-order unsigned 32-bit numbers inside the stack:
 * they compare with ===, key maps cheaply and mask with plain arithmetic.
 */
export type Ipv4 = number;

/** An IPv4 address and port, as a sockaddr_in carries them. */
export interface InetAddr {
  readonly addr: Ipv4;
  readonly port: number;
}

export function parseIpv4(s: string): Ipv4 {
  const parts = s.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
    v = v * 256 + Number(p);
  }
  return v;
}

export function formatIpv4(a: Ipv4): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** The netmask of a prefix length, e.g. 24 -> 0xffffff00. */
export function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export function sameSubnet(a: Ipv4, b: Ipv4, prefixLength: number): boolean {
  const m = prefixMask(prefixLength);
  return ((a & m) >>> 0) === ((b & m) >>> 0);
}

export function isLoopback(a: Ipv4): boolean {
  return a >>> 24 === 127;
}

/** Multicast (224/4) and limited broadcast never name a single host. */
export function isMulticastOrBroadcast(a: Ipv4): boolean {
  return a >>> 28 === 0xe || a === 0xffffffff;
}

export function formatMac(m: Buffer): string {
  return [...m].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(s: string): Buffer {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${JSON.stringify(s)}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
