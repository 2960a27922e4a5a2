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

/** Bytes of files held in memory: the writable layer, /tmp, /dev/shm and any other tmpfs mounted. */
export function filesInMemory(vfs: Vfs): number {
  let bytes = 0;
  for (const { fs } of vfs.mountList()) {
    if (fs instanceof OverlayFs) bytes += fs.upper.usage().bytes;
    else if (fs instanceof Tmpfs) bytes += fs.usage().bytes;
  }
  return bytes;
}
