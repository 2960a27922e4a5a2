/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of 16-bit big-endian words, an odd last byte padded with
 * zero. Sums are kept unfolded (up to 2^31) and folded at the end.
 */
export function sum16(b: Buffer, off: number, len: number, initial = 0): number {
  let s = initial;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) {
    s += (b[i] << 8) | b[i + 1];
    // Folding before the sum could overflow a 32-bit-safe range keeps the loop cheap and exact.
    if (s > 0x3fffffff) s = (s & 0xffff) + (s >>> 16);
  }
  if (i < end) s += b[i] << 8;
  return s;
}

/** Folds a sum to 16 bits (end-around carry), without complementing it. */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Folds a sum to 16 bits and complements it: the value that goes in the header. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** Sum of the IPv4 pseudo-header TCP and UDP checksums cover (RFC 9293 3.1, RFC 768). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** True when a received header (checksum field included) sums to all ones. */
export function verifies(b: Buffer, off: number, len: number, initial = 0): boolean {
  return finish(sum16(b, off, len, initial)) === 0;
}
