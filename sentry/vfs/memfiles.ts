/**
 * How much of a mount table's file data the Sentry holds in its own
 * memory (tmpfs mounts and the in-memory overlay's upper layer), which a
 * container's memory cgroup charges as Linux charges tmpfs pages.
 */
import { OverlayFs } from '../fsimpl/overlay/overlay';
import { Tmpfs } from '../fsimpl/tmpfs/tmpfs';
import type { Vfs } from './vfs';

/** The writable layer of the root (its in-memory overlay's upper tmpfs); nothing with a read-only or written-through root. */
export function writableLayer(vfs: Vfs): { bytes: number; inodes: number } {
  const root = vfs.mountList().find((m) => m.path === '/')?.fs;
  return root instanceof OverlayFs ? root.upper.usage() : { bytes: 0, inodes: 0 };
}

/**
 * Bytes of files held in memory: the writable layer, /tmp, /dev/shm and
 * any other tmpfs mounted, each filesystem once however many times it is
 * mounted, from the counts the tmpfs keep (a hard-linked file once, an
 * unlinked one until its last close, as Linux charges shmem pages).
 */
export function filesInMemory(vfs: Vfs): number {
  const seen = new Set<Tmpfs>();
  for (const { fs } of vfs.mountList()) {
    const t = fs instanceof OverlayFs ? fs.upper : fs instanceof Tmpfs ? fs : undefined;
    if (t) seen.add(t);
  }
  return [...seen].reduce((n, t) => n + t.bytesInMemory, 0);
}
