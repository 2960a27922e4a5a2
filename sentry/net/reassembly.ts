/**
 * IPv4 fragment reassembly (RFC 791 3.2, RFC 815 holes). Datagrams are
 * keyed by (src, dst, protocol, id). As in Linux since 4.19, a fragment that
 * overlaps another drops the whole datagram (exact duplicates are ignored),
 * which defeats overlap tricks (RFC 1858, RFC 3128). Memory is bounded by a
 * byte budget (oldest datagrams are evicted) and incomplete datagrams time
 * out.
 */
import { IPFRAG_HIGH_THRESH, IPFRAG_TIME_MS } from '../abi/linux/inet';
import type { Clock, Timer } from './clock';
import type { NetStats } from './stats';
import { IPV4_MAX_PACKET, IPV4_MIN_HEADER, type Ipv4Header } from './wire/ipv4';

interface Piece {
  readonly off: number;
  readonly data: Buffer;
}

interface Datagram {
  readonly pieces: Piece[];
  /** Payload length, once the last fragment (MF clear) arrived. */
  total?: number;
  bytes: number;
  readonly timer: Timer;
}

export interface ReassemblyConfig {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}


export class Reassembler {
  private readonly datagrams = new Map<string, Datagram>();
  private bytes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly stats: NetStats,
    private readonly cfg: ReassemblyConfig = { timeoutMs: IPFRAG_TIME_MS, maxBytes: IPFRAG_HIGH_THRESH },
  ) {}

  /** Adds one fragment; returns the whole datagram (addresses, protocol and payload) once complete. */
  add(h: Ipv4Header): Ipv4Header | undefined {
    const key = `${h.src}/${h.dst}/${h.protocol}/${h.id}`;
    const len = h.payload.length;
    const end = h.fragmentOffset + len;
    if (end + IPV4_MIN_HEADER > IPV4_MAX_PACKET || (h.moreFragments && (len === 0 || len % 8 !== 0))) {
      this.stats.inc('ip.frag_invalid');
      this.drop(key);
      return undefined;
    }
    let d = this.datagrams.get(key);
    if (!d) {
      if (len > this.cfg.maxBytes) return undefined;
      while (this.bytes + len > this.cfg.maxBytes && this.datagrams.size > 0) {
        this.drop(this.datagrams.keys().next().value as string);
        this.stats.inc('ip.frag_evicted');
      }
      const timer = this.clock.setTimer(this.cfg.timeoutMs, () => {
        this.stats.inc('ip.frag_timeout');
        this.drop(key);
      });
      d = { pieces: [], bytes: 0, timer };
      this.datagrams.set(key, d);
    }
    if (!h.moreFragments) {
      if ((d.total !== undefined && d.total !== end) || d.pieces.some((p) => p.off + p.data.length > end)) return this.bad(key);
      d.total = end;
    } else if (d.total !== undefined && end > d.total) {
      return this.bad(key);
    }
    for (const p of d.pieces) {
      const pend = p.off + p.data.length;
      if (p.off === h.fragmentOffset && pend === end) {
        this.stats.inc('ip.frag_duplicate');
        return undefined;
      }
      if (h.fragmentOffset < pend && p.off < end) return this.bad(key);
    }
    d.pieces.push({ off: h.fragmentOffset, data: Buffer.from(h.payload) });
    d.bytes += len;
    this.bytes += len;
    if (d.total === undefined || d.bytes !== d.total) {
      if (this.bytes > this.cfg.maxBytes) this.evictFor(key);
      return undefined;
    }
    // No overlaps and as many bytes as the total: the pieces tile [0, total).
    d.pieces.sort((a, b) => a.off - b.off);
    const payload = Buffer.concat(d.pieces.map((p) => p.data));
    this.drop(key);
    this.stats.inc('ip.reassembled');
    return { ...h, fragmentOffset: 0, moreFragments: false, totalLength: IPV4_MIN_HEADER + payload.length, payload };
  }

  get pendingDatagrams(): number {
    return this.datagrams.size;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  clear(): void {
    for (const k of [...this.datagrams.keys()]) this.drop(k);
  }

  private bad(key: string): undefined {
    this.stats.inc('ip.frag_overlap');
    this.drop(key);
    return undefined;
  }

  private evictFor(keep: string): void {
    for (const k of [...this.datagrams.keys()]) {
      if (this.bytes <= this.cfg.maxBytes) return;
      if (k === keep) continue;
      this.drop(k);
      this.stats.inc('ip.frag_evicted');
    }
  }

  private drop(key: string): void {
    const d = this.datagrams.get(key);
    if (!d) return;
    d.timer.cancel();
    this.bytes -= d.bytes;
    this.datagrams.delete(key);
  }
}
