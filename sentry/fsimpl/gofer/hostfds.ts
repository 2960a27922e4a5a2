/**
 * Host descriptors the Gofer donated for reading (Tgetfd), one per file.
 * Bounded: a program that reads thousands of files must not fill the
 * Sentry's descriptor table, so past the limit the least recently used one
 * is closed; its file simply asks the Gofer again on its next read.
 */
import { closeFd } from '../../platform/host/fdio';

export const MAX_HOST_FDS = 256;

export class HostFdCache<K> {
  /** Insertion order is recency order: most recently used last. */
  private readonly fds = new Map<K, number>();

  constructor(
    private readonly limit = MAX_HOST_FDS,
    private readonly close: (fd: number) => void = closeFd,
  ) {}

  get size(): number {
    return this.fds.size;
  }

  /** The descriptor of `key`, marking it most recently used. */
  get(key: K): number | undefined {
    const fd = this.fds.get(key);
    if (fd !== undefined) {
      this.fds.delete(key);
      this.fds.set(key, fd);
    }
    return fd;
  }

  /** Keeps `fd` (now owned by the cache) for `key`, closing the one it replaces and any over the limit. */
  add(key: K, fd: number): void {
    this.drop(key);
    this.fds.set(key, fd);
    for (const [old, oldFd] of this.fds) {
      if (this.fds.size <= this.limit) break;
      this.fds.delete(old);
      this.close(oldFd);
    }
  }

  drop(key: K): void {
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    this.close(fd);
  }


  /** Closes every descriptor (the filesystem is done with the Gofer). */
  clear(): void {
    for (const fd of this.fds.values()) this.close(fd);
    this.fds.clear();
  }
}
