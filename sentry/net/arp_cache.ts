/**
 * The neighbour table of one Ethernet interface (RFC 826, RFC 1122 2.3.2.2):
 * learned MAC addresses with an age, and for addresses being resolved a
 * short queue of packets waiting for the answer. Everything is bounded so a
 * flood of requests or of packets to absent hosts cannot grow memory.
 */
import type { Ipv4 } from './addr';
import type { Clock, Timer } from './clock';
import type { TxOffload } from './nic';
import type { NetStats } from './stats';

export interface ArpConfig {
  /** How long an answer is trusted without asking again (Linux base_reachable_time: 30 s). */
  readonly reachableMs: number;
  /** How long past that a stale entry is still used while it is re-asked. */
  readonly staleMs: number;
  /** Requests per resolution and the interval between them (Linux mcast_solicit 3, retrans_time 1 s). */
  readonly requests: number;
  readonly retransMs: number;
  readonly maxEntries: number;
  readonly maxPendingAddrs: number;
  readonly maxQueuedPerAddr: number;
}

export const DEFAULT_ARP_CONFIG: ArpConfig = {
  reachableMs: 30_000,
  staleMs: 60_000,
  requests: 3,
  retransMs: 1000,
  maxEntries: 1024,
  maxPendingAddrs: 256,
  maxQueuedPerAddr: 64,
};

interface Entry {
  mac: Buffer;
  learnedAt: number;
  lastAsked: number;
}

/** A packet waiting for its next hop's MAC, with the offload work its link is to finish. */
interface Queued {
  readonly frame: Buffer;
  readonly offload?: TxOffload;
}

interface Pending {
  readonly queue: Queued[];
  sent: number;
  timer: Timer;
}

export interface ArpCacheOwner {
  /** Broadcasts a request for `ip`. */
  request(ip: Ipv4): void;
  /** Sends `frame` (headroom for the Ethernet header included) to `mac`. */
  transmit(frame: Buffer, mac: Buffer, offload?: TxOffload): void;
  /** Nobody answered for `ip`: its queued packets were dropped. */
  unresolved(ip: Ipv4): void;
}

export class ArpCache {
  private readonly entries = new Map<Ipv4, Entry>();
  private readonly pending = new Map<Ipv4, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly owner: ArpCacheOwner,
    private readonly stats: NetStats,
    private readonly cfg: ArpConfig = DEFAULT_ARP_CONFIG,
  ) {}

  /** Sends `frame` to `ip` now if its MAC is known, else queues it behind a resolution. */
  send(ip: Ipv4, frame: Buffer, offload?: TxOffload): void {
    const mac = this.lookup(ip);
    if (mac) {
      this.owner.transmit(frame, mac, offload);
      return;
    }
    let p = this.pending.get(ip);
    if (!p) {
      if (this.pending.size >= this.cfg.maxPendingAddrs) {
        this.stats.inc('arp.pending_full');
        return;
      }
      p = { queue: [], sent: 0, timer: { cancel: () => {} } };
      this.pending.set(ip, p);
      this.ask(ip, p);
    }
    if (p.queue.length >= this.cfg.maxQueuedPerAddr) {
      this.stats.inc('arp.queue_full');
      return;
    }
    p.queue.push({ frame, offload });
  }

  /** The MAC for `ip` if known; a stale answer is still used but asked again (at most once per retransMs). */
  lookup(ip: Ipv4): Buffer | undefined {
    const e = this.entries.get(ip);
    if (!e) return undefined;
    const age = this.clock.now() - e.learnedAt;
    if (age >= this.cfg.reachableMs + this.cfg.staleMs) {
      this.entries.delete(ip);
      return undefined;
    }
    if (age >= this.cfg.reachableMs && this.clock.now() - e.lastAsked >= this.cfg.retransMs) {
      e.lastAsked = this.clock.now();
      this.owner.request(ip);
    }
    return e.mac;
  }

  /**
   * Records `ip` -> `mac` from an ARP packet. `create` is false for packets
   * not aimed at us: those only refresh entries we already have (RFC 826's
   * merge rule), so strangers cannot fill the table.
   */
  learn(ip: Ipv4, mac: Buffer, create: boolean): void {
    const e = this.entries.get(ip);
    if (e) {
      e.mac = mac;
      e.learnedAt = this.clock.now();
      e.lastAsked = e.learnedAt;
    } else if (create || this.pending.has(ip)) {
      if (this.entries.size >= this.cfg.maxEntries) {
        // Maps iterate in insertion order: evict the oldest.
        const oldest = this.entries.keys().next().value as Ipv4;
        this.entries.delete(oldest);
        this.stats.inc('arp.evicted');
      }
      this.entries.set(ip, { mac, learnedAt: this.clock.now(), lastAsked: this.clock.now() });
    } else {
      return;
    }
    const p = this.pending.get(ip);
    if (p) {
      p.timer.cancel();
      this.pending.delete(ip);
      for (const q of p.queue) this.owner.transmit(q.frame, mac, q.offload);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Drops every entry and queued packet, cancelling timers. */
  clear(): void {
    for (const p of this.pending.values()) p.timer.cancel();
    this.pending.clear();
    this.entries.clear();
  }

  private ask(ip: Ipv4, p: Pending): void {
    if (p.sent >= this.cfg.requests) {
      this.pending.delete(ip);
      this.stats.inc('arp.unresolved', 1);
      this.stats.inc('arp.dropped_queued', p.queue.length);
      this.owner.unresolved(ip);
      return;
    }
    p.sent++;
    this.owner.request(ip);
    p.timer = this.clock.setTimer(this.cfg.retransMs, () => this.ask(ip, p));
  }
}
