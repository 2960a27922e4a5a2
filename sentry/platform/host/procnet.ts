/**
 * The host's socket tables (/proc/net/tcp, tcp6, udp, udp6) of the Sentry's
 * network namespace, for `host` network mode, where the app's sockets are
 * host sockets and these tables are the true ones. The files are opened at
 * start, before the Sentry's seccomp filter forbids opens, and read again
 * from offset 0 (pread) every time: each read is a fresh listing.
 */
import { openSync } from 'node:fs';
import { preadFd } from './fdio';

export const PROC_NET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export type ProcNetTable = (typeof PROC_NET_TABLES)[number];

const CHUNK = 64 * 1024;

export class HostProcNet {
  private constructor(private readonly fds: ReadonlyMap<ProcNetTable, number>) {}

  /** Opens the tables of this process's network namespace (a table the kernel lacks, e.g. without IPv6, is left out). */
  static open(): HostProcNet {
    const fds = new Map<ProcNetTable, number>();
    for (const t of PROC_NET_TABLES) {
      try {
        fds.set(t, openSync(`/proc/self/net/${t}`, 'r'));
      } catch {
        /* absent on this host: the sandbox shows it empty */
      }
    }
    return new HostProcNet(fds);
  }

  /** The table's current text, or undefined when the host has none. */
  read(table: ProcNetTable): string | undefined {
    const fd = this.fds.get(table);
    if (fd === undefined) return undefined;
    const parts: Buffer[] = [];
    for (let off = 0; ; ) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = preadFd(fd, buf, off);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      off += n;
    }
    return Buffer.concat(parts).toString('latin1');
  }
}
