/**
 * Which sockets hold which local ports, per protocol. `bind` finds an
 * ephemeral port for port 0 (net.ipv4.ip_local_port_range, probed from a
 * random start) and refuses conflicts as the protocol's rule says.
 */
import { EPHEMERAL_PORTS } from '../abi/linux/inet';
import { fail } from '../errors/linuxerr';
import type { Ipv4 } from './addr';

export interface PortUser {
  localAddr: Ipv4;
  localPort: number;
}

/** Whether `candidate` may not share a port with `holder` when bound to `addr`. */
export type ConflictRule<T> = (holder: T, candidate: T, addr: Ipv4) => boolean;

export function addressesOverlap(a: Ipv4, b: Ipv4): boolean {
  return a === 0 || b === 0 || a === b;
}

export class PortTable<T extends PortUser> {
  private readonly byPort = new Map<number, Set<T>>();

  constructor(
    private readonly random: () => number,
    private readonly conflicts: ConflictRule<T>,
  ) {}

  /** Binds `e` to addr:port (port 0: an ephemeral port); throws EADDRINUSE. */
  bind(e: T, addr: Ipv4, port: number): void {
    if (port === 0) {
      port = this.ephemeral();
    } else {
      for (const holder of this.byPort.get(port) ?? []) {
        if (holder !== e && this.conflicts(holder, e, addr)) fail('EADDRINUSE', `port ${port}`);
      }
    }
    this.release(e);
    e.localAddr = addr;
    e.localPort = port;
    this.attach(e);
  }

  /** Records `e` on the port it already names, unchecked (an accepted connection shares its listener's port). */
  attach(e: T): void {
    let set = this.byPort.get(e.localPort);
    if (!set) this.byPort.set(e.localPort, (set = new Set()));
    set.add(e);
  }

  release(e: T): void {
    const set = this.byPort.get(e.localPort);
    if (!set?.delete(e)) return;
    if (set.size === 0) this.byPort.delete(e.localPort);
  }

  users(port: number): ReadonlySet<T> {
    return this.byPort.get(port) ?? EMPTY;
  }

  /** Every endpoint holding a port (accepted connections share their listener's). */
  *all(): IterableIterator<T> {
    for (const set of this.byPort.values()) yield* set;
  }

  get size(): number {
    let n = 0;
    for (const s of this.byPort.values()) n += s.size;
    return n;
  }

  private ephemeral(): number {
    const span = EPHEMERAL_PORTS.LAST - EPHEMERAL_PORTS.FIRST + 1;
    const start = Math.floor(this.random() * span);
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_PORTS.FIRST + ((start + i) % span);
      if (!this.byPort.has(port)) return port;
    }
    // Every ephemeral port is held: as in Linux, bind(0) then fails with EADDRINUSE.
    return fail('EADDRINUSE', 'no free ephemeral port');
  }
}

const EMPTY: ReadonlySet<never> = new Set();
