/**
 * SYN cookies (RFC 4987 3.6) in Linux's form without timestamps
 * (net/ipv4/syncookies.c): when a listener's SYN queue is full, the
 * SYN-ACK's initial sequence number carries everything the connection
 * needs later, and the listener keeps no state for it. The cookie is
 *
 *   hash0(4-tuple) + peer ISN + (minute counter << 24)
 *     + ((hash1(4-tuple, counter) + MSS index) mod 2^24)
 *
 * with keyed hashes under two secrets drawn per stack. The ACK that
 * completes the handshake acknowledges cookie + 1 and carries peer ISN + 1,
 * so both are recovered from it; a cookie is good for the minute it was
 * made and the next one (Linux's MAX_SYNCOOKIE_AGE 2).
 *
 * What a cookie cannot carry (without timestamps, where Linux hides them):
 * window scaling and SACK permission, so a connection opened by a cookie
 * has neither; its MSS is the largest entry of the table below not above
 * the peer's.
 */
import type * as Crypto from 'node:crypto';
import type { Ipv4 } from '../addr';
import type { Clock } from '../clock';

/** The MSS values a cookie can name (Linux's msstab for IPv4). */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];

const COUNTER_BITS = 8;
const COOKIE_BITS = 32 - COUNTER_BITS;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;
const COUNTER_MASK = (1 << COUNTER_BITS) - 1;
/** A cookie is valid in the counter period it was made in and the next. */
const MAX_AGE = 2;
const PERIOD_MS = 60_000;
/** How long after the last cookie a listener still checks ACKs for one (Linux's TCP_SYNCOOKIE_VALID). */
export const SYNCOOKIE_VALID_MS = MAX_AGE * PERIOD_MS;

/** node:crypto loads with the first cookie, not at every sandbox start (~4 ms of CPU). */
const crypto = (): typeof Crypto => require('node:crypto') as typeof Crypto;

export class SynCookies {
  private secrets: Buffer[] | undefined;
  private readonly input = Buffer.alloc(16);

  constructor(private readonly clock: Clock) {}

  /** The ISN of a cookie SYN-ACK answering a SYN with sequence `synSeq` and MSS option `peerMss`, and the MSS it encodes. */
  make(la: Ipv4, lp: number, ra: Ipv4, rp: number, synSeq: number, peerMss: number): { isn: number; mss: number } {
    let index = COOKIE_MSS_TABLE.length - 1;
    while (index > 0 && peerMss < COOKIE_MSS_TABLE[index]) index--;
    const count = this.counter();
    const isn =
      this.hash(0, la, lp, ra, rp, 0) + synSeq + (((count & COUNTER_MASK) << COOKIE_BITS) >>> 0) + ((this.hash(1, la, lp, ra, rp, count) + index) & COOKIE_MASK);
    return { isn: isn >>> 0, mss: COOKIE_MSS_TABLE[index] };
  }

  /** The MSS `cookie` (an ACK's ack - 1) encodes for a SYN that had `synSeq` (its seq - 1), or undefined if it is no valid cookie. */
  check(la: Ipv4, lp: number, ra: Ipv4, rp: number, synSeq: number, cookie: number): number | undefined {
    const c = (cookie - this.hash(0, la, lp, ra, rp, 0) - synSeq) >>> 0;
    const count = this.counter();
    const age = (count - (c >>> COOKIE_BITS)) & COUNTER_MASK;
    if (age >= MAX_AGE) return undefined;
    const index = (c - this.hash(1, la, lp, ra, rp, count - age)) & COOKIE_MASK;
    return index < COOKIE_MSS_TABLE.length ? COOKIE_MSS_TABLE[index] : undefined;
  }

  /** Minutes of the stack's clock (Linux's tcp_cookie_time); a cookie keeps its low 8 bits. */
  private counter(): number {
    return Math.floor(this.clock.now() / PERIOD_MS);
  }

  /** A keyed 32-bit hash of the 4-tuple and `count` under secret `which`. */
  private hash(which: 0 | 1, la: Ipv4, lp: number, ra: Ipv4, rp: number, count: number): number {
    const b = this.input;
    b.writeUInt32BE(la >>> 0, 0);
    b.writeUInt32BE(ra >>> 0, 4);
    b.writeUInt16BE(lp, 8);
    b.writeUInt16BE(rp, 10);
    b.writeUInt32BE(count >>> 0, 12);
    const { createHash, randomBytes } = crypto();
    this.secrets ??= [randomBytes(32), randomBytes(32)];
    return createHash('sha256').update(this.secrets[which]).update(b).digest().readUInt32BE(0);
  }
}
